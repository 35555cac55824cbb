namespace NukeContainers.Build.Tests;

public sealed class CancellationSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    private sealed class LongBuild(CancellationTokenSource cancel) : RecordingBuild
    {
        public bool CleanupSawCancelledToken { get; private set; }

        public Target Wait => _ => _.Executes(async ct =>
        {
            Ran.Add(nameof(Wait));
            cancel.Cancel(); // what Ctrl+C does
            await Task.Delay(Timeout.Infinite, ct);
        });
        public Target Next => _ => _.DependsOn(Wait).Executes(Record(nameof(Next)));
        public Target Cleanup => _ => _.After(Next).AssuredAfterFailure().Executes(ct =>
        {
            Ran.Add(nameof(Cleanup));
            CleanupSawCancelledToken = ct.IsCancellationRequested;
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Cancelling_stops_the_running_target_skips_the_rest_and_still_runs_assured_targets()
    {
        using var cancel = new CancellationTokenSource();
        var build = new LongBuild(cancel);

        var run = await _driver.RunAsync(build, cancel.Token, "Next", "Cleanup").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(130, run.ExitCode);
        Assert.Equal(["Wait", "Cleanup"], build.Ran);
        Assert.Equal(TargetStatus.Cancelled, run.StatusOf("Wait"));
        Assert.Equal(TargetStatus.NotRun, run.StatusOf("Next"));
        Assert.False(build.CleanupSawCancelledToken);
        Assert.Contains("Build cancelled.", run.Output);
    }

    public void Dispose() => _driver.Dispose();
}
