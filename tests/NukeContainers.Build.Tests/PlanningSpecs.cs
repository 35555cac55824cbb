namespace NukeContainers.Build.Tests;

public sealed class PlanningSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    private sealed class OrderBuild : RecordingBuild
    {
        public Target Restore => _ => _.Executes(Record(nameof(Restore)));
        public Target Compile => _ => _.DependsOn(Restore).Executes(Record(nameof(Compile)));
        public Target Test => _ => _.DependsOn(Compile).Executes(Record(nameof(Test)));
        public Target Clean => _ => _.Before(Restore).Executes(Record(nameof(Clean)));
        public Target Pack => _ => _.After(Test).DependsOn(Compile).Executes(Record(nameof(Pack)));
        public Target Notify => _ => _.TriggeredBy(Pack).Executes(Record(nameof(Notify)));
        public Target Announce => _ => _.Executes(Record(nameof(Announce)));
        public Target Publish => _ => _.DependsOn(Pack).Triggers(Announce).Executes(Record(nameof(Publish)));
        public Target Lint => _ => _.DependentFor(Compile).Executes(Record(nameof(Lint)));
    }

    [Fact]
    public async Task Dependencies_run_first_and_each_target_runs_once()
    {
        var build = new OrderBuild();
        var run = await _driver.RunAsync(build, "Test", "Compile");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["Restore", "Lint", "Compile", "Test"], build.Ran);
    }

    [Fact]
    public async Task Before_and_after_order_targets_only_when_both_are_scheduled()
    {
        var alone = new OrderBuild();
        await _driver.RunAsync(alone, "Pack");
        Assert.DoesNotContain("Test", alone.Ran);

        var both = new OrderBuild();
        await _driver.RunAsync(both, "Pack", "Test", "Clean");
        Assert.True(both.Ran.IndexOf("Test") < both.Ran.IndexOf("Pack"));
        Assert.Equal("Clean", both.Ran[0]);
    }

    [Fact]
    public async Task Triggers_and_TriggeredBy_schedule_targets_after_the_trigger()
    {
        var build = new OrderBuild();
        await _driver.RunAsync(build, "Publish");

        Assert.Equal(["Restore", "Lint", "Compile", "Pack", "Notify", "Publish", "Announce"], build.Ran);
    }

    [Fact]
    public async Task DependentFor_schedules_the_target_before_its_dependent()
    {
        var build = new OrderBuild();
        await _driver.RunAsync(build, "Compile");

        Assert.Equal(["Restore", "Lint", "Compile"], build.Ran);
    }

    private sealed class CycleBuild : RecordingBuild
    {
        public Target A => _ => _.DependsOn(C).Executes(Record(nameof(A)));
        public Target B => _ => _.DependsOn(A).Executes(Record(nameof(B)));
        public Target C => _ => _.After(B).Executes(Record(nameof(C)));
        public Target D => _ => _.DependsOn(B).Executes(Record(nameof(D)));
    }

    [Fact]
    public async Task A_cycle_is_an_error_that_prints_the_cycle_and_runs_nothing()
    {
        var build = new CycleBuild();
        var run = await _driver.RunAsync(build, "D");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("cycle: A → B → C → A (A → B: A must run before B)", run.Output);
        Assert.Empty(build.Ran);
    }

    [Fact]
    public async Task An_unknown_target_is_an_error_that_lists_the_available_ones()
    {
        var run = await _driver.RunAsync(new OrderBuild(), "Deploy");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("There is no target 'Deploy'. The targets are: Restore, Compile, Test, Clean, Pack, Notify, Announce, Publish, Lint.", run.Output);
    }

    [Fact]
    public async Task Target_names_match_regardless_of_case_and_dashes()
    {
        var build = new OrderBuild();
        var run = await _driver.RunAsync(build, "compile");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Compile", build.Ran);
    }

    [Fact]
    public async Task Plan_prints_the_order_and_the_graph_without_running_anything()
    {
        var build = new OrderBuild();
        var run = await _driver.RunAsync(build, "Publish", "--plan");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(build.Ran);
        Assert.Contains("1. Restore\n  2. Lint\n  3. Compile\n  4. Pack\n  5. Notify\n  6. Publish\n  7. Announce", run.Output);
        Assert.Contains("Notify ← triggered by Pack", run.Output);
        Assert.Contains("Compile ← depends on Restore, depends on Lint", run.Output);
    }

    [Fact]
    public async Task The_default_target_runs_when_none_is_named()
    {
        var build = new OrderBuild();
        _driver.DefaultTargets.Add("Compile");
        await _driver.RunAsync(build);

        Assert.Equal(["Restore", "Lint", "Compile"], build.Ran);
    }

    public void Dispose() => _driver.Dispose();
}
