using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using NukeContainers;
using NukeContainers.Components;
using NukeContainers.Engine;
using NukeContainers.Provisioning;

/// ./build.sh Benchmark --benchmarks multi-platform: go-api built for linux/amd64 and linux/arm64 and pushed as one
/// index, by the DSL and by `docker buildx build --platform ... --push` (buildx 0.13, the docker driver), on the same
/// Docker 26 engine with the containerd image store: nothing changed, and one line of main.go changed (each tool its
/// own copy and its own line, so that neither takes the other's cache), and cold: every step run again (`--no-cache` on
/// both; the bases and the cache mounts stay, as a CI runner's engine keeps them). Order alternating per run; medians.
partial class Build
{
    const string BenchmarkPlatforms = "linux/amd64,linux/arm64";

    async Task<IReadOnlyList<BenchmarkResult>> BenchmarkMultiPlatformAsync(string registry, CancellationToken ct)
    {
        var provisioned = await EmbeddedEnvironment.EnsureEngineAsync(EmbeddedEnvironmentOptions.Docker26(Log.Verbose), ct);
        using var engine = ContainerEngine.Connect(provisioned.Endpoint);
        var bases = await LocalMachine.LocalBaseImagesAsync(engine, Log.Info, ct, Log.Verbose, only: ["GO_IMAGE", "STATIC_IMAGE"]);
        var goApi = ((IContainerImages)this).Images.First(i => i.Name == "go-api");
        using var config = await BuildxConfigAsync(ct);
        using var dslCopy = new TemporaryCopy(goApi.Context);
        using var buildxCopy = new TemporaryCopy(goApi.Context);

        // Both tools label what they build with this run's label: at the end every such image goes, tagged or not.
        Task DslAsync(bool noCache) => Containers.Image($"{registry}/benchmark-multi/dsl/go-api").WithName("go-api").FromDockerfile(dslCopy.Path).Target("runtime").NoCache(noCache)
            .BuildArgs(bases).Label(ResourceLabels.Run, ResourceLabels.RunId).Platform(BenchmarkPlatforms).Tag("bench").Push(p => p with { Force = true })
            .WithLog(line => Log.Verbose($"[dsl] {line}")).RunAsync(engine, ct);
        async Task BuildxAsync(bool noCache)
        {
            // The same build: the target, the bases, the host's network (the engine has no bridge), no attestations (the DSL adds none here).
            string[] arguments = ["buildx", "build", "--platform", BenchmarkPlatforms, "--target", "runtime", "--network", "host", "--provenance=false", "--sbom=false",
                "--label", $"{ResourceLabels.Run}={ResourceLabels.RunId}", .. bases.SelectMany(b => new[] { "--build-arg", $"{b.Key}={b.Value}" }), "-t", $"{registry}/benchmark-multi/buildx/go-api:bench", "--push", .. (noCache ? new[] { "--no-cache" } : []), buildxCopy.Path];
            var result = await Cli.Wrap("docker").WithArguments(arguments)
                .WithEnvironmentVariables(e => e.Set("DOCKER_HOST", provisioned.Endpoint.Uri.ToString()).Set("DOCKER_CONFIG", config.Path))
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
            if (result.ExitCode != 0) throw new ContainerException($"docker buildx build failed ({result.ExitCode}):\n{Tail(result.StandardOutput + result.StandardError)}");
        }

        var tools = new (string Name, Func<bool, Task> Work, string Folder)[] { ("dsl", DslAsync, dslCopy.Path), ("buildx", BuildxAsync, buildxCopy.Path) };
        var times = new Dictionary<string, List<double>>();
        async Task MeasureAsync()
        {
            foreach (var (_, work, _) in tools) await work(false);   // both built once: the warm start
            for (var run = 1; run <= Runs; run++)
                foreach (var (name, work, folder) in run % 2 == 1 ? tools : tools.Reverse())
                    foreach (var scenario in new[] { "unchanged", "source-change", "cold" })
                    {
                        if (scenario == "source-change") await File.AppendAllTextAsync(Path.Combine(folder, "main.go"), SourceChange(), ct);
                        var watch = Stopwatch.StartNew();
                        await work(scenario == "cold");
                        (times.TryGetValue($"{scenario}.{name}", out var list) ? list : times[$"{scenario}.{name}"] = []).Add(watch.Elapsed.TotalSeconds);
                    }
        }
        try
        {
            await MeasureAsync();
        }
        finally
        {
            foreach (var id in await engine.FindImagesByLabelAsync(ResourceLabels.Run, ResourceLabels.RunId, CancellationToken.None))
                await engine.RemoveImageAsync(id, force: true, CancellationToken.None);   // one already gone with an image before it is not an error
        }

        BenchmarkResult Compare(string scenario)
        {
            var buildx = BenchmarkResult.Median(times[$"{scenario}.buildx"]);
            var dsl = BenchmarkResult.Median(times[$"{scenario}.dsl"]);
            return new($"multi-platform.{scenario}", dsl, "s", buildx, dsl / buildx, Runs,
                $"go-api for {BenchmarkPlatforms} (cross-compiled: Go on amd64), pushed as one index to {registry}, on Docker 26 with the containerd store; " +
                $"{scenario switch { "unchanged" => "nothing changed", "cold" => "every step run again (--no-cache on both)", _ => "one line of main.go changed" }}; the baseline docker buildx build --platform {BenchmarkPlatforms} --push " +
                "(buildx 0.13, docker driver, --provenance=false); goal: ratio at most 1.05");
        }
        return [Compare("unchanged"), Compare("source-change"), Compare("cold")];
    }
}
