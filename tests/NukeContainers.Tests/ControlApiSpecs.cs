using NukeContainers.Building;
using NukeContainers.Engine;

namespace NukeContainers.Tests;

/// Builds through BuildKit's Control API (Solve and Status over the engine's /grpc endpoint, as buildx's docker
/// driver builds), held against the same build through the /build endpoint on the same engine.
[Collection(EngineCollection.Name)]
public sealed class ControlApiSpecs(EngineFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _context = new();
    private readonly List<string> _log = [];

    public void Dispose() => _context.Dispose();

    private ImagePipeline Pipeline(BuildKitApi api) =>
        Containers.Image($"{EngineFixture.Repository("control")}-{api.ToString().ToLowerInvariant()}").Label(ResourceLabels.Run, ResourceLabels.RunId)
            .FromDockerfile(_context.Path).ConfigureBuild(b => b with { Api = api }).WithLog(line => { _log.Add(line); output.WriteLine(line); });

    [Fact]
    public async Task A_build_through_the_Control_API_makes_the_image_the_build_endpoint_makes()
    {
        var marker = Guid.NewGuid().ToString("N");
        _context.Write(".dockerignore", "app/ignored.txt\n").Write("app/ignored.txt", "not sent").Write("app/hello.txt", "hello " + marker)
            .Write("Dockerfile", $"""
                FROM {EngineFixture.BaseImage} AS build
                ARG GREETING=hi
                COPY app /app
                RUN echo "$GREETING $(cat /app/hello.txt)" > /built && ls /app > /listing
                FROM {EngineFixture.BaseImage} AS runtime
                ENV MODE=production
                COPY --from=build /built /listing /out/
                CMD ["cat", "/out/built"]
                """);

        var viaBuild = await Pipeline(BuildKitApi.Build).BuildArg("GREETING", "yo").Target("runtime").Label("team", "web").RunAsync(fixture.Engine);
        var viaControl = await Pipeline(BuildKitApi.Control).BuildArg("GREETING", "yo").Target("runtime").Label("team", "web").RunAsync(fixture.Engine);

        Assert.Equal($"yo hello {marker}", (await fixture.RunInImageAsync(viaControl.ImageId, "cat", "/out/built")).Trim());
        Assert.Equal(await fixture.RunInImageAsync(viaBuild.ImageId, "cat", "/out/built", "/out/listing"), await fixture.RunInImageAsync(viaControl.ImageId, "cat", "/out/built", "/out/listing"));
        Assert.Equal("hello.txt", (await fixture.RunInImageAsync(viaControl.ImageId, "cat", "/out/listing")).Trim());   // .dockerignore holds
        var (built, controlled) = ((await fixture.Engine.Client.Images.InspectImageAsync(viaBuild.ImageId)).Config, (await fixture.Engine.Client.Images.InspectImageAsync(viaControl.ImageId)).Config);
        Assert.Equal(built?.Env, controlled?.Env);
        Assert.Equal(built?.Cmd, controlled?.Cmd);
        Assert.Equal("web", controlled?.Labels?["team"]);
        // The same instructions, as the progress of each route names them (cached ones come in another order on Docker 26);
        // the second build found them in the cache.
        Assert.Equal(viaBuild.Build!.Output.Instructions.Select(i => i.Name).Order(StringComparer.Ordinal), viaControl.Build!.Output.Instructions.Select(i => i.Name).Order(StringComparer.Ordinal));
        Assert.All(viaControl.Build.Output.Instructions, i => Assert.True(i.Cached, i.Name));
        Assert.Equal(viaControl.ImageId, viaControl.Build.Output.ExporterResponse["containerimage.digest"]);   // the image the exporter made
    }

    [Fact]
    public async Task A_cache_export_to_the_registry_goes_through_the_Control_API_where_the_engine_has_a_registry_cache_exporter()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage} AS build\nRUN echo {Guid.NewGuid():N} > /one\nFROM {EngineFixture.BaseImage}\nCOPY --from=build /one /one\n");
        var cache = $"{EngineFixture.RegistryAddress}/{EngineFixture.Repository("control-cache")}:max";

        var build = Pipeline(BuildKitApi.Build).CacheTo(cache).RunAsync(fixture.Engine);

        using var registry = new Registry.RegistryClient(EngineFixture.RegistryAddress, null);
        var reference = Images.ImageReference.Parse(cache);
        if (await fixture.Engine.ImageStoreAsync() == NukeContainers.Engine.ImageStore.Containerd)
        {
            await build;
            var digest = await registry.DigestAsync(reference.Path, reference.Tag!);
            Assert.NotNull(digest);
            Assert.Contains("application/vnd.buildkit.cacheconfig.v0", System.Text.Encoding.UTF8.GetString((await registry.GetManifestAsync(reference.Path, digest)).Body));
            await registry.DeleteManifestAsync(reference.Path, digest);
        }
        else
        {
            // Debian 12's 20.10 (its graph driver store) has no registry cache exporter: said before anything is tagged.
            var refused = await Assert.ThrowsAsync<ContainerException>(() => build);
            Assert.Contains("cannot export a build cache to a registry", refused.Message);
            Assert.Contains("unknown cache exporter", refused.Message);
            Assert.Null(await registry.DigestAsync(reference.Path, reference.Tag!));
        }
    }

    [Fact]
    public async Task A_failing_RUN_through_the_Control_API_names_the_instruction_its_error_and_its_output_and_tags_nothing()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} && echo 'about to fail' && exit 3\n");

        var error = await Assert.ThrowsAsync<ImageBuildException>(() => Pipeline(BuildKitApi.Control).RunAsync(fixture.Engine));

        Assert.Contains("RUN echo", error.Instruction);
        Assert.Contains("exit code: 3", error.Message);
        Assert.Contains("about to fail", error.Message);
    }

    [Fact]
    public async Task Cancelling_a_build_through_the_Control_API_stops_it_and_leaves_no_container()
    {
        var marker = Guid.NewGuid().ToString("N");
        var seconds = 600 + Random.Shared.Next(10_000);   // the sleep's own length finds its process
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {marker} && sleep {seconds}\n");
        using var cancel = new CancellationTokenSource();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var build = Pipeline(BuildKitApi.Control).WithLog(line => { if (line.Contains(marker, StringComparison.Ordinal)) cancel.CancelAfter(500); }).RunAsync(fixture.Engine, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => build);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the build stopped after {watch.Elapsed}");
        for (var wait = 0; wait < 20 && await EngineFixture.SleepIsRunning(seconds); wait++) await Task.Delay(500);
        Assert.False(await EngineFixture.SleepIsRunning(seconds), "the RUN's sleep still runs");
    }
}
