namespace NukeContainers.Engine;

/// <summary>Where an engine answers, and which provider found it.</summary>
/// <param name="SocketPath">The engine's unix socket; empty for an engine over TCP.</param>
/// <param name="Source">How it was found, for messages: <c>DOCKER_HOST</c>, <c>the default socket</c> ...</param>
public sealed record EngineEndpoint(string SocketPath, string Source)
{
    /// <summary>An engine over TCP (<c>tcp://host:port</c>), with TLS when <paramref name="tls"/> is given.</summary>
    public static EngineEndpoint OverTcp(string host, int port, EngineTls? tls, string source) =>
        new("", source) { TcpHost = host, TcpPort = port, Tls = tls };

    /// <summary>For an engine over TCP: its host.</summary>
    public string? TcpHost { get; init; }

    /// <summary>For an engine over TCP: its port.</summary>
    public int TcpPort { get; init; }

    /// <summary>For an engine over TCP: the TLS files; null for plain TCP.</summary>
    public EngineTls? Tls { get; init; }

    /// <summary>The endpoint as DOCKER_HOST would name it.</summary>
    public Uri Uri => TcpHost is null ? new("unix://" + SocketPath) : new($"tcp://{TcpHost}:{TcpPort}");

    /// <summary>The endpoint for messages: its URI, and TLS when it has it.</summary>
    public override string ToString() => Uri + (Tls is null ? "" : " (TLS)");
}

/// <summary>
/// The TLS files of an engine over TCP, as the docker CLI reads them: <c>ca.pem</c>, <c>cert.pem</c> and <c>key.pem</c>
/// in DOCKER_CERT_PATH (or ~/.docker). The engine's certificate must chain to the CA; ours goes to the engine.
/// </summary>
public sealed record EngineTls(string CaCertificate, string ClientCertificate, string ClientKey)
{
    /// <summary>The files in a folder, named as the docker CLI names them.</summary>
    public static EngineTls InFolder(string folder) =>
        new(Path.Combine(folder, "ca.pem"), Path.Combine(folder, "cert.pem"), Path.Combine(folder, "key.pem"));

    /// <summary>DOCKER_TLS_VERIFY set (to anything but empty): the files in DOCKER_CERT_PATH, else ~/.docker; otherwise null.</summary>
    public static EngineTls? FromEnvironment() =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_TLS_VERIFY")) ? null
            : InFolder(Environment.GetEnvironmentVariable("DOCKER_CERT_PATH") is { Length: > 0 } path ? path
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker"));
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
/// <param name="dockerHost">The DOCKER_HOST value.</param>
/// <param name="tls">For tcp://: the TLS files; DOCKER_TLS_VERIFY and DOCKER_CERT_PATH decide when not given.</param>
public sealed class DockerHostProvider(string? dockerHost, EngineTls? tls = null) : IEngineProvider
{
    /// <summary>Reads DOCKER_HOST from the environment.</summary>
    public DockerHostProvider() : this(Environment.GetEnvironmentVariable("DOCKER_HOST")) { }

    /// <inheritdoc />
    public string Describe() => string.IsNullOrEmpty(dockerHost) ? "DOCKER_HOST (not set)" : $"DOCKER_HOST={dockerHost}";

    /// <inheritdoc />
    public async Task<EngineEndpoint?> FindAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(dockerHost)) return null;
        if (dockerHost.StartsWith("tcp://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(dockerHost, UriKind.Absolute, out var uri) || uri.Port <= 0)
                throw new ContainerException($"DOCKER_HOST={dockerHost} is not tcp://HOST:PORT, such as tcp://127.0.0.1:2376.");
            var endpoint = EngineEndpoint.OverTcp(uri.Host, uri.Port, tls ?? EngineTls.FromEnvironment(), "DOCKER_HOST");
            using var engine = ContainerEngine.Connect(endpoint);
            await engine.PingAsync(cancellationToken);
            return endpoint;
        }
        var path = dockerHost.StartsWith("unix://", StringComparison.Ordinal) ? dockerHost["unix://".Length..]
            : throw new ContainerException($"DOCKER_HOST={dockerHost}: give unix:///path/to/docker.sock or tcp://HOST:PORT (with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH for TLS).");
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
