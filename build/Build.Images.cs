using NukeContainers;
using NukeContainers.BaseImages;
using NukeContainers.Build;
using NukeContainers.Engine;
using NukeContainers.Reporting;

enum BaseImageSource { Local, Official }

partial class Build
{
    [Parameter("Where the samples' base images come from: local (made on this machine, no pulls) or official (pulled)")]
    readonly BaseImageSource BaseImages = BaseImageSource.Local;

    [Parameter("The registry the images are named for")]
    readonly string Registry = "127.0.0.1:5000";

    AbsolutePath SamplesDirectory => RootDirectory / "samples";
    AbsolutePath ContainerArtifacts => ArtifactsDirectory / "containers";

    /// The most each sample's image may weigh against its naive build: the case studies' promise, checked on every build.
    static readonly Dictionary<string, double> SizeBudgets = new() { ["go-api"] = 0.02, ["node-web"] = 0.10, ["dotnet-api"] = 0.15 };

    Target BuildImages => _ => _
        .Description("Build each sample optimised and naive, write artifacts/containers/report.json, check the size budgets")
        .DependsOn(LocalEnvironment)
        .Executes(async ct =>
        {
            using var engine = await ContainerEngine.ConnectLocalAsync(new LocalEnvironmentOptions { Log = Log.Info }, ct);
            var buildArgs = BaseImages == BaseImageSource.Local
                ? await LocalBaseImages.EnsureAsync(engine, Log.Info, ct, buildLog: Log.Verbose)
                : new Dictionary<string, string>();

            var results = new List<ImageResult>();
            foreach (var sample in Directory.EnumerateDirectories(SamplesDirectory).Where(d => File.Exists(Path.Combine(d, "Dockerfile"))).Order())
            {
                var result = await Containers.Image($"{Registry}/samples/{Path.GetFileName(sample)}")
                    .FromDockerfile(sample).Target("runtime").CompareWith("Dockerfile.naive")
                    .BuildArgs(buildArgs).WithLog(Log.Info)
                    .RunAsync(engine, ct);
                results.Add(result.Image);
            }

            var report = ContainerReport.From(results, RootDirectory);
            await report.WriteAsync(ContainerArtifacts, ct);
            Log.Write(Verbosity.Minimal, report.ToMarkdown());
            var over = results.Where(r => SizeBudgets.TryGetValue(r.Name, out var budget) && r.SizeRatio > budget).ToList();
            if (over.Count > 0)
                throw new InvalidOperationException(string.Join("; ", over.Select(r => $"{r.Name} is {r.SizeRatio:P1} of its naive build, over its budget of {SizeBudgets[r.Name]:P0}")));
        });
}
