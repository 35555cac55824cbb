using System.Text.Json;
using System.Text.RegularExpressions;
using NukeContainers.Scanning;

namespace NukeContainers.Components.Analysers;

/// <summary>
/// Clair (v4): its vulnerability report, as <c>clairctl report --out json</c> writes it and Clair's
/// <c>/matcher/api/v1/vulnerability_report/</c> answers (claircore's <c>VulnerabilityReport</c>), read from a file. Clair
/// reports on an image in a registry it can pull from, and the scan runs before the push, so nothing is run here:
/// give the report of the image as pushed (ScanImages after PushImages). Each package's vulnerability is a finding:
/// its name (a CVE, or a GHSA from OSV's updaters), the normalized severity, the first fixed version (a plain one, or
/// <c>fixed=</c> of OSV's ranges), the package and the database it was read from; the CVE ids in its links are aliases.
/// </summary>
public sealed partial class ClairAnalyser(string reportFile) : ReportFileAnalyser("clair", reportFile)
{
    /// <inheritdoc/>
    protected override string Command => "clairctl report --out json IMAGE";

    /// <inheritdoc/>
    protected override Task<(string Json, string From)?> RunAsync(ScanInput input, CancellationToken cancellationToken) =>
        Task.FromResult<(string, string)?>(null);

    /// <inheritdoc/>
    protected override IReadOnlyList<Finding> Read(JsonElement report, ScanInput input, string from)
    {
        input.Log($"clair: {from} is the report of manifest {Text(report, "manifest_hash")}");
        return Parse(report);
    }

    /// <summary>The findings of Clair's vulnerability report.</summary>
    public static IReadOnlyList<Finding> Parse(JsonElement report)
    {
        if (!report.TryGetProperty("package_vulnerabilities", out _) || !report.TryGetProperty("vulnerabilities", out var vulnerabilities))
            throw new InvalidOperationException("it has no \"vulnerabilities\" and \"package_vulnerabilities\"");
        var packages = Members(report, "packages").ToDictionary(p => p.Name, p => p.Value);
        var environments = Members(report, "environments").ToDictionary(e => e.Name, e => e.Value);
        var findings = new List<Finding>();
        foreach (var affected in Members(report, "package_vulnerabilities"))
        {
            var package = packages.TryGetValue(affected.Name, out var p) ? p : throw new InvalidOperationException($"package {affected.Name} is not among its packages");
            var database = environments.TryGetValue(affected.Name, out var e) && e.ValueKind == JsonValueKind.Array
                ? e.EnumerateArray().Select(x => Text(x, "package_db")).FirstOrDefault(d => d is { Length: > 0 }) : null;
            var name = $"{Text(package, "name")} {Text(package, "version")}";
            foreach (var id in affected.Value.EnumerateArray().Select(v => v.GetString()!))
            {
                var vulnerability = vulnerabilities.GetProperty(id);
                var advisory = Text(vulnerability, "name") ?? throw new InvalidOperationException($"vulnerability {id} has no name");
                var aliases = Cve().Matches(Text(vulnerability, "links") ?? "").Select(m => m.Value).Where(c => c != advisory).Distinct().ToList();
                findings.Add(new Finding(advisory, FindingKind.Vulnerability, Finding.ParseSeverity(Text(vulnerability, "normalized_severity")),
                    Text(vulnerability, "description") is { Length: > 0 } description ? description.Split('\n')[0] : advisory,
                    database is null ? name : $"{name} ({database})", Text(package, "version"), FixedVersion(Text(vulnerability, "fixed_in_version")), "clair", aliases));
            }
        }
        return findings;
    }

    /// <summary>The findings of a Clair report's text.</summary>
    public static IReadOnlyList<Finding> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement);
    }

    /// A distribution updater's plain version, or OSV's range as a query string (fixed=6.3.0&amp;introduced=6.0.0).
    private static string? FixedVersion(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (!text.Contains('=')) return text;
        return text.Split('&').Select(part => part.Split('=', 2)).FirstOrDefault(kv => kv.Length == 2 && kv[0] == "fixed") is { } fixedAt
            ? Uri.UnescapeDataString(fixedAt[1]) : null;
    }

    [GeneratedRegex(@"CVE-\d{4}-\d{4,}")]
    private static partial Regex Cve();
}
