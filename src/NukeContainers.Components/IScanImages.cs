using NukeContainers.Build;
using NukeContainers.Engine;
using NukeContainers.Scanning;

namespace NukeContainers.Components;

/// <summary>
/// Scans the images BuildImages built (read from report.json), or any images named with <c>--image</c>: image checks,
/// secrets, the package inventory as a CycloneDX SBOM, OSV advisories from <c>--advisories</c> or OSV's archives
/// (<c>--osv-archives</c>, <c>--osv-url</c>), Trivy and Grype when they are installed (or Grype's and Clair's
/// reports, <c>--grype-report</c>, <c>--clair-report</c>); fails at <c>--fail-on</c> (critical by default), with <c>.trivyignore</c> honoured.
/// </summary>
public interface IScanImages : IContainerImages
{
    /// <summary>The severity that fails.</summary>
    [Parameter("Fail when a finding is this severe or worse: low, medium, high, critical")]
    Severity FailOn => TryGetValue<Severity?>(() => FailOn) ?? Severity.Critical;

    /// <summary>A folder of OSV advisories.</summary>
    [Parameter("A folder of OSV advisories (JSON files, such as osv.dev's all.zip unpacked) to match the packages with, offline")]
    string? Advisories => TryGetValue(() => Advisories);

    /// <summary>Fetch OSV's per-ecosystem archives.</summary>
    [Parameter("Match the packages with OSV's advisories, fetched from osv.dev's per-ecosystem archives (or --osv-url's) and cached in ~/.cache/nukecontainers/osv for 6 hours")]
    bool OsvArchives => TryGetValue<bool?>(() => OsvArchives) ?? false;

    /// <summary>A mirror of osv.dev's archives.</summary>
    [Parameter("Where OSV's archives are (ECOSYSTEM/all.zip under it; implies --osv-archives): a mirror of osv.dev's bucket")]
    string? OsvUrl => TryGetValue(() => OsvUrl);

    /// <summary>The archive source the parameters ask for, or null.</summary>
    OsvArchiveSource? OsvSource() =>
        OsvUrl is { } url ? new OsvArchiveSource
            {
                BaseUrl = Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" ? parsed
                    : throw new ParameterException($"--osv-url '{url}' is not an http or https address, such as {OsvArchiveSource.OsvDev}."),
            }
        : OsvArchives ? new OsvArchiveSource() : null;

    /// <summary>A .trivyignore file.</summary>
    [Parameter("A file of finding ids to ignore, in .trivyignore's format (exp:YYYY-MM-DD dates); .trivyignore in the root when there is one")]
    string? TrivyIgnore => TryGetValue(() => TrivyIgnore);

    /// <summary>Do not run Trivy even when it is installed.</summary>
    [Parameter("Do not run Trivy, even when it is on PATH or TRIVY_EXE names it")]
    bool NoTrivy => TryGetValue<bool?>(() => NoTrivy) ?? false;

    /// <summary>Grype's report of each image, instead of running grype.</summary>
    [Parameter("Grype's JSON report of each image to read instead of running grype (grype IMAGE -o json); {name} stands for the image's name: reports/{name}.grype.json")]
    string? GrypeReport => TryGetValue(() => GrypeReport);

    /// <summary>Do not run Grype even when it is installed.</summary>
    [Parameter("Do not run Grype, even when it is on PATH or GRYPE_EXE names it")]
    bool NoGrype => TryGetValue<bool?>(() => NoGrype) ?? false;

    /// <summary>Clair's report of each image.</summary>
    [Parameter("Clair's vulnerability report of each image to read (clairctl report --out json IMAGE, of the pushed image); {name} stands for the image's name")]
    string? ClairReport => TryGetValue(() => ClairReport);

    /// <summary>The settings hook: the scan settings of each image pass through it.</summary>
    Configure<ScanSettings> ScanImagesSettings => _ => _;

