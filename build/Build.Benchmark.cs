using System.Diagnostics;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using NukeContainers;
using NukeContainers.Build;
using NukeContainers.Building;
using NukeContainers.Caching;
using NukeContainers.Components;
using NukeContainers.Engine;
using NukeContainers.Provisioning;

/// ./build.sh Benchmark: restore-cache measured side by side in one run, each scenario on a new, empty engine.
partial class Build
{
    [Parameter("How many times the benchmark measures each scenario (it reports medians)")]
    readonly int Runs = 3;

    [Parameter("Which benchmarks run: restore-cache, context, publish, publish-process, multi-platform, monorepo (all but monorepo, which takes half an hour a run, when not given)")]
    readonly string[] Benchmarks = [];

    bool Measures(string benchmark) => Benchmarks.Length == 0 ? benchmark != "monorepo" : Benchmarks.Contains(benchmark, StringComparer.OrdinalIgnoreCase);

    AbsolutePath BenchmarkArtifacts => ArtifactsDirectory / "benchmarks";

    /// The file each sample's benchmark changes one line of, as a developer would.
    static readonly Dictionary<string, string> SourceFiles = new() { ["go-api"] = "main.go", ["node-web"] = "build.mjs", ["dotnet-api"] = "Program.cs" };

    Target Benchmark => _ => _
        .Description("Measure restore-cache on new, empty engines (cold, unchanged, source-change, and the docker CLI's legacy --cache-from), cache mounts on a warm engine, the context transfer against the docker 20.10 client's BuildKit session, build-tag-push and Publish against the shell script, a two-platform build against docker buildx, and (--benchmarks monorepo) a repository of 1, 6 and 24 services against docker buildx bake and the script; write artifacts/benchmarks/results.json")
        .DependsOn<ILocalBaseImages>(x => x.LocalBaseImages)
        .Validates(() =>
        {
            if (Runs < 1) throw new ParameterException($"--runs {Runs}: give 1 or more (the benchmark reports the median of the runs).");
            if (ContextMegabytes < 8) throw new ParameterException($"--context-megabytes {ContextMegabytes}: give 8 or more (the large context is 8 files).");
            var unknown = Benchmarks.Except(["restore-cache", "context", "publish", "publish-process", "multi-platform", "monorepo"], StringComparer.OrdinalIgnoreCase).ToList();
            if (unknown.Count > 0) throw new ParameterException($"--benchmarks {string.Join(" ", unknown)}: there is no such benchmark. They are: restore-cache, context, publish, publish-process, multi-platform, monorepo.");
            if (MonorepoServices.Length == 0 || MonorepoServices.Any(n => n < 1))
                throw new ParameterException($"--monorepo-services {string.Join(" ", MonorepoServices)}: give one or more sizes of 1 or more services, such as 1 6 24.");
        })
        .Executes(async ct =>
        {
            using var engine = await ContainerEngine.ConnectAsync(cancellationToken: ct);
            var registry = ((IContainerImages)this).RegistryHost;
            var bases = await LocalMachine.PushLocalBaseImagesAsync(engine, registry, Log.Verbose, ct);
            var results = new List<BenchmarkResult>();
            var goApi = ((IContainerImages)this).Images.First(i => i.Name == "go-api");
            if (Measures("restore-cache"))
            {
                foreach (var image in ((IContainerImages)this).SelectedImages())
                    results.AddRange(await BenchmarkSampleAsync(image, registry, bases, ct));
                if (((IContainerImages)this).SelectedImages().Any(i => i.Name == "go-api"))
                    results.Add(await BenchmarkCacheMountsAsync(engine, goApi, ct));
            }
            if (Measures("context")) results.AddRange(await BenchmarkContextTransferAsync(bases, goApi, ct));
            if (Measures("publish")) results.AddRange(await BenchmarkPublishAsync(registry, bases, ct));
            if (Measures("publish-process")) results.Add(await BenchmarkPublishProcessAsync(engine, registry, bases, ct));
            if (Measures("multi-platform")) results.AddRange(await BenchmarkMultiPlatformAsync(registry, ct));
            if (Measures("monorepo")) results.AddRange(await BenchmarkMonorepoAsync(registry, bases, ct));
            Directory.CreateDirectory(BenchmarkArtifacts);
            await File.WriteAllTextAsync(BenchmarkArtifacts / "results.json",
                JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }) + "\n", ct);
            foreach (var result in results) Log.Write(Verbosity.Minimal, result.ToString());
            Note($"{results.Count} measurements in {BenchmarkArtifacts / "results.json"}");
        });

    /// Cold, unchanged and source-change with the product, and cold and source-change with the docker CLI's legacy
    /// builder, each run on its own new engine; interleaved, so that load drifts hit every scenario alike.
    async Task<IReadOnlyList<BenchmarkResult>> BenchmarkSampleAsync(ContainerImage image, string registry, IReadOnlyDictionary<string, string> bases, CancellationToken ct)
    {
        var times = new Dictionary<string, List<double>>();
        var notes = new List<string>();
        void Record(string scenario, double seconds) => (times.TryGetValue(scenario, out var list) ? list : times[scenario] = []).Add(seconds);
        var repository = $"{registry}/benchmark/{image.Name}";
        for (var run = 1; run <= Runs; run++)
        {
            using var work = new TemporaryCopy(image.Context);
            var branch = $"benchmark-{Environment.ProcessId}-{run}";
            ImagePipeline Pipeline(Func<RestoreCacheSettings, RestoreCacheSettings> cache) =>
                Containers.Image(repository).WithName(image.Name).FromDockerfile(work.Path).Target("runtime").BuildArgs(bases)
                    .WithLog(line => Log.Verbose($"[{image.Name}] {line}")).RestoreCache(c => cache(c with { Branch = branch })).ExportCache(branch).Push();

            Record("cold", await OnNewEngineAsync(e => Pipeline(c => c with { Automatic = false, SkipUnchanged = false }).RunAsync(e, ct), ct));
            Record("unchanged", await OnNewEngineAsync(async e =>
            {
                var result = await Pipeline(c => c).RunAsync(e, ct);
                if (result.Build?.Reused != true) throw new ContainerException($"{image.Name}: the unchanged build was not skipped");
            }, ct));
            await File.AppendAllTextAsync(Path.Combine(work.Path, SourceFiles[image.Name]), SourceChange(), ct);
            Record("source-change", await OnNewEngineAsync(async e =>
            {
                var result = await Pipeline(c => c).RunAsync(e, ct);
                notes.Add(CachedBeforeSources(result.Build!.Output, SourceFiles[image.Name]));
            }, ct));

            // The same with the docker CLI's legacy builder: it cannot read RUN --mount or FROM --platform=$BUILDPLATFORM (it
            // builds on its own platform, which that names), and --cache-from needs the image pulled. The platform's
            // arguments, which BuildKit sets itself, are given: the samples cross-compile for TARGETOS/TARGETARCH.
            using var legacy = new TemporaryCopy(image.Context);
            await File.WriteAllTextAsync(Path.Combine(legacy.Path, "Dockerfile"),
                BuildContext.ForLegacyBuilder(await File.ReadAllTextAsync(Path.Combine(legacy.Path, "Dockerfile"), ct), new Dictionary<string, string>()), ct);
            var legacyArgs = new Dictionary<string, string>(bases) { ["TARGETOS"] = "linux", ["TARGETARCH"] = "amd64", ["TARGETPLATFORM"] = "linux/amd64", ["BUILDPLATFORM"] = "linux/amd64" };
            var legacyTag = $"{repository}-legacy:{branch}";
            // The product builds with the host's network by default (the engine runs without a bridge): so does the CLI here.
            Record("cli-legacy-cold", await OnNewEngineAsync(e => DockerCliAsync(e, ct, ["build", "-q", "--network", "host", "--target", "runtime", .. BuildArgFlags(legacyArgs), "-t", legacyTag, legacy.Path], ["push", legacyTag]), ct));
            await File.AppendAllTextAsync(Path.Combine(legacy.Path, SourceFiles[image.Name]), SourceChange(), ct);
            Record("cli-legacy-source-change", await OnNewEngineAsync(e => DockerCliAsync(e, ct, ["pull", "-q", legacyTag],
                ["build", "-q", "--network", "host", "--target", "runtime", "--cache-from", legacyTag, .. BuildArgFlags(legacyArgs), legacy.Path]), ct));
        }

        double Median(string scenario) => BenchmarkResult.Median(times[scenario]);
        var cold = Median("cold");
        var cliCold = Median("cli-legacy-cold");
        return
        [
            new($"{image.Name}.cold", cold, "s", null, null, Runs, "new engine; bases pulled from the local registry; no cache source"),
            new($"{image.Name}.unchanged", Median("unchanged"), "s", cold, Median("unchanged") / cold, Runs, "skipped by the input digest: the pushed image pulled instead of a build (goal: ratio at most 0.05)"),
            new($"{image.Name}.source-change", Median("source-change"), "s", cold, Median("source-change") / cold, Runs,
                $"one line of {SourceFiles[image.Name]} changed, cache from the registry; {string.Join("; ", notes.Distinct())}; the docker CLI's legacy builder: {Median("cli-legacy-source-change") / cliCold:0.00} of its cold"),
            new($"{image.Name}.cli-legacy.source-change", Median("cli-legacy-source-change"), "s", cliCold, Median("cli-legacy-source-change") / cliCold, Runs,
                "DOCKER_BUILDKIT=0 docker build --cache-from (pull included), the same change, new engine; its cold build is the baseline"),
        ];
    }

    /// A line no build has seen: the same text twice would come from BuildKit's cache, which keys COPY by content.
    static string SourceChange() => $"\n// benchmark change {Guid.NewGuid():N}\n";

    /// "Every step before the sources are copied is cached", from the instruction list.
    static string CachedBeforeSources(BuildOutput output, string sourceFile)
    {
        var instructions = output.Instructions;
        var copy = instructions.ToList().FindIndex(i => i.Name.Contains("COPY") && (i.Name.Contains(sourceFile) || (sourceFile.EndsWith(".go") && i.Name.Contains("*.go"))));
        var before = copy < 0 ? [] : instructions.Take(copy).Where(i => i.Name.StartsWith("[build ", StringComparison.Ordinal)).ToList();
        if (copy < 0 || before.Any(i => !i.Cached))
            throw new ContainerException($"Not every instruction before the sources was cached: {string.Join(", ", instructions.Select(i => $"{i.Name} {(i.Cached ? "cached" : "ran")}"))}");
        return $"all {before.Count} build-stage instructions before the sources cached ({output.InstructionsCached}/{output.InstructionsTotal} in all)";
    }

    /// On one warm engine, go-api's rebuild after a source change with its cache mounts, against the same Dockerfile without them.
    async Task<BenchmarkResult> BenchmarkCacheMountsAsync(ContainerEngine engine, ContainerImage image, CancellationToken ct)
    {
        var times = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
        using var work = new TemporaryCopy(image.Context);
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(work.Path, "Dockerfile"), ct);
        await File.WriteAllTextAsync(Path.Combine(work.Path, "Dockerfile.nomounts"), BuildContext.WithoutRunMounts(dockerfile), ct);
        ImagePipeline Pipeline(bool mounts) => Containers.Image($"benchmark/{image.Name}-mounts-{mounts.ToString().ToLowerInvariant()}")
            .FromDockerfile(work.Path, mounts ? "Dockerfile" : "Dockerfile.nomounts").Target("runtime").BuildArgs(LocalMachine.LocalBaseImageArgs)
            .Label(ResourceLabels.Run, ResourceLabels.RunId).WithLog(Log.Verbose);
        foreach (var mounts in new[] { true, false }) await Pipeline(mounts).RunAsync(engine, ct); // warm both
        for (var run = 1; run <= Runs; run++)
            foreach (var mounts in new[] { true, false })
            {
                await File.AppendAllTextAsync(Path.Combine(work.Path, SourceFiles[image.Name]), SourceChange(), ct);
                var watch = Stopwatch.StartNew();
                await Pipeline(mounts).RunAsync(engine, ct);
                times[mounts].Add(watch.Elapsed.TotalSeconds);
            }
        await ResourceReaper.ReapOwnAsync(engine, ct);
        var with = BenchmarkResult.Median(times[true]);
        var without = BenchmarkResult.Median(times[false]);
        return new($"{image.Name}.local-source-change", with, "s", without, with / without, Runs,
            "one warm engine, one line of main.go changed: with the Go cache mounts against the same Dockerfile without them (goal: ratio at most 0.5)");
    }

    /// Runs work on a new, empty engine of its own (its own state folder and socket), timed, then stops and removes it.
    async Task<double> OnNewEngineAsync(Func<ContainerEngine, Task> work, CancellationToken ct, Func<ContainerEngine, Task>? prepare = null)
    {
        await using var fresh = await EmbeddedEnvironment.StartTemporaryEngineAsync(Path.Combine("/var/tmp", $"nc-benchmark-engine-{Guid.NewGuid():N}"), Log.Verbose, ct);
        using var engine = ContainerEngine.Connect(fresh.Endpoint.SocketPath);
        if (prepare is not null) await prepare(engine);   // not timed
        var watch = Stopwatch.StartNew();
        await work(engine);
        return watch.Elapsed.TotalSeconds;
    }

    static async Task DockerCliAsync(ContainerEngine engine, CancellationToken ct, params string[][] commands)
    {
        foreach (var arguments in commands)
        {
            var result = await Cli.Wrap("docker").WithArguments(arguments)
                .WithEnvironmentVariables(e => e.Set("DOCKER_HOST", "unix://" + engine.SocketPath).Set("DOCKER_BUILDKIT", "0"))
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
            if (result.ExitCode != 0)
                throw new ContainerException($"docker {NukeContainers.Scanning.Secrets.MaskPatterns(string.Join(' ', arguments))} failed ({result.ExitCode}):\n{Tail(result.StandardOutput + result.StandardError)}");
        }
    }

    /// A docker config folder (DOCKER_CONFIG) whose one CLI plugin is Debian 13's buildx 0.13, the peer of the benchmarks that compare with it.
    async Task<TemporaryCopy> BuildxConfigAsync(CancellationToken ct)
    {
        var config = new TemporaryCopy(null);
        Directory.CreateDirectory(Path.Combine(config.Path, "cli-plugins"));
        File.CreateSymbolicLink(Path.Combine(config.Path, "cli-plugins", "docker-buildx"),
            Path.Combine(await EmbeddedEnvironment.ModernToolsAsync(Log.Verbose, ct), "usr/libexec/docker/cli-plugins/docker-buildx"));
        return config;
    }

    static string Tail(string output) => string.Join('\n', output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(15));

    static IEnumerable<string> BuildArgFlags(IReadOnlyDictionary<string, string> args) => args.SelectMany(a => new[] { "--build-arg", $"{a.Key}={a.Value}" });
}

