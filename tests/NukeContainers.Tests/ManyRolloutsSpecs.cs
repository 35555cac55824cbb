using NukeContainers.Rollout;

namespace NukeContainers.Tests;

/// <summary>
/// Many services in one manifests folder (issue 28.6): 24 deployments, one image each, rolled out one after another
/// with the real kubectl against the Kubernetes API simulator. Each image's rollout applies its own deployment alone,
/// only when the cluster's differs; a failed one is undone without touching the others; every image says how it ended.
/// </summary>
public sealed class ManyRolloutsSpecs : IAsyncLifetime
{
    private const int Services = 24;
    private readonly KubernetesSimulator _cluster = new() { ReadyAfter = TimeSpan.FromMilliseconds(200) };
    private readonly TempFolder _folder = new();
    private readonly List<string> _log = [];
    private string _kubeconfig = "";
    private string _manifests = "";

    private static string Name(int i) => $"svc-{i:00}";
    private static string Repository(int i) => $"127.0.0.1:5000/team/{Name(i)}";
    private static string Pinned(int i, char digit) => $"{Repository(i)}@sha256:{new string(digit, 64)}";

    public async Task InitializeAsync()
    {
        _kubeconfig = _cluster.WriteKubeconfig(_folder.Path);
        _manifests = Path.Combine(_folder.Path, "deploy");
        Directory.CreateDirectory(_manifests);
        // One file of all 24, as a team keeps them; the cluster runs each at an earlier digest.
        await File.WriteAllTextAsync(Path.Combine(_manifests, "services.yaml"), string.Join("---\n", Enumerable.Range(0, Services).Select(i => $"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {Name(i)}
            spec:
              replicas: 2
              progressDeadlineSeconds: 3
              selector:
                matchLabels: {"{"} app: {Name(i)} {"}"}
              template:
                metadata:
                  labels: {"{"} app: {Name(i)} {"}"}
                spec:
                  containers:
                  - name: app
                    image: {Repository(i)}:latest

            """)));
        for (var i = 0; i < Services; i++) _cluster.AddDeployment(Name(i), "app", Pinned(i, '1'));
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _folder.Dispose();
    }

    /// Rolls out every service at the digest <paramref name="digest"/> gives it, one after another, as RolloutImages
    /// does (a failed one does not stop the others); how each ended, as report.json says it.
    private async Task<IReadOnlyList<RolloutResult>> RollOutAsync(Func<int, char> digest)
    {
        var pins = Enumerable.Range(0, Services).ToDictionary(Repository, i => Pinned(i, digest(i)));
        var pipelines = Enumerable.Range(0, Services).Select(i =>
            Containers.Image(Repository(i)).FromImage("sha256:" + new string(digest(i), 64), 0, ["1.0.0"], "sha256:" + new string(digest(i), 64)).WithLog(_log.Add)
                .Rollout(r => r.Into(Name(i), _cluster.Namespace) with
                {
                    Kubeconfig = _kubeconfig, Context = "sim", Timeout = TimeSpan.FromSeconds(10), Manifests = _manifests, ManifestImages = pins,
                }));
        try
        {
            return [.. (await Containers.RunAllAsync(pipelines, null, parallelism: 1, stopOnFailure: false)).Select(r => r.Rollout!)];
        }
        catch (ImagesFailedException failed)
        {
            return [.. failed.Outcomes.Select(o => o.Result?.Rollout ?? ((RolloutFailedException)o.Error!).Result)];
        }
    }

    /// The deployments an apply (not a dry run) changed since the request at <paramref name="from"/>.
    private List<string> Applied(int from) =>
        [.. _cluster.Requests.Skip(from).Where(r => r.StartsWith("PATCH /apis/apps/v1/namespaces/staging/deployments/", StringComparison.Ordinal) && !r.Contains("dryRun", StringComparison.Ordinal))
            .Select(r => r.Split('/')[7].Split('?')[0]).Distinct().Order()];

    private string Running(int i) => _cluster.Deployment(Name(i))["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>();

    [Fact]
    public async Task Of_24_deployments_in_one_folder_each_rollout_applies_its_own_only_what_changed_is_applied_and_a_failed_one_is_undone_alone()
    {
        // All new: each deployment is applied once, by its own image's rollout (not 24 times, once by each).
        var first = await RollOutAsync(_ => '2');
        Assert.All(first, r => Assert.Equal("succeeded", r.Status));
        Assert.Equal(Enumerable.Range(0, Services).Select(Name), Applied(0));
        Assert.Equal(Services, _cluster.Requests.Count(r => r.StartsWith("PATCH /apis/apps/v1/namespaces/staging/deployments/", StringComparison.Ordinal) && !r.Contains("dryRun", StringComparison.Ordinal)));
        Assert.Contains(_log, l => l == $"1 of {Services} manifest documents run {Repository(0)} or no image of this run: the others are their own images' to apply");

        // A commit that changes one service: that one is applied, the other 23 are left as they are.
        var mark = _cluster.Requests.Count;
        var second = await RollOutAsync(i => i == 7 ? '3' : '2');
        Assert.Equal([Name(7)], Applied(mark));
        Assert.Equal("succeeded", second[7].Status);
        Assert.All(second.Where((_, i) => i != 7), r => Assert.Equal("unchanged", r.Status));
        Assert.Contains(_log, l => l == $"deployment/{Name(3)} container app already runs {Pinned(3, '2')} as the manifests say: not applied");

        // Two change, one of them never becomes ready: it is undone, the other rolls out, the rest are not touched.
        _cluster.Behaviour = image => image == Pinned(12, '4') ? PodBehaviour.NeverReady : PodBehaviour.BecomesReady;
        mark = _cluster.Requests.Count;
        var third = await RollOutAsync(i => i is 3 or 12 ? '4' : i == 7 ? '3' : '2');
        Assert.Equal([Name(3), Name(12)], Applied(mark));   // the undo is a patch of svc-12 too
        Assert.Equal(("rolled-back", Pinned(12, '2')), (third[12].Status, third[12].PreviousImage));
        Assert.StartsWith("deadline exceeded", third[12].Diagnosis);
        Assert.Equal(Pinned(12, '2'), Running(12));
        Assert.Equal(("succeeded", Pinned(3, '4')), (third[3].Status, Running(3)));
        Assert.Equal(Pinned(7, '3'), Running(7));
        Assert.Equal(Services - 2, third.Count(r => r.Status == "unchanged"));
    }
}
