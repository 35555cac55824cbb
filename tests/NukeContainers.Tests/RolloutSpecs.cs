using NukeContainers.Rollout;

namespace NukeContainers.Tests;

/// The rollout step with the real kubectl against the Kubernetes API simulator (a test stand-in: no API server runs here).
public sealed class RolloutSpecs(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Xunit.Abstractions.ITestOutputHelper _output = output;
    private readonly KubernetesSimulator _cluster = new();
    private readonly TempFolder _folder = new();
    private readonly List<string> _log = [];
    private string _kubeconfig = "";

    private const string Repository = "127.0.0.1:5000/team/api";
    private static readonly string Previous = $"{Repository}@sha256:{new string('1', 64)}";

    public Task InitializeAsync()
    {
        _kubeconfig = _cluster.WriteKubeconfig(_folder.Path);
        _cluster.AddDeployment("api", "app", Previous);
        return WaitUntilServingAsync(Previous);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _folder.Dispose();
    }

    /// A pipeline that rolls out an image pushed with this digest (the registry is not needed to roll out a reference).
    private ImagePipeline Release(char digit, Func<RolloutSettings, RolloutSettings>? configure = null) =>
        Containers.Image(Repository).FromImage("sha256:" + new string(digit, 64), 0, ["1.2.3", "staging"], "sha256:" + new string(digit, 64)).WithLog(_log.Add)
            .Rollout(r => (configure ?? (x => x))(r.Into("api", _cluster.Namespace) with { Kubeconfig = _kubeconfig, Context = "sim", Timeout = TimeSpan.FromSeconds(30) }));

    private string DeployedImage() => _cluster.Deployment("api")["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>();

    private async Task WaitUntilServingAsync(string image)
    {
        for (var i = 0; i < 100 && (DeployedImage() != image || _cluster.Deployment("api")["status"]?["availableReplicas"]?.GetValue<int>() != 2); i++) await Task.Delay(100);
    }

    [Fact]
    public async Task A_good_image_rolls_out_by_digest_with_the_pull_policy_and_resources_asked_for()
    {
        var result = await Release('2', r => r.WithResources("100m", "128Mi", memoryLimit: "256Mi") with { ImagePullPolicy = "IfNotPresent" }).RunAsync();

        var container = _cluster.Deployment("api")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal($"{Repository}@sha256:{new string('2', 64)}", container["image"]!.GetValue<string>());
        Assert.Equal("IfNotPresent", container["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("""{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}}""", container["resources"]!.ToJsonString());
        Assert.Equal($"nukecontainers: {Repository}@sha256:{new string('2', 64)} (1.2.3 staging)", _cluster.Deployment("api")["metadata"]!["annotations"]!["kubernetes.io/change-cause"]!.GetValue<string>());
        var rollout = result.Rollout!;
        Assert.Equal(("succeeded", Previous, null), (rollout.Status, rollout.PreviousImage, rollout.Diagnosis));
        Assert.Contains(_log, l => l.Contains("deployment \"api\" successfully rolled out", StringComparison.Ordinal));   // kubectl's own words
    }

    [Theory]
    [InlineData(PodBehaviour.CannotBePulled, "image pull error: pod api-", "Failed to pull image")]
    [InlineData(PodBehaviour.CrashLoops, "crash loop: pod api-", "panic: open /etc/app/config.yaml: no such file or directory")]
    [InlineData(PodBehaviour.NeverReady, "deadline exceeded: pods of the new revision did not become ready", "Readiness probe failed")]
    [InlineData(PodBehaviour.Unschedulable, "unschedulable: pod api-", "Insufficient cpu")]
    public async Task A_bad_image_fails_with_the_right_diagnosis_and_is_undone_back_to_the_previous_image(PodBehaviour behaviour, string diagnosis, string detail)
    {
        _cluster.Behaviour = image => image.Contains("sha256:" + new string('3', 64), StringComparison.Ordinal) ? behaviour : PodBehaviour.BecomesReady;

        var failure = await Assert.ThrowsAsync<RolloutFailedException>(() => Release('3').RunAsync());

        _output.WriteLine(failure.Message);
        Assert.StartsWith(diagnosis, failure.Result.Diagnosis);
        Assert.Contains(detail, failure.Result.Diagnosis);
        Assert.Equal("rolled-back", failure.Result.Status);
        Assert.Contains($"It was undone: deployment/api serves {Previous} again.", failure.Message);
        await WaitUntilServingAsync(Previous);
        Assert.Equal(Previous, DeployedImage());
        Assert.Contains(_cluster.Requests, r => r.StartsWith("PATCH /apis/apps/v1/namespaces/staging/deployments/api", StringComparison.Ordinal));
        Assert.DoesNotContain(_cluster.Token, string.Join("\n", _log) + failure.Message + File.ReadAllText(_kubeconfig).Replace(_cluster.Token, ""));
    }

    [Fact]
    public async Task Without_kubectl_or_a_reachable_cluster_the_error_says_what_to_check_and_shows_kubectls_stderr()
    {
        var missing = await Assert.ThrowsAsync<ContainerException>(() => Release('4', r => r with { KubectlPath = Path.Combine(_folder.Path, "no-kubectl") }).RunAsync());
        var unreachable = _folder.Write("unreachable", File.ReadAllText(_kubeconfig).Replace(_cluster.Url, $"https://127.0.0.1:{EngineFixture.FreePort()}"));
        var down = await Assert.ThrowsAsync<ContainerException>(() => Release('4', r => r with { Kubeconfig = Path.Combine(_folder.Path, "unreachable") }).RunAsync());

        Assert.Contains("kubectl could not be started", missing.Message);
        Assert.Contains("Install kubectl (1.28 or later) on PATH, or name it with --kubectl-path.", missing.Message);
        // kubectl's stderr, in either of its words for it ("dial tcp ...: connect: connection refused", or "The connection
        // to the server 127.0.0.1:PORT was refused - did you specify the right host or port?", seen once here).
        Assert.Matches("connection refused|connection to the server .* was refused", down.Message);
        Assert.Matches(@"^kubectl get deployment \S+ failed: \S.*", down.Message.Split('\n')[0]);   // the first line names kubectl's error, not just "failed:"
        Assert.Contains("kubectl could not reach the cluster (context sim, namespace staging): check --kube-context and --kubeconfig", down.Message);
        Assert.DoesNotContain(_cluster.Token, missing.Message + down.Message + string.Join("\n", _log));
    }

    private const string Manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          labels: { team: shop }
        spec:
          replicas: 2
          progressDeadlineSeconds: 3
          selector:
            matchLabels: { app: api }
          template:
            metadata:
              labels: { app: api }
            spec:
              containers:
              - name: app
                image: 127.0.0.1:5000/team/api:latest
                imagePullPolicy: IfNotPresent
              - name: sidecar
                image: 127.0.0.1:5000/team/proxy:2.1
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Manifests_are_applied_with_each_image_pinned_to_its_digest_after_a_server_side_dry_run_and_the_diff_is_shown(bool kustomization)
    {
        var manifests = Path.Combine(_folder.Path, "deploy");
        Directory.CreateDirectory(manifests);
        File.WriteAllText(Path.Combine(manifests, "deployment.yaml"), Manifest);
        if (kustomization) File.WriteAllText(Path.Combine(manifests, "kustomization.yaml"), "resources:\n- deployment.yaml\ncommonLabels:\n  managed-by: kustomize\n");
        var proxy = $"127.0.0.1:5000/team/proxy@sha256:{new string('9', 64)}";

        var result = await Release('7', r => r with { Manifests = manifests, ShowDiff = true, Container = "app", ManifestImages = new Dictionary<string, string> { ["127.0.0.1:5000/team/proxy"] = proxy } }).RunAsync();

        var containers = _cluster.Deployment("api")["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal([$"{Repository}@sha256:{new string('7', 64)}", proxy], containers.Select(c => c!["image"]!.GetValue<string>()));
        Assert.Equal("succeeded", result.Rollout!.Status);
        Assert.Equal(Previous, result.Rollout.PreviousImage);
        var patches = _cluster.Requests.Where(r => r.StartsWith("PATCH /apis/apps/v1/namespaces/staging/deployments/api", StringComparison.Ordinal)).ToList();
        Assert.Contains("dryRun=All", patches[0]);                            // the server-side dry run comes first
        Assert.DoesNotContain("dryRun", patches[^1]);
        Assert.Contains(_log, l => l.Trim() == $"+      - image: {Repository}@sha256:{new string('7', 64)}");   // kubectl diff's lines
        Assert.Contains(_log, l => l.Trim() == $"-      - image: {Previous}");
        Assert.Contains(_log, l => l == $"Manifest image 127.0.0.1:5000/team/api:latest -> {Repository}@sha256:{new string('7', 64)}");
        if (kustomization) Assert.Equal("kustomize", _cluster.Deployment("api")["metadata"]!["labels"]!["managed-by"]!.GetValue<string>());
    }

    [Fact]
    public void A_manifest_that_is_not_YAML_is_refused_naming_the_file_and_line()
    {
        var error = Assert.Throws<ContainerException>(() => Manifests.Substitute("kind: Deployment\nspec: [unclosed\n", new Dictionary<string, string>(), "deploy/app.yaml"));

        Assert.StartsWith("deploy/app.yaml:", error.Message);
        Assert.Contains("not valid YAML", error.Message);
    }

    [Fact]
    public async Task A_pipeline_run_without_an_engine_says_which_steps_need_one()
    {
        var error = await Assert.ThrowsAsync<ContainerException>(() => Release('6').Tag("x").RunAsync());

        Assert.Equal($"The tag step of {Repository} needs a container engine: run the pipeline with RunAsync(engine).", error.Message);
        Assert.Equal(Previous, DeployedImage());   // nothing ran
    }

    [Fact]
    public async Task Ctrl_C_during_the_wait_stops_waiting_and_leaves_the_cluster_as_kubectl_left_it_saying_so()
    {
        _cluster.Behaviour = image => image.Contains("sha256:" + new string('5', 64), StringComparison.Ordinal) ? PodBehaviour.NeverReady : PodBehaviour.BecomesReady;
        using var cancel = new CancellationTokenSource();
        _log.Clear();
        var log = new List<string>();
        var pipeline = Release('5').WithLog(line => { log.Add(line); if (line.Contains("Waiting for deployment", StringComparison.Ordinal)) cancel.Cancel(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipeline.RunAsync(cancel.Token));

        Assert.Contains(log, l => l.StartsWith("Stopped waiting for deployment/api: the cluster is left as kubectl left it", StringComparison.Ordinal));
        Assert.Equal($"{Repository}@sha256:{new string('5', 64)}", DeployedImage());   // not undone: the user decides
        Assert.DoesNotContain(log, l => l.StartsWith("Undoing", StringComparison.Ordinal));
    }
}
