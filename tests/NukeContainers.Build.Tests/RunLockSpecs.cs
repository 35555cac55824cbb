namespace NukeContainers.Build.Tests;

/// Two runs in one repository: the second waits for the first, so neither reads what the other wrote to artifacts/.
public sealed class RunLockSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    /// Its one target records when it starts and ends, and waits for the gate in between.
    private sealed class GatedBuild(string name, List<string> events, Task gate, TaskCompletionSource? started = null) : BuildHost
    {
        public Target Work => _ => _.Executes(async () =>
        {
            lock (events) events.Add($"{name} started");
            started?.SetResult();
            await gate;
            File.WriteAllText(RootDirectory / "artifacts" / "report.txt", name);
            lock (events) events.Add($"{name} ended");
        });
    }

    [Fact]
    public async Task A_second_run_waits_for_the_first_to_end_and_says_so()
    {
        var (events, gate, first) = await StartFirstRunAsync();

        var waiting = new TaskCompletionSource();
        var second = _driver.RunAsync(new GatedBuild("second", events, Task.CompletedTask), CancellationToken.None, Waiting(waiting), "Work");
        await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30));   // the second run says it waits: then it must not have started
        var secondStartedEarly = events.Contains("second started");
        gate.SetResult();
        var (a, b) = (await first.WaitAsync(TimeSpan.FromSeconds(30)), await second.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.False(secondStartedEarly, string.Join(", ", events));
        Assert.True(a.ExitCode == 0 && b.ExitCode == 0, a.Output + b.Output);
        Assert.Equal(["first started", "first ended", "second started", "second ended"], events);
        Assert.Contains($"Another run of this build is using {Path.Combine(_driver.Root, "artifacts")} (pid {Environment.ProcessId}, started ", b.Output);
        Assert.Contains("Work --root", b.Output);
        Assert.DoesNotContain("Another run", a.Output);
    }

    [Fact]
    public async Task Ctrl_C_while_waiting_stops_the_wait_and_runs_nothing()
    {
        var (events, gate, first) = await StartFirstRunAsync();
        using var cancel = new CancellationTokenSource();
        var waiting = new TaskCompletionSource();
        _ = waiting.Task.ContinueWith(_ => cancel.Cancel(), TaskScheduler.Default);   // Ctrl+C once it says it waits

        var second = await _driver.RunAsync(new GatedBuild("second", events, Task.CompletedTask), cancel.Token, Waiting(waiting), "Work").WaitAsync(TimeSpan.FromSeconds(30));
        gate.SetResult();
        await first;

        Assert.Equal(130, second.ExitCode);
        Assert.DoesNotContain("second started", events);
        Assert.Contains("Cancelled before the build started.", second.Output);
    }

    /// Hears the output and completes when the run says it waits for another.
    private static Action<string> Waiting(TaskCompletionSource waiting) => text =>
    {
        if (text.Contains("Another run of this build is using", StringComparison.Ordinal)) waiting.TrySetResult();
    };

    /// A first run whose target has started and waits for the gate: it holds the lock until the gate opens.
    private async Task<(List<string> Events, TaskCompletionSource Gate, Task<BuildDriver.Run> Run)> StartFirstRunAsync()
    {
        var events = new List<string>();
        var gate = new TaskCompletionSource();
        var started = new TaskCompletionSource();
        var first = _driver.RunAsync(new GatedBuild("first", events, gate.Task, started), "Work");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return (events, gate, first);
    }

    public void Dispose() => _driver.Dispose();
}
