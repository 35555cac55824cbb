using System.Security.Cryptography;
using System.Text;
using NukeContainers.Building;
using NukeContainers.Engine;
using NukeContainers.Registry;

namespace NukeContainers.Session;

/// <summary>
/// A BuildKit session as the docker CLI opens one: <c>POST /session</c> upgraded to h2c, with headers naming the
/// session and every gRPC method it serves; from then on the engine is the HTTP/2 client on that connection and asks
/// the session for the context's files (FileSync), secrets, SSH agents and registry credentials while it builds. A
/// build names it with <c>session=ID&amp;remote=client-session</c>. Disposing it ends the connection.
/// </summary>
internal sealed class BuildSession : IAsyncDisposable
{
    private StreamConnection? _connection;
    private volatile bool _closing;

    private BuildSession(string name, string sharedKey, IReadOnlyDictionary<string, SyncedFolder> folders,
        IReadOnlyDictionary<string, ResolvedSecret> secrets, IReadOnlyDictionary<string, string> sshAgents,
        IReadOnlyDictionary<string, RegistryCredentials> credentials, Action<string> log)
    {
        Name = name;
        SharedKey = sharedKey;
        Folders = folders;
        Secrets = secrets;
        SshAgents = sshAgents;
        _credentials = credentials;
        Log = log;
    }

    private readonly IReadOnlyDictionary<string, RegistryCredentials> _credentials;

    /// <summary>The session's id: the build request's <c>session</c>, and the connection's id in the session host.</summary>
    public string Id { get; } = Guid.NewGuid().ToString("N");

    public string Name { get; }

    /// <summary>
    /// What makes the engine keep the context it synced for the next build of the same folder (its local source's
    /// shared key): the folder's path and this machine's build node id, as the docker CLI computes it.
    /// </summary>
    public string SharedKey { get; }

    public IReadOnlyDictionary<string, SyncedFolder> Folders { get; }

    public IReadOnlyDictionary<string, ResolvedSecret> Secrets { get; }

    public IReadOnlyDictionary<string, string> SshAgents { get; }

    public Action<string> Log { get; }

    /// <summary>
    /// Takes what an exporter sends the client (FileSend: the OCI archive of a build whose timestamps BuildKit rewrote),
    /// given the writer of its bytes as they come; null when the build exports nothing to the client.
    /// </summary>
    public Func<Func<Stream, CancellationToken, Task>, CancellationToken, Task>? ExportReceiver { get; set; }

    /// <summary>A secret's value, read when the session opens, and where it came from.</summary>
    internal sealed record ResolvedSecret(byte[] Value, string Source)
    {
        public override string ToString() => Source;
    }

    /// <summary>
    /// Whether the connection ended (or ends within <paramref name="grace"/>) without this side closing it: the engine
    /// went, or the connection was cut.
    /// </summary>
    public async Task<bool> WasCutAsync(TimeSpan grace)
    {
        if (_connection is null || _closing) return false;
        if (grace > TimeSpan.Zero) await Task.WhenAny(_connection.Closed, Task.Delay(grace));
        return _connection.Closed.IsCompleted && !_closing;
    }

    /// <summary>
    /// The session for a BuildKit build of a context: the context folder (filtered by .dockerignore) as <c>context</c>,
    /// the Dockerfile's folder as <c>dockerfile</c>, the build's secrets, SSH agents and registry credentials.
    /// Secrets are read here, so that a missing one fails before the engine is asked anything.
    /// </summary>
    public static BuildSession For(BuildContext context, BuildSettings settings, Action<string> log)
    {
        var secrets = settings.Secrets.ToDictionary(s => s.Key, s => new ResolvedSecret(s.Value.Read(s.Key), s.Value.ToString()), StringComparer.Ordinal);
        var agents = settings.SshAgents.ToDictionary(a => a.Key, a => AgentSocket(a.Key, a.Value ?? DefaultAgent(a.Key)), StringComparer.Ordinal);
        var folders = new Dictionary<string, SyncedFolder>(StringComparer.Ordinal)
        {
            ["context"] = new("context", context.Directory, context.Ignore),
            ["dockerfile"] = new("dockerfile", Path.GetDirectoryName(context.DockerfilePath)!, DockerIgnore.None),
        };
        return new BuildSession(Path.GetFileName(context.Directory.TrimEnd('/')), BuildSharedKey(context.Directory), folders, secrets, agents,
            settings.RegistryCredentials, log);
    }

