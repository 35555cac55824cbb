using System.Diagnostics.Contracts;

namespace NukeContainers.Rollout;

/// <summary>
/// The rollout step: sets a deployment's container to the pushed image by digest (<c>repository@sha256:...</c>), with
/// the pull policy and resources asked for and the change cause recorded, and waits for the rollout with kubectl. When
/// it fails, diagnoses it (image pull errors, crash loops, unschedulable pods, a passed deadline; the pod's last log
/// lines and events), undoes it, waits until the previous revision serves again, and fails with the diagnosis.
/// </summary>
public sealed record RolloutSettings : IPipelineStep
{
    /// <summary>The deployment to update.</summary>
    public string? Deployment { get; init; }

    /// <summary>The container in it; the only one, or the one whose image is of the same repository, when not given.</summary>
    public string? Container { get; init; }

    /// <summary>The namespace; the context's when not given.</summary>
    public string? Namespace { get; init; }

    /// <summary>The kubeconfig context; the current one when not given.</summary>
    public string? Context { get; init; }

    /// <summary>The kubeconfig file; kubectl's default (KUBECONFIG, ~/.kube/config) when not given.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>kubectl itself; <c>kubectl</c> on PATH by default.</summary>
    public string KubectlPath { get; init; } = "kubectl";

    /// <summary>The pull policy to set (<c>IfNotPresent</c> suits digests: they never change); left as it is when null.</summary>
    public string? ImagePullPolicy { get; init; }

    /// <summary>Resource requests to set, such as <c>cpu=100m</c>, <c>memory=128Mi</c>.</summary>
    public IReadOnlyDictionary<string, string> Requests { get; init; } = new Dictionary<string, string>();

    /// <summary>Resource limits to set.</summary>
    public IReadOnlyDictionary<string, string> Limits { get; init; } = new Dictionary<string, string>();

    /// <summary>How long the rollout may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Manifests to apply instead of patching the deployment: a folder of YAML files, a kustomization folder, or a file.
    /// Every <c>image:</c> of this pipeline's repository (and of <see cref="ManifestImages"/>) becomes the pushed digest
    /// reference; a server-side dry run comes first.
    /// </summary>
    public string? Manifests { get; init; }

    /// <summary>More repositories to pin in the manifests: repository → the reference to use.</summary>
    public IReadOnlyDictionary<string, string> ManifestImages { get; init; } = new Dictionary<string, string>();

    /// <summary>Print what applying the manifests would change (kubectl diff, server-side) before applying them.</summary>
    public bool ShowDiff { get; init; }

    /// <summary>
    /// A public key (a PEM file such as cosign.pub, or <c>env://NAME</c>) whose signature the pushed digest must have in
    /// the registry (cosign's layout): without one the cluster is not touched.
    /// </summary>
    public string? RequireSignedBy { get; init; }

    /// <summary>Undo a failed rollout (on by default).</summary>
    public bool UndoOnFailure { get; init; } = true;

    /// <summary>The deployment, in a namespace.</summary>
    [Pure] public RolloutSettings Into(string deployment, string? @namespace = null) => this with { Deployment = deployment, Namespace = @namespace ?? Namespace };

    /// <summary>The pull policy and resources, as the practices advise.</summary>
    [Pure] public RolloutSettings WithResources(string? cpuRequest, string? memoryRequest, string? cpuLimit = null, string? memoryLimit = null) => this with
    {
        Requests = Pairs(("cpu", cpuRequest), ("memory", memoryRequest)),
        Limits = Pairs(("cpu", cpuLimit), ("memory", memoryLimit)),
    };

    private static Dictionary<string, string> Pairs(params (string Key, string? Value)[] pairs) =>
        pairs.Where(p => !string.IsNullOrWhiteSpace(p.Value)).ToDictionary(p => p.Key, p => p.Value!);

    string IPipelineStep.Name => StepNames.Rollout;

    IReadOnlyList<string> IPipelineStep.After => [StepNames.PushTags, StepNames.Sign, StepNames.ExportCache];

    bool IPipelineStep.NeedsEngine => false;

    void IPipelineStep.Check(ImagePipeline pipeline)
    {
        if (string.IsNullOrWhiteSpace(Deployment)) throw new ContainerException($"The rollout step of {pipeline.Repository} names no deployment: .Rollout(r => r.Into(\"api\", \"staging\")).");
        if (ImagePullPolicy is not (null or "Always" or "IfNotPresent" or "Never"))
            throw new ContainerException($"The rollout step of {pipeline.Repository}: imagePullPolicy '{ImagePullPolicy}' is not Always, IfNotPresent or Never.");
        if (Timeout <= TimeSpan.Zero) throw new ContainerException($"The rollout step of {pipeline.Repository} needs a positive timeout, not {Timeout}.");
    }

    Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken) => RolloutStep.RunAsync(this, context, cancellationToken);
}

/// <summary>What the rollout step did.</summary>
public sealed record RolloutResult : StepResult
{
    /// <summary>The kubeconfig context (null: the current one).</summary>
    public string? Context { get; init; }

    /// <summary>The namespace (null: the context's).</summary>
    public string? Namespace { get; init; }

    /// <summary>The deployment.</summary>
    public required string Deployment { get; init; }

    /// <summary><c>succeeded</c>, <c>unchanged</c> (it already ran the digest), <c>rolled-back</c> or <c>failed</c> (the undo did not bring the previous revision back).</summary>
    public required string Status { get; init; }

    /// <summary>The image reference rolled out.</summary>
    public required string ImageReference { get; init; }

    /// <summary>The manifests' objects as kubectl applied them, when manifests were applied.</summary>
    public IReadOnlyList<string> Applied { get; init; } = [];

    /// <summary>The image the container had before.</summary>
    public string? PreviousImage { get; init; }

    /// <summary>What went wrong, when something did.</summary>
    public string? Diagnosis { get; init; }

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) =>
        [Reporting.ReportSections.Rollout.With(new Reporting.RolloutReport(Context, Namespace, Deployment, Status, ImageReference, PreviousImage, Diagnosis))];
}

/// <summary>A rollout that failed; it carries what happened, so that report.json can still say so.</summary>
public sealed class RolloutFailedException(string message, RolloutResult result) : ContainerException(message), IStepFailure
{
    /// <summary>What the step did before it failed.</summary>
    public RolloutResult Result { get; } = result;

    StepResult IStepFailure.Result => Result;
}
