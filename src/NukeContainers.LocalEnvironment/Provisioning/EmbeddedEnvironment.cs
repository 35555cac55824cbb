using NukeContainers.Engine;
using NukeContainers.Utils;

namespace NukeContainers.Provisioning;

/// <summary>
/// The embedded environment: Debian's docker.io engine and docker-registry, installed and started by this product as
/// root on Debian or Ubuntu, with all their state in one folder (<see cref="EmbeddedEnvironmentOptions.StateDirectory"/>),
/// and reused by later runs. Only an explicit call provisions: finding an engine is <see cref="EngineDiscovery"/>'s job,
/// which never installs anything.
/// </summary>
public static class EmbeddedEnvironment
{
    /// <summary>
    /// Finds an engine (<see cref="EngineDiscovery.Default"/>) or installs and starts the embedded one. Safe to call
    /// from several processes at once; touches the state folder only when it has something to start.
    /// </summary>
    public static async Task<ProvisionedEngine> EnsureEngineAsync(EmbeddedEnvironmentOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedEnvironmentOptions();
        var discovery = options.Discovery ?? EngineDiscovery.Default(options.StateDirectory);
        if (await discovery.FindAsync(cancellationToken) is { } found) return new ProvisionedEngine(found, Started: false);

        RequireDebianRoot(options, $"No Docker engine answers (looked at: {string.Join("; ", discovery.Providers.Select(p => p.Describe()))})");
        Directory.CreateDirectory(options.StateDirectory);
        await using var _ = await FileLock.AcquireAsync(Path.Combine(options.StateDirectory, ".lock"), cancellationToken, options.Log);
        // Another process may have started it while this one waited for the lock.
        if (await discovery.FindAsync(cancellationToken) is { } meanwhile) return new ProvisionedEngine(meanwhile, Started: false);
        return new ProvisionedEngine(await StartEngineAsync(options, cancellationToken), Started: true);
    }

    /// <summary>
    /// Checks that the registry at <paramref name="address"/> (<c>host:port</c>) answers; when it does not and it is
    /// the embedded registry's address on this machine, installs and starts Debian's docker-registry there.
    /// Returns true when it started one.
    /// </summary>
    public static async Task<bool> EnsureRegistryAsync(string address, EmbeddedEnvironmentOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedEnvironmentOptions();
        if (await RegistryAnswersAsync(address, cancellationToken)) return false;
        if (!IsLoopback(address))
            throw new ContainerException($"The registry {address} does not answer at http(s)://{address}/v2/. Check the --registry value, the network, and that the registry runs.");
        RequireDebianRoot(options, $"No registry answers at http://{address}/v2/");
        Directory.CreateDirectory(options.StateDirectory);
        await using var _ = await FileLock.AcquireAsync(Path.Combine(options.StateDirectory, ".lock"), cancellationToken, options.Log);
        if (await RegistryAnswersAsync(address, cancellationToken)) return false;
        await StartRegistryAsync(address, options, cancellationToken);
        return true;
    }

    /// <summary>
    /// Starts a new, empty engine of its own in <paramref name="stateDirectory"/> (images, cache, socket), as a CI runner
    /// starts with one: for benchmarks and tests of what an empty engine does. Disposing it stops it and removes its state.
    /// </summary>
    public static async Task<TemporaryEngine> StartTemporaryEngineAsync(string stateDirectory, Action<string>? log = null, CancellationToken cancellationToken = default) =>
        await StartTemporaryEngineAsync(stateDirectory, tlsPort: null, log, cancellationToken);

    /// <summary>A new, empty engine of the given kind (Debian 13's Docker 26 with the containerd store too), as <see cref="StartTemporaryEngineAsync(string, Action{string}?, CancellationToken)"/>.</summary>
    public static async Task<TemporaryEngine> StartTemporaryEngineAsync(string stateDirectory, EmbeddedEngine engine, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var options = new EmbeddedEnvironmentOptions { StateDirectory = stateDirectory, Engine = engine, Log = log ?? (_ => { }) };
        RequireDebianRoot(options, "A temporary engine is asked for");
        Directory.CreateDirectory(stateDirectory);
        return new TemporaryEngine(await StartEngineAsync(options, cancellationToken), stateDirectory);
    }

