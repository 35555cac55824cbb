namespace NukeContainers.Build.Tests;

public sealed class SkippingSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    private sealed class SkipBuild : RecordingBuild
    {
        public bool PackagesChanged { get; set; } = true;
        public bool IsRelease { get; set; } = true;

        public Target Restore => _ => _.Executes(Record(nameof(Restore)));
        public Target Compile => _ => _.DependsOn(Restore).Executes(Record(nameof(Compile)));
        public Target Sign => _ => _.Executes(Record(nameof(Sign)));
        public Target Pack => _ => _.DependsOn(Compile, Sign).OnlyWhenStatic(() => IsRelease).Executes(Record(nameof(Pack)));
        public Target Upload => _ => _.DependsOn(Compile).OnlyWhenDynamic(() => PackagesChanged).Executes(Record(nameof(Upload)));
    }

    [Fact]
    public async Task A_skipped_dependency_does_not_stop_its_dependent()
    {
        var build = new SkipBuild();
        var run = await _driver.RunAsync(build, "Compile", "--skip", "Restore");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["Compile"], build.Ran);
        Assert.Equal(TargetStatus.Skipped, run.StatusOf("Restore"));
        Assert.Equal("skipped by --skip", run.NoteOf("Restore"));
    }

    [Fact]
    public async Task Skip_without_names_skips_everything_not_named_on_the_command_line()
    {
        var build = new SkipBuild();
        await _driver.RunAsync(build, "Upload", "--skip");

        Assert.Equal(["Upload"], build.Ran);
    }

    [Fact]
    public async Task A_false_static_condition_skips_the_target_and_the_dependencies_only_it_needs()
    {
        var build = new SkipBuild { IsRelease = false };
        var run = await _driver.RunAsync(build, "Pack", "Upload");

        Assert.Equal(["Restore", "Compile", "Upload"], build.Ran);
        Assert.Equal("condition false: () => IsRelease", run.NoteOf("Pack"));
        Assert.Equal("only needed by skipped Pack", run.NoteOf("Sign"));
        Assert.Contains("condition false: () => IsRelease", run.Output);
    }

    [Fact]
    public async Task A_false_dynamic_condition_skips_only_the_target_after_its_dependencies_ran()
    {
        var build = new SkipBuild { PackagesChanged = false };
        var run = await _driver.RunAsync(build, "Upload");

        Assert.Equal(["Restore", "Compile"], build.Ran);
        Assert.Equal(TargetStatus.Skipped, run.StatusOf("Upload"));
        Assert.Equal("condition false: () => PackagesChanged", run.NoteOf("Upload"));
    }

    [Fact]
    public async Task Skipping_an_unknown_target_is_an_error()
    {
        var run = await _driver.RunAsync(new SkipBuild(), "Compile", "--skip", "Restroe");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("There is no target 'Restroe'. Did you mean Restore?", run.Output);
    }

    public void Dispose() => _driver.Dispose();
}
