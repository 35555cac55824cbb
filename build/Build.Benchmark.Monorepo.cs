using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using NukeContainers;
using NukeContainers.Build;
using NukeContainers.Engine;
using NukeContainers.Provisioning;

/// <summary>
/// ./build.sh Benchmark --benchmarks monorepo (issue 28.4): a repository of many services as a team keeps it, set up
/// from the dotnet new template with the packed packages (as the README's getting started does), its services made
/// from the three samples with names and sources of their own (Go, Node and .NET in turn). On Docker 26 (the
/// containerd store), each tool on its own new engine: cold (the bases pulled before the clock), then on that engine
/// nothing changed, a commit that changes nothing, and one service's source changed (committed). The tools: the
/// product's <c>./build.sh Publish</c> (every step: build, slim, tag, scan, push with attestations; the rollout skipped),
/// the shell script teams write (<c>docker build</c> and <c>docker push</c> of each), and <c>docker buildx bake</c>
/// (buildx 0.13, a compose-format bake file of every target with registry cache and the host's network: buildx 0.13's
/// HCL and JSON bake files have no network key, and this engine has no bridge). And the changed service alone, built
/// and pushed by the script: what one changed service costs at the least.
/// </summary>
partial class Build
{
    [Parameter("The monorepo benchmark's sizes: how many services each generated repository has (1 6 24 by default)")]
    readonly int[] MonorepoServices = [1, 6, 24];

    static readonly string[] MonorepoTools = ["publish", "script", "bake"];

