using System.Diagnostics;
using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using NukeContainers;
using NukeContainers.Build;
using NukeContainers.Building;
using NukeContainers.Components;
using NukeContainers.Engine;
using NukeContainers.Provisioning;

/// ./build.sh Benchmark, the context transfer: this product's BuildKit session against Debian's docker 20.10 client
/// with BuildKit (which opens its own session), side by side on one new engine, interleaved.
partial class Build
{
    [Parameter("The context benchmark's large context, in MiB (1024 by default; CI's small run takes 64)")]
    readonly int ContextMegabytes = 1024;

    /// The large context's name in results.json: 1gb, or its size in MiB when another (64mb).
    string LargeContext => ContextMegabytes == 1024 ? "1gb" : $"{ContextMegabytes}mb";

    /// Debian's docker.io client (20.10), which builds with a BuildKit session; the machine's docker 28 has no buildx.
    const string DockerClient2010 = "/usr/bin/docker";

    /// Context transfer: a 1 GiB context (--context-megabytes) and one of 20,000 small files, each cold (a folder the engine has not seen,
    /// with content no build has had) and warm (the same again, unchanged), and go-api's fully cached rebuild; each
    /// built by the docker 20.10 client and by the DSL, in turns whose order alternates.
    async Task<IReadOnlyList<BenchmarkResult>> BenchmarkContextTransferAsync(IReadOnlyDictionary<string, string> bases, ContainerImage goApi, CancellationToken ct)
    {
        if (!File.Exists("/usr/bin/time"))
            await Cli.Wrap("apt-get").WithArguments(["install", "-y", "-q", "time"]).WithEnvironmentVariables(e => e.Set("DEBIAN_FRONTEND", "noninteractive")).ExecuteBufferedAsync(ct);
        if (!File.Exists(DockerClient2010))
            throw new ContainerException($"The benchmark compares with Debian's docker 20.10 client at {DockerClient2010}: install docker.io (LocalEnvironment does).");
        await using var fresh = await EmbeddedEnvironment.StartTemporaryEngineAsync(Path.Combine("/var/tmp", $"nc-benchmark-engine-{Guid.NewGuid():N}"), Log.Verbose, ct);
        using var engine = ContainerEngine.Connect(fresh.Endpoint.SocketPath);
        var measurements = new Dictionary<string, List<Measurement>>();
        void Record(string scenario, Measurement m) => (measurements.TryGetValue(scenario, out var list) ? list : measurements[scenario] = []).Add(m);

        using var big = new BenchmarkContext(LargeContext, folder =>
        {
            var block = new byte[1024 * 1024];
            for (var file = 0; file < 8; file++)
            {
                using var stream = File.Create(Path.Combine(folder, $"blob-{file}.bin"));
                for (var mb = 0; mb < ContextMegabytes / 8; mb++)
                {
                    Random.Shared.NextBytes(block);
                    stream.Write(block);
                }
            }
        });
        using var small = new BenchmarkContext("20k", folder =>
        {
            var data = new byte[1024];
            for (var dir = 0; dir < 100; dir++)
            {
                var path = Directory.CreateDirectory(Path.Combine(folder, "src", $"module-{dir:000}")).FullName;
                for (var file = 0; file < 200; file++)
                {
                    Random.Shared.NextBytes(data);
                    File.WriteAllBytes(Path.Combine(path, $"file-{file:000}.txt"), data);
                }
            }
        });
        var goTarget = $"benchmark/{goApi.Name}-cached";
        string[] goArguments = ["--network", "host", "--target", "runtime", .. BuildArgFlags(bases), goApi.Context];
        ImagePipeline GoPipeline() => Containers.Image(goTarget).FromDockerfile(goApi.Context).Target("runtime").BuildArgs(bases).WithLog(Log.Verbose);
        // Warm-up, not measured: go-api built once by each (bases pulled), and this process's first session opened.
        await GoPipeline().RunAsync(engine, ct);
        await DockerClientBuildAsync(engine, ["-t", goTarget + "-cli", .. goArguments], ct);

        for (var run = 1; run <= Runs; run++)
        {
            var order = run % 2 == 1 ? new[] { "cli", "dsl" } : ["dsl", "cli"];
            foreach (var context in new[] { big, small })
                foreach (var tool in order)
                {
                    context.MakeCold();
                    Record($"{context.Name}.cold.{tool}", await BuildContextAsync(engine, tool, context.Path, ct));
                    Record($"{context.Name}.warm.{tool}", await BuildContextAsync(engine, tool, context.Path, ct));
                }
            foreach (var tool in order)
                Record($"go-api.cached.{tool}", tool == "cli"
                    ? await DockerClientBuildAsync(engine, ["-t", goTarget + "-cli", .. goArguments], ct)
                    : await InProcessAsync(() => GoPipeline().RunAsync(engine, ct)));
        }

        BenchmarkResult Compare(string scenario, string what)
        {
            var cli = measurements[$"{scenario}.cli"];
            var dsl = measurements[$"{scenario}.dsl"];
            var cliSeconds = BenchmarkResult.Median(cli.Select(m => m.Seconds).ToList());
            var dslSeconds = BenchmarkResult.Median(dsl.Select(m => m.Seconds).ToList());
            return new($"context.{scenario}", dslSeconds, "s", cliSeconds, dslSeconds / cliSeconds, Runs, string.Create(CultureInfo.InvariantCulture,
                $"{what}; baseline: DOCKER_BUILDKIT=1 docker 20.10 build (its session); client CPU {Median(dsl, m => m.CpuSeconds):0.00} s against {Median(cli, m => m.CpuSeconds):0.00} s; " +
                $"peak RSS {Median(dsl, m => m.MemoryMegabytes):0} MB (the whole build process, its host included) against the docker client's {Median(cli, m => m.MemoryMegabytes):0} MB; " +
                $"the DSL allocated {Median(dsl, m => m.AllocatedMegabytes):0.0} MB; goal: ratio at most 1.2"));
        }
        return
        [
            Compare($"{LargeContext}.warm", $"{ContextMegabytes} MiB context (8 files) unchanged since the last build: FROM scratch, COPY . /ctx"),
            Compare($"{LargeContext}.cold", $"{ContextMegabytes} MiB context in a folder the engine has not synced, with content no build has had"),
            Compare("20k.warm", "20,000 files of 1 KiB in 100 folders, unchanged"),
            Compare("20k.cold", "20,000 files of 1 KiB, new folder and content"),
            Compare("go-api.cached", "go-api rebuilt with every instruction cached (the DSL in a warm process: a pipeline call, not a process start)"),
        ];
    }

