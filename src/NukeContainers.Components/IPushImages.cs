using NukeContainers.Build;
using NukeContainers.Engine;
using NukeContainers.Registry;

namespace NukeContainers.Components;

/// <summary>Pushes every tag of the images TagImages tagged (read from report.json).</summary>
public interface IPushImages : ITagImages
{
    /// <summary>Push even when a version tag already names another image.</summary>
    [Parameter("Replace a version tag that already names another image (versions are immutable otherwise)")]
    bool ForceTags => TryGetValue<bool?>(() => ForceTags) ?? false;

    /// <summary>Attach SLSA provenance to each pushed image.</summary>
    [Parameter("Attach SLSA provenance (commit, Dockerfile, build arguments, base images) to each pushed image as buildx does; the tags then name an index of the image and its attestations (default true)")]
    bool Provenance => TryGetValue<bool?>(() => Provenance) ?? true;

    /// <summary>Attach the scan's SBOM to each pushed image.</summary>
    [Parameter("Attach the scan's SBOM (CycloneDX, and as SPDX) to each pushed image as buildx does (default true; needs ScanImages before)")]
    bool Sbom => TryGetValue<bool?>(() => Sbom) ?? true;

    /// <summary>How many seconds a push may make no progress before it stops (default 60).</summary>
    [Parameter("How many seconds a push may go without progress (no bytes sent, no layer pushed) before it stops, over all its retries (default 60): a registry that fails every upload fails the push then, naming what it answers")]
    int PushTimeout => TryGetValue<int?>(() => PushTimeout) ?? 60;

    /// <summary>The parameters a push reads besides every image target's, checked before any target runs: --push-timeout.</summary>
    void CheckPushParameters()
    {
        if (PushTimeout < 1) throw new ParameterException($"--push-timeout got {PushTimeout}; give a number of seconds, 1 or more (60 when not given).");
    }

    /// <summary>The settings hook: each image's pipeline passes through it.</summary>
    Configure<ImagePipeline> PushImagesSettings => _ => _;

    /// <summary>Pushes each image in report.json with its tags.</summary>
    Target PushImages => _ => _
        .Description("Push every tag of the tagged images (report.json) to --registry; write the digests")
        .Validates(CheckImageParameters)
        .Validates(CheckPushParameters)
        .After<ITagImages>(x => x.TagImages)
        .After<IScanImages>(x => x.ScanImages)
        .Executes(async ct =>
        {
            var facts = await RunFactsAsync(ct);
            using var engine = await ConnectEngineAsync(ct);
            var pipelines = ResumedImages("PushImages", ResumeFrom.Tagged).Select(resumed =>
            {
                var sbom = resumed.Entry.Scan()?.Sbom is { } file ? (string)(RootDirectory / file) : null;
                return WithSteps(resumed.Pipeline, new ImageStepContext(resumed.Image, facts) { SbomFile = sbom }, StepNames.Push, StepNames.ExportCache);
            }).ToList();
            await RunImagesAsync(pipelines, engine, ct, PushedOne);
        });

    /// <summary>
    /// The push step (with --force-tags and the given credentials) and the attestations (--provenance, --sbom: the
    /// scan's, or the context's SbomFile when the scan ran in an earlier process), then the settings hook.
    /// </summary>
    ImageStep PushImageStep => new(StepNames.Push, (pipeline, context) =>
    {
        var sbomFile = context.SbomFile;
        pipeline = pipeline.Push(p => p with { Credentials = GivenCredentials, Force = ForceTags, StallTimeout = TimeSpan.FromSeconds(PushTimeout) });
        if (Provenance || Sbom)
            pipeline = pipeline.Attest(a => a with { Provenance = Provenance, Sbom = Sbom, Credentials = GivenCredentials, SbomFile = sbomFile });
        return PushImagesSettings(pipeline);
    });

    /// <summary>Notes a pushed image's digest.</summary>
    void PushedOne(ImageResult result) => Note($"{result.Name} {result.Image.Digest?[..19]}");
}
