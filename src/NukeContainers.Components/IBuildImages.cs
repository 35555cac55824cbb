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
            var cache = this is IRestoreCache restorer ? await restorer.CacheSettingsAsync(ct) : null;
            var results = new List<ImageResult>();
            try
            {
                foreach (var image in SelectedImages())
                {
                    var pipeline = PipelineOf(image);
                    if (oci is var (version, revision, created, source)) pipeline = pipeline.OciLabels(version, revision, created, source, image.Name);
                    if (cache is not null) pipeline = pipeline.RestoreCache(_ => cache);
                    var result = await BuildImagesSettings(pipeline).RunAsync(engine, ct);
                    results.Add(result);
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
            NoteSizesAndCheckBudgets(ReadReport());
        });

    /// <summary>
    /// Notes each image's size (against its baseline) in the summary and fails when one is over its budget. From the
    /// report, so that an image reused unchanged is held to the baseline measured when it was built.
    /// </summary>
    void NoteSizesAndCheckBudgets(Reporting.ContainerReport report)
    {
        var measured = SelectedImages().Select(i => (Image: i, Report: report.Find(i.Name)))
            .Where(x => x.Report is not null)
            .Select(x => (x.Image, Report: x.Report!, Ratio: x.Report!.Baseline() is { SizeBytes: > 0 } b ? (double)x.Report.SizeBytes / b.SizeBytes : (double?)null)).ToList();
        foreach (var (image, entry, ratio) in measured)
            Note($"{image.Name} {(entry.Cache()?.Skipped == true ? "unchanged, not built: " : "")}{Reporting.ContainerReport.Megabytes(entry.SizeBytes)}" +
                 (ratio is { } r ? FormattableString.Invariant($" ({100 * r:0.0}% of {image.Baseline})") : ""));
        var over = measured.Where(x => x.Image.SizeBudget is { } budget && x.Ratio > budget).ToList();
        if (over.Count > 0)
            throw new ContainerException(string.Join("; ", over.Select(x => $"{x.Image.Name} is {x.Ratio:P1} of its baseline, over its budget of {x.Image.SizeBudget:P0}")));
    }

    /// <summary>The pipeline of one declared image before the settings hook: its repository, Dockerfile, target and baseline.</summary>
    ImagePipeline PipelineOf(ContainerImage image)
    {
        var pipeline = PipelineFor(image).FromDockerfile(image.Context, image.Dockerfile);
        if (image.Target is not null) pipeline = pipeline.Target(image.Target);
        if (image.Baseline is not null) pipeline = pipeline.CompareWith(image.Baseline);
        return pipeline;
    }
}
