using NukeContainers.Utils;

namespace NukeContainers.Engine;

/// <summary>
/// The engine and registry a pipeline uses on this machine. <see cref="EnsureAsync"/> finds a running engine at
/// DOCKER_HOST or /var/run/docker.sock; otherwise, as root on Debian or Ubuntu, it installs Debian's docker.io and
/// docker-registry and starts them with their state in one folder (<see cref="LocalEnvironmentOptions.StateDirectory"/>),
/// reusing them on later runs.
/// </summary>
public sealed record LocalEnvironment(string EngineSocket, string Registry, bool StartedEngine, bool StartedRegistry)
{
    /// <summary>The engine's endpoint, as DOCKER_HOST would name it.</summary>
    public Uri EngineEndpoint => new("unix://" + EngineSocket);

    /// <summary>
    /// Finds or starts the engine and the registry. Safe to call from several processes at once; touches the state
    /// folder only when it has something to start.
    /// </summary>
    public static async Task<LocalEnvironment> EnsureAsync(LocalEnvironmentOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalEnvironmentOptions();
        var engine = await FindEngineAsync(options, cancellationToken);
        if (engine is not null && await RegistryAnswersAsync(options.RegistryAddress, cancellationToken))
            return new LocalEnvironment(engine, options.RegistryAddress, false, false);

        RequireDebianRoot(options, engine is null ? "Docker engine" : "registry");
        Directory.CreateDirectory(options.StateDirectory);
        await using var _ = await FileLock.AcquireAsync(Path.Combine(options.StateDirectory, ".lock"), cancellationToken);
        // Another process may have started them while this one waited for the lock.
        engine = await FindEngineAsync(options, cancellationToken);
        var startedEngine = engine is null;
        engine ??= await StartEngineAsync(options, cancellationToken);
        var startedRegistry = await EnsureRegistryAsync(options, cancellationToken);
        return new LocalEnvironment(engine, options.RegistryAddress, startedEngine, startedRegistry);
    }

    /// The engine at DOCKER_HOST (which must answer when set), /var/run/docker.sock, or the one started before.
    private static async Task<string?> FindEngineAsync(LocalEnvironmentOptions options, CancellationToken cancellationToken)
    {
        var dockerHost = options.DockerHost;
        if (!string.IsNullOrEmpty(dockerHost))
        {
            var path = dockerHost.StartsWith("unix://", StringComparison.Ordinal) ? dockerHost["unix://".Length..]
                : throw new ContainerException($"DOCKER_HOST={dockerHost}: only unix:// sockets are supported; point it at the engine's socket, such as unix:///var/run/docker.sock.");
            return await UnixHttp.PingAsync(path, cancellationToken) ? path
                : throw new ContainerException($"DOCKER_HOST={dockerHost} does not answer. Start that engine, or unset DOCKER_HOST to use (or start) a local one.");
        }

        foreach (var candidate in new[] { "/var/run/docker.sock", options.EngineSocket })
            if (await UnixHttp.PingAsync(candidate, cancellationToken))
                return candidate;
        return null;
    }

    private static async Task<string> StartEngineAsync(LocalEnvironmentOptions options, CancellationToken cancellationToken)
    {
        await DebianPackages.EnsureInstalledAsync(options.Log, cancellationToken, "docker.io");
        var state = options.StateDirectory;
        options.Log($"Starting dockerd (Debian's docker.io) with its state in {state}; its log is {Path.Combine(state, "dockerd.log")}");
        await StartDetachedAsync(Path.Combine(state, "dockerd.log"), cancellationToken,
            "dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=overlay2",
            "--data-root", Path.Combine(state, "docker"), "--exec-root", Path.Combine(state, "exec"),
            "-H", "unix://" + options.EngineSocket, "--pidfile", Path.Combine(state, "docker.pid"));
        await WaitUntilAsync(() => UnixHttp.PingAsync(options.EngineSocket, cancellationToken), "dockerd", Path.Combine(state, "dockerd.log"), cancellationToken);
        return options.EngineSocket;
    }