    /// The agent's socket, which must be one now: a missing one would fail only when a RUN asks the agent, mid-build.
    private static string AgentSocket(string id, string socket)
    {
        Utils.FileKind? kind;
        try { kind = Utils.FileStatus.Of(socket)?.Kind ?? (File.Exists(socket) ? Utils.FileKind.Socket : null); }
        catch (IOException) { kind = null; }
        return kind is Utils.FileKind.Socket or Utils.FileKind.SymbolicLink ? socket
            : throw new ContainerException($"The build forwards the SSH agent '{id}' at {socket}, which {(kind is null ? "does not exist" : "is not a socket")}: " +
                                           "give an agent's socket (ssh-agent prints it as SSH_AUTH_SOCK), or 'default' for SSH_AUTH_SOCK's agent.");
    }

    private static string DefaultAgent(string id) =>
        Environment.GetEnvironmentVariable("SSH_AUTH_SOCK") is { Length: > 0 } socket ? socket
            : throw new ContainerException($"The build forwards the SSH agent '{id}' but SSH_AUTH_SOCK is not set: start an agent (eval $(ssh-agent); ssh-add) or give the agent's socket path.");

    /// <summary>
    /// Opens the session on a connection of its own. Returns null when it is open, and the engine's answer when the
    /// engine refuses it (an engine without sessions, or a proxy in front of it that does not pass upgrades).
    /// </summary>
    public async Task<string?> OpenAsync(ContainerEngine engine, CancellationToken cancellationToken)
    {
        // One header line a method: the engine reads each line as one method.
        var (stream, _, refusal) = await engine.UpgradeToH2cAsync("/v1.41/session",
        [
            $"X-Docker-Expose-Session-Uuid: {Id}", $"X-Docker-Expose-Session-Name: {HeaderValue(Name)}", $"X-Docker-Expose-Session-Sharedkey: {SharedKey}",
            .. Methods().Select(method => $"X-Docker-Expose-Session-Grpc-Method: {method}"),
        ], cancellationToken);
        if (stream is null) return refusal;
        try
        {
            _connection = await SessionHost.ServeAsync(this, stream, cancellationToken);
            return null;
        }
        catch
        {
            await stream.DisposeAsync();
            SessionHost.Forget(this);
            throw;
        }
    }

    /// The gRPC methods the session serves, as the engine checks them before it calls one.
    private IEnumerable<string> Methods()
    {
        yield return "/grpc.health.v1.Health/Check";
        yield return "/moby.filesync.v1.FileSync/DiffCopy";
        yield return "/moby.filesync.v1.FileSend/DiffCopy";
        yield return "/moby.buildkit.secrets.v1.Secrets/GetSecret";
        yield return "/moby.filesync.v1.Auth/Credentials";
        if (SshAgents.Count == 0) yield break;
        yield return "/moby.sshforward.v1.SSH/CheckAgent";
        yield return "/moby.sshforward.v1.SSH/ForwardAgent";
    }

    /// <summary>The credentials for a registry the engine pulls from: the build's own for it, else the docker config's.</summary>
    public async Task<RegistryCredentials?> FindCredentialsAsync(string host, CancellationToken cancellationToken)
    {
        if (_credentials.TryGetValue(host, out var given)) return given;
        // Docker Hub's credentials are kept under its index address, as the docker CLI keeps them.
        var key = host is "registry-1.docker.io" or "docker.io" ? "https://index.docker.io/v1/" : host;
        return await DockerConfig.FindAsync(key, cancellationToken: cancellationToken);
    }

    private static string HeaderValue(string text) => new(text.Select(c => c is < ' ' or > '~' ? '_' : c).ToArray());

    /// <summary>
    /// The docker CLI's shared key for a context folder: sha256 of "NODEID:FOLDER", NODEID kept in
    /// ~/.docker/.buildNodeID (made once, as the CLI makes it), so that our builds and the CLI's of one folder on one
    /// machine find the same synced copy. Without a writable ~/.docker, a key for this process only.
    /// </summary>
    private static string BuildSharedKey(string folder)
    {
        var node = NodeId();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{node}:{folder}")));
    }

    private static string? _nodeId;

    private static string NodeId()
    {
        if (_nodeId is not null) return _nodeId;
        var file = Path.Combine(Path.GetDirectoryName(DockerConfig.DefaultPath)!, ".buildNodeID");
        try
        {
            if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } existing) return _nodeId = existing;
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, id);
            return _nodeId = id;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return _nodeId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        }
    }

    public ValueTask DisposeAsync()
    {
        _closing = true;
        _connection?.Close();
        SessionHost.Forget(this);
        return ValueTask.CompletedTask;
    }
}
