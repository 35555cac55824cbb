using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Engine;
using NukeContainers.Registry;
using NukeContainers.Reporting;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// A team's build that takes the whole Publish.
public sealed class PublishBuild(string appFolder) : BuildHost, IContainerPublish
{
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
        [new("app", AbsolutePath.Create(appFolder)) { Repository = EngineFixture.Repository("publish"), Baseline = "Dockerfile.naive" }];

    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.Label(ResourceLabels.Run, ResourceLabels.RunId);
}

[Collection(EngineCollection.Name)]
public sealed class PublishSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();
    private readonly TempFolder _app = new();

    [Fact]
    public async Task Publish_runs_every_step_into_the_report_and_a_second_run_for_production_reuses_the_pushed_digest()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n")
            .Write("Dockerfile.naive", $"FROM {EngineFixture.BaseImage}\nRUN echo naive > /id\n");
        string[] common = ["Publish", "--registry", EngineFixture.RegistryAddress, "--version", "3.1.0"];

        var first = await _driver.RunAsync(new PublishBuild(_app.Path), [.. common, "--environment", "dev"]);
        var dev = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;
        var second = await _driver.RunAsync(new PublishBuild(_app.Path), [.. common, "--environment", "production"]);
        var production = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        foreach (var step in new[] { "RestoreCache", "BuildImages", "SlimImages", "TagImages", "ScanImages", "PushImages", "RolloutImages", "Publish" })
            Assert.Equal(TargetStatus.Succeeded, first.StatusOf(step));
        Assert.False(dev.Cache()!.Skipped);
        Assert.NotNull(dev.Baseline());
        Assert.NotNull(dev.Slim());
        Assert.Equal("passed", dev.Scan()!.Gate);
        Assert.Contains("dev", dev.Tags()!);
        Assert.Equal("skipped", dev.Rollout()!.Status);
        Assert.StartsWith("no cluster is configured", dev.Rollout()!.Diagnosis);
        Assert.Contains("Rollout skipped: no cluster is configured", first.Output);
        // The second run builds nothing: the same image, the same digest, now also tagged production.
        Assert.True(production.Cache()!.Skipped);
        Assert.Equal(dev.Digest(), production.Digest());
        Assert.Contains("production", production.Tags()!);
        Assert.Matches(@"app unchanged, not rebuilt: its pushed digest sha256:[0-9a-f]{12}", second.NoteOf("Publish"));
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        Assert.Equal(dev.Digest(), await registry.DigestAsync(EngineFixture.Repository("publish"), "production"));
        Assert.Equal(dev.Digest(), await registry.DigestAsync(EngineFixture.Repository("publish"), "dev"));
    }

    public void Dispose()
    {
        _driver.Dispose();
        _app.Dispose();
    }
}