    /// <summary>
    /// Starts a temporary engine that also listens on 127.0.0.1:<paramref name="tlsPort"/> with TLS, as a remote engine
    /// does (<c>--tlsverify</c>: it wants a client certificate signed by its CA). The CA, the engine's certificate and
    /// a client certificate are made for it, in <c>tls/</c> of its state folder (the client's as the docker CLI names
    /// them: ca.pem, cert.pem, key.pem).
    /// </summary>
    public static async Task<TemporaryEngine> StartTemporaryEngineAsync(string stateDirectory, int? tlsPort, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var options = new EmbeddedEnvironmentOptions { StateDirectory = stateDirectory, Log = log ?? (_ => { }) };
        RequireDebianRoot(options, "A temporary engine is asked for");
        Directory.CreateDirectory(stateDirectory);
        string[] tcp = [];
        EngineEndpoint? overTls = null;
        if (tlsPort is { } port)
        {
            var folder = Path.Combine(stateDirectory, "tls");
            var client = EngineCertificates.Create(folder, TimeSpan.FromDays(1));
            tcp = TlsListener(port, client, folder);
            overTls = EngineEndpoint.OverTcp("127.0.0.1", port, client, "a temporary engine over TLS");
        }
        var endpoint = await StartEngineAsync(options, cancellationToken, tcp);
        return new TemporaryEngine(endpoint, stateDirectory) { TlsEndpoint = overTls };
    }

    /// <summary>
    /// Makes the embedded engine also listen on 127.0.0.1:<paramref name="port"/> with TLS (<c>--tlsverify</c>), as a
    /// remote or CI engine does, so that the TLS route can be used and tested against the real engine. The CA, the
    /// engine's certificate and a client certificate are made in <c>tls/</c> of the state folder (the client's as the
    /// docker CLI names them: ca.pem, cert.pem, key.pem; valid a year, kept while valid). An engine that runs without
    /// that listener is restarted (its running containers stop); the setting is kept, so later starts listen there too.
    /// Returns the TLS endpoint; its <see cref="EngineEndpoint.Tls"/> names the client's files.
    /// </summary>
    public static async Task<EngineEndpoint> ExposeTlsAsync(int port, EmbeddedEnvironmentOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedEnvironmentOptions();
        if (port is < 1 or > 65535) throw new ContainerException($"--expose-tls {port}: a TCP port is 1 to 65535 (the docker CLI's TLS port is 2376).");
        RequireDebianRoot(options, $"Exposing the embedded engine on 127.0.0.1:{port} with TLS is asked for");
        Directory.CreateDirectory(options.StateDirectory);
        await using var _ = await FileLock.AcquireAsync(Path.Combine(options.StateDirectory, ".lock"), cancellationToken, options.Log);
        var folder = Path.Combine(options.StateDirectory, "tls");
        var tls = EngineCertificates.ValidIn(folder, TimeSpan.FromDays(1)) ?? EngineCertificates.Create(folder, TimeSpan.FromDays(365));
        var endpoint = EngineEndpoint.OverTcp("127.0.0.1", port, tls, "the embedded engine over TLS");
        var setting = Path.Combine(options.StateDirectory, TlsPortSetting);
        var kept = File.Exists(setting) && (await File.ReadAllTextAsync(setting, cancellationToken)).Trim() == port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(setting, port.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        if (await UnixHttp.PingAsync(options.EngineSocket, cancellationToken))
        {
            if (kept && await AnswersAsync(endpoint, cancellationToken)) return endpoint;
            options.Log($"Restarting the embedded engine so that it also listens on 127.0.0.1:{port} with TLS (its running containers stop)");
            await StopEngineAsync(options.StateDirectory);
        }
        await StartEngineAsync(options, cancellationToken);
        using var engine = ContainerEngine.Connect(endpoint);
        await engine.PingAsync(cancellationToken);
        return endpoint;
    }

    /// The file in the state folder that keeps the TLS port the embedded engine listens on.
    private const string TlsPortSetting = "tls-port";

    private static async Task<bool> AnswersAsync(EngineEndpoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var engine = ContainerEngine.Connect(endpoint);
            await engine.PingAsync(cancellationToken);
            return true;
        }
        catch (ContainerException)
        {
            return false;
        }
    }