    async Task<IReadOnlyList<BenchmarkResult>> BenchmarkMonorepoAsync(string registry, IReadOnlyDictionary<string, string> bases, CancellationToken ct)
    {
        using var work = new TemporaryCopy(null);
        var feed = Path.Combine(work.Path, "feed");
        var hive = Path.Combine(work.Path, "hive");
        var version = $"0.0.0-monorepo.{Environment.ProcessId}";
        await PackAsync(feed, version, ct);
        await ToolAsync(work.Path, ct, "dotnet", "new", "install", Path.Combine(feed, $"NukeContainers.Templates.{version}.nupkg"), "--debug:custom-hive", hive);
        using var config = await BuildxConfigAsync(ct);

        var results = new List<BenchmarkResult>();
        foreach (var services in MonorepoServices.Order())
        {
            var times = new Dictionary<string, List<double>>();
            void Record(string scenario, double seconds) => (times.TryGetValue(scenario, out var list) ? list : times[scenario] = []).Add(seconds);
            for (var run = 1; run <= Runs; run++)
                foreach (var tool in run % 2 == 1 ? MonorepoTools : MonorepoTools.Reverse())
                {
                    var repository = Path.Combine(work.Path, $"monorepo-{services}-{tool}-{run}");
                    // A registry path of this benchmark's own: cold means nothing of an earlier benchmark's to reuse.
                    var pushTo = $"{registry}/monorepo-{Environment.ProcessId}-{services}-{run}";
                    var names = await MakeMonorepoAsync(repository, services, feed, hive, pushTo, bases, ct);
                    var environment = new Dictionary<string, string> { ["DOCKER_CONFIG"] = config.Path, ["DOCKER_BUILDKIT"] = "1", ["CI"] = "true" };
                    // The build project compiled before any clock starts: the script and bake have none to compile.
                    await ToolAsync(repository, ct, environment, "./build.sh", "--help");
                    await using var fresh = await EmbeddedEnvironment.StartTemporaryEngineAsync(Path.Combine("/var/tmp", $"nc-monorepo-engine-{Guid.NewGuid():N}"), EmbeddedEngine.Docker26, Log.Verbose, ct);
                    environment["DOCKER_HOST"] = fresh.Endpoint.Uri.ToString();
                    using var engine = ContainerEngine.Connect(fresh.Endpoint.SocketPath);
                    await DockerCliAsync(engine, ct, [.. bases.Values.Distinct().Select(image => new[] { "pull", "-q", image })]);
                    async Task<double> TimeAsync(params string[] command)
                    {
                        var watch = Stopwatch.StartNew();
                        await ToolAsync(repository, ct, environment, command);
                        return watch.Elapsed.TotalSeconds;
                    }
                    string[] Command() => tool switch
                    {
                        "publish" => ["./build.sh", "Publish", "--registry", $"{pushTo}/publish", "--environment", "staging"],
                        "script" => ["bash", "publish.sh"],
                        _ => ["docker", "buildx", "bake", "-f", "compose.yaml", "--push"],
                    };
                    Record($"cold.{tool}", await TimeAsync(Command()));
                    Record($"unchanged.{tool}", await TimeAsync(Command()));
                    await ToolAsync(repository, ct, "git", "commit", "-q", "--allow-empty", "-m", "nothing changed");
                    Record($"empty-commit.{tool}", await TimeAsync(Command()));
                    // One service's source changed, committed, as a developer pushes it.
                    var changed = names[^1];
                    await File.AppendAllTextAsync(Path.Combine(repository, "services", changed, MonorepoSourceFile(changed)), SourceChange(), ct);
                    await ToolAsync(repository, ct, "git", "commit", "-q", "-am", $"change {changed}");
                    Record($"one-changed.{tool}", await TimeAsync(Command()));
                    if (tool == "script")
                    {
                        // The floor: that service alone, built and pushed after one more change.
                        await File.AppendAllTextAsync(Path.Combine(repository, "services", changed, MonorepoSourceFile(changed)), SourceChange(), ct);
                        Record("alone.script", await TimeAsync("bash", "publish.sh", changed));
                    }
                }

            double Median(string scenario) => BenchmarkResult.Median(times[scenario]);
            string What(string scenario) => scenario switch
            {
                "cold" => "cold (a new Docker 26 engine, the bases pulled before the clock)",
                "unchanged" => "nothing changed since the cold run",
                "empty-commit" => "after a commit that changes nothing",
                _ => "one service's source changed (one line, committed)",
            };
            string Notes(string scenario, string goal) =>
                $"{services} services (Go, Node, .NET from the samples) in a repository set up from the template; {What(scenario)}; ./build.sh Publish (build, slim, tag, scan, " +
                $"push with attestations) against docker buildx bake (compose file, registry cache, --push); the script (docker build, push) took {Median($"{scenario}.script"):0.0} s, " +
                $"{Median($"{scenario}.publish") / Median($"{scenario}.script"):0.00} of it; goal: {goal}";
            results.Add(new($"monorepo.{services}.cold", Median("cold.publish"), "s", Median("cold.bake"), Median("cold.publish") / Median("cold.bake"), Runs, Notes("cold", "ratio at most 1.0")));
            foreach (var scenario in new[] { "unchanged", "empty-commit" })
                results.Add(new($"monorepo.{services}.{scenario}", Median($"{scenario}.publish"), "s", Median($"{scenario}.bake"), Median($"{scenario}.publish") / Median($"{scenario}.bake"), Runs,
                    Notes(scenario, "ratio at most 0.5 (and at most 0.5 of the script's)")));
            results.Add(new($"monorepo.{services}.one-changed", Median("one-changed.publish"), "s", Median("alone.script"), Median("one-changed.publish") / Median("alone.script"), Runs,
                Notes("one-changed", "ratio at most 1.15") + $"; the baseline is that service alone, built and pushed by the script; bake took {Median("one-changed.bake"):0.0} s"));
        }
        return results;
    }

    /// The file of a generated service that the benchmark changes, by the sample it was made from.
    static string MonorepoSourceFile(string service) => SourceFiles[service[..service.LastIndexOf('-')]];

