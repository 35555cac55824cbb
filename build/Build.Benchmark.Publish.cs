using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using NukeContainers;
using NukeContainers.Build;
using NukeContainers.Components;
using NukeContainers.Engine;
using NukeContainers.Provisioning;
using Semver;

/// ./build.sh Benchmark, build-tag-push: the three samples built, tagged (semver, sha-, environment) and pushed by the
/// shell script a team writes today with the docker CLI, against the DSL doing the same, one image at a time and side
/// by side; cold (each run on a new engine) and warm (one engine, nothing changed).
partial class Build
{
    const string BenchmarkVersion = "1.2.3";
    const string BenchmarkCommit = "abc1234";
    static readonly string[] BenchmarkTags = ["1.2.3", "1.2", "1", "latest", $"sha-{BenchmarkCommit}", "staging"];

    async Task<IReadOnlyList<BenchmarkResult>> BenchmarkPublishAsync(string registry, IReadOnlyDictionary<string, string> bases, CancellationToken ct)
    {
        var images = ((IContainerImages)this).SelectedImages();
        var times = new Dictionary<string, List<double>>();
        void Record(string scenario, double seconds) => (times.TryGetValue(scenario, out var list) ? list : times[scenario] = []).Add(seconds);
        // Kept beside results.json, to read what the DSL was held against.
        Directory.CreateDirectory(BenchmarkArtifacts);
        var scriptPath = BenchmarkArtifacts / "publish.sh";
        await File.WriteAllTextAsync(scriptPath, ShellScript(images, bases), ct);
        string Repository(string tool, ContainerImage image) => $"{registry}/benchmark-publish/{tool}/{image.Name}";

        Task ScriptAsync(ContainerEngine engine) => RunScriptAsync(engine, scriptPath, $"{registry}/benchmark-publish/script", ct);
        async Task DslAsync(ContainerEngine engine, int parallelism) =>
            await Containers.RunAllAsync(images.Select(image => Containers.Image(Repository(parallelism == 1 ? "dsl" : "dsl-parallel", image)).WithName(image.Name)
                .FromDockerfile(image.Context).Target("runtime").BuildArgs(bases)
                .Tag(t => t.SemVer(SemVersion.Parse(BenchmarkVersion)).Sha(BenchmarkCommit).InEnvironment("staging"))
                .Push(p => p with { Force = true })
                .WithLog(line => Log.Verbose($"[{image.Name}] {line}"))), engine, parallelism, ct);

        // Side by side is the same run as one at a time with one image (--image-names go-api): measured with several only.
        var scenarios = new (string Name, Func<ContainerEngine, Task> Work)[]
        {
            ("script", ScriptAsync),
            ("dsl", e => DslAsync(e, 1)),
            ("dsl-parallel", e => DslAsync(e, Environment.ProcessorCount)),
        }.Where(s => images.Count > 1 || s.Name != "dsl-parallel").ToArray();
        // The bases are pulled into each new engine before the clock starts: the same work whoever builds, and the
        // noisiest part of a cold build here (the same pull took 10 to 24 s from run to run).
        // Only those the images' Dockerfiles take (go-api alone needs two, not the .NET SDK's 900 MB).
        var used = images.SelectMany(i => NukeContainers.Dockerfiles.DockerfileParser.Load(Path.Combine(i.Context, i.Dockerfile ?? "Dockerfile")).DeclaredArgs).ToHashSet();
        Task PullBasesAsync(ContainerEngine engine) =>
            DockerCliAsync(engine, ct, [.. bases.Where(b => used.Contains(b.Key)).Select(b => b.Value).Distinct().Select(image => new[] { "pull", "-q", image })]);
        for (var run = 1; run <= Runs; run++)
            foreach (var (name, work) in run % 2 == 1 ? scenarios : scenarios.Reverse())
                Record($"cold.{name}", await OnNewEngineAsync(work, ct, PullBasesAsync));

        // Warm: one engine, every tool's images built once; then nothing changes and each does it all again.
        await using var fresh = await EmbeddedEnvironment.StartTemporaryEngineAsync(Path.Combine("/var/tmp", $"nc-benchmark-engine-{Guid.NewGuid():N}"), Log.Verbose, ct);
        using var warm = ContainerEngine.Connect(fresh.Endpoint.SocketPath);
        foreach (var (_, work) in scenarios) await work(warm);
        for (var run = 1; run <= Runs; run++)
            foreach (var (name, work) in run % 2 == 1 ? scenarios : scenarios.Reverse())
            {
                var watch = Stopwatch.StartNew();
                await work(warm);
                Record($"warm.{name}", watch.Elapsed.TotalSeconds);
            }

        BenchmarkResult Compare(string temperature, string tool, string goal)
        {
            var script = BenchmarkResult.Median(times[$"{temperature}.script"]);
            var dsl = BenchmarkResult.Median(times[$"{temperature}.{tool}"]);
            return new($"publish.{temperature}.{tool}", dsl, "s", script, dsl / script, Runs,
                $"{images.Count} samples built (BuildKit), tagged {string.Join(" ", BenchmarkTags)} and pushed to {registry}; " +
                $"{(temperature == "cold" ? "each run on a new engine with the base images pulled before the clock starts (an empty build cache)" : "one engine, nothing changed since the last run")}; " +
                $"the DSL {(tool == "dsl" ? "one image at a time" : $"with {Environment.ProcessorCount} images side by side")}, the baseline the shell script artifacts/benchmarks/publish.sh " +
                $"(DOCKER_BUILDKIT=1 docker 20.10 build, docker tag, docker push, one image after another); goal: {goal}");
        }
        return
        [
            .. from temperature in new[] { "cold", "warm" }
               from tool in scenarios.Select(s => s.Name).Where(n => n != "script")
               select Compare(temperature, tool, tool == "dsl" ? "ratio at most 1.05" : "ratio below 1"),
        ];
    }

