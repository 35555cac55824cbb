using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Reporting;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// RolloutImages as a team runs it after PushImages, through report.json, with the real kubectl against the
/// Kubernetes API simulator (a test stand-in).
public sealed class RolloutImagesSpecs : IAsyncLifetime
{
    private readonly BuildDriver _driver = new();
    private readonly KubernetesSimulator _cluster = new();
    private readonly TempFolder _folder = new();
    private const string Repository = "127.0.0.1:5000/team/web";

    public Task InitializeAsync()
    {
        _cluster.AddDeployment("web-frontend", "nginx", $"{Repository}@sha256:{new string('a', 64)}");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _driver.Dispose();
        _folder.Dispose();
    }

    private sealed class RolloutBuild : BuildHost, IRolloutImages
    {
        IReadOnlyList<ContainerImage> IContainerImages.Images =>
            [new("web", AbsolutePath.Create("/nonexistent")) { Repository = "team/web", Deployment = "web-frontend" }];
    }

    /// report.json as PushImages leaves it.
    private void Pushed(char digit)
    {
        var image = new PipelineImage(Images.ImageReference.Parse(Repository)) { ImageId = "sha256:" + new string(digit, 64), Digest = "sha256:" + new string(digit, 64) };
        var push = new Pushing.PushResult { Image = image, Digest = image.Digest, Registry = "127.0.0.1:5000" };
        ContainerReport.Empty.With([new ImageResult { Name = "web", Image = image, Steps = [push], DurationsMs = new Dictionary<string, long>() }], _driver.Root)
            .WriteAsync(Path.Combine(_driver.Root, "artifacts/containers")).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task Without_a_cluster_RolloutImages_is_skipped_as_in_Publish_saying_why_and_what_it_would_roll_out()
    {
        Pushed('b');

        var run = await _driver.RunAsync(new RolloutBuild(), "RolloutImages");
        var report = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("web")!.Rollout()!;

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("skipped", report.Status);
        Assert.StartsWith("no cluster is configured", report.Diagnosis);
        Assert.Contains($"Rollout skipped: no cluster is configured", run.Output);
        Assert.Contains($"It would roll out {Repository}@sha256:{new string('b', 64)}.", run.Output);
        Assert.DoesNotContain("localhost:8080", run.Output);   // kubectl was not run
        Assert.Empty(_cluster.Requests);
    }

    [Fact]
    public async Task The_pushed_digest_rolls_out_and_a_bad_one_is_undone_and_report_json_says_how_each_ended()
    {
        var kubeconfig = _cluster.WriteKubeconfig(_folder.Path);
        string[] where = ["--kubeconfig", kubeconfig, "--kube-context", "sim", "--namespace", _cluster.Namespace, "--rollout-timeout", "30"];
        _cluster.Behaviour = image => image.EndsWith(new string('c', 64), StringComparison.Ordinal) ? PodBehaviour.CannotBePulled : PodBehaviour.BecomesReady;

        Pushed('b');
        var good = await _driver.RunAsync(new RolloutBuild(), ["RolloutImages", "--image-pull-policy", "IfNotPresent", "--resources", "cpu-request=50m", "memory-limit=64Mi", .. where]);
        var goodReport = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("web")!.Rollout()!;
        Pushed('c');
        var bad = await _driver.RunAsync(new RolloutBuild(), ["RolloutImages", .. where]);
        var badReport = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("web")!.Rollout()!;

        Assert.True(good.ExitCode == 0, good.Output);
        Assert.Equal(("sim", "staging", "web-frontend", "succeeded", $"{Repository}@sha256:{new string('b', 64)}", $"{Repository}@sha256:{new string('a', 64)}"),
            (goodReport.Context, goodReport.Namespace, goodReport.Deployment, goodReport.Status, goodReport.Image, goodReport.PreviousImage));
        Assert.Equal(TargetStatus.Failed, bad.StatusOf("RolloutImages"));
        Assert.Equal("rolled-back", badReport.Status);
        Assert.StartsWith("image pull error: pod web-frontend-", badReport.Diagnosis);
        Assert.Contains($"It was undone: deployment/web-frontend serves {Repository}@sha256:{new string('b', 64)} again.", bad.Output);
        Assert.DoesNotContain(_cluster.Token, good.Output + bad.Output + await File.ReadAllTextAsync(bad.LogFile));
    }
}
