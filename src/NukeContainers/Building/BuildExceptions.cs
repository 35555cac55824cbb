namespace NukeContainers.Building;

/// <summary>A build failed; names the Dockerfile instruction, the builder's error, and the instruction's last output lines.</summary>
public sealed class ImageBuildException(string? instruction, string error, IReadOnlyList<string> logTail)
    : ContainerException(Scanning.Secrets.MaskPatterns(Describe(instruction, error, logTail)))
{
    /// <summary>The same failure with the run's secret values masked (a RUN that printed one, in the last output).</summary>
    public ImageBuildException MaskedWith(Scanning.Masker masker) =>
        new(Instruction is null ? null : masker.Apply(Instruction), masker.Apply(Error), [.. LogTail.Select(masker.Apply)]);

    /// <summary>The failing instruction as the builder names it, when it said which.</summary>
    public string? Instruction { get; } = instruction;

    /// <summary>The builder's error message.</summary>
    public string Error { get; } = error;

    /// <summary>The last lines the failing instruction printed.</summary>
    public IReadOnlyList<string> LogTail { get; } = logTail;

    private static string Describe(string? instruction, string error, IReadOnlyList<string> tail) =>
        (instruction is null ? $"The build failed: {error}" : $"The build instruction {instruction} failed: {error}") +
        (tail.Count > 0 ? "\nIts last output:\n  " + string.Join("\n  ", tail) : "");
}

/// <summary>The image weighs more than its size budget allows against its baseline; <see cref="Result"/> is the build, measured.</summary>
public sealed class SizeBudgetExceededException(BuildResult result, double budget)
    : ContainerException(FormattableString.Invariant($"{result.Image.Repository} is {100 * result.SizeRatio:0.0}% of its baseline {Path.GetFileName(result.Baseline!.Dockerfile)} ") +
                         FormattableString.Invariant($"({result.Image.SizeBytes / 1e6:0.0} MB of {result.Baseline.SizeBytes / 1e6:0.0} MB), over its budget of {100 * budget:0.#}%: it is not tagged or pushed. ") +
                         "Slim it (a smaller base, a multi-stage build, fewer files), or raise the budget."), IStepFailure
{
    /// <summary>The build, with both sizes.</summary>
    public BuildResult Result { get; } = result;

    StepResult IStepFailure.Result => Result;
}

/// <summary>The engine refused to start the build (bad parameters, or a builder it does not have).</summary>
public sealed class BuildRefusedException(Builder builder, int status, string message)
    : ContainerException($"The engine refused the {builder} build ({status}): {message}")
{
    /// <summary>The builder that was asked for.</summary>
    public Builder Builder { get; } = builder;

    /// <summary>True when the refusal says the engine has no BuildKit, so the legacy builder may do the job.</summary>
    public bool BuildKitUnavailable => Builder == Builder.BuildKit && message.Contains("buildkit", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The engine's build output could not be read (truncated or corrupted); names the line and what was wrong.</summary>
public sealed class BuildOutputException(string problem)
    : ContainerException($"The engine's build output could not be read: {problem}. The engine may have been cut off; its log says more.");

/// <summary>The connection to the engine was cut while it built: the engine stopped or restarted, or the network failed.</summary>
public sealed class EngineConnectionException(string? instruction, Exception inner)
    : ContainerException(
        $"The connection to the engine was cut during the build{(instruction is null ? "" : $", while it ran {instruction}")} ({inner.Message}). " +
        "Check that the engine still runs; its log says why it stopped (the embedded engine's is dockerd.log in /var/lib/nuke-containers).", inner)
{
    /// <summary>The instruction that was running, when one was.</summary>
    public string? Instruction { get; } = instruction;
}

/// <summary>
/// The BuildKit session was cut while the engine built (the connection that carries the context's files, secrets and
/// credentials went): the engine could not read what it needed, so the build stopped and nothing was tagged.
/// </summary>
public sealed class SessionCutException(string endpoint, Exception inner)
    : ContainerException(
        $"The BuildKit session with the engine at {endpoint} was cut during the build, so the engine could not read the context " +
        $"(the engine said: {inner.Message.Split('\n')[0]}). Nothing was tagged; run the build again, and if it happens again, check what sits between " +
        "this machine and the engine (a proxy that drops upgraded connections).", inner);
