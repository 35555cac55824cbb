using NukeContainers.Engine;
using NukeContainers.Images;
using NukeContainers.Provisioning;
using NukeContainers.Registry;
using NukeContainers.Versioning;

namespace NukeContainers.Tests;

/// <summary>
/// The same commit gives the same digest on any new engine of one kind: each sample, built from its own clone of the
/// repository on each of two new, empty Docker 26 engines, with its bases from the registry (as a CI runner gets
/// them) and the commit's time as SOURCE_DATE_EPOCH, is pushed under one digest. Without BuildKit's timestamp rewriting
/// (the moby exporter's image, as before) the files a RUN writes carry each build's clock, and the clones' files their
/// checkout's: every digest differed (tried). Docker 20.10's BuildKit 0.8 can do neither (docs/publishing.md).
/// Its own engines, so it runs beside the engine collection (minutes of builds, not held up behind the rest).
/// </summary>
public sealed class ReproducibleSpecs(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Samples = ["go-api", "node-web", "dotnet-api"];
    private readonly List<TempFolder> _clones = [];
    private readonly List<(string Repository, string Digest)> _pushed = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        foreach (var (repository, digest) in _pushed) await registry.DeleteManifestAsync(repository, digest);
        foreach (var clone in _clones) clone.Dispose();
    }

    [Fact]
    public async Task Each_sample_built_at_one_commit_on_two_new_Docker_26_engines_has_one_digest()
    {
        await EmbeddedEnvironment.EnsureRegistryAsync(EngineFixture.RegistryAddress);
        var modern = (await EmbeddedEnvironment.EnsureEngineAsync(EmbeddedEnvironmentOptions.Docker26(output.WriteLine))).Endpoint;
        using var shared = ContainerEngine.Connect(modern.SocketPath);
        var bases = await RegistryBasesAsync(shared);

        var digests = new List<IReadOnlyDictionary<string, string>>();
        foreach (var round in new[] { "first", "second" })
        {
            // A clone of its own (its files' times are its checkout's), and an engine that never built anything.
            var clone = await CloneAsync();
            var epoch = await GitVersion.CreatedAsync(clone.Path) ?? throw new InvalidOperationException("the clone has no commit time");
            await using var fresh = await EmbeddedEnvironment.StartTemporaryEngineAsync(Path.Combine("/var/tmp", $"nc-repro-{round}-{Guid.NewGuid():N}"), EmbeddedEngine.Docker26, output.WriteLine);
            using var engine = ContainerEngine.Connect(fresh.Endpoint.SocketPath);
            var pushed = new Dictionary<string, string>();
            foreach (var sample in Samples)
            {
                var log = new List<string>();
                var result = await Containers.Image($"{EngineFixture.RegistryAddress}/{EngineFixture.Repository($"repro-{sample}-{round}")}")
                    .Label(ResourceLabels.Run, ResourceLabels.RunId)
                    .FromDockerfile(Path.Combine(clone.Path, "samples", sample)).Target("runtime").BuildArgs(bases)
                    .SourceDateEpoch(epoch).Tag("1").Push()
                    .WithLog(line => { log.Add(line); output.WriteLine(line); }).RunAsync(engine);
                _pushed.Add((result.Image.Repository.Path, result.Image.Digest!));
                pushed[sample] = result.Image.Digest!;
                Assert.Contains(log, l => l.StartsWith($"Making the image at SOURCE_DATE_EPOCH={epoch.ToUnixTimeSeconds()} ", StringComparison.Ordinal));
                // The image's created is the commit's, not the clock's.
                Assert.Equal(epoch.UtcDateTime, (await engine.Client.Images.InspectImageAsync(result.ImageId)).Created?.ToUniversalTime());
            }
            output.WriteLine($"{round}: {string.Join(", ", pushed.Select(p => $"{p.Key} {p.Value}"))}");
            digests.Add(pushed);
        }
        Assert.Equal(digests[0], digests[1]);
    }

    /// The local base images the samples build on, pushed to the registry; their names there as the samples' build
    /// arguments, so both new engines pull the same bytes. The shared engine keeps no tag of the registry's names.
    private async Task<IReadOnlyDictionary<string, string>> RegistryBasesAsync(ContainerEngine shared)
    {
        await LocalMachine.LocalBaseImagesAsync(shared, output.WriteLine);
        var bases = await LocalMachine.PushLocalBaseImagesAsync(shared, EngineFixture.RegistryAddress, output.WriteLine);
        foreach (var name in bases.Values) await shared.RemoveImageAsync(name);
        return bases;
    }

    private Task<TempFolder> CloneAsync()
    {
        var clone = new TempFolder();
        _clones.Add(clone);
        Git.Run(clone.Path, "clone", "--quiet", "--no-hardlinks", EngineFixture.RepositoryRoot(), ".");
        return Task.FromResult(clone);
    }
}