/// One measurement in results.json (DESIGN.md's format): medians over runs, and the ratio to its baseline.
record BenchmarkResult(string Name, double Value, string Unit, double? Baseline, double? Ratio, int Runs, string Notes)
{
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public override string ToString() =>
        FormattableString.Invariant($"{Name}: {Value:0.00} {Unit}") + (Ratio is { } r ? FormattableString.Invariant($" = {r:0.000} of {Baseline:0.00} {Unit}") : "") + $" ({Runs} runs; {Notes})";
}

/// A copy of a folder under /var/tmp that goes away afterwards: the benchmark changes sources without touching the repository's.
sealed class TemporaryCopy : IDisposable
{
    /// A copy of a folder, or (with null) an empty folder.
    public TemporaryCopy(string? source)
    {
        Path = System.IO.Path.Combine("/var/tmp", $"nc-benchmark-{Guid.NewGuid():N}");
        if (source is null) Directory.CreateDirectory(Path);
        else CopyFolder(source, Path);
    }

    public string Path { get; }

    /// Copies a folder's files and folders, leaving out what a build makes (bin, obj, node_modules, dist).
    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, System.IO.Path.Combine(to, System.IO.Path.GetFileName(file)));
        foreach (var folder in Directory.EnumerateDirectories(from).Where(d => System.IO.Path.GetFileName(d) is not ("bin" or "obj" or "node_modules" or "dist")))
            CopyFolder(folder, System.IO.Path.Combine(to, System.IO.Path.GetFileName(folder)));
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