    private static async Task<bool> EnsureRegistryAsync(LocalEnvironmentOptions options, CancellationToken cancellationToken)
    {
        if (await RegistryAnswersAsync(options.RegistryAddress, cancellationToken)) return false;

        await DebianPackages.EnsureInstalledAsync(options.Log, cancellationToken, "docker-registry");
        var folder = Path.Combine(options.StateDirectory, "registry");
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
              addr: {options.RegistryAddress}
            """, cancellationToken);
        options.Log($"Starting docker-registry (Debian's Distribution registry) on {options.RegistryAddress}, storing in {folder}/data");
        var log = Path.Combine(folder, "registry.log");
        await StartDetachedAsync(log, cancellationToken, "docker-registry", "serve", config);
        await WaitUntilAsync(() => RegistryAnswersAsync(options.RegistryAddress, cancellationToken), "docker-registry", log, cancellationToken);
        return true;
    }

    /// A Distribution registry answers /v2/ with 200, or 401 when it asks for credentials.
    private static async Task<bool> RegistryAnswersAsync(string address, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            using var response = await client.GetAsync($"http://{address}/v2/", cancellationToken);
            return response.IsSuccessStatusCode || (int)response.StatusCode == 401;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static void RequireDebianRoot(LocalEnvironmentOptions options, string what)
    {
        var osRelease = File.Exists("/etc/os-release") ? File.ReadAllText("/etc/os-release") : "";
        var debian = osRelease.Contains("ID=debian") || osRelease.Contains("ID=ubuntu") || osRelease.Contains("ID_LIKE=debian");
        if (Environment.IsPrivilegedProcess && debian && options.AllowStart) return;
        var why = !options.AllowStart ? "starting one is switched off"
            : !debian ? "this machine is not Debian or Ubuntu, where it could start one from Debian's packages"
            : "starting one needs root";
        throw new ContainerException(
            $"No {what} answers (engine: DOCKER_HOST, /var/run/docker.sock or {options.EngineSocket}; registry: {options.RegistryAddress}), and {why}. " +
            "Start Docker and set DOCKER_HOST=unix:///path/to/docker.sock, and run a registry at the address you push to.");
    }

    /// Starts a daemon in its own session, so it outlives this build and is reused by the next.
    private static Task StartDetachedAsync(string logFile, CancellationToken cancellationToken, params string[] command) =>
        Shell.RunAsync("bash", ["-c", "setsid \"$@\" >\"$0\" 2>&1 </dev/null &", logFile, .. command], cancellationToken);

    private static async Task WaitUntilAsync(Func<Task<bool>> ready, string what, string logFile, CancellationToken cancellationToken)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(250, cancellationToken))
            if (await ready()) return;
        var log = File.Exists(logFile) ? Shell.Tail(await File.ReadAllTextAsync(cancellationToken: cancellationToken, path: logFile), 15) : "(no log)";
        throw new ContainerException($"{what} did not answer within 60 s. The end of {logFile}:\n{log}");
    }
}

/// <summary>Where the local environment keeps its state, and how it reports what it does.</summary>
public sealed record LocalEnvironmentOptions
{
    /// <summary>The one folder for the engine's and registry's state; NUKE_CONTAINERS_STATE overrides the default /var/lib/nuke-containers.</summary>
    public string StateDirectory { get; init; } = Environment.GetEnvironmentVariable("NUKE_CONTAINERS_STATE") is { Length: > 0 } state ? state : "/var/lib/nuke-containers";

    /// <summary>The engine the user named (DOCKER_HOST by default): when set, it must answer, and nothing is started.</summary>
    public string? DockerHost { get; init; } = Environment.GetEnvironmentVariable("DOCKER_HOST");

    /// <summary>The engine socket this environment starts, when none answers elsewhere.</summary>
    public string EngineSocket => Path.Combine(StateDirectory, "docker.sock");

    /// <summary>The registry's address; the engine treats 127.0.0.0/8 registries as plain HTTP.</summary>
    public string RegistryAddress { get; init; } = "127.0.0.1:5000";

    /// <summary>When false, a missing engine or registry is an error instead of being installed and started.</summary>
    public bool AllowStart { get; init; } = true;

    /// <summary>Receives one line for each thing installed or started.</summary>
    public Action<string> Log { get; init; } = Console.WriteLine;
}
