using NukeContainers.Build;
using NukeContainers.Rollout;

namespace NukeContainers.Components;

/// <summary>
/// Rolls the pushed images (their digests in report.json) out to their Kubernetes deployments with kubectl: by digest,
/// with the pull policy and resources given, waiting with a deadline; a failed rollout is diagnosed and undone.
/// </summary>
public interface IRolloutImages : IContainerImages
{
    /// <summary>The kubeconfig context.</summary>
    [Parameter("The kubeconfig context to roll out to (the current one when not given)")]
    string? KubeContext => TryGetValue(() => KubeContext);

    /// <summary>The namespace.</summary>
    [Parameter("The Kubernetes namespace of the deployments (the context's when not given)")]
    string? Namespace => TryGetValue(() => Namespace);

    /// <summary>The kubeconfig file.</summary>
    [Parameter("The kubeconfig file (KUBECONFIG or ~/.kube/config when not given)")]
    string? Kubeconfig => TryGetValue(() => Kubeconfig);

    /// <summary>kubectl itself.</summary>
    [Parameter("The kubectl to run (kubectl on PATH when not given)")]
    string? KubectlPath => TryGetValue(() => KubectlPath);

    /// <summary>How long a rollout may take.</summary>
    [Parameter("How long each rollout may take, in seconds, before it is diagnosed and undone (default 300)")]
    int RolloutTimeout => TryGetValue<int?>(() => RolloutTimeout) ?? 300;

    /// <summary>The pull policy to set.</summary>
    [Parameter("The imagePullPolicy to set on the container: IfNotPresent (digests never change), Always or Never")]
    string? ImagePullPolicy => TryGetValue(() => ImagePullPolicy);

    /// <summary>Resource requests and limits to set.</summary>
    [Parameter("Resources to set, such as cpu-request=100m memory-request=128Mi memory-limit=256Mi")]
    string[] Resources => TryGetValue(() => Resources) ?? [];

    /// <summary>Manifests to apply.</summary>
    [Parameter("Kubernetes manifests to apply instead of patching each deployment: a folder of YAML files, a kustomization folder or a file; every pushed image in them is pinned to its digest, and a server-side dry run comes first")]
    string? Manifests => TryGetValue(() => Manifests);

    /// <summary>The public key a pushed image must be signed with to be rolled out.</summary>
    [Parameter("A public key (cosign.pub, or env://NAME): only images with a signature by it in the registry are rolled out (cosign's layout)")]
    string? RequireSignature => TryGetValue(() => RequireSignature);

    /// <summary>Show what applying the manifests changes.</summary>
    [Parameter("Print kubectl diff (server-side) of the manifests before applying them")]
    bool ShowDiff => TryGetValue<bool?>(() => ShowDiff) ?? false;

