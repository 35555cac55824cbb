namespace NukeContainers.Reporting;

/// <summary>
/// One section of an image's entry in report.json: its name there and its type, the one definition the step that
/// writes it (<see cref="With"/>) and every reader (<see cref="ImageReport.Field{T}(ReportSection{T})"/>) use.
/// </summary>
public sealed class ReportSection<T>(string name)
{
    /// <summary>Its name in report.json (and in docs/report.schema.json).</summary>
    public string Name { get; } = name;

    /// <summary>The section with a value, as a step's <see cref="StepResult.ReportFields"/> gives it.</summary>
    public KeyValuePair<string, object?> With(T? value) => new(Name, value);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>The sections of an image's entry in report.json, one typed definition each.</summary>
public static class ReportSections
{
    /// <summary>The Dockerfile built (relative to the repository).</summary>
    public static readonly ReportSection<string> Dockerfile = new("dockerfile");

    /// <summary>The stage built.</summary>
    public static readonly ReportSection<string> Target = new("target");

    /// <summary>The naive build it is measured against.</summary>
    public static readonly ReportSection<BaselineReport> Baseline = new("baseline");

    /// <summary>Restore-cache: the input digest, sources, reuse, what changed.</summary>
    public static readonly ReportSection<Caching.CacheReport> Cache = new("cache");

    /// <summary>The slim step's measures.</summary>
    public static readonly ReportSection<SlimReport> Slim = new("slim");

    /// <summary>The tags the tag step gave.</summary>
    public static readonly ReportSection<IReadOnlyList<string>> Tags = new("tags");

    /// <summary>The version's own tag.</summary>
    public static readonly ReportSection<string> VersionTag = new("versionTag");

    /// <summary>The scan's counts, gate and findings.</summary>
    public static readonly ReportSection<ScanReport> Scan = new("scan");

    /// <summary>The pushed digest (the attestations' index when there are attestations).</summary>
    public static readonly ReportSection<string> Digest = new("digest");

    /// <summary>Every tag a run wrote in the registry, a failed run's too.</summary>
    public static readonly ReportSection<IReadOnlyList<string>> PushedTags = new("pushedTags");

    /// <summary>The attestations' index, image manifest and predicate types.</summary>
    public static readonly ReportSection<AttestationsReport> Attestations = new("attestations");

    /// <summary>The signature.</summary>
    public static readonly ReportSection<SignatureReport> Signature = new("signature");

    /// <summary>The rollout's outcome.</summary>
    public static readonly ReportSection<RolloutReport> Rollout = new("rollout");

    /// <summary>Why the last run of the image failed (or was cancelled), beside what earlier runs delivered.</summary>
    public static readonly ReportSection<FailedAttempt> FailedAttempt = new("failedAttempt");
}
