using NukeContainers.Dockerfiles;

namespace NukeContainers.Building;

/// <summary>
/// The build step's settings: the context, the Dockerfile and its target stage, the builder's options, and the
/// unoptimised Dockerfile to measure against. Also what <see cref="Engine.ContainerEngine.BuildAsync"/> takes.
/// </summary>
public sealed record BuildSettings : IPipelineStep
{
    /// <summary>The context folder.</summary>
    public string? ContextDirectory { get; init; }

    /// <summary>The Dockerfile, relative to the context folder; <c>Dockerfile</c> when not set.</summary>
    public string? Dockerfile { get; init; }

    /// <summary>The stage to build; the last stage when not set.</summary>
    public string? Target { get; init; }

    /// <summary>Values for the Dockerfile's ARGs.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    /// <summary>Labels to put on the image.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The platform to build for, such as <c>linux/amd64</c>, or several, comma-separated (<c>linux/amd64,linux/arm64</c>:
    /// one image an platform under one OCI index); the engine's own when not set.
    /// </summary>
    public string? Platform { get; init; }

    /// <summary>The platforms <see cref="Platform"/> names (none when it is not set).</summary>
    public IReadOnlyList<string> Platforms => Platform?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    /// <summary>When true, nothing is taken from the cache.</summary>
    public bool NoCache { get; init; }

    /// <summary>The network RUN instructions get.</summary>
    public NetworkMode Network { get; init; } = NetworkMode.Host;

    /// <summary>Which of the engine's builders runs the build.</summary>
    public Builder Builder { get; init; } = Builder.BuildKit;

    /// <summary>Images BuildKit may import cached layers from (their inline cache), such as <c>registry/app:buildcache-main</c>.</summary>
    public IReadOnlyList<string> CacheFrom { get; init; } = [];

    /// <summary>
    /// Where the build cache is exported to (a registry reference each, <c>mode=max</c> by default: every stage's layers).
    /// Only BuildKit's Control API exports it: a build that asks for it goes through <see cref="BuildKitApi.Control"/>.
    /// </summary>
    public IReadOnlyList<CacheExport> CacheTo { get; init; } = [];

    /// <summary>
    /// The API a BuildKit build goes through: BuildKit's Control API by default (with the context through the session);
    /// a build that sends the context as a tar goes to the Engine API's /build, which takes it in the body.
    /// </summary>
    public BuildKitApi Api { get; init; } = BuildKitApi.Control;

    /// <summary>The API this build takes.</summary>
    internal BuildKitApi EffectiveApi => CacheTo.Count > 0 ? BuildKitApi.Control : Api;

    /// <summary>
    /// Secrets for <c>RUN --mount=type=secret,id=ID</c>, by id: they reach the RUN through the BuildKit session and no
    /// layer, log or report. Needs the session (a tar-context build has no secrets).
    /// </summary>
    public IReadOnlyDictionary<string, BuildSecret> Secrets { get; init; } = new Dictionary<string, BuildSecret>();

    /// <summary>
    /// SSH agents for <c>RUN --mount=type=ssh[,id=ID]</c>, by id (<c>default</c> when the mount names none): the agent's
    /// socket, or null for SSH_AUTH_SOCK's.
    /// </summary>
    public IReadOnlyDictionary<string, string?> SshAgents { get; init; } = new Dictionary<string, string?>();

    /// <summary>Credentials for the registries the build pulls from (FROM, cache imports), by host; else the docker config's.</summary>
    public IReadOnlyDictionary<string, Registry.RegistryCredentials> RegistryCredentials { get; init; } = new Dictionary<string, Registry.RegistryCredentials>();

    /// <summary>How BuildKit gets the context: through a session (only what changed, secrets and SSH) or as a tar.</summary>
    public ContextTransfer Transfer { get; init; } = ContextTransfer.Session;

    /// <summary>A Dockerfile (relative to the context) of the same app built without the optimisations, to measure against.</summary>
    public string? BaselineDockerfile { get; init; }

    /// <summary>
    /// The most the image may weigh as a share of the baseline's (0.02 is 2%): over it, the build step fails (after
    /// saying both sizes), so no later step tags or pushes it.
    /// </summary>
    public double? SizeBudget { get; init; }

    /// <summary>
    /// The time the image is made at (the commit's: SOURCE_DATE_EPOCH): the image config's and its history's
    /// <c>created</c>, and where the engine can (BuildKit 0.13 on the containerd store: Docker 26) the time of every file
    /// newer than it in the layers, so that the same commit gives the same image digest on any engine of that kind. Not
    /// part of the input digest: an image reused at a later commit keeps its own.
    /// </summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }

    /// <summary>The Dockerfile's full path.</summary>
    public string DockerfilePath => Path.GetFullPath(Dockerfile ?? "Dockerfile", ContextDirectory ?? ".");

    string IPipelineStep.Name => StepNames.Build;

    IReadOnlyList<string> IPipelineStep.After => [StepNames.RestoreCache];

    /// <summary>The Dockerfile is parsed and the target stage found before anything is sent to the engine.</summary>
    void IPipelineStep.Check(ImagePipeline pipeline)
    {
        if (SizeBudget is { } budget && (BaselineDockerfile is null || !(budget > 0)))
            throw new ContainerException(BaselineDockerfile is null
                ? $"A size budget of {budget:P0} needs a baseline to measure against: CompareWith(\"Dockerfile.naive\", {budget}) names one."
                : $"The size budget {budget} is not a share above 0, such as 0.1 for 10% of the baseline.");
        Prepare();
    }

    async Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var built = await BuildStep.RunAsync(this, context, cancellationToken);
        return SizeBudget is { } budget && built is BuildResult { SizeRatio: { } ratio } result && ratio > budget
            ? throw new SizeBudgetExceededException(result, budget) : built;
    }

    /// The context, and the stage the target names (a clear error when the Dockerfile or the target is wrong).
    internal (BuildContext Context, Stage Stage, BuildContext? Baseline) Prepare()
    {
        if (ContextDirectory is null)
            throw new ContainerException("The build step has no context folder: call FromDockerfile(contextFolder).");
        if (CacheTo.Count > 0 && (Builder == Builder.Legacy || Transfer == ContextTransfer.Tar))
            throw new ContainerException($"The build exports its cache to {string.Join(", ", CacheTo.Select(c => c.Reference))}, which only BuildKit's Control API does, with the context through a session: " +
                                         "leave the builder as BuildKit and the transfer as the session (the defaults), or leave CacheTo out.");
        var context = BuildContext.Create(ContextDirectory, Dockerfile);
        var stage = DockerfileParser.Load(context.DockerfilePath, BuildArgs).RequireStage(Target);
        var baseline = BaselineDockerfile is null ? null : BuildContext.Create(ContextDirectory, BaselineDockerfile);
        if (baseline is not null) DockerfileParser.Load(baseline.DockerfilePath, BuildArgs);
        return (context, stage, baseline);
    }
}
