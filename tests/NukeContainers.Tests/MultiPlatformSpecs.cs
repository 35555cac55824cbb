using CliWrap;
using CliWrap.Buffered;
using NukeContainers.Registry;

namespace NukeContainers.Tests;

/// Building for amd64 and arm64 at once: one image a platform under one OCI index, cross-built (nothing runs
/// emulated in the build), pushed as the index; the arm64 image's binary is an arm64 one that runs under qemu.
[Collection(EngineCollection.Name)]
public sealed class MultiPlatformSpecs(EngineFixture fixture) : IAsyncLifetime
{
    private readonly TempFolder _context = new();
    private readonly List<string> _log = [];
    private (string Repository, string Digest)? _pushed;

    /// The build stage runs on the engine's own platform and picks each target's binary; nothing is emulated.
    private ImagePipeline CrossBuild()
    {
        _context.Write("Dockerfile", Arm64.CrossBuiltBusybox);
        return Containers.Image($"{EngineFixture.RegistryAddress}/{EngineFixture.Repository("multi-platform")}")
            .Label(Engine.ResourceLabels.Run, Engine.ResourceLabels.RunId).FromDockerfile(_context.Path).WithLog(_log.Add)
            .Platforms("linux/amd64", "linux/arm64").Slim().Tag(Guid.NewGuid().ToString("N")[..12]).Push();
    }

    [StoreFact(NukeContainers.Engine.ImageStore.GraphDriver)]
    public async Task A_build_for_two_platforms_on_an_engine_that_keeps_one_platform_an_image_is_refused_saying_what_to_use()
    {
        await fixture.RequireStoreAsync(NukeContainers.Engine.ImageStore.GraphDriver);
        _context.Write("busybox-amd64", "").Write("busybox-arm64", "");
        var refused = await Assert.ThrowsAsync<ContainerException>(() => CrossBuild().RunAsync(fixture.Engine));
        Assert.Contains("The build is for linux/amd64, linux/arm64: one image a platform under one index, which the engine at", refused.Message);
        Assert.Contains("Build on an engine with the containerd image store (Docker 26: --embedded-engine docker26", refused.Message);
    }

    [StoreFact(NukeContainers.Engine.ImageStore.Containerd)]
    public async Task A_build_for_amd64_and_arm64_pushes_one_index_whose_arm64_image_holds_an_arm64_binary_that_runs_under_qemu()
    {
        await fixture.RequireStoreAsync(NukeContainers.Engine.ImageStore.Containerd);
        // Made at a commit's time: BuildKit's archive of both platforms comes back through the session and is loaded whole.
        var pipeline = CrossBuild().SourceDateEpoch(DateTimeOffset.FromUnixTimeSeconds(1_767_323_045));
        await Arm64.WriteBusyboxesAsync(_context.Path);

        var result = await pipeline.RunAsync(fixture.Engine);
        _pushed = (result.Image.Repository.Path, result.Image.Digest!);
        Assert.Contains(_log, l => l.StartsWith("Making the image at SOURCE_DATE_EPOCH=1767323045 (2026-01-02T03:04:05Z)", StringComparison.Ordinal));

        // The size the summary gives is the one the Built line gave: the slim step measures an index, it does not rewrite it.
        Assert.Contains(_log, l => l.StartsWith("Built ", StringComparison.Ordinal) && l.Contains(FormattableString.Invariant($": {result.SizeBytes / 1e6:0.0} MB,"), StringComparison.Ordinal));
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        var index = await registry.GetManifestAsync(result.Image.Repository.Path, result.Image.Tags.First());
        Assert.Equal(result.Image.Digest, index.Digest);
        Assert.Contains(index.MediaType, new[] { "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json" });
        var platforms = Arm64.PlatformImages(index);
        Assert.Equal(["amd64", "arm64"], platforms.Keys.Where(a => a is "amd64" or "arm64").Order());
        Assert.Equal(index.PlatformChildren.Order(), platforms.Where(p => p.Key is "amd64" or "arm64").Select(p => p.Value).Order());

        // Each platform's image holds its own binary: an x86-64 one, and an AArch64 one that qemu-aarch64-static runs.
        var amd64 = await Arm64.FileOfAsync(registry, result.Image.Repository.Path, platforms["amd64"], "bin/busybox");
        var arm64 = await Arm64.FileOfAsync(registry, result.Image.Repository.Path, platforms["arm64"], "bin/busybox");
        Assert.Equal("arm64\n", System.Text.Encoding.UTF8.GetString(await Arm64.FileOfAsync(registry, result.Image.Repository.Path, platforms["arm64"], "arch")));
        Assert.Equal(62, Arm64.ElfMachine(amd64));
        Assert.Equal(183, Arm64.ElfMachine(arm64));
        var binary = await Arm64.WriteExecutableAsync(Path.Combine(_context.Path, "from-the-arm64-image"), "busybox", arm64);   // busybox reads its name
        var run = await Cli.Wrap(await Arm64.QemuAsync()).WithArguments([binary, "uname", "-m"]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal("aarch64", run.StandardOutput.Trim());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_pushed is var (repository, digest))
        {
            using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
            await registry.DeleteManifestAsync(repository, digest);
        }
        _context.Dispose();
    }
}
