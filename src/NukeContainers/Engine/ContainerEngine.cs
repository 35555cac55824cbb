using Docker.DotNet;

namespace NukeContainers.Engine;

/// <summary>
/// A Docker engine reached over its unix socket, TCP (with TLS) or ssh: Docker.DotNet for the typed API, and raw HTTP
/// where it cannot follow (the build endpoint's BuildKit progress, the h2c upgrades of the session and the Control API).
/// This file connects; each concern is a file of its own: building (<c>ContainerEngine.Building.cs</c>), images
/// (<c>.Images.cs</c>), containers (<c>.Containers.cs</c>); the engine's answers are read by <see cref="EngineMessages"/>.
/// </summary>
public sealed partial class ContainerEngine : IDisposable
{
    private ContainerEngine(string socketPath)
    {
        SocketPath = socketPath;
        Endpoint = new EngineEndpoint(socketPath, "a socket");
        Http = UnixHttp.Create(socketPath);
        Client = new DockerClientBuilder().WithEndpoint(new Uri("unix://" + socketPath)).Build();
    }

    /// An engine over TCP (plain, or TLS with the engine's certificate held to the given CA and ours sent to it), or
    /// over ssh (every connection a `docker system dial-stdio` on the host, HTTP on it as on a socket).
    private ContainerEngine(EngineEndpoint endpoint)
    {
        SocketPath = "";
        Endpoint = endpoint;
        var address = endpoint.SshHost is not null ? new Uri("http://docker/")
            : new Uri($"{(endpoint.Tls is null ? "http" : "https")}://{endpoint.TcpHost}:{endpoint.TcpPort}/");
        void Configure(SocketsHttpHandler handler)
        {
            if (endpoint.SshHost is not null) handler.ConnectCallback = (_, cancellationToken) => new ValueTask<Stream>(SshConnection.OpenAsync(endpoint, cancellationToken));
            if (endpoint.Tls is null) return;
            handler.SslOptions = TcpTls.ClientOptions(endpoint.Tls, endpoint.TcpHost!);
        }
        var handler = new SocketsHttpHandler();
        Configure(handler);
        Http = new HttpClient(handler) { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
        var builder = new DockerClientBuilder().WithEndpoint(endpoint.SshHost is not null ? new Uri("tcp://docker:2375") : new Uri($"tcp://{endpoint.TcpHost}:{endpoint.TcpPort}"))
            .WithTransportOptions(new Docker.DotNet.NativeHttp.NativeHttpTransportOptions { ConfigureHandler = Configure });
        Client = (endpoint.Tls is null ? builder : builder.WithAuthProvider(new TlsAuthProvider(Configure))).Build();
    }

    /// Tells Docker.DotNet to speak TLS, with the same handler settings as the raw HTTP client.
    private sealed class TlsAuthProvider(Action<SocketsHttpHandler> configure) : Docker.DotNet.Handler.Abstractions.IAuthProvider
    {
        public bool TlsEnabled => true;

        public HttpMessageHandler ConfigureHandler(HttpMessageHandler handler)
        {
            if (handler is SocketsHttpHandler sockets) configure(sockets);
            return handler;
        }
    }

    /// <summary>The engine's socket; empty for an engine over TCP.</summary>
    public string SocketPath { get; }

    /// <summary>Where the engine answers.</summary>
    public EngineEndpoint Endpoint { get; }

    /// <summary>Connects to an engine at an endpoint: a unix socket, TCP with or without TLS, or ssh.</summary>
    public static ContainerEngine Connect(EngineEndpoint endpoint) => endpoint.TcpHost is null && endpoint.SshHost is null ? new(endpoint.SocketPath) : new ContainerEngine(endpoint);

    private Docker.DotNet.Models.VersionResponse? _version;

    /// <summary>The engine's API version (asked once): which Dockerfile frontend it has built in, among others.</summary>
    public async Task<string> ApiVersionAsync(CancellationToken cancellationToken = default) => (await VersionAsync(cancellationToken)).APIVersion;

    /// <summary>The engine's own platform (<c>linux/amd64</c>): the one of an index it reads, saves and runs.</summary>
    public async Task<string> PlatformAsync(CancellationToken cancellationToken = default)
    {
        var version = await VersionAsync(cancellationToken);
        return $"{version.Os}/{version.Arch}";
    }

    private async Task<Docker.DotNet.Models.VersionResponse> VersionAsync(CancellationToken cancellationToken) =>
        _version ??= await Client.System.GetVersionAsync(cancellationToken);

    /// <summary>Asks the engine whether it answers; an error names the endpoint and what to check.</summary>
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var response = await Http.GetAsync("_ping", timeout.Token);
            if (response.StatusCode == System.Net.HttpStatusCode.BadRequest && Endpoint.Tls is null && Endpoint.TcpHost is not null)
                throw new ContainerException($"The engine at {Endpoint} wants TLS (it answered a plain request with 400): set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem.");
            if (!response.IsSuccessStatusCode) throw new ContainerException($"The engine at {Endpoint} answered {(int)response.StatusCode} to a ping: is it a Docker engine?");
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException or System.IO.IOException && Endpoint.Tls is not null)
        {
            throw new ContainerException($"The TLS handshake with the engine at {Endpoint} failed ({(e.InnerException ?? e).Message}): check that DOCKER_CERT_PATH's ca.pem signed the engine's certificate and that the engine accepts cert.pem.", e);
        }
        catch (HttpRequestException e) when (Endpoint.SshHost is not null)
        {
            throw new ContainerException($"The engine at {Endpoint} does not answer through ssh ({(e.InnerException ?? e).Message}): check that `ssh {(Endpoint.SshPort is { } port ? $"-p {port} " : "")}{(Endpoint.SshUser is { } user ? user + "@" : "")}{Endpoint.SshHost} docker version` works without a prompt (a key the agent holds, the host in known_hosts, docker on the host's PATH).", e);
        }
        catch (HttpRequestException e)
        {
            throw new ContainerException($"The engine at {Endpoint} does not answer ({e.Message}): check that it runs and listens there, or unset DOCKER_HOST to use a local one.", e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ContainerException($"The engine at {Endpoint} did not answer within 10 s: check the address and that nothing blocks the port.");
        }
    }

