using NukeContainers.Engine;
using NukeContainers.Provisioning;

namespace NukeContainers.Tests;

/// A spec of a feature only one kind of image store has (several platforms under one index need containerd's; Docker
/// 20.10 keeps one platform an image). On the engine the run uses, a spec for the other kind is reported as skipped,
/// saying why, never as passed: ./build.sh Test runs the engine tier on both stores, so each such spec runs on one.
/// With no engine answering yet, the fixture starts the embedded Docker 20.10: the graph driver's store.
public sealed class StoreFactAttribute : FactAttribute
{
    public StoreFactAttribute(ImageStore store)
    {
        if (EngineStore.Value != store)
            Skip = $"needs an engine with the {Describe(store)} image store; the engine this run uses keeps its images in the {Describe(EngineStore.Value)} " +
                   "(./build.sh Test runs this tier on Docker 20.10 and on Docker 26, so the spec runs on the other)";
    }

    private static string Describe(ImageStore store) => store == ImageStore.Containerd ? "containerd" : "graph driver's";

    /// The store of the engine the fixture will connect to (found as EngineFixture finds it).
    public static readonly Lazy<ImageStore> EngineStore = new(() => Task.Run(async () =>
    {
        var found = await EngineDiscovery.Default(new EmbeddedEnvironmentOptions().StateDirectory).FindAsync(CancellationToken.None);
        if (found is null) return ImageStore.GraphDriver;
        using var engine = ContainerEngine.Connect(found.SocketPath);
        return await engine.ImageStoreAsync();
    }).GetAwaiter().GetResult());
}

public static class StoreFactExtensions
{
    /// The first line of a StoreFact spec: the engine the fixture connected to has the store the spec was discovered for.
    public static async Task RequireStoreAsync(this EngineFixture fixture, ImageStore store) =>
        Assert.True(await fixture.Engine.ImageStoreAsync() == store,
            $"this spec was discovered for the {store} store, and the engine at {fixture.Engine.Endpoint} keeps its images in another");
}
