namespace NukeContainers.Build.Tests;

/// What a new user typed in the first hour (issue "Hardening"): switches that swallowed targets, help of an empty build.
public sealed class CommandLineSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    private sealed class SwitchBuild : RecordingBuild
    {
        [Parameter("Push too")] readonly bool Push;

        public Target Test => _ => _.Executes(() => Ran.Add($"Test push={Push}"));
        public Target Publish => _ => _.Executes(() => Ran.Add($"Publish push={Push}"));
    }

    private sealed class EmptyBuild : BuildHost
    {
        public Target Hidden => _ => _.Unlisted().Executes(() => { });
    }

    [Theory]
    [InlineData("--continue", "Publish")]
    [InlineData("--push", "Publish")]
    public async Task A_switch_before_a_target_does_not_swallow_it(string flag, string target)
    {
        _driver.DefaultTargets.Add("Test");
        var build = new SwitchBuild();

        var run = await _driver.RunAsync(build, flag, target);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal([$"Publish push={(flag == "--push" ? "True" : "False")}"], build.Ran);
    }

    [Fact]
    public async Task Plan_before_a_target_plans_that_target()
    {
        _driver.DefaultTargets.Add("Test");

        var run = await _driver.RunAsync(new SwitchBuild(), "--plan", "Publish");

        Assert.Contains("Execution plan for Publish:", run.Output);
    }

    [Theory]
    [InlineData("false", "Publish push=False")]
    [InlineData("true", "Publish push=True")]
    public async Task A_switch_still_takes_a_boolean_after_it(string value, string ran)
    {
        var build = new SwitchBuild();

        await _driver.RunAsync(build, "Publish", "--push", value);

        Assert.Equal([ran], build.Ran);
    }

    [Fact]
    public async Task Help_of_a_build_that_lists_no_targets_says_so()
    {
        var run = await _driver.RunAsync(new EmptyBuild(), "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("(none: this build lists no targets)", run.Output);
    }

    public void Dispose() => _driver.Dispose();
}
