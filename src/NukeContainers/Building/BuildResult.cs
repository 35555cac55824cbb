namespace NukeContainers.Building;

/// <summary>What the build step did.</summary>
public sealed record BuildResult : StepResult
{
    /// <summary>The Dockerfile built (full path).</summary>
    public required string Dockerfile { get; init; }

    /// <summary>The stage built, when it has a name.</summary>
    public string? Target { get; init; }

    /// <summary>What the engine's builder reported: the instructions, cached or run.</summary>
    public required BuildOutput Output { get; init; }

    /// <summary>True when nothing was built: an image with the same inputs was reused.</summary>
    public bool Reused { get; init; }

    /// <summary>The unoptimised build it was measured against, if any.</summary>
    public BaselineResult? Baseline { get; init; }

    /// <summary>This image's size as a share of the baseline's (0.02 is 2%), when there is a baseline.</summary>
    public double? SizeRatio => Baseline is { SizeBytes: > 0 } baseline ? (double)Image.SizeBytes / baseline.SizeBytes : null;

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) =>
    [
        Reporting.ReportSections.Dockerfile.With(Reporting.ContainerReport.Relative(rootDirectory, Dockerfile)),
        Reporting.ReportSections.Target.With(Target),
        Reporting.ReportSections.Baseline.With(Baseline is null ? null : new Reporting.BaselineReport(Reporting.ContainerReport.Relative(rootDirectory, Baseline.Dockerfile), Baseline.SizeBytes)),
    ];
}

/// <summary>The unoptimised image a build was measured against. The image itself is removed once measured.</summary>
/// <param name="Dockerfile">Its Dockerfile (full path).</param>
/// <param name="ImageId">The id it had.</param>
/// <param name="SizeBytes">Its size.</param>
public sealed record BaselineResult(string Dockerfile, string ImageId, long SizeBytes);
