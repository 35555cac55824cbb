namespace NukeContainers.Reporting;

/// The build step's fields in report.json.
public sealed partial record ImageReport
{
    /// <summary>The Dockerfile built, relative to the repository root.</summary>
    public string? Dockerfile() => Field(ReportSections.Dockerfile);

    /// <summary>The stage built.</summary>
    public string? Target() => Field(ReportSections.Target);

    /// <summary>The unoptimised build it was measured against.</summary>
    public BaselineReport? Baseline() => Field(ReportSections.Baseline);

    /// <summary>The image's size over its baseline's (0.05 is 5%), when it was measured against one.</summary>
    public double? ShareOfBaseline() => Baseline() is { SizeBytes: > 0 } baseline ? (double)SizeBytes / baseline.SizeBytes : null;
}

/// <summary>The unoptimised build an image is measured against.</summary>
public sealed record BaselineReport(string Dockerfile, long SizeBytes);
