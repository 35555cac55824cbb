namespace NukeContainers.Build.Tests;

public sealed class FailureSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    private sealed class FailingBuild : RecordingBuild
    {
        public bool ProceedOnLintFailure { get; init; }

        public Target Lint => _ => (ProceedOnLintFailure ? _.ProceedAfterFailure() : _)
            .Executes(Record(nameof(Lint)), () => throw new InvalidOperationException("3 lint errors\nsecond line"));
        public Target Compile => _ => _.Executes(Record(nameof(Compile)));
        public Target Fix => _ => _.DependsOn(Lint).Executes(Record(nameof(Fix)));
        public Target Test => _ => _.DependsOn(Compile).After(Lint).Executes(Record(nameof(Test)));
        public Target Cleanup => _ => _.After(Test, Fix).AssuredAfterFailure().Executes(Record(nameof(Cleanup)));
    }

    [Fact]
    public async Task A_failure_stops_the_build_but_assured_targets_still_run()
    {
        var build = new FailingBuild();
        var run = await _driver.RunAsync(build, "Compile", "Lint", "Test", "Cleanup");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["Lint", "Cleanup"], build.Ran);
        Assert.Equal(TargetStatus.Failed, run.StatusOf("Lint"));
        Assert.Equal("3 lint errors", run.NoteOf("Lint"));
        Assert.Equal(TargetStatus.NotRun, run.StatusOf("Test"));
        Assert.Equal(TargetStatus.Succeeded, run.StatusOf("Cleanup"));
    }

    [Fact]
    public async Task A_failure_whose_first_line_only_announces_the_cause_keeps_the_cause_in_the_summary()
    {
        var run = await _driver.RunAsync(new AnnouncingBuild(), "Deliver");

        Assert.Equal("1 of 2 images failed: go-api: exit 7", run.NoteOf("Deliver"));
        Assert.Contains("Build failed: target Deliver failed: 1 of 2 images failed: go-api: exit 7.", run.Output);
    }

    private sealed class AnnouncingBuild : BuildHost
    {
        public Target Deliver => _ => _.Executes(() => throw new InvalidOperationException("1 of 2 images failed:\n\n  go-api: exit 7\n  web: done"));
    }

    [Fact]
    public async Task ProceedAfterFailure_runs_independent_targets_but_not_the_failed_targets_dependents()
    {
        var build = new FailingBuild { ProceedOnLintFailure = true };
        var run = await _driver.RunAsync(build, "Fix", "Test");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["Lint", "Compile", "Test"], build.Ran);
        Assert.Equal(TargetStatus.NotRun, run.StatusOf("Fix"));
        Assert.Equal("its dependency Lint did not succeed", run.NoteOf("Fix"));
    }

    [Fact]
    public async Task Continue_makes_every_target_proceed_after_failure()
    {
        var build = new FailingBuild();
        var run = await _driver.RunAsync(build, "Lint", "Test", "--continue");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["Lint", "Compile", "Test"], build.Ran);
    }

    [Fact]
    public async Task The_summary_has_a_row_per_target_and_the_verdict_names_the_failure_and_the_log()
    {
        var run = await _driver.RunAsync(new FailingBuild(), "Test", "Lint");

        Assert.Matches(@"Lint\s+Failed\s+\d+:\d\d\.\d\s+3 lint errors", run.Output);
        Assert.Matches(@"Compile\s+NotRun\s+an earlier target failed", run.Output);
        Assert.Matches(@"Test\s+NotRun\s+an earlier target failed", run.Output);
        Assert.Contains("Build failed: target Lint failed: 3 lint errors. Full log: artifacts/logs/build.log", run.Output);
        Assert.Contains("second line", await File.ReadAllTextAsync(run.LogFile));
    }

    [Fact]
    public async Task A_successful_build_exits_zero_with_a_one_line_verdict()
    {
        var run = await _driver.RunAsync(new FailingBuild(), "Test");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"Build succeeded in \d+:\d\d\.\d\.", run.Output);
    }

    public void Dispose() => _driver.Dispose();
}