    /// <summary>Scans each image.</summary>
    Target ScanImages => _ => _
        .Description("Scan the built images (or --image): checks, secrets, an SBOM, OSV advisories (--advisories offline, or --osv-archives), Trivy if installed; fail at --fail-on")
        .Validates(CheckImageParameters)
        .After<IBuildImages>(x => x.BuildImages)
        .After<ISlimImages>(x => x.SlimImages)
        .After<ITagImages>(x => x.TagImages)
        .Executes(async ct =>
        {
            using var engine = await ConnectEngineAsync(ct);
            var pipelines = Image.Length > 0
                ? (await NamedImagesAsync(engine, ct)).Select(n => PipelineForNamed(n.Name, n.Reference, n.Image).Scan(_ => ScanParameters(n.Name))).ToList()
                : ResumedImages("ScanImages").Select(resumed => ScanImageStep.Add(resumed.Pipeline, new ImageStepContext(resumed.Image, new RunFacts()))).ToList();
            // A gate that fails one image does not keep the others from being scanned; their reports are written.
            await RunImagesAsync(pipelines, engine, ct, ScannedOne, stopOnFailure: false);
        });

    /// <summary>The scan step with the parameters' settings (the image's context for the lint), through the settings hook.</summary>
    ImageStep ScanImageStep => new(StepNames.Scan, (pipeline, context) =>
        pipeline.Scan(_ => ScanParameters(context.Image.Name) with { ContextDirectory = context.Image.Context }));

    /// <summary>The scan settings the parameters ask for, for the image of that name (its reports' folder), through the settings hook.</summary>
    ScanSettings ScanParameters(string name)
    {
        string? PerImage(string? file) => file is null ? null : Path.GetFullPath(file.Replace("{name}", ArtifactName(name)), RootDirectory);
        var settings = new ScanSettings
        {
            FailOn = FailOn, AdvisoryFolder = Advisories is { } folder ? Path.GetFullPath(folder, RootDirectory) : null, OsvArchives = OsvSource(),
            IgnoreFile = OptionalFile(TrivyIgnore, ".trivyignore", "--trivy-ignore"), UseTrivy = !NoTrivy,
            OutputFolder = ContainerArtifacts / "scan" / ArtifactName(name),
        };
        // Grype and Clair are analysers on the scan's public seam, as a team's own would be.
        if (!NoGrype || GrypeReport is not null) settings = settings.WithAnalyser(new Analysers.GrypeAnalyser(PerImage(GrypeReport)));
        if (PerImage(ClairReport) is { } clair) settings = settings.WithAnalyser(new Analysers.ClairAnalyser(clair));
        return ScanImagesSettings(settings);
    }

    /// <summary>
    /// The lint findings of a scanned image as CI annotations on their Dockerfile's line (errors at or above the gate,
    /// warnings below it), so that a pull request shows them where they are; nothing outside CI.
    /// </summary>
    void AnnotateFindings(ImageResult result)
    {
        if (Log.Ci.Platform == Build.CI.CiPlatform.None || result.Scan is not { } scan) return;
        foreach (var finding in scan.Findings.Where(f => f is { Kind: FindingKind.Lint, Line: not null }))
        {
            var file = finding.Target[..finding.Target.LastIndexOf(':')];
            Log.Ci.Annotate(finding.Severity >= scan.FailOn, $"{finding.Id}: {finding.Title}", Path.IsPathRooted(file) ? Path.GetRelativePath(RootDirectory, file) : file, finding.Line);
        }
    }

    /// <summary>Notes a scanned image's findings by severity.</summary>
    void ScannedOne(ImageResult result)
    {
        var scan = result.Scan!;
        AnnotateFindings(result);
        Note($"{result.Name} {scan.Count(Severity.Critical)}C {scan.Count(Severity.High)}H {scan.Count(Severity.Medium)}M {scan.Count(Severity.Low)}L, {scan.Packages.Count} packages");
    }
}
