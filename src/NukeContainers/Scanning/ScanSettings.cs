using System.Diagnostics.Contracts;
using System.Text.Json.Serialization;

namespace NukeContainers.Scanning;

/// <summary>
/// The scan step: checks the image's config, history and files, finds secrets in its layers, reads its packages
/// (dpkg, apk, .NET deps.json, node_modules, Python dist-info, Go build info) into a CycloneDX SBOM, matches them with
/// an OSV advisory folder, runs Trivy when there is one, and fails when a finding reaches <see cref="FailOn"/>.
/// Writes scan.json, scan.md, scan.sarif and sbom.cdx.json to <see cref="OutputFolder"/>.
/// </summary>
public sealed record ScanSettings : IPipelineStep
{
    /// <summary>The lowest severity that fails the step (critical by default).</summary>
    public Severity FailOn { get; init; } = Severity.Critical;

    /// <summary>A folder of OSV advisories (JSON files) to match the packages with; none by default.</summary>
    public string? AdvisoryFolder { get; init; }

    /// <summary>
    /// OSV's per-ecosystem archives to fetch (and cache) the advisories from, for the ecosystems the image's packages
    /// are of; none by default (this machine may be offline: <see cref="AdvisoryFolder"/> is the offline way).
    /// </summary>
    public OsvArchiveSource? OsvArchives { get; init; }

    /// <summary>A file of ids to ignore, in .trivyignore's format (ids, <c>exp:YYYY-MM-DD</c>).</summary>
    public string? IgnoreFile { get; init; }

    /// <summary>Run Trivy when it is on PATH (or TRIVY_EXE names it); on by default.</summary>
    public bool UseTrivy { get; init; } = true;

    /// <summary>Where the reports go; <c>artifacts/containers/scan/NAME</c> under the current folder by default.</summary>
    public string? OutputFolder { get; init; }

    /// <summary>
    /// The Dockerfile to lint (and the SARIF results to point at); the build step's when the pipeline builds. Its
    /// context folder is checked for a .dockerignore; a .hadolint.yaml there or in the current folder configures the rules.
    /// </summary>
    public string? Dockerfile { get; init; }

    /// <summary>The Dockerfile's context folder; the Dockerfile's own folder when not given.</summary>
    public string? ContextDirectory { get; init; }

    /// <summary>The day the ignore file's <c>exp:</c> dates are held against; today by default.</summary>
    public DateOnly? Today { get; init; }

    /// <summary>
    /// The analyses the scan runs, in order (<see cref="ImageAnalysers.Defaults"/>: inventory, checks, secrets, osv, trivy,
    /// lint); leave one out by name, or add a team's own with <see cref="WithAnalyser"/>.
    /// </summary>
    public IReadOnlyList<IImageAnalyser> Analysers { get; init; } = ImageAnalysers.Defaults;

    /// <summary>Adds an analyser after the others: its findings are merged, ignored, gated and reported with theirs.</summary>
    [Pure] public ScanSettings WithAnalyser(IImageAnalyser analyser) => this with { Analysers = [.. Analysers, analyser] };

    /// <summary>Fails at this severity or above.</summary>
    [Pure] public ScanSettings FailingOn(Severity severity) => this with { FailOn = severity };

    /// <summary>Matches the packages with the OSV advisories in this folder.</summary>
    [Pure] public ScanSettings WithAdvisories(string folder) => this with { AdvisoryFolder = folder };

    /// <summary>Matches the packages with advisories from OSV's archives (osv.dev's, or a mirror's), fetched and cached.</summary>
    [Pure] public ScanSettings WithOsvArchives(OsvArchiveSource? source = null) => this with { OsvArchives = source ?? new OsvArchiveSource() };

    /// <summary>Ignores the ids in this .trivyignore file.</summary>
    [Pure] public ScanSettings Ignoring(string ignoreFile) => this with { IgnoreFile = ignoreFile };

    string IPipelineStep.Name => StepNames.Scan;

    IReadOnlyList<string> IPipelineStep.After => [StepNames.Build, StepNames.Slim, StepNames.Tag];

    void IPipelineStep.Check(ImagePipeline pipeline)
    {
        if (Analysers.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ContainerException($"The scan step of {pipeline.Repository} has two analysers named '{twice.Key}': give each its own name.");
        if (AdvisoryFolder is not null && !Directory.Exists(AdvisoryFolder))
            throw new ContainerException($"The scan step of {pipeline.Repository}: the advisory folder {AdvisoryFolder} does not exist.");
        if (IgnoreFile is not null && !File.Exists(IgnoreFile))
            throw new ContainerException($"The scan step of {pipeline.Repository}: the ignore file {IgnoreFile} does not exist.");
        if (FailOn == Severity.Unknown)
            throw new ContainerException($"The scan step of {pipeline.Repository} fails on 'unknown': give low, medium, high or critical.");
    }

    Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken) => ScanStep.RunAsync(this, context, cancellationToken);
}

/// <summary>What the scan step found.</summary>
public sealed record ScanResult : StepResult
{
    /// <summary>Every finding, worst first (ignored ones left out).</summary>
    public required IReadOnlyList<Finding> Findings { get; init; }

    /// <summary>The findings the ignore file took out.</summary>
    public required IReadOnlyList<Finding> Ignored { get; init; }

    /// <summary>The packages read from the image.</summary>
    public required IReadOnlyList<Package> Packages { get; init; }

    /// <summary><c>passed</c> or <c>failed</c>.</summary>
    public required string Gate { get; init; }

    /// <summary>The severity that fails.</summary>
    public required Severity FailOn { get; init; }

    /// <summary>The CycloneDX SBOM's path.</summary>
    public required string Sbom { get; init; }

    /// <summary>The SARIF report's path.</summary>
    public required string Sarif { get; init; }

    /// <summary>How many findings have this severity.</summary>
    public int Count(Severity severity) => Findings.Count(f => f.Severity == severity);

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) =>
    [
        Reporting.ReportSections.Scan.With(new Reporting.ScanReport(Count(Severity.Critical), Count(Severity.High), Count(Severity.Medium), Count(Severity.Low), Gate,
            Reporting.ContainerReport.Relative(rootDirectory, Sbom))
        {
            Unknown = Count(Severity.Unknown),
            FailOn = FailOn.ToString().ToLowerInvariant(),
            Packages = Packages.Count,
            Secrets = Findings.Count(f => f.Kind == FindingKind.Secret),
            Ignored = Ignored.Count,
            Sarif = Reporting.ContainerReport.Relative(rootDirectory, Sarif),
            Findings = [.. Findings.Select(f => new Reporting.FindingReport(f.Id, f.Severity.ToString().ToLowerInvariant(),
                f.Kind.ToString().ToLowerInvariant(), f.Title, f.Target, f.InstalledVersion, f.FixedVersion, f.Source))],
        }),
    ];
}
