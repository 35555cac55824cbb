using NukeContainers.Build;
using NukeContainers.Engine;

namespace NukeContainers.Components;

/// <summary>Builds the declared images, writes report.json, and holds each image to its size budget.</summary>
public interface IBuildImages : ILocalEnvironment
{
    /// <summary>The settings hook: each image's pipeline passes through it before it runs (<c>p.Name</c> says which image).</summary>
    Configure<ImagePipeline> BuildImagesSettings => _ => _;

    /// <summary>Builds each selected image.</summary>
    Target BuildImages => _ => _
        .Description("Build the declared images (with their baselines), write artifacts/containers/report.json, check the size budgets")
        .DependsOn<ILocalEnvironment>(x => x.LocalEnvironment)
        .Executes(async ct =>
        {
            using var engine = await ContainerEngine.ConnectAsync(cancellationToken: ct);
            // A build that tags its images labels them with what the tags say (OCI labels are part of the config).
            var oci = this is ITagImages tagger ? await tagger.OciValuesAsync(ct) : default((string, string?, DateTimeOffset?, string?)?);
            var results = new List<ImageResult>();
            try
            {
                foreach (var image in SelectedImages())
                {
                    var pipeline = PipelineOf(image);
                    if (oci is var (version, revision, created, source)) pipeline = pipeline.OciLabels(version, revision, created, source, image.Name);
                    var result = await BuildImagesSettings(pipeline).RunAsync(engine, ct);
                    results.Add(result);
                    Note($"{image.Name} {Reporting.ContainerReport.Megabytes(result.SizeBytes)}{(result.SizeRatio is { } r ? FormattableString.Invariant($" ({100 * r:0.0}% of {image.Baseline})") : "")}");
                }
            }
            finally
            {
                // What finished is reported even when a later image fails; a failed image's old entry goes, so the report is never stale.
                var failed = SelectedImages().Select(i => i.Name).Except(results.Select(r => r.Name));
                var report = ReadReport().With(results, RootDirectory).Without(failed);
                await report.WriteAsync(ContainerArtifacts, CancellationToken.None);
                Log.Write(Verbosity.Minimal, report.ToMarkdown());
            }
            var over = results.Select(r => (Result: r, Image: SelectedImages().First(i => i.Name == r.Name)))
                .Where(x => x.Image.SizeBudget is { } budget && x.Result.SizeRatio > budget).ToList();
            if (over.Count > 0)
                throw new ContainerException(string.Join("; ", over.Select(x => $"{x.Image.Name} is {x.Result.SizeRatio:P1} of its baseline, over its budget of {x.Image.SizeBudget:P0}")));
        });

    /// <summary>The pipeline of one declared image before the settings hook: its repository, Dockerfile, target and baseline.</summary>
    ImagePipeline PipelineOf(ContainerImage image)
    {
        var pipeline = Containers.Image(RepositoryOf(image)).WithName(image.Name)
            .FromDockerfile(image.Context, image.Dockerfile)
            .WithLog(line => Log.Info($"[{image.Name}] {line}"));
        if (image.Target is not null) pipeline = pipeline.Target(image.Target);
        if (image.Baseline is not null) pipeline = pipeline.CompareWith(image.Baseline);
        return pipeline;
    }
}