    static double Median(IEnumerable<Measurement> values, Func<Measurement, double> of) => BenchmarkResult.Median(values.Select(of).ToList());

    /// One timed build: wall time, client CPU, the client's peak RSS (for the DSL: this whole process's, the build host
    /// included, sampled every 10 ms) and, for the DSL, the bytes it allocated.
    record Measurement(double Seconds, double CpuSeconds, double MemoryMegabytes, double AllocatedMegabytes = 0);

    async Task<Measurement> BuildContextAsync(ContainerEngine engine, string tool, string folder, CancellationToken ct) =>
        tool == "cli"
            ? await DockerClientBuildAsync(engine, ["--network", "none", "-t", "benchmark/context-cli", folder], ct)
            : await InProcessAsync(() => Containers.Image("benchmark/context-dsl").FromDockerfile(folder).Network(NetworkMode.None).WithLog(Log.Verbose).RunAsync(engine, ct));

    static async Task<Measurement> InProcessAsync(Func<Task> build)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var self = Process.GetCurrentProcess();
            while (!sampling.IsCancellationRequested)
            {
                self.Refresh();
                peak = Math.Max(peak, self.WorkingSet64);
                await Task.Delay(10);
            }
        });
        var watch = Stopwatch.StartNew();
        await build();
        var seconds = watch.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        process.Refresh();
        return new(seconds, (process.TotalProcessorTime - cpu).TotalSeconds, peak / 1048576.0, (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0);
    }

    /// The docker 20.10 client's build with BuildKit, under /usr/bin/time for its CPU and peak memory.
    static async Task<Measurement> DockerClientBuildAsync(ContainerEngine engine, string[] arguments, CancellationToken ct)
    {
        var times = Path.GetTempFileName();
        try
        {
            var watch = Stopwatch.StartNew();
            var result = await Cli.Wrap("/usr/bin/time").WithArguments(["-f", "%U %S %M", "-o", times, DockerClient2010, "build", "-q", .. arguments])
                .WithEnvironmentVariables(e => e.Set("DOCKER_HOST", "unix://" + engine.SocketPath).Set("DOCKER_BUILDKIT", "1"))
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
            var seconds = watch.Elapsed.TotalSeconds;
            if (result.ExitCode != 0)
                throw new ContainerException($"docker 20.10 build failed ({result.ExitCode}):\n{Tail(result.StandardOutput + result.StandardError)}");
            var parts = (await File.ReadAllTextAsync(times, ct)).Trim().Split('\n').Last().Split(' ');
            return new(seconds, double.Parse(parts[0], CultureInfo.InvariantCulture) + double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture) / 1024);
        }
        finally
        {
            File.Delete(times);
        }
    }
}

/// A context folder for the benchmark under /var/tmp (FROM scratch, COPY . /ctx): made once, then made "cold" before
/// each cold build by moving it (a new path is a new synced copy for the engine, as for the docker CLI) and by a
/// marker file of new content (so that COPY's cache key is new too).
sealed class BenchmarkContext : IDisposable
{
    public BenchmarkContext(string name, Action<string> fill)
    {
        Name = name;
        Path = NewPath();
        Directory.CreateDirectory(Path);
        File.WriteAllText(System.IO.Path.Combine(Path, "Dockerfile"), "FROM scratch\nCOPY . /ctx/\n");
        fill(Path);
    }

    public string Name { get; }

    public string Path { get; private set; }

    string NewPath() => System.IO.Path.Combine("/var/tmp", $"nc-benchmark-context-{Name}-{Guid.NewGuid():N}");

    public void MakeCold()
    {
        var moved = NewPath();
        Directory.Move(Path, moved);
        Path = moved;
        File.WriteAllText(System.IO.Path.Combine(Path, "marker.txt"), Guid.NewGuid().ToString("N"));
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
