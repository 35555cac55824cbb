namespace NukeContainers.Engine;

/// <summary>Where an engine answers, and which provider found it.</summary>
/// <param name="SocketPath">The engine's unix socket.</param>
/// <param name="Source">How it was found, for messages: <c>DOCKER_HOST</c>, <c>the default socket</c> ...</param>
public sealed record EngineEndpoint(string SocketPath, string Source)
{
    /// <summary>The endpoint as DOCKER_HOST would name it.</summary>
    public Uri Uri => new("unix://" + SocketPath);
}

/// <summary>One place an engine may be. A provider only looks; it never installs or starts anything.</summary>
public interface IEngineProvider
{
    /// <summary>What this provider looks at, for the message when no engine is found.</summary>
    string Describe();

    /// <summary>The engine this provider knows of, when it answers; null to let the next provider look.</summary>
    Task<EngineEndpoint?> FindAsync(CancellationToken cancellationToken);
}

/// <summary>The engine DOCKER_HOST names. When it is set, it must answer: the chain stops here either way.</summary>
public sealed class DockerHostProvider(string? dockerHost) : IEngineProvider
{
    /// <summary>Reads DOCKER_HOST from the environment.</summary>
    public DockerHostProvider() : this(Environment.GetEnvironmentVariable("DOCKER_HOST")) { }

    /// <inheritdoc />
    public string Describe() => string.IsNullOrEmpty(dockerHost) ? "DOCKER_HOST (not set)" : $"DOCKER_HOST={dockerHost}";

    /// <inheritdoc />
    public async Task<EngineEndpoint?> FindAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(dockerHost)) return null;
        var path = dockerHost.StartsWith("unix://", StringComparison.Ordinal) ? dockerHost["unix://".Length..]
            : throw new ContainerException($"DOCKER_HOST={dockerHost}: only unix:// sockets are supported; point it at the engine's socket, such as unix:///var/run/docker.sock.");
        return await UnixHttp.PingAsync(path, cancellationToken) ? new EngineEndpoint(path, "DOCKER_HOST")
            : throw new ContainerException($"DOCKER_HOST={dockerHost} does not answer. Start that engine, or unset DOCKER_HOST to use a local one.");
    }
}

/// <summary>An engine at a fixed socket: the default <c>/var/run/docker.sock</c>, or the embedded engine's.</summary>
public sealed class SocketProvider(string socketPath, string source) : IEngineProvider
{
    /// <inheritdoc />
    public string Describe() => $"{socketPath} ({source})";

    /// <inheritdoc />
    public async Task<EngineEndpoint?> FindAsync(CancellationToken cancellationToken) =>
        await UnixHttp.PingAsync(socketPath, cancellationToken) ? new EngineEndpoint(socketPath, source) : null;
}

/// <summary>Finds an engine by asking a chain of providers in turn; it never installs or starts one.</summary>
public sealed class EngineDiscovery(IReadOnlyList<IEngineProvider> providers)
{
    /// <summary>DOCKER_HOST, then /var/run/docker.sock, then the embedded engine's socket in its state folder.</summary>
    public static EngineDiscovery Default(string? stateDirectory = null) => new(
    [
        new DockerHostProvider(),
        new SocketProvider("/var/run/docker.sock", "the default socket"),
        new SocketProvider(Path.Combine(stateDirectory ?? Provisioning.EmbeddedEnvironmentOptions.DefaultStateDirectory, "docker.sock"), "the embedded engine"),
    ]);

    /// <summary>The providers, in the order they are asked.</summary>
    public IReadOnlyList<IEngineProvider> Providers { get; } = providers;

    /// <summary>The first engine a provider finds, or null.</summary>
    public async Task<EngineEndpoint?> FindAsync(CancellationToken cancellationToken = default)
    {
        foreach (var provider in Providers)
            if (await provider.FindAsync(cancellationToken) is { } found)
                return found;
        return null;
    }

    /// <summary>The first engine a provider finds, or an error that lists where it looked and what to do.</summary>
    public async Task<EngineEndpoint> RequireAsync(CancellationToken cancellationToken = default) =>
        await FindAsync(cancellationToken) ?? throw new ContainerException(
            $"No Docker engine answers. Looked at: {string.Join("; ", Providers.Select(p => p.Describe()))}. " +
            "Start one (./build.sh LocalEnvironment installs and starts Debian's, as root on Debian or Ubuntu), " +
            "or point DOCKER_HOST at yours: export DOCKER_HOST=unix:///path/to/docker.sock");
}
