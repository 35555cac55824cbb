namespace NukeContainers.Scanning;

/// <summary>How bad a finding is, in the order of the usual scales (CVSS, Trivy, GHSA).</summary>
public enum Severity
{
    /// <summary>No severity is known.</summary>
    Unknown,
    /// <summary>Low.</summary>
    Low,
    /// <summary>Medium (GHSA's moderate).</summary>
    Medium,
    /// <summary>High.</summary>
    High,
    /// <summary>Critical.</summary>
    Critical,
}

/// <summary>What a finding is about.</summary>
public enum FindingKind
{
    /// <summary>A known vulnerability of an installed package.</summary>
    Vulnerability,
    /// <summary>A secret in the image's files, config or history.</summary>
    Secret,
    /// <summary>A check of the image's config, history or files.</summary>
    ImageCheck,
    /// <summary>A Dockerfile lint rule.</summary>
    Lint,
}

/// <summary>One finding of the scan step.</summary>
/// <param name="Id">The rule or advisory id: <c>CVE-2023-1234</c>, <c>GHSA-...</c>, <c>CIS-DI-0001</c>, <c>aws-access-key-id</c>.</param>
/// <param name="Kind">What it is about.</param>
/// <param name="Severity">How bad it is.</param>
/// <param name="Title">One line that says what is wrong.</param>
/// <param name="Target">What it was found in: a package (<c>openssl 3.0.11-1</c>), a path, or the config.</param>
/// <param name="InstalledVersion">For a vulnerability: the version installed.</param>
/// <param name="FixedVersion">For a vulnerability: the first version without it, when one is known.</param>
/// <param name="Source">Who found it: <c>osv</c>, <c>trivy</c>, <c>checks</c>, <c>secrets</c>, <c>lint</c>.</param>
/// <param name="Aliases">Other ids of the same advisory (a GHSA's CVE), used to merge the findings of several sources.</param>
/// <param name="Line">For a lint finding: the Dockerfile's line.</param>
public sealed record Finding(string Id, FindingKind Kind, Severity Severity, string Title, string Target,
    string? InstalledVersion = null, string? FixedVersion = null, string Source = "nukecontainers", IReadOnlyList<string>? Aliases = null, int? Line = null)
{
    /// <summary>Every id this finding goes by.</summary>
    public IEnumerable<string> Ids => Aliases is null ? [Id] : Aliases.Prepend(Id);

    /// <summary>A severity from its usual spellings (GHSA's MODERATE is medium; a CVSS score by its band).</summary>
    public static Severity ParseSeverity(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "CRITICAL" => Severity.Critical,
        "HIGH" or "IMPORTANT" => Severity.High,
        "MEDIUM" or "MODERATE" => Severity.Medium,
        "LOW" or "NEGLIGIBLE" => Severity.Low,
        _ => Severity.Unknown,
    };
}
