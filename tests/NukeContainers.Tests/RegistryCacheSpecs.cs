using System.Text.Json.Nodes;
using NukeContainers.Caching;
using NukeContainers.Engine;
using NukeContainers.Images;
using NukeContainers.Provisioning;
using NukeContainers.Registry;

namespace NukeContainers.Tests;

/// The cache of every stage (mode=max) exported through BuildKit's Control API where the engine allows it (Docker 26's
/// containerd store), held against buildx 0.13's own mode=max export of the same build on the same engine, and taken
/// by a new engine that never built the image.
[Collection(EngineCollection.Name)]
public sealed class RegistryCacheSpecs(EngineFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempFolder _context = new();
    private readonly List<string> _log = [];
    private readonly List<(string Repository, string Digest)> _pushed = [];
    private RegistryBase _base = null!;
    private Buildx _buildx = null!;

    public async Task InitializeAsync()
    {
        // The base comes from the registry, as a CI runner's does: every engine here pulls the same one.
        _base = await RegistryBase.PushAsync(fixture.Engine, "max-base");
        _buildx = await Buildx.CreateAsync(output.WriteLine);
    }

    public async Task DisposeAsync()
    {
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        foreach (var (repository, digest) in _pushed) await registry.DeleteManifestAsync(repository, digest);
        await _base.DisposeAsync();
        _context.Dispose();
        _buildx.Dispose();
    }

    private async Task KeepAsync(string reference)
    {
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        var parsed = ImageReference.Parse(reference);
        if (await registry.DigestAsync(parsed.Path, parsed.Tag!) is { } digest) _pushed.Add((parsed.Path, digest));
    }

    /// The layers a registry cache (an index of layers and the cache config) names.
    private static async Task<IReadOnlyList<string>> CacheLayersAsync(string reference)
    {
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        var parsed = ImageReference.Parse(reference);
        var index = JsonNode.Parse((await registry.GetManifestAsync(parsed.Path, parsed.Tag!)).Body)!;
        Assert.Contains(index["manifests"]!.AsArray(), m => m!["mediaType"]!.GetValue<string>() == "application/vnd.buildkit.cacheconfig.v0");
        return index["manifests"]!.AsArray().Where(m => m!["mediaType"]!.GetValue<string>().Contains("layer", StringComparison.Ordinal))
            .Select(m => m!["digest"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task The_cache_of_every_stage_holds_the_layers_buildx_exports_with_mode_max_and_a_new_engine_builds_every_stage_from_it()
    {
        var modern = (await EmbeddedEnvironment.EnsureEngineAsync(EmbeddedEnvironmentOptions.Docker26(output.WriteLine))).Endpoint;
        using var engine = ContainerEngine.Connect(modern.SocketPath);
        _context.Write("app.txt", "first").Write("Dockerfile", $"""
            FROM {_base} AS build
            RUN echo {Guid.NewGuid():N} > /one
            COPY app.txt /app.txt
            RUN cat /app.txt > /built
            FROM {_base} AS runtime
            RUN echo two > /two
            COPY --from=build /built /built
            """);
        var repository = $"{EngineFixture.RegistryAddress}/{EngineFixture.Repository("max")}";
        ImagePipeline Pipeline() => Containers.Image(repository).FromDockerfile(_context.Path).WithLog(line => { _log.Add(line); output.WriteLine(line); })
            .Label(ResourceLabels.Run, ResourceLabels.RunId).RestoreCache(c => c with { Branch = "main" }).ExportCache("main").Push();

        var pushed = await Pipeline().RunAsync(engine);
        _pushed.Add((pushed.Image.Repository.Path, pushed.Image.Digest!));
        var ours = $"{repository}:buildcache-main.max";
        await KeepAsync(ours);
        try
        {
            // buildx's own export of the same build on the same engine (its cache: nothing is built again).
            var theirs = $"{repository}:buildx-max";
            await _buildx.DockerAsync(modern.Uri.ToString(), _context.Path, output.WriteLine,
                "buildx", "build", "--network", "host", "--output", "type=cacheonly", "--cache-to", $"type=registry,ref={theirs},mode=max", ".");
            await KeepAsync(theirs);

            Assert.Equal([ours], pushed.Step<ExportCacheResult>()!.Exported);
            Assert.Contains(_log, l => l.StartsWith($"Exporting the build cache of every stage (mode=max) to {ours}", StringComparison.Ordinal));
            var (ourLayers, theirLayers) = (await CacheLayersAsync(ours), await CacheLayersAsync(theirs));
            Assert.Equal(theirLayers, ourLayers);
            Assert.True(ourLayers.Count >= 4, $"the base's layer and the build stage's and the runtime's own: {string.Join(", ", ourLayers)}");

            // An engine that never built it (a new, empty Docker 26) takes the build stage from that cache. (A Debian 12
            // engine, BuildKit 0.8, takes nothing from a cache BuildKit 0.13 exported: tried, every step ran.)
            _context.Write("app.txt", "second");
            await using var fresh = await EmbeddedEnvironment.StartTemporaryEngineAsync(Path.Combine("/var/tmp", $"nc-fresh-engine-{Guid.NewGuid():N}"), EmbeddedEngine.Docker26, output.WriteLine);
            using var freshEngine = ContainerEngine.Connect(fresh.Endpoint.SocketPath);
            var rebuilt = await Pipeline().RunAsync(freshEngine);
            _pushed.Add((rebuilt.Image.Repository.Path, rebuilt.Image.Digest!));

            Assert.Contains(ours, rebuilt.Step<RestoreCacheResult>()!.Sources);
            var instructions = rebuilt.Build!.Output.Instructions;
            Assert.True(instructions.Single(i => i.Name.Contains("> /one", StringComparison.Ordinal)).Cached, string.Join("\n", instructions));
            Assert.False(instructions.Single(i => i.Name.Contains("COPY app.txt", StringComparison.Ordinal)).Cached, string.Join("\n", instructions));
        }
        finally
        {
            foreach (var tag in new[] { "buildcache-main" }) await engine.Client.Images.DeleteImageAsync($"{repository}:{tag}", new() { Force = true }).ContinueWith(_ => { });
            await engine.Client.Images.DeleteImageAsync(pushed.ImageId, new() { Force = true }).ContinueWith(_ => { });
        }
    }
}
