namespace NukeContainers.Building;

/// <summary>One Dockerfile instruction as the builder ran it (the builder's own "step 2/5"; not a pipeline step).</summary>
/// <param name="Name">The instruction as the builder names it, such as <c>[runtime 2/3] COPY app /app</c>.</param>
/// <param name="Cached">True when the builder reused a cached result.</param>
/// <param name="Duration">How long it ran; zero when cached.</param>
public sealed record BuiltInstruction(string Name, bool Cached, TimeSpan Duration)
{
    /// FROM only resolves the base image: there is nothing for the cache to save, so it is not counted.
    internal static bool IsBaseImage(string name) =>
        (name.StartsWith('[') ? name[(name.IndexOf(']') + 1)..] : name).TrimStart().StartsWith("FROM ", StringComparison.OrdinalIgnoreCase);
}

/// <summary>What the engine's builder did for one build.</summary>
/// <param name="ImageId">The built image's id (<c>sha256:...</c>).</param>
/// <param name="Instructions">The Dockerfile's instructions that ran or came from the cache (FROM and the builder's internal work left out).</param>
/// <param name="Builder">Which builder ran it.</param>
/// <param name="Duration">The whole build, context upload included.</param>
public sealed record BuildOutput(string ImageId, IReadOnlyList<BuiltInstruction> Instructions, Builder Builder, TimeSpan Duration)
{
    /// <summary>How many instructions came from the cache.</summary>
    public int InstructionsCached => Instructions.Count(s => s.Cached);

    /// <summary>How many instructions there were.</summary>
    public int InstructionsTotal => Instructions.Count;

    /// The images the legacy builder's steps left (short ids, in order; its base's and the built one's included, not an
    /// earlier stage's labelled last image): on the containerd image store they are removed after the build.
    internal IReadOnlyList<string> StepImages { get; init; } = [];

    /// <summary>What BuildKit's exporter answered, through the Control API (<c>containerimage.digest</c> ...); empty through /build.</summary>
    public IReadOnlyDictionary<string, string> ExporterResponse { get; init; } = new Dictionary<string, string>();
}

/// <summary>The API a BuildKit build goes through.</summary>
public enum BuildKitApi
{
    /// <summary>BuildKit's own Control API (Solve, Status) over the engine's <c>/grpc</c> endpoint, as buildx's docker driver uses it (the default): it can export the cache to a registry.</summary>
    Control,
    /// <summary>The Engine API's <c>/build</c> endpoint, as <c>docker build</c> uses it (and every tar-context build).</summary>
    Build,
}

/// <summary>Which layers a registry cache export holds.</summary>
public enum CacheMode
{
    /// <summary>The final image's layers only (as inline cache holds).</summary>
    Min,
    /// <summary>Every stage's layers: an engine that never built the toolchain stage takes it from the registry too.</summary>
    Max,
}

/// <summary>A registry cache export: where (a reference, such as <c>registry/app:buildcache</c>) and which layers.</summary>
public sealed record CacheExport(string Reference, CacheMode Mode = CacheMode.Max);

/// <summary>The engine's two image builders.</summary>
public enum Builder
{
    /// <summary>BuildKit, through the Engine API (the default): parallel stages, skipped unused stages, cache mounts.</summary>
    BuildKit,
    /// <summary>The legacy builder: for engines without BuildKit.</summary>
    Legacy,
}

/// <summary>How a BuildKit build gets its context.</summary>
public enum ContextTransfer
{
    /// <summary>
    /// A BuildKit session (the default), as the docker CLI does it: the engine asks for the files it needs and only
    /// those that changed since the last build of the folder; secrets and SSH agents reach RUN mounts. Where the
    /// engine refuses a session, the build falls back on the tar and says so.
    /// </summary>
    Session,
    /// <summary>The whole filtered context as a tar in the request body, every build (no secrets, no SSH).</summary>
    Tar,
}

/// <summary>The network RUN steps get.</summary>
public enum NetworkMode
{
    /// <summary>The host's network: works on an engine started with --bridge=none, and lets RUN reach package registries.</summary>
    Host,
    /// <summary>No network at all.</summary>
    None,
    /// <summary>The engine's default bridge network.</summary>
    Default,
}
