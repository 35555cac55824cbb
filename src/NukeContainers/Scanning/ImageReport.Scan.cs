namespace NukeContainers.Reporting;

/// The scan step's field in report.json.
public sealed partial record ImageReport
{
    /// <summary>What the scan found, when the step ran.</summary>
    public ScanReport? Scan() => Field(ReportSections.Scan);
}

/// <summary>The scan step's section: counts by severity, the gate, and where the SBOM is.</summary>
public sealed record ScanReport(int Critical, int High, int Medium, int Low, string Gate, string Sbom)
{
    /// <summary>Findings with no known severity.</summary>
    public int Unknown { get; init; }

    /// <summary>The severity that fails the gate.</summary>
    public string FailOn { get; init; } = "critical";

    /// <summary>How many packages the image has.</summary>
    public int Packages { get; init; }

    /// <summary>How many secrets were found.</summary>
    public int Secrets { get; init; }

    /// <summary>How many findings the ignore file took out.</summary>
    public int Ignored { get; init; }

    /// <summary>The SARIF report.</summary>
    public string? Sarif { get; init; }

    /// <summary>Each finding, worst first (the ignored ones left out); null in reports written before it was kept.</summary>
    public IReadOnlyList<FindingReport>? Findings { get; init; }
}

/// <summary>One finding in report.json: its id, severity (critical ... unknown), kind (vulnerability, secret, check,
/// lint), what it is about (a package or a path), the version installed and the one that fixes it, and who found it.</summary>
public sealed record FindingReport(string Id, string Severity, string Kind, string Title, string Target, string? Installed, string? Fixed, string? Source = null);
