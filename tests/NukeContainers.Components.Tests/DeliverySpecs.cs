using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Engine;
using NukeContainers.Registry;
using NukeContainers.Reporting;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// A team's build that builds, tags, pushes and promotes, run as separate targets through report.json.
public sealed class DeliveryBuild(string appFolder) : BuildHost, IBuildImages, IRestoreCache, IPromoteImages
{
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
        [new("app", AbsolutePath.Create(appFolder)) { Repository = EngineFixture.Repository("delivery") }];

    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.Label(ResourceLabels.Run, ResourceLabels.RunId);
}

[Collection(EngineCollection.Name)]
public sealed class DeliverySpecs : IDisposable
{
    private readonly BuildDriver _driver = new();
    private readonly TempFolder _app = new();

    [Fact]
    public async Task Build_tag_push_to_a_registry_with_credentials_then_promote_without_uploading_a_layer()
    {
        await using var registry = await AuthRegistry.StartAsync();
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        string[] credentials = ["--registry", registry.Address, "--registry-username", AuthRegistry.User, "--registry-password", registry.Password];

        var delivered = await _driver.RunAsync(new DeliveryBuild(_app.Path), ["BuildImages", "TagImages", "PushImages", "--version", "1.4.0", "--environment", "dev", .. credentials]);
        var uploadsBefore = PublishSpecs.BlobUploads(registry.Log);
        var promoted = await _driver.RunAsync(new DeliveryBuild(_app.Path), ["Promote", "--from", "dev", "--to", "staging", .. credentials]);

        Assert.True(delivered.ExitCode == 0, delivered.Output);
        Assert.True(promoted.ExitCode == 0, promoted.Output);
        var report = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;
        Assert.Equal(["1.4.0", "1.4", "1", "latest", "dev"], report.Tags());
        using var client = new RegistryClient(registry.Address, new RegistryCredentials(AuthRegistry.User, registry.Password));
        var path = $"{EngineFixture.Repository("delivery")}";
        foreach (var tag in report.Tags()!.Append("staging"))
            Assert.Equal(report.Digest(), await client.DigestAsync(path, tag));
        Assert.True(uploadsBefore > 0, "the push uploaded no blob: the registry's log does not show uploads");
        Assert.Equal(uploadsBefore, PublishSpecs.BlobUploads(registry.Log)); // promotion moved a tag; it sent no layer
        Assert.DoesNotContain(registry.Password, delivered.Output + promoted.Output + await File.ReadAllTextAsync(delivered.LogFile));
    }

    [Theory]
    [InlineData("Bad Env!", "Parameter --environment (or ENVIRONMENT) got 'Bad Env!' is not a valid environment name: it becomes the images' tag, and a tag is 1 to 128 of")]
    [InlineData("1.2.3", "Parameter --environment (or ENVIRONMENT) got '1.2.3' looks like a version, and version tags never move")]
    public async Task An_environment_that_is_not_a_name_is_bad_usage_before_anything_is_built(string environment, string message)
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");

