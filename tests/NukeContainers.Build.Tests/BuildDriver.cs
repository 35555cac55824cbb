using NukeContainers.Build.Execution;

namespace NukeContainers.Build.Tests;

/// Runs a test build through the real host, in a temporary root, with the environment the test gives.
internal sealed class BuildDriver : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("nc-build-").FullName;
    public Dictionary<string, string> Environment { get; } = new();
    public List<string> DefaultTargets { get; } = [];

    public async Task<Run> RunAsync(BuildHost build, params string[] args) =>
        await RunAsync(build, CancellationToken.None, args);

    public Task<Run> RunAsync(BuildHost build, CancellationToken cancel, params string[] args) => RunAsync(build, cancel, null, args);

    /// <summary>As <see cref="RunAsync(BuildHost, string[])"/>; <paramref name="written"/> hears the output as it is written (to cancel on an event).</summary>
    public async Task<Run> RunAsync(BuildHost build, CancellationToken cancel, Action<string>? written, params string[] args)
    {
        var output = new ObservedWriter(written);
        var context = new BuildInvocation(output, Environment, Root, cancel, CancellationToken.None);
        var outcome = await BuildRunner.RunAsync(build, args.Contains("--root") ? args : [.. args, "--root", Root], DefaultTargets, context);
        return new Run(outcome.ExitCode, outcome.Summary, output.ToString(), Path.Combine(Root, "artifacts/logs/build.log"));
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    public sealed record Run(int ExitCode, BuildSummary? Summary, string Output, string LogFile)
    {
        public TargetStatus StatusOf(string target) =>
            (Summary ?? throw new InvalidOperationException("The build did not run:\n" + Output))[target]?.Status
            ?? throw new InvalidOperationException($"{target} was not planned:\n{Output}");

        public string? NoteOf(string target) => Summary?[target]?.Note;
    }
}

/// Output kept as text, each write told to an observer.
internal sealed class ObservedWriter(Action<string>? written) : StringWriter
{
    public override void Write(char value)
    {
        base.Write(value);
        written?.Invoke(value.ToString());
    }

    public override void Write(string? value)
    {
        base.Write(value);
        if (value is not null) written?.Invoke(value);
    }

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value is not null) written?.Invoke(value);
    }
}

/// A build that records the order its targets ran in.
internal abstract class RecordingBuild : BuildHost
{
    public List<string> Ran { get; } = [];

    protected Action Record(string name) => () => Ran.Add(name);
}
