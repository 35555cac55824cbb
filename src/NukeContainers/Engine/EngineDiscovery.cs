namespace NukeContainers.Engine;

/// <summary>Where an engine answers, and which provider found it.</summary>
/// <param name="SocketPath">The engine's unix socket; empty for an engine over TCP.</param>
/// <param name="Source">How it was found, for messages: <c>DOCKER_HOST</c>, <c>the default socket</c> ...</param>
public sealed record EngineEndpoint(string SocketPath, string Source)
{
    /// <summary>An engine over TCP (<c>tcp://host:port</c>), with TLS when <paramref name="tls"/> is given.</summary>
    public static EngineEndpoint OverTcp(string host, int port, EngineTls? tls, string source) =>
        new("", source) { TcpHost = host, TcpPort = port, Tls = tls };

    /// <summary>An engine reached through ssh (<c>ssh://[user@]host[:port]</c>), as the docker CLI reaches one.</summary>
    public static EngineEndpoint OverSsh(string? user, string host, int? port, string source) =>
        new("", source) { SshUser = user, SshHost = host, SshPort = port };

    /// <summary>An <c>ssh://[user@]host[:port]</c> address (DOCKER_HOST's, or a docker context's); an error shows the form.</summary>
    public static EngineEndpoint ParseSsh(string address, string source)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme != "ssh" || uri.Host.Length == 0 || uri.AbsolutePath is not ("" or "/"))
            throw new ContainerException($"{source} names {address}, which is not ssh://[USER@]HOST[:PORT], such as ssh://builder@build-host.");
        return OverSsh(uri.UserInfo is { Length: > 0 } user ? Uri.UnescapeDataString(user) : null, uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? null : uri.Port, source);
    }

    /// <summary>For an engine over ssh: the host.</summary>
    public string? SshHost { get; init; }

    /// <summary>For an engine over ssh: the user, when given (else ssh's own choice).</summary>
    public string? SshUser { get; init; }

    /// <summary>For an engine over ssh: the port, when given.</summary>
    public int? SshPort { get; init; }

    /// <summary>For an engine over TCP: its host.</summary>
    public string? TcpHost { get; init; }

    /// <summary>For an engine over TCP: its port.</summary>
    public int TcpPort { get; init; }

    /// <summary>For an engine over TCP: the TLS files; null for plain TCP.</summary>
    public EngineTls? Tls { get; init; }

    /// <summary>The endpoint as DOCKER_HOST would name it.</summary>
    public Uri Uri => SshHost is not null ? new($"ssh://{(SshUser is null ? "" : SshUser + "@")}{SshHost}{(SshPort is null ? "" : $":{SshPort}")}")
        : TcpHost is null ? new("unix://" + SocketPath) : new($"tcp://{TcpHost}:{TcpPort}");

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
        if (dockerHost.StartsWith("ssh://", StringComparison.Ordinal))
        {
            var endpoint = EngineEndpoint.ParseSsh(dockerHost, "DOCKER_HOST");
            using var engine = ContainerEngine.Connect(endpoint);
            await engine.PingAsync(cancellationToken);
            return endpoint;
        }
        var path = dockerHost.StartsWith("unix://", StringComparison.Ordinal) ? dockerHost["unix://".Length..]
            : throw new ContainerException($"DOCKER_HOST={dockerHost}: give unix:///path/to/docker.sock, tcp://HOST:PORT (with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH for TLS) or ssh://[USER@]HOST[:PORT].");
        return await UnixHttp.PingAsync(path, cancellationToken) ? new EngineEndpoint(path, "DOCKER_HOST")
            : throw new ContainerException($"DOCKER_HOST={dockerHost} does not answer. Start that engine, or unset DOCKER_HOST to use a local one.");
    }
}

