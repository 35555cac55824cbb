using NukeContainers.Build;
using NukeContainers.Engine;

namespace NukeContainers.Components;

/// <summary>Builds the declared images, writes report.json, and holds each image to its size budget.</summary>
public interface IBuildImages : ILocalEnvironment
{
    /// <summary>The settings hook: each image's pipeline passes through it before it runs (<c>p.Name</c> says which image).</summary>
    Configure<ImagePipeline> BuildImagesSettings => _ => _;

    /// <summary>Secrets for the builds' <c>RUN --mount=type=secret</c>: <c>ID=env:VARIABLE</c> or <c>ID=file:PATH</c>.</summary>
    [Parameter("A secret for RUN --mount=type=secret,id=ID: ID=env:VARIABLE or ID=file:PATH (repeatable). It reaches the RUN through the BuildKit session, never a layer or a log")]
    string[] BuildSecret => TryGetValue(() => BuildSecret) ?? [];

    /// <summary>SSH agents for the builds' <c>RUN --mount=type=ssh</c>: <c>default</c> (SSH_AUTH_SOCK's) or <c>ID=SOCKET</c>.</summary>
    [Parameter("Forward an SSH agent to RUN --mount=type=ssh: default (SSH_AUTH_SOCK's agent) or ID=SOCKET (repeatable)")]
    string[] Ssh => TryGetValue(() => Ssh) ?? [];

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
            var pipelines = SelectedImages().Select(image =>
            {
                var pipeline = PipelineOf(image);
                if (oci is var (version, revision, created, source)) pipeline = pipeline.OciLabels(version, revision, created, source, image.Name);
                if (cache is not null) pipeline = pipeline.RestoreCache(_ => cache);
                return BuildImagesSettings(pipeline);
            }).ToList();
            var results = new List<ImageResult>();
            try
            {
                results.AddRange(await RunImagesAsync(pipelines, engine, ct, report: false));
            }
            catch (ImagesFailedException failed)
            {
                results.AddRange(failed.Results);
                throw;
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
            .Select(x => (x.Image, Report: x.Report!, Ratio: x.Report!.ShareOfBaseline())).ToList();
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
        foreach (var (id, secret) in BuildSecrets()) pipeline = pipeline.Secret(id, secret);
        foreach (var value in Ssh)
        {
            var (id, socket) = value.Split('=', 2) is [var name, var path] ? (name, path) : (value, null);
            pipeline = pipeline.ForwardSsh(id, socket is null ? null : Path.GetFullPath(socket, RootDirectory));
        }
        return pipeline;
    }

    /// <summary>The --build-secret values, each an id and its source; a value that is not one is an error that shows the forms.</summary>
    IEnumerable<(string Id, Building.BuildSecret Secret)> BuildSecrets()
    {
        foreach (var value in BuildSecret)
        {
            var parts = value.Split('=', 2);
            var source = parts.Length == 2 ? parts[1].Split(':', 2) : [];
            yield return (parts[0], source switch
            {
                ["env", { Length: > 0 } variable] => Building.BuildSecret.FromEnvironment(variable),
                ["file", { Length: > 0 } file] => Building.BuildSecret.FromFile(Path.GetFullPath(file.StartsWith("~/") ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), file[2..]) : file, RootDirectory)),
                _ => throw new ParameterException($"--build-secret {parts[0]}=...: give ID=env:VARIABLE or ID=file:PATH (such as npmrc=file:~/.npmrc or nuget_token=env:NUGET_TOKEN)."),
            });
        }
    }
}