    /// <summary>
    /// A repository set up as the README says (dotnet new nukecontainers with the packages' feed), with
    /// <paramref name="count"/> services under services/, a Build.cs that declares them (built on the registry's
    /// bases), the script and the bake file; committed. Returns the services' names.
    /// </summary>
    async Task<IReadOnlyList<string>> MakeMonorepoAsync(string repository, int count, string feed, string hive, string registry, IReadOnlyDictionary<string, string> bases, CancellationToken ct)
    {
        Directory.CreateDirectory(repository);
        await ToolAsync(repository, ct, "git", "init", "-q", "-b", "main");
        await ToolAsync(repository, ct, "dotnet", "new", "nukecontainers", "--package-source", feed, "--debug:custom-hive", hive);
        string[] kinds = ["go-api", "node-web", "dotnet-api"];
        var names = Enumerable.Range(0, count).Select(i => $"{kinds[i % 3]}-{i:00}").ToList();
        Directory.CreateDirectory(Path.Combine(repository, "services"));
        foreach (var name in names)
        {
            var target = Path.Combine(repository, "services", name);
            TemporaryCopy.CopyFolder(SamplesDirectory / name[..name.LastIndexOf('-')], target);
            // Sources of its own: a line that names it, in the file the benchmark changes.
            await File.AppendAllTextAsync(Path.Combine(target, MonorepoSourceFile(name)), $"\n// service {name}\n", ct);
        }
        string Literal(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        await File.WriteAllTextAsync(Path.Combine(repository, "build", "Build.cs"), $$"""
            using NukeContainers;
            using NukeContainers.Build;
            using NukeContainers.Components;

            /// A monorepo of services (generated by ./build.sh Benchmark --benchmarks monorepo): each folder of services/ is an image.
            class Build : BuildHost, IContainerPublish
            {
                public static int Main() => Execute<Build>(x => ((IContainerPublish)x).Publish);

                IReadOnlyList<ContainerImage> IContainerImages.Images =>
                    [.. Directory.GetDirectories(RootDirectory / "services").Order(StringComparer.Ordinal)
                        .Select(folder => new ContainerImage(Path.GetFileName(folder), RootDirectory / "services" / Path.GetFileName(folder)) { Target = "runtime" })];

                /// The base images from the registry (nothing is pulled from outside this machine).
                Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline
            {{string.Join("\n", bases.Select(b => $"            .BuildArg({Literal(b.Key)}, {Literal(b.Value)})"))}};
            }

            """, ct);
        var args = string.Join(" ", BuildArgFlags(bases).Select(a => $"'{a}'"));
        await File.WriteAllTextAsync(Path.Combine(repository, "publish.sh"), $$"""
            #!/usr/bin/env bash
            # Build and push every service (or those named), one after another, as a team's script does.
            set -euo pipefail
            cd "$(dirname "$0")"
            build_args=({{args}})
            services=("$@"); [[ ${#services[@]} -gt 0 ]] || services=($(ls services))
            for name in "${services[@]}"; do
              image="{{registry}}/script/$name:$(git rev-parse --short HEAD)"
              docker build -q --network host --target runtime "${build_args[@]}" -t "$image" "services/$name" >/dev/null
              docker push -q "$image" >/dev/null
            done

            """, ct);
        await File.WriteAllTextAsync(Path.Combine(repository, "compose.yaml"), "services:\n" + string.Concat(names.Select(name => $"""
              {name}:
                build:
                  context: services/{name}
                  target: runtime
                  network: host
                  args:
            {string.Concat(bases.Select(b => $"          {b.Key}: \"{b.Value}\"\n"))}      tags: ["{registry}/bake/{name}:latest"]
                  cache_from: ["type=registry,ref={registry}/bake/{name}:buildcache"]
                  cache_to: ["type=registry,ref={registry}/bake/{name}:buildcache,mode=max"]

            """)), ct);
        await ToolAsync(repository, ct, "git", "add", "-A");
        await ToolAsync(repository, ct, "git", "-c", "user.name=Benchmark", "-c", "user.email=benchmark@example.com", "commit", "-q", "-m", $"{count} services");
        return names;
    }

    static Task ToolAsync(string folder, CancellationToken ct, params string[] command) => ToolAsync(folder, ct, new Dictionary<string, string>(), command);

    /// Runs a command in a folder (git with a committer of its own), failing with its output's tail.
    static async Task ToolAsync(string folder, CancellationToken ct, IReadOnlyDictionary<string, string> environment, params string[] command)
    {
        // A command of the folder's own (./build.sh) is found there: a relative path is the caller's otherwise.
        var program = command[0].StartsWith("./", StringComparison.Ordinal) ? Path.Combine(folder, command[0][2..]) : command[0];
        var result = await Cli.Wrap(program).WithArguments(command[1..]).WithWorkingDirectory(folder)
            .WithEnvironmentVariables(e =>
            {
                e.Set("GIT_AUTHOR_NAME", "Benchmark").Set("GIT_AUTHOR_EMAIL", "benchmark@example.com").Set("GIT_COMMITTER_NAME", "Benchmark").Set("GIT_COMMITTER_EMAIL", "benchmark@example.com");
                // Debian's docker 20.10 client first on PATH, as the publish benchmark's script has it.
                e.Set("PATH", "/usr/bin:" + Environment.GetEnvironmentVariable("PATH"));
                foreach (var (name, value) in environment) e.Set(name, value);
            })
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(ct);
        if (result.ExitCode != 0)
            throw new ContainerException($"{string.Join(' ', command)} in {folder} failed ({result.ExitCode}):\n{Tail(result.StandardOutput + result.StandardError)}");
    }
}