    /// <summary>
    /// The whole process with nothing changed, as a team runs it: <c>./build.sh Publish</c> (the bootstrapper, the host,
    /// every step: restore-cache, build, slim, tag, scan, push with attestations, the skipped rollout) in a clone of this
    /// repository's HEAD, against <c>bash publish.sh</c> (build, tag, push); both from process start to exit, on this
    /// engine, both warm (each run once before the clock), order alternating per run.
    /// </summary>
    async Task<BenchmarkResult> BenchmarkPublishProcessAsync(ContainerEngine engine, string registry, IReadOnlyDictionary<string, string> bases, CancellationToken ct)
    {
        var images = ((IContainerImages)this).SelectedImages();
        Directory.CreateDirectory(BenchmarkArtifacts);
        var scriptPath = BenchmarkArtifacts / "publish.sh";
        await File.WriteAllTextAsync(scriptPath, ShellScript(images, bases), ct);
        var clone = Path.Combine("/var/tmp", $"nc-benchmark-clone-{Guid.NewGuid():N}");
        await Cli.Wrap("git").WithArguments(["clone", "--quiet", RootDirectory, clone]).ExecuteBufferedAsync(ct);
        try
        {
            string[] publish = ["Publish", "--registry", registry, "--image-names", .. images.Select(i => i.Name)];
            async Task<double> ProcessAsync()
            {
                var watch = Stopwatch.StartNew();
                var result = await Cli.Wrap(Path.Combine(clone, "build.sh")).WithArguments(publish).WithWorkingDirectory(clone)
                    .WithEnvironmentVariables(e => e.Set("DOCKER_HOST", "unix://" + engine.SocketPath).Set("CI", "true"))
                    .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
                if (result.ExitCode != 0) throw new ContainerException($"./build.sh Publish in {clone} failed ({result.ExitCode}):\n{Tail(result.StandardOutput + result.StandardError)}");
                return watch.Elapsed.TotalSeconds;
            }
            async Task<double> ScriptAsync()
            {
                var watch = Stopwatch.StartNew();
                await RunScriptAsync(engine, scriptPath, $"{registry}/benchmark-publish/script", ct);
                return watch.Elapsed.TotalSeconds;
            }
            // Warm: the clone's build project built, the images reused or built, the script's images built and pushed.
            await ProcessAsync();
            await ScriptAsync();
            var (process, script) = (new List<double>(), new List<double>());
            for (var run = 1; run <= Runs; run++)
            {
                if (run % 2 == 1) { process.Add(await ProcessAsync()); script.Add(await ScriptAsync()); }
                else { script.Add(await ScriptAsync()); process.Add(await ProcessAsync()); }
            }
            var (publishMedian, scriptMedian) = (BenchmarkResult.Median(process), BenchmarkResult.Median(script));
            return new("publish.nochange.process", publishMedian, "s", scriptMedian, publishMedian / scriptMedian, Runs,
                $"{images.Count} samples, nothing changed: ./build.sh Publish (a clone of HEAD; the bootstrapper, the host and every step: restore-cache, " +
                "build, slim, tag, scan, push with attestations, the rollout skipped) against bash artifacts/benchmarks/publish.sh (docker build, tag, push), " +
                "each timed from process start to exit on this engine, warm; goal: ratio at most 1.2");
        }
        finally
        {
            Directory.Delete(clone, recursive: true);
        }
    }

    /// The script a team writes today for build, tag and push, one image after another.
    static string ShellScript(IReadOnlyList<ContainerImage> images, IReadOnlyDictionary<string, string> bases) =>
        $$"""
        #!/usr/bin/env bash
        # Build, tag and push the samples the way a team's shell script does it today (the benchmark's baseline).
        # Usage: REPOSITORY=registry/path ./publish.sh
        set -euo pipefail
        build_args=({{string.Join(" ", BuildArgFlags(bases).Select(a => $"'{a}'"))}})
        publish() {  # NAME CONTEXT
          local image="$REPOSITORY/$1"
          docker build -q --network host --target runtime "${build_args[@]}" -t "$image:{{BenchmarkVersion}}" "$2" >/dev/null
          for tag in {{string.Join(" ", BenchmarkTags.Skip(1))}}; do docker tag "$image:{{BenchmarkVersion}}" "$image:$tag"; done
          for tag in {{string.Join(" ", BenchmarkTags)}}; do docker push -q "$image:$tag" >/dev/null; done
        }
        {{string.Join("\n", images.Select(i => $"publish {i.Name} '{i.Context}'"))}}

        """;

    static async Task RunScriptAsync(ContainerEngine engine, string script, string repository, CancellationToken ct)
    {
        // Debian's docker 20.10 client first on PATH: the machine's docker 28 has no buildx for BuildKit.
        var result = await Cli.Wrap("bash").WithArguments([script])
            .WithEnvironmentVariables(e => e.Set("DOCKER_HOST", "unix://" + engine.SocketPath).Set("DOCKER_BUILDKIT", "1").Set("REPOSITORY", repository)
                .Set("PATH", "/usr/bin:" + Environment.GetEnvironmentVariable("PATH")))
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
        if (result.ExitCode != 0)
            throw new ContainerException($"The benchmark's shell script failed ({result.ExitCode}):\n{Tail(result.StandardOutput + result.StandardError)}");
    }
}
