namespace NukeContainers.Build;

/// <summary>How a target ended.</summary>
public enum TargetStatus
{
    /// <summary>It ran and succeeded.</summary>
    Succeeded,
    /// <summary>It threw.</summary>
    Failed,
    /// <summary>A condition or <c>--skip</c> kept it from running.</summary>
    Skipped,
    /// <summary>An earlier failure, a failed dependency or cancellation kept it from running.</summary>
    NotRun,
    /// <summary>It was running when the build was cancelled.</summary>
    Cancelled,
}

/// <summary>One row of the end-of-build summary.</summary>
public sealed record TargetResult(string Name, TargetStatus Status, TimeSpan Duration, string? Note);

/// <summary>The outcome of a build: every planned target's result, in plan order.</summary>
public sealed record BuildSummary(IReadOnlyList<TargetResult> Targets, bool WasCancelled)
{
    /// <summary>True when no target failed and the build was not cancelled.</summary>
    public bool Succeeded => !WasCancelled && Targets.All(t => t.Status is not (TargetStatus.Failed or TargetStatus.Cancelled));

    /// <summary>The result of the named target (case-insensitive), if it was planned.</summary>
    public TargetResult? this[string name] => Targets.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
}
