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

/// Two apps published side by side.
public sealed class TwoAppBuild(string good, string broken) : BuildHost, IContainerPublish
{
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
    [
        new("good", AbsolutePath.Create(good)) { Repository = EngineFixture.Repository("publish-good") },
        new("broken", AbsolutePath.Create(broken)) { Repository = EngineFixture.Repository("publish-broken") },
    ];

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
        // The second run signs (with an unencrypted PKCS#8 key, as openssl writes it; kept out of the build context); the first had no key.
        using var keys = new TempFolder();
        using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
            keys.Write("signing.key", key.ExportPkcs8PrivateKeyPem()).Write("signing.pub", key.ExportSubjectPublicKeyInfoPem());
        var second = await _driver.RunAsync(new PublishBuild(_app.Path), [.. common, "--environment", "production", "--signing-key", Path.Combine(keys.Path, "signing.key")]);
        var production = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        foreach (var step in new[] { "RestoreCache", "BuildImages", "SlimImages", "TagImages", "ScanImages", "PushImages", "SignImages", "RolloutImages", "Publish" })
            Assert.Equal(TargetStatus.Succeeded, first.StatusOf(step));
        Assert.Equal("signing skipped: no --signing-key", first.NoteOf("SignImages"));
        Assert.Null(dev.Signature());
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
        Assert.Equal("app signed", second.NoteOf("SignImages"));
        using var publicKey = Signing.VerificationKey.Load(Path.Combine(keys.Path, "signing.pub"));
        Assert.Equal((true, ""), await Signing.CosignSignatures.VerifyAsync(registry, EngineFixture.Repository("publish"), production.Digest()!, publicKey));
        Assert.Equal(publicKey.Fingerprint, production.Signature()?.Key);
    }

    [Fact]
    public async Task A_failing_image_in_a_parallel_run_leaves_the_others_result_in_the_report_and_the_run_names_every_outcome()
    {
        using var broken = new TempFolder().Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} && exit 7\n");
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN sleep 2 && echo {Guid.NewGuid():N} > /id\n");

        var run = await _driver.RunAsync(new TwoAppBuild(_app.Path, broken.Path), ["Publish", "--registry", EngineFixture.RegistryAddress, "--parallel", "2"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(TargetStatus.Failed, run.StatusOf("BuildImages"));
        Assert.Contains("\n  good: done\n  broken: failed: ", run.Output);
        // The summary's one line keeps the cause.
        Assert.Matches(@"Build failed: target BuildImages failed: 1 of 2 images failed: broken: The build instruction \[2/2\] RUN .*exit code: 7\.", run.Output);
        var report = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json"));
        Assert.NotNull(report.Find("good"));
        Assert.Null(report.Find("broken"));
        Assert.Contains(run.Output.Split('\n'), l => l.Contains("[good] ") && l.Contains("sleep 2"));
    }

    public void Dispose()
    {
        _driver.Dispose();
        _app.Dispose();
    }
}
