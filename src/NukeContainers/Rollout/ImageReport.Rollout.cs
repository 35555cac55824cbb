namespace NukeContainers.Reporting;

/// The rollout step's field in report.json.
public sealed partial record ImageReport
{
    /// <summary>What the rollout did, when the step ran.</summary>
    public RolloutReport? Rollout() => Field(ReportSections.Rollout);
}

/// <summary>The rollout step's section: where, what, and how it ended (succeeded, unchanged, rolled-back or failed).</summary>
public sealed record RolloutReport(string? Context, string? Namespace, string Deployment, string Status, string Image, string? PreviousImage, string? Diagnosis);
