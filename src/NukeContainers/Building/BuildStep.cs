namespace NukeContainers.Building;

/// <summary>One step of an image build, as the builder reported it.</summary>
/// <param name="Name">The step as the builder names it, such as <c>[runtime 2/3] COPY app /app</c>.</param>
/// <param name="Cached">True when the builder reused a cached result.</param>
/// <param name="Duration">How long the step ran; zero for cached steps.</param>
public sealed record BuildStep(string Name, bool Cached, TimeSpan Duration)
{
    /// FROM only resolves the base image: there is nothing for the cache to save, so it is not counted as a step.
    internal static bool IsBaseImage(string name) =>
        (name.StartsWith('[') ? name[(name.IndexOf(']') + 1)..] : name).TrimStart().StartsWith("FROM ", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A build's outcome.</summary>
/// <param name="ImageId">The built image's id (<c>sha256:...</c>).</param>
/// <param name="Steps">The Dockerfile's steps that ran or came from the cache (FROM and the builder's internal steps left out).</param>
/// <param name="Builder">Which builder ran it.</param>
/// <param name="Duration">The whole build, context upload included.</param>
public sealed record BuildResult(string ImageId, IReadOnlyList<BuildStep> Steps, Builder Builder, TimeSpan Duration)
{
    /// <summary>How many steps came from the cache.</summary>
    public int StepsCached => Steps.Count(s => s.Cached);

    /// <summary>How many steps there were.</summary>
    public int StepsTotal => Steps.Count;
}

/// <summary>The engine's two image builders.</summary>
public enum Builder
{
    /// <summary>BuildKit, through the Engine API (the default): parallel stages, skipped unused stages, cache mounts.</summary>
    BuildKit,
    /// <summary>The legacy builder: for engines without BuildKit.</summary>
    Legacy,
}

/// <summary>The network RUN steps get.</summary>
public enum NetworkMode
{
    /// <summary>The host's network: works on an engine started with --bridge=none, and lets RUN reach package registries.</summary>
    Host,
    /// <summary>No network at all.</summary>
    None,
    /// <summary>The engine's default bridge network.</summary>
    Default,
}

/// <summary>A build failed; names the step, the builder's error, and the step's last output lines.</summary>
public sealed class ImageBuildException(string? step, string error, IReadOnlyList<string> logTail)
    : ContainerException(Describe(step, error, logTail))
{
    /// <summary>The failing step, when the builder said which.</summary>
    public string? Step { get; } = step;

    /// <summary>The builder's error message.</summary>
    public string Error { get; } = error;

    /// <summary>The last lines the failing step printed.</summary>
    public IReadOnlyList<string> LogTail { get; } = logTail;

    private static string Describe(string? step, string error, IReadOnlyList<string> tail) =>
        (step is null ? $"The build failed: {error}" : $"The build step {step} failed: {error}") +
        (tail.Count > 0 ? "\nIts last output:\n  " + string.Join("\n  ", tail) : "");
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
