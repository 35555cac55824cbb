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

    /// <summary>The platform to build for, such as <c>linux/amd64</c>; the engine's own when not set.</summary>
    public string? Platform { get; init; }

    /// <summary>When true, nothing is taken from the cache.</summary>
    public bool NoCache { get; init; }

    /// <summary>The network RUN instructions get.</summary>
    public NetworkMode Network { get; init; } = NetworkMode.Host;

    /// <summary>Which of the engine's builders runs the build.</summary>
    public Builder Builder { get; init; } = Builder.BuildKit;

    /// <summary>Images BuildKit may import cached layers from (their inline cache), such as <c>registry/app:buildcache-main</c>.</summary>
    public IReadOnlyList<string> CacheFrom { get; init; } = [];

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

    /// <summary>The Dockerfile's full path.</summary>
    public string DockerfilePath => Path.GetFullPath(Dockerfile ?? "Dockerfile", ContextDirectory ?? ".");

    string IPipelineStep.Name => "build";

    int IPipelineStep.Order => StepOrder.Build;

    /// <summary>The Dockerfile is parsed and the target stage found before anything is sent to the engine.</summary>
    void IPipelineStep.Check(ImagePipeline pipeline) => Prepare();

    Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken) =>
        BuildStep.RunAsync(this, context, cancellationToken);

    /// The context, and the stage the target names (a clear error when the Dockerfile or the target is wrong).
    internal (BuildContext Context, Stage Stage, BuildContext? Baseline) Prepare()
    {
        if (ContextDirectory is null)
            throw new ContainerException("The build step has no context folder: call FromDockerfile(contextFolder).");
        var context = BuildContext.Create(ContextDirectory, Dockerfile);
        var stage = DockerfileParser.Load(context.DockerfilePath, BuildArgs).RequireStage(Target);
        var baseline = BaselineDockerfile is null ? null : BuildContext.Create(ContextDirectory, BaselineDockerfile);
        if (baseline is not null) DockerfileParser.Load(baseline.DockerfilePath, BuildArgs);
        return (context, stage, baseline);
    }
}
