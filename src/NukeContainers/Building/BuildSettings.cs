namespace NukeContainers.Building;

/// <summary>What to build: the context, the Dockerfile and its target stage, and the builder's options.</summary>
public sealed record BuildSettings
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

    /// <summary>When true, no step is taken from the cache.</summary>
    public bool NoCache { get; init; }

    /// <summary>The network RUN steps get.</summary>
    public NetworkMode Network { get; init; } = NetworkMode.Host;

    /// <summary>Which of the engine's builders runs the build.</summary>
    public Builder Builder { get; init; } = Builder.BuildKit;

    /// <summary>The Dockerfile's full path.</summary>
    public string DockerfilePath => Path.GetFullPath(Dockerfile ?? "Dockerfile", ContextDirectory ?? ".");
}
