using NukeContainers.Caching;
using NukeContainers.Engine;
using NukeContainers.Provisioning;
using NukeContainers.Registry;
using NukeContainers.Reporting;

namespace NukeContainers.Tests;

/// Restoring the build cache: the build skipped when its inputs did not change, cache sources from the registry used
/// by an engine that has never built the image, missing sources as warnings.
[Collection(EngineCollection.Name)]
public sealed class CacheSpecs(EngineFixture fixture) : IAsyncLifetime
{
    private readonly TempFolder _context = new();
    private readonly List<string> _log = [];
    private readonly List<(string Repository, string Digest)> _pushed = [];
    private readonly List<string> _tagged = [];   // tags of shared images, removed at the end (the images stay)

    /// Repositories without a registry name Docker Hub: no automatic sources there (this machine reaches no registry outside).
    private ImagePipeline Pipeline(string name) =>
        EngineFixture.Pipeline(name).FromDockerfile(_context.Path).WithLog(_log.Add).RestoreCache(c => c with { Automatic = false });

    [Fact]
    public async Task An_unchanged_build_is_skipped_a_change_to_a_sent_file_is_not_and_a_change_to_an_ignored_file_is()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY . /app\nRUN echo {Guid.NewGuid():N}\n")
            .Write("Dockerfile.naive", $"FROM {EngineFixture.BaseImage}\nCOPY . /app\nRUN head -c 300000 /dev/urandom > /padding\n")
            .Write(".dockerignore", "*.log\n").Write("app.txt", "a").Write("debug.log", "1");

        var first = await Pipeline("skip").CompareWith("Dockerfile.naive").RunAsync(fixture.Engine);
        // Reused: the image is not built, but its baseline is still said (a new clone has no report that said it): measured
        // before from the same inputs.
        var unchanged = await Pipeline("skip").CompareWith("Dockerfile.naive").RunAsync(fixture.Engine);
        _context.Write("debug.log", "2");                       // a byte of a file the .dockerignore drops
        var ignoredChange = await Pipeline("skip").CompareWith("Dockerfile.naive").RunAsync(fixture.Engine);
        _context.Write("app.txt", "b");                         // a byte of a file it keeps
        var sentChange = await Pipeline("skip").CompareWith("Dockerfile.naive").RunAsync(fixture.Engine);

