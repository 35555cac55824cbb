using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Components;
using NukeContainers.Engine;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// A team's typical build: it takes the components, declares its image, overrides one settings hook and one target,
/// and gets the rest unchanged. It runs on machines it sets up itself, so it opts into NukeContainers.LocalEnvironment.
public sealed class TeamBuild(string appFolder) : BuildHost, IBuildImages, IPruneImages, ILocalEnvironment
{
    public List<string> Ran { get; } = [];
    public string? ImageIdFromReport { get; private set; }

    IReadOnlyList<ContainerImage> IContainerImages.Images =>
        [new("app", AbsolutePath.Create(appFolder)) { Repository = EngineFixture.Repository("team-app") }];

    /// The one settings hook it overrides: its images carry its label (and the test run's, so the run removes them).
    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline
        .Label("com.example.team", "payments").Label(ResourceLabels.Run, ResourceLabels.RunId);

    /// The one target it overrides.
    Target IPruneImages.Prune => _ => _.Executes(() => Ran.Add("team prune"));

    /// Its own target, which continues from what BuildImages left in report.json.
    public Target Inspect => _ => _
        .DependsOn<IBuildImages>(x => x.BuildImages)
        .Executes(() => ImageIdFromReport = ((IContainerImages)this).ReadReport().Find("app")?.ImageId);
}

/// A build of two images, each from its own folder.
public sealed class TwoImageBuild(string quick, string slow) : BuildHost, IBuildImages
{
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
    [
        new("quick", AbsolutePath.Create(quick)) { Repository = EngineFixture.Repository("team-quick") },
        new("slow", AbsolutePath.Create(slow)) { Repository = EngineFixture.Repository("team-slow") },
    ];

    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.Label(ResourceLabels.Run, ResourceLabels.RunId);
}

[Collection(EngineCollection.Name)]
public sealed class TeamBuildSpecs(EngineFixture fixture) : IDisposable
{
    private readonly BuildDriver _driver = new();
    private readonly TempFolder _app = new();

    [Fact]
    public async Task A_team_overrides_one_hook_and_one_target_and_gets_the_other_targets_unchanged()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var build = new TeamBuild(_app.Path);