    /// The typed Engine API client (Docker.DotNet), kept out of the public API: the product's own methods are.
    internal IDockerClient Client { get; }

    internal HttpClient Http { get; }

    /// <summary>
    /// A new connection of its own to the engine (the socket, or TCP with TLS as the engine wants), for a request whose
    /// connection becomes something else: the BuildKit session, upgraded to h2c.
    /// </summary>
    internal async Task<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Endpoint.SshHost is not null) return await SshConnection.OpenAsync(Endpoint, cancellationToken);
        if (Endpoint.TcpHost is null) return await UnixHttp.ConnectAsync(SocketPath, cancellationToken);
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(Endpoint.TcpHost, Endpoint.TcpPort, cancellationToken);
            var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            if (Endpoint.Tls is null) return stream;
            var tls = new System.Net.Security.SslStream(stream, leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(TcpTls.ClientOptions(Endpoint.Tls, Endpoint.TcpHost!), cancellationToken);
            return tls;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A connection of its own to the engine, upgraded to h2c (<c>POST path</c> with <c>Upgrade: h2c</c> and the given
    /// header lines, as the docker CLI opens <c>/session</c> and buildx <c>/grpc</c>): the stream, on which HTTP/2 starts,
    /// when the engine answers 101; otherwise null, the status, and the engine's answer in words (its status and
    /// message), the connection closed.
    /// </summary>
    internal async Task<(Stream? Stream, int Status, string Refusal)> UpgradeToH2cAsync(string path, IEnumerable<string> headers, CancellationToken cancellationToken)
    {
        var stream = await ConnectAsync(cancellationToken);
        try
        {
            var request = new System.Text.StringBuilder()
                .Append($"POST {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: NukeContainers\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n");
            foreach (var header in headers) request.Append(header).Append("\r\n");
            request.Append("\r\n");
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request.ToString()), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            var (status, head) = await ReadResponseHeadAsync(stream, cancellationToken);
            if (status == 101) return (stream, status, "");
            var body = await ReadBodyAsync(stream, head, cancellationToken);
            await stream.DisposeAsync();
            return (null, status, $"{status} {EngineMessages.Refusal(body).Trim()}");
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// Reads the status line and headers one byte at a time, so that nothing after them (the engine's HTTP/2 preface)
    /// is taken from the stream.
    private static async Task<(int Status, string Head)> ReadResponseHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new System.Text.StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
                throw new ContainerException("The engine closed the connection when asked to upgrade it (a BuildKit session, or its Control API).");
            head.Append((char)one[0]);
            if (head.Length > 64 * 1024) throw new ContainerException("The engine's answer to the upgrade request has no end of headers.");
        }
        var text = head.ToString();
        var parts = text.Split(' ', 3);
        return (parts.Length > 1 && int.TryParse(parts[1], out var status) ? status : 0, text);
    }

    private static async Task<string> ReadBodyAsync(Stream stream, string head, CancellationToken cancellationToken)
    {
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is null || !int.TryParse(lengthLine["Content-Length:".Length..].Trim(), out var length) || length is <= 0 or > 64 * 1024) return "";
        var body = new byte[length];
        await stream.ReadAtLeastAsync(body, length, throwOnEndOfStream: false, cancellationToken);
        return System.Text.Encoding.UTF8.GetString(body);
    }

    /// <summary>Connects to the engine at a unix socket.</summary>
    public static ContainerEngine Connect(string socketPath) => new(socketPath);

    /// <summary>
    /// Connects to the engine that <paramref name="discovery"/> (by default DOCKER_HOST, the default socket, then the
    /// embedded engine) finds; installs nothing. No engine is an error that says where it looked and what to do.
    /// </summary>
    public static async Task<ContainerEngine> ConnectAsync(EngineDiscovery? discovery = null, CancellationToken cancellationToken = default) =>
        Connect(await (discovery ?? EngineDiscovery.Default()).RequireAsync(cancellationToken));

    /// <inheritdoc />
    public void Dispose()
    {
        Http.Dispose();
        Client.Dispose();
    }
}