    /// <summary>Why no rollout can run: no cluster is configured (no --kubeconfig, KUBECONFIG or ~/.kube/config); null when one is.</summary>
    string? NoCluster()
    {
        if (Kubeconfig is not null || Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 }) return null;
        var file = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        return File.Exists(file) ? null : $"no cluster is configured (no --kubeconfig, KUBECONFIG is not set, and {file} does not exist)";
    }

    /// <summary>The settings hook: the rollout settings of each image pass through it.</summary>
    Configure<RolloutSettings> RolloutImagesSettings => _ => _;

    /// <summary>Rolls each pushed image out.</summary>
    Target RolloutImages => _ => _
        .Description("Roll the pushed images (report.json digests) out to their deployments with kubectl; diagnose and undo a failed rollout")
        .Validates(CheckImageParameters)
        .After<IPushImages>(x => x.PushImages)
        .After<ISignImages>(x => x.SignImages)
        .Executes(async ct =>
        {
            var pushed = ResumedImages("RolloutImages", ResumeFrom.Pushed);
            // As Publish does: with no cluster to talk to, kubectl would only fail (against localhost:8080), once an
            // image; the warning says what it would roll out.
            if (NoCluster() is { } noCluster)
            {
                await SkipRolloutAsync(noCluster, ct);
                Note($"skipped: {noCluster}");
                return;
            }
            await RollOutAsync(pushed, ct);
        });

    /// <summary>
    /// Rolls pushed images out one after another (kubectl only: no container engine), each pinned by digest, as are
    /// the others in the manifests; report.json says how each ended (a failed one: rolled-back or failed) before the
    /// target fails.
    /// </summary>
    async Task RollOutAsync(IReadOnlyList<ResumedImage> pushed, CancellationToken cancellationToken)
    {
        // Every pushed image (each has its digest: ResumeFrom.Pushed) is pinned in the manifests, whichever deployment is being waited for.
        var pins = pushed.ToDictionary(p => p.Pipeline.Repository.Repository, p => $"{p.Pipeline.Repository.Repository}@{p.Entry.Digest()}");
        var pipelines = pushed.Select(p => AddRollout(p.Pipeline, p.Image, pins)).ToList();
        await RunImagesAsync(pipelines, null, cancellationToken, RolledOutOne, stopOnFailure: false, parallelism: 1);
    }

    /// <summary>Notes how an image's rollout ended.</summary>
    void RolledOutOne(ImageResult result) => Note($"{result.Name} {result.Rollout!.Status}");

    /// <summary>The rollout step with the parameters' settings (and the digests to pin in --manifests), through the settings hook.</summary>
    ImageStep RolloutImageStep => new(StepNames.Rollout, (pipeline, context) => AddRollout(pipeline, context.Image, context.Pins));

    /// <summary>The rollout step of one image, with the digests of the run's other images to pin in --manifests.</summary>
    ImagePipeline AddRollout(ImagePipeline pipeline, ContainerImage image, IReadOnlyDictionary<string, string> pins)
    {
        var resources = Resources.Select(r => r.Split('=', 2)).ToDictionary(
            r => r[0], r => r.Length == 2 ? r[1] : throw new ParameterException($"--resources '{string.Join('=', r)}' is not NAME=VALUE, such as cpu-request=100m."));
        var unknown = resources.Keys.Except(["cpu-request", "memory-request", "cpu-limit", "memory-limit"]).ToList();
        if (unknown.Count > 0) throw new ParameterException($"--resources: {string.Join(", ", unknown)} is not one of cpu-request, memory-request, cpu-limit, memory-limit.");
        var settings = RolloutImagesSettings(new RolloutSettings
        {
            Deployment = image.Deployment ?? image.Name, Container = image.Container, Namespace = Namespace, Context = KubeContext,
            // KUBECONFIG may list several files; kubectl reads such a list itself.
            Kubeconfig = Kubeconfig is { } file && !file.Contains(Path.PathSeparator) ? Path.GetFullPath(file, RootDirectory) : null, KubectlPath = KubectlPath ?? "kubectl",
            Timeout = TimeSpan.FromSeconds(RolloutTimeout), ImagePullPolicy = ImagePullPolicy,
            Manifests = Manifests is { } path ? Path.GetFullPath(path, RootDirectory) : null, ManifestImages = pins, ShowDiff = ShowDiff,
            RequireSignedBy = RequireSignature is { } signer ? KeyLocation(signer) : null,
        }.WithResources(resources.GetValueOrDefault("cpu-request"), resources.GetValueOrDefault("memory-request"),
            resources.GetValueOrDefault("cpu-limit"), resources.GetValueOrDefault("memory-limit")));
        return pipeline.Rollout(_ => settings);
    }

    /// <summary>
    /// Says in report.json, the log and the summary that the images were not rolled out and why (Publish delivers as far
    /// as the machine allows: with no cluster to talk to, the rollout is skipped).
    /// </summary>
    async Task SkipRolloutAsync(string reason, CancellationToken cancellationToken)
    {
        var report = ReadReport();
        foreach (var image in SelectedImages())
            report = report.WithField(image.Name, Reporting.ReportSections.Rollout, new Reporting.RolloutReport(KubeContext, Namespace, image.Deployment ?? image.Name, "skipped",
                report.Find(image.Name)?.Digest() is { } pushed ? $"{RepositoryOf(image).Repository}@{pushed}" : "", null, reason));
        await report.WriteAsync(ContainerArtifacts, cancellationToken);
        Log.Warn($"Rollout skipped: {reason}. Give --kubeconfig, or set KUBECONFIG, to roll out." +
                 (report.Images.Where(i => SelectedImages().Any(s => s.Name == i.Name) && i.Digest() is not null).Select(i => $"{i.Repository}@{i.Digest()}").ToList() is { Count: > 0 } would
                     ? $" It would roll out {string.Join(", ", would)}." : ""));
    }
}
