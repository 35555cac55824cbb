using NukeContainers.Building;
using NukeContainers.Engine;
using NukeContainers.Provisioning;
using NukeContainers.Utils;

namespace NukeContainers.Tests;

/// The real engine and registry, found or provisioned through the project's own code, and a tiny base image
/// (busybox-static on scratch) that the tests build on. A missing engine fails the tests; it never skips them.
/// What the tests make carries this run's label and is removed at the end; what crashed runs left is removed at the start.
public sealed class EngineFixture : IAsyncLifetime
{
    public const string BaseImage = "nukecontainers-test/busybox:1";
    public const string RegistryAddress = "127.0.0.1:5000";

    public ContainerEngine Engine { get; private set; } = null!;
    public EngineEndpoint Endpoint { get; private set; } = null!;
    public List<string> Log { get; } = [];

    /// A repository no other test run uses, so that runs sharing one engine and registry never move each other's tags.
    /// The process id alone is not enough: the registry outlives runs, and a later run can get an earlier one's id
    /// (and find its version tags there).
    public static string Repository(string name) => $"nukecontainers-test/{name}-{RunSuffix}";

    /// The process id and a random part, the same for the whole run.
    public static readonly string RunSuffix = $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..^20];

    /// A pipeline whose images carry this run's label, so that the end of the run removes them.
    public static ImagePipeline Pipeline(string name) =>
        Containers.Image(Repository(name)).Label(ResourceLabels.Run, ResourceLabels.RunId);

    /// The repository's root (where NukeContainers.sln is), above the test assembly.
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NukeContainers.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No NukeContainers.sln above {AppContext.BaseDirectory}.");
    }

    /// Runs a command in a new container of the image and returns what it printed; a non-zero exit fails the test.
    public async Task<string> RunInImageAsync(string image, params string[] command)
    {
        var run = await Engine.RunAsync(image, command);
        Assert.True(run.ExitCode == 0, $"'{string.Join(' ', command)}' in {image} exited {run.ExitCode}: {run.StandardError}");
        return run.StandardOutput;
    }

    /// True while a process whose command line holds `sleep MARKER` runs on this machine (BuildKit runs RUN steps in
    /// its own runc: there is no container to list).
    public static async Task<bool> SleepIsRunning(int marker)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])))
        {
            try
            {
                if ((await File.ReadAllTextAsync(Path.Combine(dir, "cmdline"))).Replace('\0', ' ').Contains($"sleep {marker}")) return true;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return false;
    }

    /// A loopback port the system hands out (free when asked).
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task InitializeAsync()
    {
        var options = new EmbeddedEnvironmentOptions { Log = Log.Add };
        Endpoint = (await EmbeddedEnvironment.EnsureEngineAsync(options)).Endpoint;
        await EmbeddedEnvironment.EnsureRegistryAsync(RegistryAddress, options);
        Engine = ContainerEngine.Connect(Endpoint.SocketPath);
        await ResourceReaper.ReapDeadRunsAsync(Engine);
        await using var _ = await FileLock.AcquireAsync(Path.Combine(Path.GetTempPath(), "nukecontainers-test-base.lock"), CancellationToken.None);
        if (await Engine.InspectImageAsync(BaseImage) is null) await BuildBaseImageAsync();
    }

    private async Task BuildBaseImageAsync()
    {
        await DebianPackages.EnsureInstalledAsync(Log.Add, CancellationToken.None, "busybox-static");
        using var folder = new TempFolder().Write("Dockerfile", """
            FROM scratch
            COPY busybox /bin/busybox
            RUN ["/bin/busybox", "--install", "-s", "/bin"]
            """);
        File.Copy("/bin/busybox", Path.Combine(folder.Path, "busybox"));
        await Engine.BuildAsync(BuildContext.Create(folder.Path), new BuildSettings { Network = NetworkMode.None }, [BaseImage], _ => { });
    }

    public async Task DisposeAsync()
    {
        // An engine that never answered leaves nothing to reap (and its error is the one to read).
        if (Engine is null) return;
        await ResourceReaper.ReapOwnAsync(Engine);
        Engine.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine";
}
