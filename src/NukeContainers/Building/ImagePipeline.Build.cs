using System.Diagnostics.Contracts;
using NukeContainers.Building;

namespace NukeContainers;

/// The build step's verbs.
public sealed partial record ImagePipeline
{
    /// <summary>The build step's settings, when the pipeline builds.</summary>
    public BuildSettings? Build => Step<BuildSettings>();

    /// <summary>Builds from a context folder; the Dockerfile is <c>Dockerfile</c> in it unless named.</summary>
    [Pure] public ImagePipeline FromDockerfile(string contextDirectory, string? dockerfile = null) =>
        ConfigureBuild(b => b with { ContextDirectory = contextDirectory, Dockerfile = dockerfile ?? b.Dockerfile });

    /// <summary>The Dockerfile, relative to the context folder.</summary>
    [Pure] public ImagePipeline Dockerfile(string dockerfile) => ConfigureBuild(b => b with { Dockerfile = dockerfile });

    /// <summary>The multi-stage target to build.</summary>
    [Pure] public ImagePipeline Target(string stage) => ConfigureBuild(b => b with { Target = stage });

    /// <summary>A value for one of the Dockerfile's ARGs.</summary>
    [Pure] public ImagePipeline BuildArg(string name, string value) =>
        ConfigureBuild(b => b with { BuildArgs = new Dictionary<string, string>(b.BuildArgs) { [name] = value } });

    /// <summary>Values for several of the Dockerfile's ARGs, such as the local base images' build arguments.</summary>
    [Pure] public ImagePipeline BuildArgs(IReadOnlyDictionary<string, string> values) =>
        ConfigureBuild(b => b with { BuildArgs = values.Aggregate(new Dictionary<string, string>(b.BuildArgs), (all, v) => { all[v.Key] = v.Value; return all; }) });

    /// <summary>A label on the image.</summary>
    [Pure] public ImagePipeline Label(string name, string value) =>
        ConfigureBuild(b => b with { Labels = new Dictionary<string, string>(b.Labels) { [name] = value } });

    /// <summary>
    /// Makes the image at this time (the commit's, as SOURCE_DATE_EPOCH gives it), not the clock's: its <c>created</c>,
    /// and on an engine that can rewrite them (Docker 26), its files' times; see <see cref="BuildSettings.SourceDateEpoch"/>.
    /// </summary>
    [Pure] public ImagePipeline SourceDateEpoch(DateTimeOffset time) => ConfigureBuild(b => b with { SourceDateEpoch = time });

    /// <summary>The platform to build for, such as <c>linux/amd64</c>.</summary>
    [Pure] public ImagePipeline Platform(string platform) => ConfigureBuild(b => b with { Platform = platform });

    /// <summary>
    /// Builds for several platforms at once, one image each under one OCI index: <c>.Platforms("linux/amd64",
    /// "linux/arm64")</c>. The Dockerfile cross-compiles (<c>FROM --platform=$BUILDPLATFORM</c>, <c>TARGETARCH</c>):
    /// nothing runs emulated. Needs an engine that keeps its images in containerd (Docker 26 with the containerd image
    /// store); the push sends the index.
    /// </summary>
    [Pure] public ImagePipeline Platforms(params string[] platforms) => Platform(string.Join(',', platforms));

    /// <summary>Builds everything anew, ignoring the cache.</summary>
    [Pure] public ImagePipeline NoCache(bool noCache = true) => ConfigureBuild(b => b with { NoCache = noCache });

    /// <summary>The network RUN instructions get (host by default).</summary>
    [Pure] public ImagePipeline Network(NetworkMode mode) => ConfigureBuild(b => b with { Network = mode });

    /// <summary>Which of the engine's builders to use (BuildKit by default).</summary>
    [Pure] public ImagePipeline UseBuilder(Builder builder) => ConfigureBuild(b => b with { Builder = builder });

    /// <summary>
    /// Also builds the same context with another Dockerfile, the way the app was built before it was optimised,
    /// and reports both sizes: <c>.CompareWith("Dockerfile.naive")</c>. With <paramref name="budget"/>, an image that
    /// weighs more than that share of the baseline fails the build step: <c>.CompareWith("Dockerfile.naive", 0.1)</c>.
    /// </summary>
    [Pure] public ImagePipeline CompareWith(string baselineDockerfile, double? budget = null) =>
        ConfigureBuild(b => b with { BaselineDockerfile = baselineDockerfile, SizeBudget = budget ?? b.SizeBudget });

    /// <summary>
    /// A secret for <c>RUN --mount=type=secret,id=ID</c>: <c>.Secret("npmrc", BuildSecret.FromFile("~/.npmrc"))</c>,
    /// <c>.Secret("nuget_token", BuildSecret.FromEnvironment("NUGET_TOKEN"))</c>. It reaches the RUN and no layer.
    /// </summary>
    [Pure] public ImagePipeline Secret(string id, BuildSecret secret) =>
        ConfigureBuild(b => b with { Secrets = new Dictionary<string, BuildSecret>(b.Secrets) { [id] = secret } });

    /// <summary>
    /// Forwards an SSH agent to <c>RUN --mount=type=ssh</c> (id <c>default</c> unless the mount names one): the
    /// agent at <paramref name="agentSocket"/>, or SSH_AUTH_SOCK's.
    /// </summary>
    [Pure] public ImagePipeline ForwardSsh(string id = "default", string? agentSocket = null) =>
        ConfigureBuild(b => b with { SshAgents = new Dictionary<string, string?>(b.SshAgents) { [id] = agentSocket } });

    /// <summary>
    /// Builds through BuildKit's own Control API (Solve and Status over the engine's <c>/grpc</c>, as buildx's docker
    /// driver does) instead of the Engine API's <c>/build</c>: <c>.UseBuildKitApi(BuildKitApi.Control)</c>.
    /// </summary>
    [Pure] public ImagePipeline UseBuildKitApi(BuildKitApi api) => ConfigureBuild(b => b with { Api = api });

    /// <summary>
    /// Exports the build cache to a registry reference, every stage's layers by default (<c>mode=max</c>), through the
    /// Control API: <c>.CacheTo("registry/app:buildcache")</c>. The engine's BuildKit must export registry caches (Docker
    /// with the containerd image store does; Debian 12's 20.10 does not).
    /// </summary>
    [Pure] public ImagePipeline CacheTo(string reference, CacheMode mode = CacheMode.Max) =>
        ConfigureBuild(b => b with { CacheTo = [.. b.CacheTo, new CacheExport(reference, mode)] });

    /// <summary>How BuildKit gets the context: the session (the default) or the whole tar.</summary>
    [Pure] public ImagePipeline Transfer(ContextTransfer transfer) => ConfigureBuild(b => b with { Transfer = transfer });

    /// <summary>Changes the build step's settings in one go, for what has no verb of its own.</summary>
    [Pure] public ImagePipeline ConfigureBuild(Func<BuildSettings, BuildSettings> configure) => Configure(new BuildSettings(), configure);
}