        Assert.False(first.Step<RestoreCacheResult>()!.Skipped);
        Assert.True(unchanged.Step<RestoreCacheResult>()!.Skipped);
        Assert.True(unchanged.Build!.Reused);
        Assert.Equal(first.ImageId, unchanged.ImageId);
        // The same COPY, and the padding: 300,000 bytes more unpacked (the graph driver's size), about as many compressed
        // (the containerd store's size: random bytes do not compress; the layers' framing differs by some bytes).
        Assert.InRange(first.Build!.Baseline!.SizeBytes - first.Build.Image.SizeBytes, 299_000, 301_000);
        Assert.Equal(first.Build.Baseline?.SizeBytes, unchanged.Build.Baseline?.SizeBytes);
        // The baseline is built again only when its own inputs change: for the first run and the sent change.
        Assert.Equal(2, _log.Count(l => l.StartsWith("Building the baseline ", StringComparison.Ordinal)));
        Assert.Equal(2, _log.Count(l => l.Contains("measured before from the same inputs")));
        Assert.Equal(first.Build.Baseline?.SizeBytes, sentChange.Build!.Baseline?.SizeBytes);
        Assert.Equal("Dockerfile.naive", ContainerReport.From([unchanged], _context.Path).Images[0].Baseline()?.Dockerfile);
        Assert.True(ignoredChange.Step<RestoreCacheResult>()!.Skipped);
        Assert.False(sentChange.Step<RestoreCacheResult>()!.Skipped);
        Assert.NotEqual(first.ImageId, sentChange.ImageId);
        Assert.Contains(_log, l => l.StartsWith("Not building ", StringComparison.Ordinal) && l.Contains("its inputs are unchanged"));
        var cache = ContainerReport.From([unchanged], _context.Path).Images[0].Cache()!;
        Assert.True(cache.Skipped);
        Assert.Equal(first.Step<RestoreCacheResult>()!.InputDigest, cache.InputDigest);
    }

    /// Why it was rebuilt (issue 28.3): the files added, changed and removed since the image the engine built before,
    /// the Dockerfile and the build arguments, in the log and report.json; nothing of the kind for a reused image.
    [Fact]
    public async Task A_rebuilt_image_says_which_files_the_Dockerfile_and_build_arguments_changed_since_the_last_build()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nARG FLAVOUR\nCOPY . /app\nRUN echo {Guid.NewGuid():N}\n")
            .Write("src/main.txt", "1").Write("src/old.txt", "old").Write("README.md", "r");
        ImagePipeline Why(string flavour) => Pipeline("why").BuildArg("FLAVOUR", flavour);

        var first = await Why("plain").RunAsync(fixture.Engine);
        var unchanged = await Why("plain").RunAsync(fixture.Engine);
        _context.Write("src/main.txt", "2").Write("src/new.txt", "new");
        File.Delete(Path.Combine(_context.Path, "src/old.txt"));
        var edited = await Why("plain").RunAsync(fixture.Engine);
        _context.Write("Dockerfile", File.ReadAllText(Path.Combine(_context.Path, "Dockerfile")) + "LABEL team=web\n");
        var recipe = await Why("spicy").RunAsync(fixture.Engine);

        Assert.Null(first.Step<RestoreCacheResult>()!.Changes);      // nothing built before to compare with
        Assert.Null(unchanged.Step<RestoreCacheResult>()!.Changes);  // reused
        var files = edited.Step<RestoreCacheResult>()!.Changes!;
        Assert.Equal(["src/new.txt"], files.Added);
        Assert.Equal(["src/main.txt"], files.Changed);
        Assert.Equal(["src/old.txt"], files.Removed);
        Assert.False(files.Dockerfile);
        Assert.Equal(first.Step<RestoreCacheResult>()!.InputDigest, files.Previous);
        Assert.Contains(_log, l => l == $"Rebuilding {edited.Image.Repository}: 1 file changed (src/main.txt), 1 file added (src/new.txt), 1 file removed (src/old.txt) since {files.Previous[..19]}");
        var settings = recipe.Step<RestoreCacheResult>()!.Changes!;
        Assert.True(settings.Dockerfile);
        Assert.Equal(["FLAVOUR"], settings.BuildArgs);
        Assert.Equal(0, settings.AddedCount + settings.RemovedCount);
        Assert.Equal(["Dockerfile"], settings.Changed);   // the context sends the Dockerfile too
        Assert.Equal("1 file, Dockerfile, build args changed", settings.Short());
        using var reports = new TempFolder();
        var report = ContainerReport.Read(await ContainerReport.From([recipe], _context.Path).WriteAsync(reports.Path));
        Assert.Equal(["FLAVOUR"], report.Images.Single().Cache()!.Changes!.BuildArgs);
    }

    [Fact]
    public async Task A_base_image_rebuilt_under_the_same_tag_is_a_change()
    {
        // A base of this test's own, under one tag; then another image under that tag, as a rebuilt base would be.
        using var baseContext = new TempFolder();
        var baseTag = Images.ImageReference.Parse($"{EngineFixture.Repository("cache-rebuilt-base")}:1");
        async Task MakeBaseAsync(string content)
        {
            baseContext.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {content} > /base\n");
            var built = await EngineFixture.Pipeline("cache-rebuilt-base").FromDockerfile(baseContext.Path).WithLog(_ => { }).RunAsync(fixture.Engine);
            await fixture.Engine.TagAsync(built.ImageId, baseTag);
        }
        await MakeBaseAsync("one");
        _context.Write("Dockerfile", $"FROM {baseTag}\nRUN echo {Guid.NewGuid():N}\n");

        var first = await Pipeline("rebuilt-base").RunAsync(fixture.Engine);
        await MakeBaseAsync("two");
        var afterRebuild = await Pipeline("rebuilt-base").RunAsync(fixture.Engine);

        Assert.False(afterRebuild.Step<RestoreCacheResult>()!.Skipped);
        Assert.NotEqual(first.Step<RestoreCacheResult>()!.InputDigest, afterRebuild.Step<RestoreCacheResult>()!.InputDigest);
    }

    [Fact]
    public async Task A_missing_cache_source_is_a_warning_and_the_build_goes_on()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N}\n");

        var result = await EngineFixture.Pipeline("missing-source").FromDockerfile(_context.Path).WithLog(_log.Add)
            .RestoreCache(c => c with { Automatic = false, Sources = [$"{EngineFixture.RegistryAddress}/nukecontainers-test/never-pushed-{Guid.NewGuid():N}:x", $"127.0.0.1:{EngineFixture.FreePort()}/nowhere:1"] })
            .RunAsync(fixture.Engine);

        Assert.False(result.Build!.Reused, string.Join("\n", _log));
        Assert.True(_log.Any(l => l.StartsWith("warning: cache source ", StringComparison.Ordinal) && l.Contains("does not exist (yet); building without it")), string.Join("\n", _log));
        Assert.Contains(_log, l => l.StartsWith("warning: cache source ", StringComparison.Ordinal) && l.Contains("cannot be reached"));
        Assert.Empty(result.Step<RestoreCacheResult>()!.Sources);
    }

    [Fact]
    public async Task An_engine_that_never_built_the_image_takes_its_layers_from_the_registrys_cache()
    {
        // The base image in the registry, as a CI runner gets its bases; then a build that pushes its inline cache.
        var baseImage = $"{EngineFixture.RegistryAddress}/{EngineFixture.Repository("cache-base")}:1";
        var baseReference = Images.ImageReference.Parse(baseImage);
        await fixture.Engine.TagAsync((await fixture.Engine.InspectImageAsync(EngineFixture.BaseImage))!.Id, baseReference);
        _tagged.Add(baseImage);
        _pushed.Add((baseReference.Path, await fixture.Engine.PushAsync(baseReference, null, _ => { })));
        // Two stages: the build stage's layers are not in the image, so only its own exported cache can bring them.
        _context.Write("Dockerfile", $"FROM {baseImage} AS build\nRUN echo {Guid.NewGuid():N} > /one && sleep 1\nCOPY app.txt /app.txt\nRUN cat /app.txt > /built\n" +
            $"FROM {baseImage} AS runtime\nRUN echo two > /two\nCOPY --from=build /built /built\n").Write("app.txt", "first");
        var repository = $"{EngineFixture.RegistryAddress}/{EngineFixture.Repository("cache")}";
        ImagePipeline CachedPipeline() => Containers.Image(repository).FromDockerfile(_context.Path).WithLog(_log.Add)
            .Label(ResourceLabels.Run, ResourceLabels.RunId).RestoreCache(c => c with { Branch = "main" }).ExportCache("main").Push();
        var pushed = await CachedPipeline().RunAsync(fixture.Engine);
        _pushed.Add((pushed.Image.Repository.Path, pushed.Image.Digest!));
        var stageCache = pushed.Step<ExportCacheResult>()!.Exported;
        using (var registry = new RegistryClient(EngineFixture.RegistryAddress, null))
            foreach (var exported in stageCache.Select(Images.ImageReference.Parse))
                _pushed.Add((exported.Path, (await registry.DigestAsync(exported.Path, exported.Tag!))!));

        _context.Write("app.txt", "second");
        await using var fresh = await EmbeddedEnvironment.StartTemporaryEngineAsync(Path.Combine("/var/tmp", $"nc-fresh-engine-{Guid.NewGuid():N}"));
        using var freshEngine = ContainerEngine.Connect(fresh.Endpoint.SocketPath);
        var rebuilt = await CachedPipeline().RunAsync(freshEngine);
        _pushed.Add((rebuilt.Image.Repository.Path, rebuilt.Image.Digest!));

        // On the first engine again: the changed stage is exported anew, and the stage image it replaces goes.
        var firstStage = (await fixture.Engine.InspectImageAsync($"{repository}:buildcache-main-build"))!.Id;
        _context.Write("app.txt", "third");  // "second" was pushed by the other engine: the same inputs would be reused, not built
        var again = await CachedPipeline().RunAsync(fixture.Engine);
        _pushed.Add((again.Image.Repository.Path, again.Image.Digest!));
        using (var registry = new RegistryClient(EngineFixture.RegistryAddress, null))
            _pushed.Add((again.Image.Repository.Path, (await registry.DigestAsync(again.Image.Repository.Path, "buildcache-main-build"))!));
        Assert.NotEqual(firstStage, (await fixture.Engine.InspectImageAsync($"{repository}:buildcache-main-build"))!.Id);
        Assert.Null(await fixture.Engine.InspectImageAsync(firstStage));

        Assert.Equal(["buildcache-main"], pushed.Image.Tags);
        Assert.Equal([$"{repository}:buildcache-main-build"], stageCache);
        // The export is announced with its size before its push starts, and its time after.
        var announced = _log.FindIndex(l => l.StartsWith($"Exporting the build cache of stage build: pushing its image (", StringComparison.Ordinal) && l.Contains($"MB, layers the registry has are skipped) to {repository}:buildcache-main-build"));
        Assert.True(announced >= 0, string.Join("\n", _log));
        Assert.Contains(_log.Skip(announced), l => l.Contains("Pushed", StringComparison.Ordinal));
        Assert.Contains(_log.Skip(announced), l => l.StartsWith("Exported the build cache of stage build in ", StringComparison.Ordinal));
        Assert.Equal([$"{repository}:buildcache-main", $"{repository}:buildcache-main-build"], rebuilt.Step<RestoreCacheResult>()!.Sources);
        var instructions = rebuilt.Build!.Output.Instructions;
        string Describe() => string.Join("\n", instructions);
        Assert.True(instructions.Single(i => i.Name.Contains("echo two")).Cached, Describe());           // the image's own inline cache
        Assert.True(instructions.Single(i => i.Name.Contains("> /one")).Cached, Describe());              // the build stage's exported cache
        Assert.False(instructions.Single(i => i.Name.Contains("COPY app.txt")).Cached, Describe());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        foreach (var (repository, digest) in _pushed) await registry.DeleteManifestAsync(repository, digest);
        foreach (var tag in _tagged)
            try { await fixture.Engine.Client.Images.DeleteImageAsync(tag, new Docker.DotNet.Models.ImageDeleteParameters()); }
            catch (Docker.DotNet.DockerApiException) { /* not made: the test failed before */ }
        _context.Dispose();
    }
}
