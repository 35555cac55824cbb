using Semver;

namespace NukeContainers.Build.Tests;

public sealed class ParameterSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    public enum Stage { Development, Staging, Production }

    private sealed class ParameterBuild : BuildHost
    {
        [Parameter("Configuration")] public readonly string Configuration = "Debug";
        [Parameter("Registry")] public string? Registry { get; }
        [Parameter("Retries")] public int Retries = 1;
        [Parameter("Ratio")] public double Ratio;
        [Parameter("Push")] public bool Push;
        [Parameter("Stage")] public Stage Environment = Stage.Development;
        [Parameter("Platforms")] public string[] Platforms = [];
        [Parameter("Output")] public AbsolutePath? Output;
        [Parameter("Version")] public SemVersion? Version;
        [Parameter("Kube context")] public string? KubeContext;

        public Target Show => _ => _.Executes(() => { });
        public Target Deploy => _ => _.Requires(() => Registry).Requires(() => KubeContext).Executes(() => { });
    }

    [Fact]
    public async Task Command_line_wins_over_environment_which_wins_over_NUKE_prefixed_environment_and_the_default()
    {
        _driver.Environment["CONFIGURATION"] = "Release";
        _driver.Environment["NUKE_CONFIGURATION"] = "Ignored";
        _driver.Environment["NUKE_REGISTRY"] = "env.example:5000";
        _driver.Environment["RETRIES"] = "4";
        var build = new ParameterBuild();

        await _driver.RunAsync(build, "Show", "--retries", "7");

        Assert.Equal("Release", build.Configuration);
        Assert.Equal("env.example:5000", build.Registry);
        Assert.Equal(7, build.Retries);
        Assert.Equal(Stage.Development, build.Environment);
    }

    [Fact]
    public async Task Values_are_converted_to_the_parameters_types()
    {
        var build = new ParameterBuild();
        _driver.Environment["PLATFORMS"] = "linux/amd64, linux/arm64";

        var run = await _driver.RunAsync(build, "Show", "--push", "--ratio", "0.25", "--environment", "staging",
            "--output", "out/images", "--version", "v1.2.3-rc.1", "--kube-context=kind-dev");

        Assert.Equal(0, run.ExitCode);
        Assert.True(build.Push);
        Assert.Equal(0.25, build.Ratio);
        Assert.Equal(Stage.Staging, build.Environment);
        Assert.Equal(["linux/amd64", "linux/arm64"], build.Platforms);
        Assert.Equal(Path.Combine(_driver.Root, "out", "images"), build.Output?.Value);
        Assert.Equal(SemVersion.Parse("1.2.3-rc.1"), build.Version);
        Assert.Equal("kind-dev", build.KubeContext);
    }

    [Fact]
    public async Task An_array_takes_every_value_after_its_flag()
    {
        var build = new ParameterBuild();
        await _driver.RunAsync(build, "Show", "--platforms", "linux/amd64", "linux/arm64");

        Assert.Equal(["linux/amd64", "linux/arm64"], build.Platforms);
    }

    [Fact]
    public async Task An_array_flag_given_again_adds_its_values_and_a_single_value_given_twice_is_refused_by_name()
    {
        var build = new ParameterBuild();
        await _driver.RunAsync(build, "Show", "--platforms", "linux/amd64", "--retries", "2", "--platforms=linux/arm64");
        var twice = await _driver.RunAsync(new ParameterBuild(), "Show", "--retries", "2", "--retries", "3");

        Assert.Equal(["linux/amd64", "linux/arm64"], build.Platforms);
        Assert.NotEqual(0, twice.ExitCode);
        Assert.Contains("Parameter --retries (or RETRIES) takes one value but got 2: '2 3'", twice.Output);
    }

    [Theory]
    [InlineData("--retries", "many", "Parameter --retries (or RETRIES) got 'many', which is not a valid integer. Give a whole number, such as 3.")]
    [InlineData("--environment", "prod", "Parameter --environment (or ENVIRONMENT) got 'prod', which is not a valid development|staging|production. Use one of: development, staging, production.")]
    [InlineData("--version", "1.2", "Parameter --version (or VERSION) got '1.2', which is not a valid semver. Give a semantic version, such as 1.2.3 or 1.2.3-rc.1.")]
    // A boolean takes a word after it only when the word is a boolean; any other value comes in the --flag=value form.
    [InlineData("--push=maybe", null, "Parameter --push (or PUSH) got 'maybe', which is not a valid bool. Use true or false.")]
    public async Task A_value_that_does_not_convert_is_an_error_naming_the_parameter_and_the_value(string flag, string? value, string message)
    {
        var run = await _driver.RunAsync(new ParameterBuild(), value is null ? ["Show", flag] : ["Show", flag, value]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Output);
    }

    [Fact]
    public async Task A_bad_environment_value_is_reported_the_same_way()
    {
        _driver.Environment["RATIO"] = "half";
        var run = await _driver.RunAsync(new ParameterBuild(), "Show");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Parameter --ratio (from the environment variable RATIO) got 'half'", run.Output);
    }

    [Theory]
    [InlineData("--registy", "Unknown parameter --registy. Did you mean --registry? Run with --help to see the parameters.")]
    [InlineData("--REGISTRY-X", "Unknown parameter --REGISTRY-X. Did you mean --registry? Run with --help to see the parameters.")]
    [InlineData("--colour", "Unknown parameter --colour. Run with --help to see the parameters.")]   // nothing near enough
    public async Task An_unknown_parameter_is_an_error_naming_the_nearest_one(string typed, string message)
    {
        var run = await _driver.RunAsync(new ParameterBuild(), "Show", typed, "x");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Output);
    }

    [Fact]
    public async Task A_required_parameter_that_is_missing_stops_the_build_before_anything_runs()
    {
        var run = await _driver.RunAsync(new ParameterBuild(), "Deploy", "--registry", "r:5000");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Target Deploy requires --kube-context (or KUBE_CONTEXT)", run.Output);
        Assert.DoesNotContain("requires --registry", run.Output);
    }

    private sealed class CheckingBuild : RecordingBuild
    {
        [Parameter("Retries")] public int Retries = 3;

        public Target Prepare => _ => _.Executes(Record("Prepare"));
        public Target Push => _ => _.DependsOn(Prepare)
            .Validates(() => { if (Retries < 1) throw new ParameterException($"--retries got {Retries}; give 1 or more."); })
            .Executes(Record("Push"));
        public Target Other => _ => _.Validates(() => throw new FormatException("Other's check ran")).Executes(Record("Other"));
    }

    [Fact]
    public async Task A_planned_targets_check_of_its_parameters_stops_the_build_as_bad_usage_before_any_target_runs()
    {
        var build = new CheckingBuild();

        var run = await _driver.RunAsync(build, "Push", "--retries", "0");
        var fine = await _driver.RunAsync(new CheckingBuild(), "Push", "--retries", "2");
        var skipped = await _driver.RunAsync(new CheckingBuild(), "Prepare", "Other", "--skip", "Other");
        var format = await _driver.RunAsync(new CheckingBuild(), "Other");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error: --retries got 0; give 1 or more.", run.Output);
        Assert.Empty(build.Ran);   // not even Prepare, which Push depends on
        Assert.Equal(0, fine.ExitCode);
        Assert.Equal(0, skipped.ExitCode);   // a skipped target's check does not run
        Assert.Equal(2, format.ExitCode);
        Assert.Contains("error: Other's check ran", format.Output);
    }

    [Fact]
    public async Task Help_lists_targets_with_dependencies_and_descriptions_then_parameters()
    {
        var build = new HelpBuild();
        _driver.DefaultTargets.Add("Compile");
        var run = await _driver.RunAsync(build, "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"\n  Restore +Restore packages\n", run.Output);
        Assert.Matches(@"\n  Compile \(default\) +Compile it  \[depends on Restore\]\n", run.Output);
        Assert.DoesNotContain("Hidden", run.Output);
        Assert.Contains("--token <string>", run.Output);
        Assert.Contains("The registry token [env TOKEN, secret]", run.Output);
        Assert.DoesNotContain("s3cr3t", run.Output);
        Assert.Matches(@"--configuration <string> +Configuration to build \[env CONFIGURATION, default Release\]", run.Output);
        Assert.Empty(build.Ran);
    }

    private sealed class HelpBuild : RecordingBuild
    {
        [Parameter("Configuration to build")] public readonly string Configuration = "Release";
        [Parameter("The registry token"), Secret] public readonly string Token = "s3cr3t";
        public Target Restore => _ => _.Description("Restore packages").Executes(Record(nameof(Restore)));
        public Target Compile => _ => _.Description("Compile it").DependsOn(Restore).Executes(Record(nameof(Compile)));
        public Target Hidden => _ => _.Unlisted().Executes(Record(nameof(Hidden)));
    }

    public void Dispose() => _driver.Dispose();
}
