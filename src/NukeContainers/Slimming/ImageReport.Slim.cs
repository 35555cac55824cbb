namespace NukeContainers.Reporting;

/// The slim step's field in report.json.
public sealed partial record ImageReport
{
    /// <summary>What slimming measured and removed, when the step ran.</summary>
    public SlimReport? Slim() => Field(ReportSections.Slim);
}

/// <summary>
/// The slim step's section: the sizes before and after, dive's efficiency and wasted bytes of the image it left, and
/// how many paths it removed; then the figures before, the squash and the gate.
/// </summary>
public sealed record SlimReport(long BeforeBytes, long AfterBytes, double Efficiency, long WastedBytes, int RemovedPaths)
{
    /// <summary>Wasted bytes over the bytes above the first layer.</summary>
    public double UserWastedPercent { get; init; }

    /// <summary>The bytes of the removed paths.</summary>
    public long RemovedBytes { get; init; }

    /// <summary>The efficiency before slimming.</summary>
    public double EfficiencyBefore { get; init; }

    /// <summary>The wasted bytes before slimming.</summary>
    public long WastedBytesBefore { get; init; }

    /// <summary>How many own layers were squashed into one.</summary>
    public int SquashedLayers { get; init; }

    /// <summary>How many layers are the base's (left as they are unless the base was included).</summary>
    public int BaseLayers { get; init; }

    /// <summary>The image's layers after.</summary>
    public int Layers { get; init; }

    /// <summary>Each layer of the image as it ships: its size, the bytes a later layer hides, what made it, whether it is the base's.</summary>
    public IReadOnlyList<SlimLayerReport> LayerFigures { get; init; } = [];

    /// <summary>True when nothing was changed, only listed.</summary>
    public bool DryRun { get; init; }

    /// <summary><c>passed</c>, or <c>none</c> when no gate was set (a failed gate fails the step).</summary>
    public string Gate { get; init; } = "none";
}

/// <summary>One layer in the slim section: its place, size, the bytes of it a later layer hides, what made it, and whether it is the base's.</summary>
public sealed record SlimLayerReport(int Index, long SizeBytes, long HiddenBytes, string Instruction, bool Base);
