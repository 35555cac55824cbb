using CliWrap.Buffered;

namespace NukeContainers.Tests;

/// The case studies: each sample builds optimised and naive on the base images made here, runs, and answers HTTP.
[Collection(EngineCollection.Name)]
public sealed class SampleSpecs(EngineFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    /// Port 0: the app reads $PORT, and gets one from the system. node-web's nginx listens on 8082 as configured.
    public static TheoryData<string, int, string, string, double> Samples => new()
    {
        { "go-api", 0, "/api/greeting?name=ci", "hello, ci from go-api", 0.02 },
        { "node-web", 8082, "/about", "<h1>About</h1>", 0.10 },
        { "dotnet-api", 0, "/api/greeting?name=ci", "hello, ci from dotnet-api", 0.15 },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task A_sample_builds_both_ways_runs_and_answers_HTTP_within_its_size_budget(string name, int port, string path, string expected, double budget)
    {
        var baseImages = await LocalMachine.LocalBaseImagesAsync(fixture.Engine, fixture.Log.Add);
        var log = new List<string>();

        var result = await EngineFixture.Pipeline($"samples-{name}")
            .FromDockerfile(Path.Combine(EngineFixture.RepositoryRoot(), "samples", name)).Target("runtime").CompareWith("Dockerfile.naive")
            .BuildArgs(baseImages).WithLog(log.Add)
            .RunAsync(fixture.Engine);

        var baseline = result.Build!.Baseline;
        Assert.NotNull(baseline);
        await AssertAnswersAsync(result.ImageId, port, path, expected);
        Assert.Null(await fixture.Engine.InspectImageAsync(baseline.ImageId)); // a working image: removed once measured
        var naive = await EngineFixture.Pipeline($"samples-{name}-naive")
            .FromDockerfile(Path.Combine(EngineFixture.RepositoryRoot(), "samples", name), "Dockerfile.naive").BuildArgs(baseImages).WithLog(log.Add)
            .RunAsync(fixture.Engine);
        await AssertAnswersAsync(naive.ImageId, port, path, expected);
        // The naive image slimmed as it is: no base is known, so every layer, the toolchain's too, loses what should not ship.
        var slimmed = await Containers.Image(EngineFixture.Repository($"samples-{name}-naive")).FromImage(naive.ImageId, naive.SizeBytes)
            .Slim(s => s.RemoveAll()).WithLog(log.Add).RunAsync(fixture.Engine);
        await AssertAnswersAsync(slimmed.ImageId, port, path, expected);
        var slim = slimmed.Slim!;
        Assert.True(slim.AfterBytes <= 0.75 * slim.BeforeBytes,
            $"{name}: slimming the naive image took it from {slim.BeforeBytes:N0} to {slim.AfterBytes:N0} bytes, less than 25% off");
        Assert.True(result.SizeRatio <= budget,
            $"{name}: {result.SizeBytes:N0} bytes is {result.SizeRatio:P1} of the naive {baseline.SizeBytes:N0}, over {budget:P0}");
        Assert.Equal("65532:65532", (await fixture.Engine.InspectImageAsync(result.ImageId))!.User); // set by the sample, or inherited from the local base image
    }

    [Fact]
    public async Task A_sample_with_cache_mounts_still_builds_with_the_legacy_builder_and_answers()
    {
        var baseImages = await LocalMachine.LocalBaseImagesAsync(fixture.Engine, fixture.Log.Add);
        var log = new List<string>();

        var result = await EngineFixture.Pipeline("samples-go-api-legacy").FromDockerfile(Path.Combine(EngineFixture.RepositoryRoot(), "samples", "go-api"))
            .Target("runtime").BuildArgs(baseImages).UseBuilder(Building.Builder.Legacy).WithLog(log.Add).RunAsync(fixture.Engine);

        await AssertAnswersAsync(result.ImageId, 0, "/api/greeting?name=ci", "hello, ci from go-api");
        Assert.Contains(log, l => l.StartsWith("The legacy builder has no RUN --mount", StringComparison.Ordinal));
    }

    /// go-api cross-compiled for amd64 and arm64 (Go runs on the engine's own platform) on the local static base, made
    /// for both: one index; the engine's platform's image answers HTTP as a container, and the arm64 image's binary
    /// answers it under qemu-aarch64-static, named explicitly.
    [StoreFact(NukeContainers.Engine.ImageStore.Containerd)]
    public Task Go_api_cross_builds_for_arm64_and_its_arm64_binary_answers_HTTP_under_qemu() =>
        CrossBuildAsync("go-api", ["GO_IMAGE", "STATIC_IMAGE"], async (result, root) =>
        {
            var goApi = Path.Combine(root, "go-api");

            Assert.Equal(183, Arm64.ElfMachine(await File.ReadAllBytesAsync(goApi)));
            await AssertAnswersAsync(result.ImageId, 0, "/api/greeting?name=ci", "hello, ci from go-api");
            await AssertAnswersUnderQemuAsync([goApi], "/api/greeting?name=ci", "hello, ci from go-api");
        });

    /// dotnet-api for amd64 and arm64: the SDK runs on the engine's own platform and publishes for linux-arm64 (NuGet's
    /// arm64 runtime packs), on the local cc base made for both (arm64's glibc, libstdc++, zlib and OpenSSL from Debian's
    /// arm64 packages, unpacked): one index; the engine's platform's image answers HTTP as a container, and the arm64
    /// app, run under qemu-aarch64-static with the image as its root, answers it too.
    [StoreFact(NukeContainers.Engine.ImageStore.Containerd)]
    public Task Dotnet_api_cross_builds_for_arm64_and_its_arm64_app_answers_HTTP_under_qemu() =>
        CrossBuildAsync("dotnet-api", ["DOTNET_SDK_IMAGE", "CC_IMAGE"], async (result, root) =>
        {
            var app = Path.Combine(root, "app/DotnetApi");

            Assert.Equal(183, Arm64.ElfMachine(await File.ReadAllBytesAsync(app)));
            Assert.True(File.Exists(Path.Combine(root, "var/lib/dpkg/status.d/libc6")), "the arm64 base's packages are listed for the scan");
            await AssertAnswersAsync(result.ImageId, 0, "/api/greeting?name=ci", "hello, ci from dotnet-api");
            await AssertAnswersUnderQemuAsync(["-L", root, app], "/api/greeting?name=ci", "hello, ci from dotnet-api");
        });

    /// node-web for amd64 and arm64: Node builds the site on the engine's own platform, the local nginx base is made for
    /// both (arm64's nginx and libraries from Debian's arm64 packages, unpacked): one index; the engine's platform's image
    /// serves the site, and the arm64 image's nginx, run under qemu-aarch64-static with the image as its root, reads
    /// its configuration and the site's and finds them good (as root here, so it is told to take the image's nobody user,
    /// which a container running it as 65532 does not need).
    [StoreFact(NukeContainers.Engine.ImageStore.Containerd)]
    public Task Node_web_cross_builds_for_arm64_and_its_arm64_nginx_checks_its_configuration_under_qemu() =>
        CrossBuildAsync("node-web", ["NODE_IMAGE", "NGINX_IMAGE"], async (result, root) =>
        {
            var nginx = Path.Combine(root, "usr/sbin/nginx");
            var check = await CliWrap.Cli.Wrap(await Arm64.QemuAsync()).WithArguments(["-L", root, nginx, "-t", "-c", "/etc/nginx/nginx.conf", "-g", "user nobody nobody;"])
                .WithValidation(CliWrap.CommandResultValidation.None).ExecuteBufferedAsync();

            Assert.Equal(183, Arm64.ElfMachine(await File.ReadAllBytesAsync(nginx)));
            Assert.True(File.Exists(Path.Combine(root, "var/lib/dpkg/status.d/libssl3")), "the arm64 nginx's libraries' packages are listed for the scan");
            Assert.True(check.ExitCode == 0 && check.StandardError.Contains("test is successful"), $"nginx -t under qemu: exit {check.ExitCode}\n{check.StandardError}");
            await AssertAnswersAsync(result.ImageId, 8082, "/about", "<h1>About</h1>");
        });

    /// A sample built for amd64 and arm64 and pushed as one index, on its own local bases (and what they are made from:
    /// Docker 26 makes them for these specs alone), with nothing emulated in the build; then the check gets the result
    /// and a folder holding the arm64 image's files, and the index is deleted after it. (An engine that cannot hold an
    /// index refuses: MultiPlatformSpecs holds that.)
    private async Task CrossBuildAsync(string sample, string[] bases, Func<ImageResult, string, Task> check)
    {
        var log = new List<string>();
        var pipeline = Containers.Image($"{EngineFixture.RegistryAddress}/{EngineFixture.Repository($"samples-{sample}-multi")}")
            .Label(Engine.ResourceLabels.Run, Engine.ResourceLabels.RunId)
            .FromDockerfile(Path.Combine(EngineFixture.RepositoryRoot(), "samples", sample)).Target("runtime").Platforms("linux/amd64", "linux/arm64")
            .Tag(Guid.NewGuid().ToString("N")[..12]).Push().WithLog(log.Add);
        await fixture.RequireStoreAsync(NukeContainers.Engine.ImageStore.Containerd);
        var result = await pipeline.BuildArgs(await LocalMachine.LocalBaseImagesAsync(fixture.Engine, fixture.Log.Add, only: bases)).RunAsync(fixture.Engine);
        using var registry = new Registry.RegistryClient(EngineFixture.RegistryAddress, null);
        try
        {
            Assert.DoesNotContain(log, l => l.Contains("qemu", StringComparison.OrdinalIgnoreCase));   // the build emulated nothing
            var platforms = Arm64.PlatformImages(await registry.GetManifestAsync(result.Image.Repository.Path, result.Image.Digest!));
            using var root = new TempFolder();
            await Arm64.UnpackAsync(registry, result.Image.Repository.Path, platforms["arm64"], root.Path);
            await check(result, root.Path);
        }
        finally
        {
            await registry.DeleteManifestAsync(result.Image.Repository.Path, result.Image.Digest!);
        }
    }

    /// Runs qemu-aarch64-static with the arguments (an arm64 program and its own), $PORT set to a port from the system,
    /// and asks it until its answer holds the expected text; its output is in the failure. Stopped with SIGKILL:
    /// qemu-user does not end on SIGINT.
    private async Task AssertAnswersUnderQemuAsync(string[] arguments, string path, string expected)
    {
        var port = EngineFixture.FreePort();
        using var stop = new CancellationTokenSource();
        var said = new System.Text.StringBuilder();
        var running = CliWrap.Cli.Wrap(await Arm64.QemuAsync()).WithArguments(arguments).WithEnvironmentVariables(e => e.Set("PORT", port.ToString()))
            .WithStandardOutputPipe(CliWrap.PipeTarget.ToStringBuilder(said)).WithStandardErrorPipe(CliWrap.PipeTarget.ToStringBuilder(said))
            .WithValidation(CliWrap.CommandResultValidation.None).ExecuteAsync(stop.Token);
        try
        {
            // Emulated, the program starts slower than natively (.NET's JIT most): up to 90 s on a busy machine.
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var answer = await AnswerAsync(port, path, expected, attempts: 180);
            Assert.True(answer.Contains(expected), $"{answer}\nqemu-aarch64-static {string.Join(' ', arguments)} said: {said}");
            output.WriteLine($"qemu-aarch64-static {Path.GetFileName(arguments[^1])} answered after {watch.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            await stop.CancelAsync();
            try { await running; } catch (OperationCanceledException) { }
        }
    }

    /// Starts the image and asks it until its answer holds the expected text (30 s at most). A fixed port is held
    /// under a machine-wide lock while the container runs, so test runs that share the machine take turns with it.
    private async Task AssertAnswersAsync(string image, int fixedPort, string path, string expected)
    {
        var port = fixedPort == 0 ? EngineFixture.FreePort() : fixedPort;
        await using var portLock = fixedPort == 0 ? null
            : await Utils.FileLock.AcquireAsync(Path.Combine(Path.GetTempPath(), $"nukecontainers-port-{fixedPort}.lock"), CancellationToken.None);
        await using var container = await fixture.Engine.StartAsync(image, new Dictionary<string, string> { ["PORT"] = port.ToString() });
        var last = await AnswerAsync(port, path, expected);
        if (!last.Contains(expected))
            Assert.Fail($"no answer with '{expected}' from {image} on port {port}: {last}\nThe container's output:\n{await container.LogsAsync()}");
    }

    /// Asks 127.0.0.1:PORT until the answer holds the expected text (every half second, 30 s at most by default); the
    /// last answer, or error.
    private static async Task<string> AnswerAsync(int port, string path, string expected, int attempts = 60)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var last = "";
        for (var attempt = 0; attempt < attempts; attempt++, await Task.Delay(500))
        {
            try
            {
                last = await http.GetStringAsync($"http://127.0.0.1:{port}{path}");
                if (last.Contains(expected)) return last;
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
        }
        return last;
    }

}