        var run = await _driver.RunAsync(new DeliveryBuild(_app.Path), ["BuildImages", "TagImages", "PushImages", "--environment", environment]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Output);
        Assert.False(File.Exists(Path.Combine(_driver.Root, "artifacts/containers/report.json")), "nothing may be built");
    }

    [Fact]
    public async Task A_second_build_with_unchanged_inputs_is_skipped_and_the_report_keeps_its_baseline()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n")
            .Write("Dockerfile.naive", $"FROM {EngineFixture.BaseImage}\nRUN echo naive > /id\n");
        var build = () => new BudgetBuild(_app.Path);

        var first = await _driver.RunAsync(build(), "BuildImages", "RestoreCache");
        var second = await _driver.RunAsync(build(), "BuildImages", "RestoreCache");

        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, first.Output + second.Output);
        Assert.Matches(@"^app unchanged, not built: \d+\.\d MB \(\d+\.\d% of Dockerfile\.naive\)$", second.NoteOf("BuildImages"));
        var report = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;
        Assert.True(report.Cache()!.Skipped);
        Assert.NotNull(report.Baseline());
        Assert.Equal(TargetStatus.Succeeded, second.StatusOf("RestoreCache"));
    }

    /// A build with a baseline and a budget, and the restore-cache component.
    private sealed class BudgetBuild(string appFolder) : BuildHost, IBuildImages, IRestoreCache
    {
        IReadOnlyList<ContainerImage> IContainerImages.Images =>
            [new("app", AbsolutePath.Create(appFolder)) { Repository = EngineFixture.Repository("budget"), Baseline = "Dockerfile.naive", SizeBudget = 2.0 }];

        Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.Label(ResourceLabels.Run, ResourceLabels.RunId);
    }

    [Fact]
    public async Task An_image_reused_for_another_registry_keeps_no_digest_tags_or_rollout_from_the_first()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var other = $"127.0.0.1:{EngineFixture.FreePort()}";   // named only: nothing is pushed there

        var pushed = await _driver.RunAsync(new DeliveryBuild(_app.Path), "BuildImages", "RestoreCache", "TagImages", "PushImages", "--version", "1.0.0");
        var first = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;
        var reused = await _driver.RunAsync(new DeliveryBuild(_app.Path), "BuildImages", "RestoreCache", "--version", "1.0.0", "--registry", other);
        var report = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;

        Assert.True(pushed.ExitCode == 0 && reused.ExitCode == 0, pushed.Output + reused.Output);
        Assert.NotNull(first.Digest());
        Assert.True(report.Cache()!.Skipped, reused.Output);
        Assert.Equal(first.ImageId, report.ImageId);
        Assert.StartsWith(other + "/", report.Repository);
        Assert.Null(report.Digest());   // the first registry's digest would be deployed from the second, where it does not exist
        Assert.Null(report.Tags());
        Assert.NotNull(report.Field<object>("dockerfile"));   // what holds for the image itself stays
    }

    [Fact]
    public async Task Pushing_before_tagging_says_what_to_run_first()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");

        var run = await _driver.RunAsync(new DeliveryBuild(_app.Path), "BuildImages", "PushImages");

        Assert.Equal(TargetStatus.Failed, run.StatusOf("PushImages"));
        Assert.Contains("report.json has no tags for 'app': run TagImages first (./build.sh TagImages PushImages).", run.Output);
    }

    [Fact]
    public async Task Built_images_carry_the_OCI_labels_with_the_commits_time_so_a_rebuild_keeps_its_id()
    {
        using var engine = await ContainerEngine.ConnectAsync();
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        Git("init", "-q", "-b", "main");
        Git("-c", "user.email=t@example.com", "-c", "user.name=T", "commit", "-q", "--allow-empty", "-m", "release");
        Git("tag", "3.1.0");
        var commit = Git("rev-parse", "HEAD").Trim();

        var first = await _driver.RunAsync(new DeliveryBuild(_app.Path), "BuildImages");
        var firstId = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!.ImageId;
        var second = await _driver.RunAsync(new DeliveryBuild(_app.Path), "BuildImages");
        var secondId = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!.ImageId;

        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, first.Output + second.Output);
        Assert.Equal(firstId, secondId);
        var labels = (await engine.InspectImageAsync(firstId))!.Labels!;
        Assert.Equal("3.1.0", labels["org.opencontainers.image.version"]);
        Assert.Equal(commit, labels["org.opencontainers.image.revision"]);
        Assert.Equal("2026-01-02T03:04:05Z", labels["org.opencontainers.image.created"]);
        Assert.Equal("app", labels["org.opencontainers.image.title"]);
    }

    private string Git(params string[] arguments) => NukeContainers.Tests.Git.Run(_driver.Root, arguments);

    public void Dispose()
    {
        _driver.Dispose();
        _app.Dispose();
    }
}
