using NukeContainers.Build;
using NukeContainers.Engine;
using NukeContainers.Reporting;

namespace NukeContainers.Components;

/// <summary>
/// The whole delivery as one target: restore the cache, build, slim, tag, scan, push, attest, export the cache, sign
/// (given a key) and roll out each declared image (<c>./build.sh Publish</c>). Each image goes through one pipeline
/// that every component adds its step to (its <see cref="ImageStep"/> property, with its parameters and settings
/// hook), so an image passes from step to step in memory, with no wait for the others and one engine connection; the
/// pipelines run side by side once, and report.json gets each image as it finishes (a run stopped later keeps it) and all of them when they have ended (a failed or cancelled run too). A build changes a step for Publish and for the step's own
/// target alike by overriding its settings hook or its ImageStep. The rollout runs when a cluster is configured
/// (--kubeconfig, KUBECONFIG or ~/.kube/config); otherwise it is skipped, and report.json and the summary say why.
/// </summary>
public interface IContainerPublish : IBuildImages, IRestoreCache, ISlimImages, IScanImages, IPushImages, ISignImages, IRolloutImages, IDescribesPlan
{
    /// <summary>For <c>--plan</c> with Publish: each selected image's steps, in the order they run, each with what it runs after.</summary>
    async Task<string?> IDescribesPlan.DescribePlanAsync(IReadOnlyList<string> targets, CancellationToken cancellationToken)
    {
        if (!targets.Contains("Publish")) return null;
        RunFacts facts;
        try
        {
            facts = await RunFactsAsync(cancellationToken);
        }
        catch (ContainerException e)
        {
            facts = new RunFacts { Version = new Semver.SemVersion(0, 0, 0) };   // the steps are the same; the version is what could not be read
            Log.Verbose($"The plan's steps are shown without the version ({e.Message})");
        }
        var rollout = NoCluster() is null && Manifests is null;
        var text = new System.Text.StringBuilder("\nPublish's steps for each image (each after the steps in brackets):\n");
        foreach (var image in SelectedImages())
        {
            text.Append($"  {image.Name}:\n");
            foreach (var line in PublishPipelineFor(image, facts, rollout).StepGraph().Split('\n')) text.Append($"    {line}\n");
        }
        if (!rollout) text.Append("  (the rollout runs after every image is pushed, or is skipped: see RolloutImages)\n");
        return text.ToString();
    }

    /// <summary>Runs every step of every image and prints the summary of what was delivered.</summary>
    Target Publish => _ => _
        .Description("Restore the cache, build, slim, tag, scan, push, sign (given --signing-key) and roll out (when a cluster is configured) every selected image, each in one pipeline; print the summary")
        .Validates(CheckImageParameters)
        .Validates(CheckBuildParameters)
        .Validates(CheckPushParameters)
        .Validates(() => GivenVersion())
        .Validates(CheckCommittedTree)
        .Validates(CheckSigningKey)
        .Executes(async ct =>
        {
            ReadReport();   // a report.json that cannot be read fails here, before anything is built or pushed
            var facts = await RunFactsAsync(ct);
            var noCluster = NoCluster();
            // Applied manifests pin every image's digest, so with --manifests the rollouts wait until every image is pushed.
            var rolloutInPipeline = noCluster is null && Manifests is null;
            var images = SelectedImages();
            ContainerReport report;
            try
            {
                using (var engine = await ConnectEngineAsync(ct))
                {
                    var pipelines = images.Select(image => PublishPipelineFor(image, facts, rolloutInPipeline)).ToList();
                    await RunImagesAsync(pipelines, engine, ct, result =>
                    {
                        if (result.Slim is not null) ListRemovedPaths(result);
                        AnnotateFindings(result);
                    });
                }
                if (noCluster is not null) await SkipRolloutAsync(noCluster, ct);
                else if (!rolloutInPipeline) await RollOutAsync(ResumedImages("RolloutImages", ResumeFrom.Pushed), ct);
            }
            finally
            {
                report = ReadReport();
                Log.Write(Verbosity.Minimal, report.ToMarkdown());
            }

            var delivered = images.Select(i => report.Find(i.Name)).OfType<ImageReport>().ToList();
            Log.Write(Verbosity.Minimal, Summary(delivered));
            // In CI, each image's digest and tags, and the report, are the step's outputs (steps.ID.outputs.go-api-digest).
            foreach (var image in delivered)
            {
                if (image.Digest() is { } digest) Log.Ci.SetOutput($"{ArtifactName(image.Name)}-digest", digest);
                if (image.Tags() is { Count: > 0 } tags) Log.Ci.SetOutput($"{ArtifactName(image.Name)}-tags", string.Join(",", tags));
            }
            Log.Ci.SetOutput("report", Path.GetRelativePath(RootDirectory, ContainerArtifacts / "report.json"));
            if (SigningKey is null) Note("signing skipped: no --signing-key");
            foreach (var image in delivered)
                Note($"{image.Name} {(image.Cache()?.Skipped == true ? "unchanged, not rebuilt: its pushed digest" : "built and pushed as")} {image.Digest()?[..19]}" +
                     $"{(image.Signature() is null ? "" : ", signed")}, rollout {image.Rollout()?.Status ?? "not run"}");
        });

    /// <summary>
    /// An image's whole delivery: every image step the build takes (its components' and its own, <see cref="ImageStep"/>),
    /// in the order their names declare; the rollout only when it runs in the pipeline.
    /// </summary>
    ImagePipeline PublishPipelineFor(ContainerImage image, RunFacts facts, bool rollout) =>
        ImageStep.AddAll(ImageSteps.Where(s => rollout || s.Name != StepNames.Rollout), PipelineFor(image), new ImageStepContext(image, facts));

    /// <summary>One line an image: size (and against its baseline), tags, digest, findings, rollout and time taken.</summary>
    static string Summary(IReadOnlyList<ImageReport> images)
    {
        string[] header = ["image", "build", "size", "tags", "digest", "findings", "rollout", "time"];
        var rows = images.Select(i => new[]
        {
            i.Name,
            i.Cache() is { Skipped: true } cache ? $"reused (inputs unchanged{(cache.BuiltFrom is { } commit ? $", built at {commit[..Math.Min(7, commit.Length)]}" : "")})"
                : i.Cache()?.Changes is { } changes ? $"built ({changes.Short()})" : "built",
            ContainerReport.Megabytes(i.SizeBytes) + (i.ShareOfBaseline() is { } share ? FormattableString.Invariant($" ({100 * share:0.0}% of naive)") : ""),
            string.Join(" ", i.Tags() ?? []),
            i.Digest() is { Length: > 19 } d ? d[..19] : i.Digest() ?? "-",
            i.Scan() is { } s ? $"{s.Critical}C {s.High}H {s.Medium}M {s.Low}L ({s.Gate})" : "-",
            i.Rollout() is { } r ? r.Status + (r.Status == "skipped" ? "" : $" ({r.Deployment})") : "-",
            FormattableString.Invariant($"{i.DurationsMs.Values.Sum() / 1000.0:0.0} s"),
        }).ToList();
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((cell, c) => c == cells.Length - 1 ? cell : cell.PadRight(widths[c])));
        return string.Join('\n', new[] { Line(header), string.Join("  ", widths.Select(w => new string('-', w))) }.Concat(rows.Select(Line)));
    }
}