        var run = await _driver.RunAsync(build, "BuildImages", "Prune");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(TargetStatus.Succeeded, run.StatusOf("LocalEnvironment"));
        Assert.StartsWith("engine: ", run.NoteOf("LocalEnvironment"));
        Assert.Matches(@"^app \d+\.\d MB$", run.NoteOf("BuildImages"));
        Assert.Equal(["team prune"], build.Ran);
        var report = Reporting.ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json"));
        var image = Assert.Single(report.Images);
        Assert.Equal($"127.0.0.1:5000/{EngineFixture.Repository("team-app")}", image.Repository);
        var labels = (await fixture.Engine.InspectImageAsync(image.ImageId))!.Labels!;
        Assert.Equal("payments", labels["com.example.team"]);
        Assert.Equal(ResourceLabels.Product, labels[ResourceLabels.BuiltBy]);
    }

    [Fact]
    public async Task A_registry_that_does_not_answer_and_cannot_be_started_here_fails_LocalEnvironment_naming_it()
    {
        var registry = $"[::1]:{EngineFixture.FreePort()}";   // not where the embedded registry can live (the engine takes plain HTTP from 127.0.0.0/8 only)

        var run = await _driver.RunAsync(new TeamBuild(_app.Path), "LocalEnvironment", "--registry", registry);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(TargetStatus.Failed, run.StatusOf("LocalEnvironment"));
        Assert.Contains($"The registry {registry} does not answer at http(s)://{registry}/v2/. Check the --registry value", run.Output);
    }

    [Fact]
    public async Task A_target_run_in_a_later_process_continues_from_the_report_an_earlier_one_wrote()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var first = await _driver.RunAsync(new TeamBuild(_app.Path), "BuildImages");
        var built = Reporting.ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!.ImageId;

        var later = new TeamBuild(_app.Path);
        var run = await _driver.RunAsync(later, "Inspect", "--skip");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(TargetStatus.Skipped, run.StatusOf("BuildImages"));
        Assert.Equal(built, later.ImageIdFromReport);
    }

    [Fact]
    public async Task A_failed_build_keeps_the_earlier_entry_in_the_report_with_the_failed_attempt_beside_it()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var first = await _driver.RunAsync(new TeamBuild(_app.Path), "BuildImages");
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo broken && exit 7\n");

        var failed = await _driver.RunAsync(new TeamBuild(_app.Path), "BuildImages", "--skip", "LocalEnvironment");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(TargetStatus.Failed, failed.StatusOf("BuildImages"));
        var entry = Assert.Single(Reporting.ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Images);
        Assert.Contains("exit code: 7", entry.FailedAttempt()!.Error);   // the image itself is the one the first build made
    }

    [Fact]
    public async Task A_cancelled_build_keeps_the_earlier_entry_in_the_report_with_cancelled_beside_it()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var first = await _driver.RunAsync(new TeamBuild(_app.Path), "BuildImages");
        var built = Reporting.ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!.ImageId;
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} && sleep 120\n");
        using var cancel = new CancellationTokenSource();

        // Ctrl+C once the engine runs the long step (its progress line), as a user would.
        var cancelled = await _driver.RunAsync(new TeamBuild(_app.Path), cancel.Token, text => { if (text.Contains("sleep 120", StringComparison.Ordinal)) cancel.Cancel(); },
            "BuildImages", "--skip", "LocalEnvironment", "--verbosity", "verbose");

        Assert.Equal(0, first.ExitCode);
        Assert.True(cancel.IsCancellationRequested, cancelled.Output);
        Assert.Equal(TargetStatus.Cancelled, cancelled.StatusOf("BuildImages"));
        var entry = Assert.Single(Reporting.ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Images);
        Assert.Equal(built, entry.ImageId);   // what the first run delivered is still there
        Assert.Equal("cancelled", entry.FailedAttempt()!.Error);
    }

    /// report.json gets each image as it finishes (issue 27.3): while one image still builds, the one that finished is
    /// in it; a run stopped then keeps it.
    [Fact]
    public async Task The_report_holds_an_image_that_finished_while_another_still_builds_and_keeps_it_when_the_run_is_stopped()
    {
        using var slow = new TempFolder().Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} && sleep 120\n");
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var reportPath = Path.Combine(_driver.Root, "artifacts/containers/report.json");
        using var cancel = new CancellationTokenSource();
        string? quickWhileSlowBuilt = null;
        Task? watching = null;

        // Once the slow image's long step runs: look for the quick one in report.json (up to a minute), then Ctrl+C.
        var run = await _driver.RunAsync(new TwoImageBuild(_app.Path, slow.Path), cancel.Token, text =>
        {
            if (watching is not null || !text.Contains("sleep 120", StringComparison.Ordinal)) return;
            watching = Task.Run(async () =>
            {
                for (var deadline = DateTime.UtcNow.AddSeconds(60); quickWhileSlowBuilt is null && DateTime.UtcNow < deadline; await Task.Delay(100))
                    if (File.Exists(reportPath)) quickWhileSlowBuilt = Reporting.ContainerReport.Read(reportPath).Find("quick")?.ImageId;
                await cancel.CancelAsync();
            });
        }, "BuildImages", "--parallel", "2", "--verbosity", "verbose");
        await watching!;

        Assert.Equal(TargetStatus.Cancelled, run.StatusOf("BuildImages"));
        Assert.NotNull(quickWhileSlowBuilt);
        var report = Reporting.ContainerReport.Read(reportPath);
        Assert.Equal(quickWhileSlowBuilt, report.Find("quick")!.ImageId);
        Assert.Null(report.Find("slow"));   // nothing of it was delivered: no entry to keep
    }

    /// The rule --embedded-engine checks DOCKER_HOST with (issue 26.8): the socket LocalEnvironment tells users to
    /// export for Docker 26 is accepted, another engine's is bad usage naming both.
    [Theory]
    [InlineData("unix:///var/lib/nuke-containers/docker26/docker.sock", null)]
    [InlineData("unix:///var/lib/nuke-containers/docker26/docker.sock/", null)]
    [InlineData("", null)]
    [InlineData("unix:///var/lib/nuke-containers/docker.sock", "names another engine (the Docker 26 engine is unix:///var/lib/nuke-containers/docker26/docker.sock)")]
    [InlineData("tcp://10.0.0.5:2376", "DOCKER_HOST=tcp://10.0.0.5:2376 names another engine")]
    public void Docker26_takes_the_DOCKER_HOST_that_names_it_and_refuses_another(string dockerHost, string? problem)
    {
        var conflict = ILocalEnvironment.EmbeddedEngineConflict(Provisioning.EmbeddedEngine.Docker26, dockerHost);

        if (problem is null) Assert.Null(conflict);
        else Assert.Contains(problem, conflict);
        Assert.Null(ILocalEnvironment.EmbeddedEngineConflict(null, "tcp://10.0.0.5:2376"));   // without the flag, DOCKER_HOST is the engine
    }

    [Fact]
    public async Task An_image_name_that_is_not_declared_is_refused_with_the_declared_ones()
    {
        var run = await _driver.RunAsync(new TeamBuild(_app.Path), "BuildImages", "--image-names", "web", "--skip", "LocalEnvironment");

        Assert.Equal(2, run.ExitCode);   // bad usage, before any target runs
        Assert.Null(run.Summary);
        Assert.Contains("--image-names: there is no declared image 'web'. The images are: app.", run.Output);
    }

    [Theory]
    [InlineData("https://reg.example.com", "leave out the scheme")]
    [InlineData("a//b", "empty path component")]
    [InlineData("Reg.Example.com:5000/Team", "must be lower case")]
    public async Task A_registry_that_cannot_name_the_images_is_refused_naming_the_parameter(string registry, string problem)
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\n");

        var run = await _driver.RunAsync(new TeamBuild(_app.Path), "BuildImages", "--registry", registry, "--skip", "LocalEnvironment");

        Assert.Equal(2, run.ExitCode);   // bad usage, before any target runs
        Assert.Contains($"--registry '{registry}' does not make a valid repository for app", run.Output);
        Assert.Contains(problem, run.Output);
    }

    public void Dispose()
    {
        _driver.Dispose();
        _app.Dispose();
    }
}
