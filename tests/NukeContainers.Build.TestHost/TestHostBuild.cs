using NukeContainers.Build;

/// A small build for the process tests: Greet (the default), Wait (until cancelled) and Cleanup (assured).
sealed class TestHostBuild : BuildHost
{
    public static int Main() => Execute<TestHostBuild>(x => x.Greet);

    [Parameter("Who to greet")]
    readonly string Name = "world";

    [Parameter("A token to show masked"), Secret]
    readonly string? Token;

    Target Greet => _ => _
        .Description("Print a greeting")
        .Executes(() => Log.Write(Verbosity.Quiet, $"hello {Name} with token {Token}"));

    Target Wait => _ => _
        .Description("Wait until cancelled")
        .Executes(async ct =>
        {
            Log.Write(Verbosity.Quiet, "waiting");
            await Task.Delay(Timeout.Infinite, ct);
        });

    [Parameter("An engine socket to look for")]
    readonly string? Socket;

    Target FindEngine => _ => _
        .Description("Look for an engine at --socket (as the user this process runs as)")
        .Requires(() => Socket)
        .Executes(async ct =>
        {
            var found = await new NukeContainers.Engine.EngineDiscovery([new NukeContainers.Engine.SocketProvider(Socket!, "the test's socket")]).RequireAsync(ct);
            Log.Write(Verbosity.Quiet, $"found {found.SocketPath}");
        });

    Target Cleanup => _ => _
        .Description("Runs even after a failure or Ctrl+C")
        .After(Wait)
        .AssuredAfterFailure()
        .Executes(() => Log.Write(Verbosity.Quiet, "cleanup ran"));
}