/// <summary>
/// The engine a docker context names, as the docker CLI keeps them: the context is DOCKER_CONTEXT, else
/// <c>currentContext</c> in the docker config's config.json (DOCKER_CONFIG, else ~/.docker); its endpoint is in
/// <c>contexts/meta/SHA256(name)/meta.json</c> and its TLS files in <c>contexts/tls/SHA256(name)/docker/</c>. No
/// context, or <c>default</c>, lets the next provider look; a named context must answer.
/// </summary>
/// <param name="contextName">The context; DOCKER_CONTEXT or the config's current one when not given.</param>
/// <param name="configFolder">The docker config folder; DOCKER_CONFIG or ~/.docker when not given.</param>
public sealed class DockerContextProvider(string? contextName = null, string? configFolder = null) : IEngineProvider
{
    private string Folder => configFolder ?? (Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } folder ? folder
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker"));

    private string? Name()
    {
        if ((contextName ?? Environment.GetEnvironmentVariable("DOCKER_CONTEXT")) is { Length: > 0 } given) return given;
        var config = Path.Combine(Folder, "config.json");
        if (!File.Exists(config)) return null;
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(config));
        return json.RootElement.TryGetProperty("currentContext", out var current) ? current.GetString() : null;
    }

    /// <inheritdoc />
    public string Describe() => Name() is { } name and not "default" ? $"docker context {name}" : "docker context (none)";

    /// <inheritdoc />
    public async Task<EngineEndpoint?> FindAsync(CancellationToken cancellationToken)
    {
        if (Name() is not { } name || name == "default") return null;
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)));
        var meta = Path.Combine(Folder, "contexts", "meta", id, "meta.json");
        if (!File.Exists(meta))
            throw new ContainerException($"The docker context '{name}' does not exist ({meta} is missing): create it with docker context create, or unset DOCKER_CONTEXT.");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(meta));
        var docker = json.RootElement.GetProperty("Endpoints").GetProperty("docker");
        var host = docker.GetProperty("Host").GetString() ?? "";
        if (docker.TryGetProperty("SkipTLSVerify", out var skip) && skip.GetBoolean())
            throw new ContainerException($"The docker context '{name}' skips TLS verification, which this product does not do: give the context the engine's CA (docker context update {name} --docker ca=...).");
        var tlsFolder = Path.Combine(Folder, "contexts", "tls", id, "docker");
        var tls = File.Exists(Path.Combine(tlsFolder, "ca.pem")) ? EngineTls.InFolder(tlsFolder) : null;
        var source = $"docker context {name}";
        if (host.StartsWith("unix://", StringComparison.Ordinal))
            return await UnixHttp.PingAsync(host["unix://".Length..], cancellationToken) ? new EngineEndpoint(host["unix://".Length..], source)
                : throw new ContainerException($"The engine of docker context '{name}' ({host}) does not answer: start it, or switch context (docker context use default).");
        var endpoint = host.StartsWith("ssh://", StringComparison.Ordinal) ? EngineEndpoint.ParseSsh(host, source)
            : host.StartsWith("tcp://", StringComparison.Ordinal) && Uri.TryCreate(host, UriKind.Absolute, out var uri) ? EngineEndpoint.OverTcp(uri.Host, uri.Port, tls, source)
            : throw new ContainerException($"The docker context '{name}' points at {host}: only unix://, tcp:// and ssh:// endpoints are read.");
        using var engine = ContainerEngine.Connect(endpoint);
        await engine.PingAsync(cancellationToken);
        return endpoint;
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
    /// <summary>DOCKER_HOST, then the docker context, then /var/run/docker.sock, then the embedded engine's socket in its state folder.</summary>
    public static EngineDiscovery Default(string? stateDirectory = null) => new(
    [
        new DockerHostProvider(),
        new DockerContextProvider(),
        new SocketProvider("/var/run/docker.sock", "the default socket"),
        new SocketProvider(Path.Combine(stateDirectory ?? EmbeddedStateDirectory, "docker.sock"), "the embedded engine"),
    ]);

    /// <summary>
    /// Where an embedded engine keeps its state (and its socket) when NukeContainers.LocalEnvironment started one:
    /// NUKE_CONTAINERS_STATE, else /var/lib/nuke-containers. The library only looks there; it never starts one.
    /// </summary>
    public static string EmbeddedStateDirectory =>
        Environment.GetEnvironmentVariable("NUKE_CONTAINERS_STATE") is { Length: > 0 } state ? state : "/var/lib/nuke-containers";

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
