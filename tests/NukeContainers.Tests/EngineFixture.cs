using NukeContainers.Building;
using NukeContainers.Engine;
using NukeContainers.Utils;

namespace NukeContainers.Tests;

/// The real engine and registry, found or started through the project's own LocalEnvironment, and a tiny base
/// image (busybox-static on scratch) that the tests build on. A missing engine fails the tests; it never skips them.
public sealed class EngineFixture : IAsyncLifetime
{
    public const string BaseImage = "nukecontainers-test/busybox:1";

    public ContainerEngine Engine { get; private set; } = null!;
    public LocalEnvironment Environment { get; private set; } = null!;
    public List<string> Log { get; } = [];

    public async Task InitializeAsync()
    {
        Environment = await LocalEnvironment.EnsureAsync(new LocalEnvironmentOptions { Log = Log.Add });
        Engine = ContainerEngine.Connect(Environment.EngineSocket);
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

    public Task DisposeAsync()
    {
        Engine.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine";
}
