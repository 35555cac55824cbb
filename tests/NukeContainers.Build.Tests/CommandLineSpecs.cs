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

    private sealed class FailingBuild : BuildHost
    {
        public Target Deploy => _ => _.Executes(() => throw new InvalidOperationException("DOCKER_HOST=unix:///x does not answer."));
    }

    public interface IRetrying : IBuild
    {
        [Parameter("Retries")] int Retries => TryGetValue(() => Retries);
        [Parameter("Timeout")] int Timeout => TryGetValue<int?>(() => Timeout) ?? 30;
    }

    private sealed class RetryingBuild : BuildHost, IRetrying
    {
        public List<string> Read { get; } = [];
        public Target Timeout => _ => _.Executes(() => Read.Add($"timeout {((IRetrying)this).Timeout}"));
        public Target Retry => _ => _.Executes(() => Read.Add($"retries {((IRetrying)this).Retries}"));
    }

    [Fact]
    public async Task A_root_that_does_not_exist_is_refused_and_not_created()
    {
        var root = Path.Combine(_driver.Root, "no", "such", "dir");

        var run = await _driver.RunAsync(new SwitchBuild(), "Test", "--root", root);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--root '{root}' does not exist.", run.Output);
        Assert.False(Directory.Exists(Path.Combine(_driver.Root, "no")));
    }

    [Fact]
    public async Task A_root_inside_a_repository_is_refused_naming_the_repositorys_folder()
    {
        Directory.CreateDirectory(Path.Combine(_driver.Root, ".git"));
        var samples = Directory.CreateDirectory(Path.Combine(_driver.Root, "samples")).FullName;

        var run = await _driver.RunAsync(new SwitchBuild(), "Test", "--root", samples);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--root '{samples}' is inside the repository at {_driver.Root}: give that folder", run.Output);
        Assert.False(Directory.Exists(Path.Combine(samples, "artifacts")));
    }

    [Fact]
    public async Task A_stray_environment_value_does_not_block_help_and_says_where_it_came_from()
    {
        _driver.Environment["PUSH"] = "maybe";

        var help = await _driver.RunAsync(new SwitchBuild(), "--help");
        var build = await _driver.RunAsync(new SwitchBuild(), "Publish");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("warning: Parameter --push (from the environment variable PUSH) got 'maybe'", help.Output);
        Assert.Equal(2, build.ExitCode);
        Assert.Contains("error: Parameter --push (from the environment variable PUSH) got 'maybe', which is not a valid bool.", build.Output);
    }

    [Fact]
    public async Task A_verbosity_from_the_environment_that_does_not_convert_names_the_variable()
    {
        _driver.Environment["NUKE_VERBOSITY"] = "loud";

        var run = await _driver.RunAsync(new SwitchBuild(), "Publish");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("NUKE_VERBOSITY got 'loud'; use quiet, minimal, normal or verbose.", run.Output);
    }

    [Fact]
    public async Task A_failures_message_is_said_once_in_the_verdict_without_a_double_stop()
    {
        var run = await _driver.RunAsync(new FailingBuild(), "Deploy");

        Assert.Contains("Build failed: target Deploy failed: DOCKER_HOST=unix:///x does not answer. Full log:", run.Output);
        Assert.DoesNotContain("..", run.Output.Split('\n').Last(l => l.StartsWith("Build failed", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_second_build_in_the_same_folder_writes_its_own_log_and_leaves_the_first_ones_alone()
    {
        var logs = Path.Combine(_driver.Root, "artifacts", "logs");
        Directory.CreateDirectory(logs);
        await using (var first = new FileStream(Path.Combine(logs, "build.log"), FileMode.Create, FileAccess.Write, FileShare.None))
        {
            first.Write("the first build's line\n"u8);
            await first.FlushAsync();

            await _driver.RunAsync(new SwitchBuild(), "Publish");
        }

        Assert.Equal("the first build's line\n", await File.ReadAllTextAsync(Path.Combine(logs, "build.log")));
        Assert.Contains("Publish", await File.ReadAllTextAsync(Path.Combine(logs, $"build.{Environment.ProcessId}.log")));
    }

    [Fact]
    public async Task An_unset_value_type_parameter_read_without_a_nullable_is_an_error_that_says_how_to_read_it()
    {
        var build = new RetryingBuild();

        var timeout = await _driver.RunAsync(build, "Timeout");
        var retry = await _driver.RunAsync(build, "Retry");
        var given = await _driver.RunAsync(build, "Retry", "--retries", "4");

        Assert.Equal(0, timeout.ExitCode);
        Assert.Equal(1, retry.ExitCode);
        Assert.Contains("TryGetValue(() => Retries) reads a Int32, which cannot say that the parameter was not set. Write TryGetValue<Int32?>(() => Retries) ?? <its default>.", retry.Output);
        Assert.Equal(["timeout 30", "retries 4"], build.Read);
    }

    public void Dispose() => _driver.Dispose();
}
