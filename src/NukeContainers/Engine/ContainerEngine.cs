using Docker.DotNet;
using Docker.DotNet.Models;
using NukeContainers.Building;
using NukeContainers.Images;
using NukeContainers.Utils;

namespace NukeContainers.Engine;

/// <summary>
/// A Docker engine reached over its unix socket: Docker.DotNet for the typed API, and raw HTTP for the build
/// endpoint whose BuildKit progress Docker.DotNet cannot read.
/// </summary>
public sealed class ContainerEngine : IDisposable
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

    private string? _apiVersion;

    /// <summary>The engine's API version (asked once): which Dockerfile frontend it has built in, among others.</summary>
    public async Task<string> ApiVersionAsync(CancellationToken cancellationToken = default) =>
        _apiVersion ??= (await Client.System.GetVersionAsync(cancellationToken)).APIVersion;

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

    /// <summary>The typed Engine API client, for what the pipeline does not cover.</summary>
    public IDockerClient Client { get; }

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

    /// <summary>Connects to the engine at a unix socket.</summary>
    public static ContainerEngine Connect(string socketPath) => new(socketPath);

    /// <summary>
    /// Connects to the engine that <paramref name="discovery"/> (by default DOCKER_HOST, the default socket, then the
    /// embedded engine) finds; installs nothing. No engine is an error that says where it looked and what to do.
    /// </summary>
    public static async Task<ContainerEngine> ConnectAsync(EngineDiscovery? discovery = null, CancellationToken cancellationToken = default) =>
        Connect(await (discovery ?? EngineDiscovery.Default()).RequireAsync(cancellationToken));

    /// <summary>
    /// Builds an image from a context; see <see cref="BuildSettings"/>. An engine without BuildKit gets the legacy builder.
    /// </summary>
    public async Task<BuildOutput> BuildAsync(BuildContext context, BuildSettings settings, IReadOnlyList<string> tags, Action<string> log, CancellationToken cancellationToken = default)
    {
        Session.BuildSession? session = null;
        try
        {
            session = await OpenSessionAsync(context, settings, log, cancellationToken);
            return await RemoveStepImagesAsync(await ImageBuilder.BuildAsync(Http, context, settings, tags, session, log, cancellationToken));
        }
        catch (BuildRefusedException refused) when (refused.BuildKitUnavailable)
        {
            log($"{refused.Message}; building with the legacy builder instead.");
            return await RemoveStepImagesAsync(await ImageBuilder.BuildAsync(Http, context, settings with { Builder = Builder.Legacy }, tags, null, log, cancellationToken));
        }
        catch (ContainerException e) when (session is not null && !cancellationToken.IsCancellationRequested)
        {
            // The engine may report the failure (its gRPC client's "transport is closing") before this side has seen the
            // connection go: give it a moment then, and only then, so that an ordinary failure is not held up.
            var suspicious = e.Message.Contains("rpc error", StringComparison.Ordinal) || e.Message.Contains("session", StringComparison.OrdinalIgnoreCase);
            if (await session.WasCutAsync(suspicious ? TimeSpan.FromSeconds(2) : TimeSpan.Zero)) throw new SessionCutException(Endpoint.ToString(), e);
            throw;
        }
        finally
        {
            if (session is not null) await session.DisposeAsync();
            // BuildKit keeps every uploaded context tar as a cache record of its own that no build can reuse. Best
            // effort: an engine that went away must not hide the build's own error behind this one's.
            else if (settings.Builder == Builder.BuildKit)
            {
                try
                {
                    await PruneContextUploadsAsync(CancellationToken.None);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or System.Text.Json.JsonException)
                {
                    log($"Could not remove the uploaded context from the engine's build cache: {e.Message}. Prune removes it later.");
                }
            }
        }
    }

    /// The session a BuildKit build syncs its context through, or null for the tar: when the build asks for the tar,
    /// for the legacy builder, and where the engine refuses a session (said in the log; an error when the build needs
    /// the session for its secrets or SSH agents).
    private async Task<Session.BuildSession?> OpenSessionAsync(BuildContext context, BuildSettings settings, Action<string> log, CancellationToken cancellationToken)
    {
        var needsSession = settings.Secrets.Count > 0 || settings.SshAgents.Count > 0;
        if (settings.Builder != Builder.BuildKit || settings.Transfer == ContextTransfer.Tar)
        {
            if (needsSession)
                throw new ContainerException($"The build has secrets or SSH agents ({string.Join(", ", settings.Secrets.Keys.Concat(settings.SshAgents.Keys))}), which reach the build only through a BuildKit session: build with BuildKit and the session (the defaults).");
            if (settings.Builder == Builder.BuildKit) await RequireTarContextsAsync("The build asks for the tar (Transfer(ContextTransfer.Tar))", cancellationToken);
            return null;
        }
        var session = Session.BuildSession.For(context, settings, log);
        var refusal = await session.OpenAsync(this, cancellationToken);
        if (refusal is null) return session;
        await session.DisposeAsync();
        if (needsSession)
            throw new ContainerException($"The engine at {Endpoint} refused a BuildKit session ({refusal}), and the build's secrets or SSH agents reach it only through one: use an engine with BuildKit sessions (Docker 18.09 or later).");
        await RequireTarContextsAsync($"The engine at {Endpoint} refused a BuildKit session ({refusal})", cancellationToken);
        log($"The engine at {Endpoint} refused a BuildKit session ({refusal}): sending the whole context as a tar instead (every file, every build).");
        return null;
    }

    /// An engine with the containerd image store does not read a tar context through BuildKit: its builder fetches the
    /// uploaded body as http://build-context-ID, and its containerd worker resolves that name in DNS (seen on Docker
    /// 26.1: "lookup build-context-...: no such host"). Said before the upload, not after it.
    private async Task RequireTarContextsAsync(string why, CancellationToken cancellationToken)
    {
        if (await ImageStoreAsync(cancellationToken) == "containerd")
            throw new ContainerException($"{why}, but the engine at {Endpoint} keeps its images in containerd, and with that store its BuildKit cannot read a " +
                                         "context sent as a tar (it looks the upload up as a host name). Build through the BuildKit session (the default), or with the legacy builder.");
    }

    private string? _imageStore;

    /// <summary>Where the engine keeps its images: <c>containerd</c> (the containerd image store, Docker 24 and later when on) or <c>graphdriver</c>.</summary>
    public async Task<string> ImageStoreAsync(CancellationToken cancellationToken = default) =>
        _imageStore ??= (await Client.System.GetSystemInfoAsync(cancellationToken)).DriverStatus?
            .Any(s => s.Length == 2 && s[0] == "driver-type" && s[1].StartsWith("io.containerd.snapshotter", StringComparison.Ordinal)) == true
            ? "containerd" : "graphdriver";

    /// <summary>
    /// Removes the context tars that BuildKit keeps from tar-context builds (<c>http url http://build-context-...</c>
    /// cache records: a new random name each build, so never reused) and that no build uses now; returns the bytes freed.
    /// Without this, every build of an unchanged 200 MB context adds 200 MB to the build cache.
    /// </summary>
    public async Task<long> PruneContextUploadsAsync(CancellationToken cancellationToken = default)
    {
        using var usage = await Http.GetAsync("v1.41/system/df", cancellationToken);
        if (!usage.IsSuccessStatusCode) return 0;
        using var json = System.Text.Json.JsonDocument.Parse(await usage.Content.ReadAsStringAsync(cancellationToken));
        if (!json.RootElement.TryGetProperty("BuildCache", out var records) || records.ValueKind != System.Text.Json.JsonValueKind.Array) return 0;
        var uploads = records.EnumerateArray()
            .Where(r => r.TryGetProperty("Description", out var d) && d.GetString()?.StartsWith("http url http://build-context-", StringComparison.Ordinal) == true
                        && !(r.TryGetProperty("InUse", out var inUse) && inUse.GetBoolean()))
            .Select(r => r.GetProperty("ID").GetString()!).ToList();
        long freed = 0;
        foreach (var id in uploads)
        {
            var filters = Uri.EscapeDataString($$"""{"id":["{{id}}"]}""");
            using var pruned = await Http.PostAsync($"v1.41/build/prune?filters={filters}", null, cancellationToken);
            if (!pruned.IsSuccessStatusCode) continue; // another run pruned it first, or it came into use
            using var result = System.Text.Json.JsonDocument.Parse(await pruned.Content.ReadAsStringAsync(cancellationToken));
            freed += result.RootElement.TryGetProperty("SpaceReclaimed", out var bytes) ? bytes.GetInt64() : 0;
        }
        return freed;
    }

    /// <summary>The image's metadata, or null when the engine has no such image.</summary>
    public async Task<ImageInspectResponse?> InspectImageAsync(string image, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Client.Images.InspectImageAsync(image, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The image's size as the engine reports it; an error when the engine does not have it.</summary>
    public async Task<long> SizeAsync(string image, CancellationToken cancellationToken = default) =>
        (await InspectImageAsync(image, cancellationToken))?.Size
        ?? throw new ContainerException($"The engine has no image {image}: it was removed after it was built, perhaps by another run or a prune.");

    /// <summary>
    /// Pushes one tag through the engine and returns the digest the registry gave it. A failure is a
    /// <see cref="Pushing.PushException"/> that says whether trying again may help.
    /// </summary>
    public async Task<string> PushAsync(ImageReference reference, Registry.RegistryCredentials? credentials, Action<string> log, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1.41/images/{reference.Repository}/push?tag={Uri.EscapeDataString(reference.Tag ?? "latest")}");
        request.Headers.Add("X-Registry-Auth", credentials?.EngineAuthHeader(reference.Registry) ?? "e30=");
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var message = ImageBuilder.EngineMessage(await response.Content.ReadAsStringAsync(cancellationToken));
            throw new Pushing.PushException(message, Pushing.PushException.IsTransient(message) && (int)response.StatusCode >= 500);
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string? digest = null;
        var retrying = new HashSet<string>();   // layers in the engine's own retry countdown ("Retrying in 5 seconds" ... "1 second")
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0) continue;
            using var message = System.Text.Json.JsonDocument.Parse(line);
            var root = message.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                var text = error.GetString() ?? "unknown error";
                throw new Pushing.PushException(text, Pushing.PushException.IsTransient(text));
            }
            if (root.TryGetProperty("aux", out var aux) && aux.ValueKind == System.Text.Json.JsonValueKind.Object && aux.TryGetProperty("Digest", out var d))
                digest = d.GetString();
            else if (root.TryGetProperty("status", out var status) && status.GetString() is { } s)
            {
                // The containerd image store (Docker 26) sends no aux, only the CLI's last line: "TAG: digest: sha256:... size: N".
                if (digest is null && s.IndexOf(": digest: sha256:", StringComparison.Ordinal) is var at and > 0 && s[(at + 10)..].Split(' ')[0] is { Length: 71 } named)
                    digest = named;
                var layer = root.TryGetProperty("id", out var id) ? id.GetString() ?? "" : "";
                if (s.StartsWith("Retrying in", StringComparison.Ordinal))
                {
                    // The engine retries a layer the registry failed, up to 5 times over about 50 s: said once a round.
                    if (retrying.Add(layer)) log($"   {layer}: the registry failed this layer; the engine sends it again ({s.ToLowerInvariant()})");
                    continue;
                }
                retrying.Remove(layer);
                if (s.StartsWith("Pushed", StringComparison.Ordinal) || s.StartsWith("Mounted", StringComparison.Ordinal) || s.Contains("digest:", StringComparison.Ordinal))
                    log($"   {(layer.Length > 0 ? layer + ": " : "")}{s}");
            }
        }
        return digest ?? throw new Pushing.PushException($"the engine finished pushing {reference} without a digest", transient: true);
    }

    /// <summary>The images that carry a label with a value, newest first.</summary>
    public async Task<IReadOnlyList<string>> FindImagesByLabelAsync(string label, string value, CancellationToken cancellationToken = default) =>
        (await Client.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{label}={value}"] = true } },
        }, cancellationToken)).OrderByDescending(i => i.Created).Select(i => i.ID).ToList();

    /// <summary>Pulls an image from its registry; returns its id. A failure names the reference and the engine's reason.</summary>
    public async Task<string> PullAsync(ImageReference reference, Registry.RegistryCredentials? credentials, CancellationToken cancellationToken = default)
    {
        var query = $"fromImage={Uri.EscapeDataString(reference.Repository)}&tag={Uri.EscapeDataString(reference.Digest ?? reference.Tag ?? "latest")}";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1.41/images/create?{query}");
        request.Headers.Add("X-Registry-Auth", credentials?.EngineAuthHeader(reference.Registry) ?? "e30=");
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var error = body.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('{'))
            .Select(l => { using var j = System.Text.Json.JsonDocument.Parse(l); return j.RootElement.TryGetProperty("error", out var e) ? e.GetString() : null; })
            .FirstOrDefault(e => e is not null);
        if (!response.IsSuccessStatusCode || error is not null)
            throw new ContainerException($"Pulling {reference} failed: {error ?? ImageBuilder.EngineMessage(body)}");
        return (await InspectImageAsync(reference, cancellationToken))?.ID ?? throw new ContainerException($"The engine pulled {reference} but does not know it afterwards.");
    }

    /// <summary>
    /// The image as an archive (<c>GET /images/{name}/get</c>), streamed as the engine writes it; the caller reads and
    /// disposes it.
    /// </summary>
    public async Task<Stream> ExportAsync(string image, CancellationToken cancellationToken = default)
    {
        if (await InspectImageAsync(image, cancellationToken) is null)
            throw new ContainerException($"The engine has no image {image}: it was removed after it was built, perhaps by another run or a prune. Build it again.");
        var response = await Http.GetAsync($"v1.41/images/{Uri.EscapeDataString(image)}/get", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var message = ImageBuilder.EngineMessage(await response.Content.ReadAsStringAsync(cancellationToken));
            response.Dispose();
            throw new ContainerException($"Exporting {image} from the engine failed: {message}");
        }
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    /// <summary>
    /// Loads an image archive (<c>POST /images/load</c>) that <paramref name="write"/> writes as the engine reads it; an
    /// error the engine reports is a <see cref="ContainerException"/> with its reason.
    /// </summary>
    public async Task LoadAsync(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        var pipe = new System.IO.Pipelines.Pipe();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writing = Task.Run(async () =>
        {
            await using var stream = pipe.Writer.AsStream();
            try
            {
                await write(stream, linked.Token);
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
                throw;
            }
        }, linked.Token);
        string body;
        try
        {
            using var content = new StreamContent(pipe.Reader.AsStream());
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
            using var response = await Http.PostAsync("v1.41/images/load?quiet=1", content, linked.Token);
            body = await response.Content.ReadAsStringAsync(linked.Token);
            if (!response.IsSuccessStatusCode) throw new ContainerException($"The engine refused the image archive: {ImageBuilder.EngineMessage(body)}");
        }
        catch
        {
            await linked.CancelAsync();
            try { await writing; } catch (Exception) { /* the load's own error is the one to tell */ }
            throw;
        }
        await writing;
        foreach (var line in body.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('{')))
        {
            using var message = System.Text.Json.JsonDocument.Parse(line);
            if (message.RootElement.TryGetProperty("error", out var error))
                throw new ContainerException($"The engine refused the image archive: {error.GetString()}");
        }
    }

    /// <summary>Tags an image (by id) with a full reference, moving the tag if it was on another image.</summary>
    public Task TagAsync(string imageId, ImageReference reference, CancellationToken cancellationToken = default) =>
        Client.Images.TagImageAsync(imageId, new ImageTagParameters { RepositoryName = reference.Repository, Tag = reference.Tag }, cancellationToken);

    /// <summary>
    /// Removes an image that the pipeline built when no tag and no container uses it any more; leaves it when
    /// something does, or when it was not built by this product.
    /// </summary>
    /// <param name="imageId">The image.</param>
    /// <param name="ownLabels">The labels that mark an image as this product's; the built-by and run labels when not given.</param>
    /// <param name="cancellationToken">Stops the removal.</param>
    public async Task RemoveIfUnusedAsync(string imageId, IReadOnlyCollection<string>? ownLabels = null, CancellationToken cancellationToken = default)
    {
        var image = await InspectImageAsync(imageId, cancellationToken);
        if (image is null || image.RepoTags is { Count: > 0 }) return;
        var labels = image.Config?.Labels;
        if (labels is null || !(ownLabels ?? [ResourceLabels.BuiltBy, ResourceLabels.Run]).Any(labels.ContainsKey)) return;
        try
        {
            await Client.Images.DeleteImageAsync(imageId, new ImageDeleteParameters(), cancellationToken);
        }
        catch (DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
        {
            // A container or a child image still uses it, or another run removed it first.
        }
    }

    /// On the containerd image store the legacy builder keeps each step's image as an untagged image of its own. The
    /// graph driver's store keeps them as the built image's hidden parents and removes them with it; the containerd
    /// store removes them with it only at times (Docker 26.1: a run of its specs left 8 such images, each time): they
    /// go once the build is done. They are the legacy builder's cache, so there it caches nothing between builds; that
    /// builder is deprecated there, and BuildKit, its default, keeps its cache apart from the images.
    private async Task<BuildOutput> RemoveStepImagesAsync(BuildOutput output)
    {
        if (output.StepImages.Count == 0 || await ImageStoreAsync(CancellationToken.None) != "containerd") return output;
        foreach (var id in output.StepImages)
        {
            var image = await InspectImageAsync(id, CancellationToken.None);
            if (image is null || image.ID == output.ImageId || image.RepoTags is { Count: > 0 }) continue;
            try
            {
                await Client.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters(), CancellationToken.None);
            }
            catch (DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
            {
                // A container uses it, or a concurrent build of the same steps removed it first.
            }
        }
        return output;
    }

    /// <summary>
    /// Trims the engine's build cache to at most <paramref name="keepBytes"/> (the least recently used records go
    /// first); returns the bytes freed.
    /// </summary>
    public async Task<long> PruneBuildCacheAsync(long keepBytes, CancellationToken cancellationToken = default)
    {
        using var response = await Http.PostAsync($"v1.41/build/prune?keep-storage={keepBytes}", null, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new ContainerException($"The engine refused to prune its build cache ({(int)response.StatusCode}): {ImageBuilder.EngineMessage(body)}");
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty("SpaceReclaimed", out var freed) ? freed.GetInt64() : 0;
    }

    /// <summary>
    /// Removes the dangling images this product built (untagged, labelled <see cref="ResourceLabels.BuiltBy"/>); returns
    /// how many. Working images of a run (labelled <see cref="ResourceLabels.Run"/>) are that run's, and its reaper's.
    /// </summary>
    public async Task<int> RemoveDanglingImagesAsync(CancellationToken cancellationToken = default)
    {
        var images = await Client.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["dangling"] = new Dictionary<string, bool> { ["true"] = true },
                ["label"] = new Dictionary<string, bool> { [ResourceLabels.BuiltBy] = true },
            },
        }, cancellationToken);
        var removable = images.Where(i => i.Labels?.ContainsKey(ResourceLabels.Run) != true).ToList();
        foreach (var image in removable) await RemoveIfUnusedAsync(image.ID, cancellationToken: cancellationToken);
        return removable.Count;
    }

    /// <summary>
    /// Runs a command in a new container of the image, waits for it, and removes the container, also when cancelled.
    /// The container gets the host's network (apps listen on 127.0.0.1) or none.
    /// </summary>
    public async Task<ContainerRun> RunAsync(string image, IReadOnlyList<string>? command = null, bool hostNetwork = false, CancellationToken cancellationToken = default)
    {
        await using var container = await CreateAndStartAsync(image, command, null, hostNetwork, cancellationToken);
        var wait = await Client.Containers.WaitContainerAsync(container.Id, cancellationToken);
        var (stdout, stderr) = await ReadLogsAsync(container.Id, cancellationToken);
        return new ContainerRun(wait.StatusCode, stdout, stderr);
    }

    /// <summary>
    /// Starts a container of the image in the background on the host's network (its apps listen on 127.0.0.1);
    /// disposing the handle stops and removes it.
    /// </summary>
    public Task<RunningContainer> StartAsync(string image, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? command = null, CancellationToken cancellationToken = default) =>
        CreateAndStartAsync(image, command, environment, hostNetwork: true, cancellationToken);

    private async Task<RunningContainer> CreateAndStartAsync(string image, IReadOnlyList<string>? command,
        IReadOnlyDictionary<string, string>? environment, bool hostNetwork, CancellationToken cancellationToken)
    {
        var created = await Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Cmd = command?.ToList() ?? [],
            Env = environment?.Select(e => $"{e.Key}={e.Value}").ToList() ?? [],
            HostConfig = new HostConfig { NetworkMode = hostNetwork ? "host" : "none" },
            Labels = new Dictionary<string, string> { [ResourceLabels.Run] = ResourceLabels.RunId },
        }, cancellationToken);
        var container = new RunningContainer(this, created.ID);
        try
        {
            await Client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            return container;
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }

    internal async Task<(string Stdout, string Stderr)> ReadLogsAsync(string containerId, CancellationToken cancellationToken)
    {
        using var logs = await Client.Containers.GetContainerLogsAsync(containerId,
            new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, cancellationToken);
        return await logs.ReadOutputToEndAsync(cancellationToken);
    }

    /// <summary>Creates an image from a root file system tar (the engine's import), such as one debootstrap made.</summary>
    public async Task ImportAsync(Stream rootFileSystemTar, ImageReference reference, IReadOnlyList<string> changes, CancellationToken cancellationToken = default)
    {
        string? error = null;
        await Client.Images.CreateImageAsync(
            new ImagesCreateParameters { FromSrc = "-", Repo = reference.Repository, Tag = reference.Tag ?? "latest", Changes = changes.ToList() },
            rootFileSystemTar, new AuthConfig(), new SyncProgress<JSONMessage>(m => error ??= m.Error?.Message), cancellationToken);
        if (error is not null) throw new ContainerException($"Importing {reference} failed: {error}");
    }

    /// <summary>The ids of the containers this process's run made that still exist, running or not.</summary>
    public async Task<IReadOnlyList<string>> OwnContainerIdsAsync(CancellationToken cancellationToken = default) =>
        (await Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{ResourceLabels.Run}={ResourceLabels.RunId}"] = true } },
        }, cancellationToken)).Select(c => c.ID).ToList();

    /// <inheritdoc />
    public void Dispose()
    {
        Http.Dispose();
        Client.Dispose();
    }
}

/// <summary>A container started in the background; disposing it stops and removes it.</summary>
public sealed class RunningContainer(ContainerEngine engine, string id) : IAsyncDisposable
{
    /// <summary>The container's id.</summary>
    public string Id { get; } = id;

    /// <summary>What the container has printed so far.</summary>
    public async Task<string> LogsAsync(CancellationToken cancellationToken = default)
    {
        var (stdout, stderr) = await engine.ReadLogsAsync(Id, cancellationToken);
        return stdout + stderr;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() =>
        await engine.Client.Containers.RemoveContainerAsync(Id, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
}

/// <summary>What a container run printed and how it exited.</summary>
public sealed record ContainerRun(long ExitCode, string StandardOutput, string StandardError);
