namespace NukeContainers.Build.Tests;

public interface IRecord : IBuild
{
    List<string> Ran { get; }
}

public interface ICompileComponent : IRecord
{
    Target Compile => _ => _.Description("Compile from the component").Executes(() => Ran.Add("component compile"));
}

public interface IPushComponent : IRecord
{
    [Parameter("Where to push")] string Registry => TryGetValue(() => Registry) ?? "127.0.0.1:5000";

    Target Push => _ => _
        .DependsOn<ICompileComponent>(x => x.Compile)
        .Executes(() => Ran.Add($"push to {Registry}"));
}

/// A component that readies what another component's target needs, when the build takes that one too.
public interface IPrepareComponent : IRecord
{
    Target Prepare => _ => _
        .DependentFor<IPushComponent>(x => x.Push)
        .DependentFor<ICompileComponent>(x => x.Compile)
        .Executes(() => Ran.Add("prepare"));
}

public sealed class ComponentSpecs : IDisposable
{
    private sealed class PreparingBuild : BuildHost, ICompileComponent, IPrepareComponent
    {
        public List<string> Ran { get; } = [];
    }

    [Fact]
    public async Task A_component_target_that_is_dependent_for_a_component_the_build_does_not_take_runs_before_the_ones_it_does()
    {
        var build = new PreparingBuild();   // it takes no IPushComponent

        var run = await _driver.RunAsync(build, "Compile");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(["prepare", "component compile"], build.Ran);
    }

    private readonly BuildDriver _driver = new();

    private sealed class ComponentBuild : BuildHost, ICompileComponent, IPushComponent
    {
        public List<string> Ran { get; } = [];
        public Target Announce => _ => _.DependsOn<IPushComponent>(x => x.Push).Executes(() => Ran.Add("announce"));
    }

    private sealed class OverridingBuild : BuildHost, ICompileComponent, IPushComponent
    {
        public List<string> Ran { get; } = [];

        Target ICompileComponent.Compile => _ => _
            .Inherit<ICompileComponent>(x => x.Compile)
            .Executes(() => Ran.Add("override compile"));
    }

    /// ./build.sh Push --help lists Push and what it depends on, and only the parameters those read (issue 27.7).
    [Fact]
    public async Task Help_for_a_target_lists_it_its_dependencies_and_only_the_parameters_they_read()
    {
        var push = await _driver.RunAsync(new ComponentBuild(), "Push", "--help");
        var compile = await _driver.RunAsync(new ComponentBuild(), "Compile", "--help");
        var all = await _driver.RunAsync(new ComponentBuild(), "--help");

        Assert.Contains("Targets (Compile, Push; ./build.sh --help lists all):", push.Output);
        Assert.Contains("--registry <string>", push.Output);
        Assert.DoesNotContain("Announce", push.Output);
        Assert.DoesNotContain("--registry", compile.Output);
        Assert.Contains("--help, -h", compile.Output);   // the host's own flags are always there
        Assert.Contains("Announce", all.Output);
        Assert.Contains("--registry <string>", all.Output);
    }

    /// --help-markdown writes the reference a repository checks in (issue 27.7): each target with what it depends on and
    /// the parameters it reads, each parameter with its variable and its declared default, whatever this run was given.
    [Fact]
    public async Task The_Markdown_reference_lists_each_target_with_its_parameters_and_each_parameter_with_its_declared_default()
    {
        _driver.Environment["REGISTRY"] = "from-the-environment:5000";

        var run = await _driver.RunAsync(new ComponentBuild(), "--help-markdown", "--registry", "from-the-line:5000");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("| `Push` |  | `Compile` | `--registry` |\n", run.Output);
        Assert.Contains("| `Compile` | Compile from the component |  |  |\n", run.Output);
        Assert.Contains("| `Announce` |  | `Push` | the build class's own |\n", run.Output);
        Assert.Contains("| `--registry` | string | `REGISTRY` |  | Where to push |\n", run.Output);
        Assert.DoesNotContain("from-the-", run.Output);
        Assert.Contains("| `--verbosity <quiet\\|minimal\\|normal\\|verbose>` |", run.Output);
        Assert.False(File.Exists(Path.Combine(_driver.Root, "artifacts", "logs", "build.log")), "a reference is not a run: no log");
    }

    [Fact]
    public async Task A_builds_components_bring_their_targets_and_parameters()
    {
        var build = new ComponentBuild();
        var run = await _driver.RunAsync(build, "Announce", "--registry", "registry.example");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["component compile", "push to registry.example", "announce"], build.Ran);
    }

    [Fact]
    public async Task A_components_parameter_that_no_target_of_the_run_reads_is_said_to_have_changed_nothing()
    {
        var unread = await _driver.RunAsync(new ComponentBuild(), "Compile", "--registry", "registry.example");
        var read = await _driver.RunAsync(new ComponentBuild(), "Push", "--registry", "registry.example");

        Assert.Equal(0, unread.ExitCode);
        Assert.Contains("warning: --registry was given, and no target of this run read it, so it changed nothing: it is for Push. Run that target too, or leave --registry out.", unread.Output);
        Assert.Equal(0, read.ExitCode);
        Assert.DoesNotContain("changed nothing", read.Output);
    }

    [Fact]
    public async Task A_components_parameter_falls_back_to_its_default()
    {
        var build = new ComponentBuild();
        await _driver.RunAsync(build, "Push");

        Assert.Equal(["component compile", "push to 127.0.0.1:5000"], build.Ran);
    }

    [Fact]
    public async Task An_override_replaces_a_component_target_and_can_extend_the_inherited_one()
    {
        var build = new OverridingBuild();
        var run = await _driver.RunAsync(build, "Push", "--plan");
        Assert.Contains("1. Compile\n  2. Push", run.Output);

        await _driver.RunAsync(build, "Push");

        Assert.Equal(["component compile", "override compile", "push to 127.0.0.1:5000"], build.Ran);
    }

    [Fact]
    public async Task Help_shows_component_targets_and_parameters()
    {
        var run = await _driver.RunAsync(new ComponentBuild(), "--help");

        Assert.Contains("Compile   Compile from the component", run.Output);
        Assert.Contains("--registry <string>", run.Output);
    }

    public void Dispose() => _driver.Dispose();
}