    /// Stops the engine whose pid file is in the state folder, and waits for it to go (at most 30 s).
    internal static async Task StopEngineAsync(string stateDirectory)
    {
        var pidFile = Path.Combine(stateDirectory, "docker.pid");
        if (!File.Exists(pidFile) || !int.TryParse(await File.ReadAllTextAsync(pidFile), out var pid)) return;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            await Shell.RunAsync("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], CancellationToken.None, check: false);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (ArgumentException)
        {
            // already gone
        }
    }

    private static async Task<EngineEndpoint> StartEngineAsync(EmbeddedEnvironmentOptions options, CancellationToken cancellationToken, params string[] listen)
    {
        // The TLS listener ExposeTlsAsync asked for, on every start of this state folder's engine.
        var setting = Path.Combine(options.StateDirectory, TlsPortSetting);
        var folder = Path.Combine(options.StateDirectory, "tls");
        if (listen.Length == 0 && File.Exists(setting) && int.TryParse(await File.ReadAllTextAsync(setting, cancellationToken), out var tlsPort) && EngineCertificates.ValidIn(folder, TimeSpan.Zero) is { } tls)
            listen = TlsListener(tlsPort, tls, folder);
        var state = options.StateDirectory;
        string[] daemon;
        if (options.Engine == EmbeddedEngine.Docker26)
        {
            // Debian 13's engine, unpacked in the state folder (never installed over the system's), with Debian 12's
            // runc (13's needs a newer glibc) and 13's containerd first on its PATH; the containerd image store on.
            await DebianPackages.EnsureInstalledAsync(options.Log, cancellationToken, "runc");
            var root = await UnpackDocker26Async(options.Log, cancellationToken);
            var config = Path.Combine(state, "daemon.json");
            await File.WriteAllTextAsync(config, """{ "features": { "containerd-snapshotter": true } }""" + "\n", cancellationToken);
            daemon = ["env", $"PATH={Path.Combine(root, "usr/bin")}:{Path.Combine(root, "usr/sbin")}:/usr/sbin:/usr/bin:/sbin:/bin",
                Path.Combine(root, "usr/sbin/dockerd"), "--config-file", config];
            options.Log($"Starting dockerd 26 (Debian 13's docker.io, the containerd image store) with its state in {state}; its log is {Path.Combine(state, "dockerd.log")}");
        }
        else
        {
            await DebianPackages.EnsureInstalledAsync(options.Log, cancellationToken, "docker.io");
            daemon = ["dockerd", "--storage-driver=overlay2"];
            options.Log($"Starting dockerd (Debian's docker.io) with its state in {state}; its log is {Path.Combine(state, "dockerd.log")}");
        }
        await StartDetachedAsync(Path.Combine(state, "dockerd.log"), cancellationToken,
            [.. daemon, "--iptables=false", "--ip6tables=false", "--bridge=none",
            "--data-root", Path.Combine(state, "docker"), "--exec-root", Path.Combine(state, "exec"),
            "-H", "unix://" + options.EngineSocket, .. listen, "--pidfile", Path.Combine(state, "docker.pid")]);
        await WaitUntilAsync(() => UnixHttp.PingAsync(options.EngineSocket, cancellationToken), "dockerd", Path.Combine(state, "dockerd.log"), cancellationToken);
        return new EngineEndpoint(options.EngineSocket, options.Engine == EmbeddedEngine.Docker26 ? "the embedded Docker 26 engine" : "the embedded engine");
    }

    /// Debian 13's packages of the Docker 26 engine and the tools held against it.
    private static readonly string[] Docker26Packages = ["docker.io", "containerd", "docker-buildx", "cosign", "oras"];

    /// Into the embedded Docker 26 engine's state folder, whichever engine asks (a temporary one shares them).
    private static Task<string> UnpackDocker26Async(Action<string> log, CancellationToken cancellationToken) =>
        DebianPackages.UnpackFromReleaseAsync(Path.Combine(EmbeddedEnvironmentOptions.Docker26(log).StateDirectory, "packages"), "trixie", Docker26Packages, log, cancellationToken);

    /// <summary>
    /// The root Debian 13's packages of the Docker 26 engine are unpacked into (downloaded the first time): its
    /// <c>usr/bin</c> has the peers the product is held against, cosign, oras and docker-buildx.
    /// </summary>
    public static Task<string> ModernToolsAsync(Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        return UnpackDocker26Async(log ?? Console.WriteLine, cancellationToken);
    }

    /// dockerd's arguments for a TLS listener on 127.0.0.1 that wants a client certificate signed by the CA.
    private static string[] TlsListener(int port, EngineTls client, string folder) =>
        ["-H", $"tcp://127.0.0.1:{port}", "--tlsverify", "--tlscacert", client.CaCertificate,
            "--tlscert", Path.Combine(folder, "server-cert.pem"), "--tlskey", Path.Combine(folder, "server-key.pem")];

    private static async Task StartRegistryAsync(string address, EmbeddedEnvironmentOptions options, CancellationToken cancellationToken)
    {
        await DebianPackages.EnsureInstalledAsync(options.Log, cancellationToken, "docker-registry");
        var folder = RegistryFolder(address, options);
        Directory.CreateDirectory(folder);
        var config = Path.Combine(folder, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {Path.Combine(folder, "data")}
              delete:
                enabled: true
            http:
              addr: {address}
            """, cancellationToken);
        options.Log($"Starting docker-registry (Debian's Distribution registry) on {address}, storing in {folder}/data");
        var log = Path.Combine(folder, "registry.log");
        await StartDetachedAsync(log, cancellationToken, "docker-registry", "serve", config);
        await WaitUntilAsync(() => RegistryAnswersAsync(address, cancellationToken), "docker-registry", log, cancellationToken);
    }

    /// <summary>
    /// The folder of the embedded registry at an address: its config, log and storage, one folder an address, so a
    /// registry started at another port never serves (or rewrites) another address's images.
    /// </summary>
    public static string RegistryFolder(string address, EmbeddedEnvironmentOptions options) =>
        Path.Combine(options.StateDirectory, "registries", address.Replace(':', '_'));

    /// <summary>True when a Distribution registry answers /v2/ at the address: 200, or 401 when it asks for credentials.</summary>
    public static async Task<bool> RegistryAnswersAsync(string address, CancellationToken cancellationToken)
    {
        foreach (var scheme in IsLoopback(address) ? new[] { "http" } : ["https", "http"])
        {
            try
            {
                using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
                using var response = await client.GetAsync($"{scheme}://{address}/v2/", cancellationToken);
                if (response.IsSuccessStatusCode || (int)response.StatusCode == 401) return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
            }
        }
        return false;
    }

    /// The engine treats 127.0.0.0/8 and localhost registries as plain HTTP; only those can be the embedded one.
    private static bool IsLoopback(string address) => Registry.RegistryClient.IsPlainHttp(address);

    private static void RequireDebianRoot(EmbeddedEnvironmentOptions options, string problem)
    {
        var osRelease = File.Exists("/etc/os-release") ? File.ReadAllText("/etc/os-release") : "";
        var debian = osRelease.Contains("ID=debian") || osRelease.Contains("ID=ubuntu") || osRelease.Contains("ID_LIKE=debian");
        if (Environment.IsPrivilegedProcess && debian && options.AllowStart) return;
        var why = !options.AllowStart ? "starting one is switched off"
            : !debian ? "this machine is not Debian or Ubuntu, where it could start one from Debian's packages"
            : "starting one needs root";
        throw new ContainerException(
            $"{problem}, and {why}. Start Docker and set DOCKER_HOST=unix:///path/to/docker.sock, and run a registry at the address you push to.");
    }

    /// Starts a daemon in its own session, so it outlives this build and is reused by the next.
    private static Task StartDetachedAsync(string logFile, CancellationToken cancellationToken, params string[] command) =>
        Shell.RunAsync("bash", ["-c", "setsid \"$@\" >\"$0\" 2>&1 </dev/null &", logFile, .. command], cancellationToken);

    private static async Task WaitUntilAsync(Func<Task<bool>> ready, string what, string logFile, CancellationToken cancellationToken)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(250, cancellationToken))
            if (await ready()) return;
        var log = File.Exists(logFile) ? Shell.Tail(await File.ReadAllTextAsync(logFile, cancellationToken), 15) : "(no log)";
        throw new ContainerException($"{what} did not answer within 60 s. The end of {logFile}:\n{log}");
    }
}

/// <summary>An engine started for a while: disposing it stops the daemon and removes its state folder.</summary>
public sealed class TemporaryEngine(EngineEndpoint endpoint, string stateDirectory) : IAsyncDisposable
{
    /// <summary>Where it answers.</summary>
    public EngineEndpoint Endpoint { get; } = endpoint;

    /// <summary>Its state folder.</summary>
    public string StateDirectory { get; } = stateDirectory;

    /// <summary>Where it also answers over TCP with TLS, when it was started so.</summary>
    public EngineEndpoint? TlsEndpoint { get; init; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await EmbeddedEnvironment.StopEngineAsync(StateDirectory);
        // An engine that was killed, or did not finish its stop, leaves mounts in its state folder (its network
        // namespace under exec/netns); unmounted first, or the folder cannot be removed.
        var prefix = Path.GetFullPath(StateDirectory).TrimEnd('/') + "/";
        var mounts = File.Exists("/proc/self/mountinfo")
            ? (await File.ReadAllLinesAsync("/proc/self/mountinfo")).Select(l => l.Split(' ')).Where(f => f.Length > 4 && f[4].StartsWith(prefix, StringComparison.Ordinal)).Select(f => f[4])
            : [];
        foreach (var mount in mounts.OrderByDescending(m => m.Length))
            await Shell.RunAsync("umount", ["-l", mount], CancellationToken.None, check: false);
        await Shell.RunAsync("rm", ["-rf", StateDirectory], CancellationToken.None, check: false);
    }
}

/// <summary>The engine found or started.</summary>
/// <param name="Endpoint">Where it answers.</param>
/// <param name="Started">True when this call started it.</param>
public sealed record ProvisionedEngine(EngineEndpoint Endpoint, bool Started);

/// <summary>Where the embedded environment keeps its state, and how it reports what it does.</summary>
public sealed record EmbeddedEnvironmentOptions
{
    /// <summary>The state folder when nothing else is said: NUKE_CONTAINERS_STATE, else /var/lib/nuke-containers.</summary>
    public static string DefaultStateDirectory => EngineDiscovery.EmbeddedStateDirectory;

    /// <summary>The one folder for the engine's and registry's state.</summary>
    public string StateDirectory { get; init; } = DefaultStateDirectory;

    /// <summary>Where to look for a running engine first; <see cref="EngineDiscovery.Default"/> when not set.</summary>
    public EngineDiscovery? Discovery { get; init; }

    /// <summary>The engine socket this environment starts, when none answers elsewhere.</summary>
    public string EngineSocket => Path.Combine(StateDirectory, "docker.sock");

    /// <summary>Which engine is started when none answers: Debian 12's docker.io (20.10), or Debian 13's (26.1).</summary>
    public EmbeddedEngine Engine { get; init; } = EmbeddedEngine.Debian12;

    /// <summary>
    /// The options of the embedded Docker 26 engine: its own state folder (<c>docker26/</c> of the default one) and
    /// socket, looked for there only (DOCKER_HOST and the system's socket name other engines).
    /// </summary>
    public static EmbeddedEnvironmentOptions Docker26(Action<string>? log = null)
    {
        var state = Path.Combine(DefaultStateDirectory, "docker26");
        return new EmbeddedEnvironmentOptions
        {
            StateDirectory = state, Engine = EmbeddedEngine.Docker26, Log = log ?? Console.WriteLine,
            Discovery = new EngineDiscovery([new SocketProvider(Path.Combine(state, "docker.sock"), "the embedded Docker 26 engine")]),
        };
    }

    /// <summary>When false, a missing engine or registry is an error instead of being installed and started.</summary>
    public bool AllowStart { get; init; } = true;

    /// <summary>Receives one line for each thing installed or started.</summary>
    public Action<string> Log { get; init; } = Console.WriteLine;
}

/// <summary>The engines the embedded environment can start.</summary>
public enum EmbeddedEngine
{
    /// <summary>Debian 12's docker.io: Docker 20.10 (API 1.41), BuildKit 0.8's frontend, the graph driver's image store.</summary>
    Debian12,

    /// <summary>Debian 13's docker.io, unpacked from its packages: Docker 26.1 (API 1.45), today's frontend, the containerd image store.</summary>
    Docker26,
}
