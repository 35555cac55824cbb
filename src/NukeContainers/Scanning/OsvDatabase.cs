using System.Text.Json;

namespace NukeContainers.Scanning;

/// <summary>
/// OSV advisories read from a folder (offline: the files osv.dev, GHSA or the Go vulnerability database publish), and
/// matched against installed packages with each ecosystem's version ordering.
/// </summary>
public sealed class OsvDatabase
{
    private readonly List<Advisory> _advisories;

    private OsvDatabase(List<Advisory> advisories) => _advisories = advisories;

    private sealed record Advisory(string Id, IReadOnlyList<string> Aliases, string Summary, Severity Severity, IReadOnlyList<Affected> Affected);

    private sealed record Affected(string Ecosystem, string Name, IReadOnlyList<string> Versions, IReadOnlyList<IReadOnlyList<(string Kind, string Version)>> Ranges);

    /// <summary>How many advisories it holds.</summary>
    public int Count => _advisories.Count;

    /// <summary>Reads every <c>*.json</c> under the folder; a file that is not an OSV record is an error naming it.</summary>
    public static OsvDatabase Load(string folder) => Load([folder]);

    /// <summary>Reads every <c>*.json</c> under the folders (an advisory in two of them counts once).</summary>
    public static OsvDatabase Load(IEnumerable<string> folders)
    {
        var advisories = new List<Advisory>();
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder)) throw new ContainerException($"The OSV advisory folder {folder} does not exist: give a folder of OSV JSON files (osv.dev's all.zip, unpacked).");
            advisories.AddRange(LoadFolder(folder));
        }
        return new OsvDatabase(advisories.DistinctBy(a => a.Id).ToList());
    }

    private static List<Advisory> LoadFolder(string folder)
    {
        var advisories = new List<Advisory>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            try
            {
                using var json = JsonDocument.Parse(File.ReadAllText(file));
                advisories.Add(Parse(json.RootElement));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new ContainerException($"{file} is not an OSV advisory ({e.Message}). Remove it from the folder, or fix it.");
            }
        }
        return advisories;
    }

    private static Advisory Parse(JsonElement root)
    {
        var id = root.GetProperty("id").GetString()!;
        var aliases = root.TryGetProperty("aliases", out var a) ? a.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
        var summary = root.TryGetProperty("summary", out var s) ? s.GetString() : root.TryGetProperty("details", out var d) ? d.GetString()?.Trim().Split('\n')[0] : null;
        var severity = Severity.Unknown;
        if (root.TryGetProperty("database_specific", out var specific) && specific.ValueKind == JsonValueKind.Object && specific.TryGetProperty("severity", out var named) && named.ValueKind == JsonValueKind.String)
            severity = Finding.ParseSeverity(named.GetString());
        if (severity == Severity.Unknown && root.TryGetProperty("severity", out var scores) && scores.ValueKind == JsonValueKind.Array)
            foreach (var score in scores.EnumerateArray())
                if (score.TryGetProperty("score", out var vector) && Cvss.BaseScore(vector.GetString() ?? "") is { } baseScore)
                    severity = (Severity)Math.Max((int)severity, (int)Cvss.SeverityOf(baseScore));
        var affected = root.GetProperty("affected").EnumerateArray().Where(x => x.TryGetProperty("package", out _)).Select(x =>
        {
            var package = x.GetProperty("package");
            var versions = x.TryGetProperty("versions", out var v) ? v.EnumerateArray().Select(e => e.GetString()!).ToList() : [];
            var ranges = x.TryGetProperty("ranges", out var r)
                ? r.EnumerateArray().Where(range => range.GetProperty("type").GetString() is "ECOSYSTEM" or "SEMVER")
                    .Select(range => (IReadOnlyList<(string, string)>)range.GetProperty("events").EnumerateArray()
                        .Select(e => e.EnumerateObject().First()).Select(p => (p.Name, p.Value.GetString()!)).ToList()).ToList()
                : [];
            return new Affected(package.GetProperty("ecosystem").GetString()!, package.GetProperty("name").GetString()!, versions, ranges);
        }).ToList();
        return new Advisory(id, aliases, summary ?? id, severity, affected);
    }

    /// <summary>The advisories that affect the packages, one finding per package and advisory.</summary>
    public IEnumerable<Finding> Match(IEnumerable<Package> packages)
    {
        foreach (var package in packages)
            foreach (var advisory in _advisories)
                foreach (var affected in advisory.Affected)
                {
                    if (!SameEcosystem(affected.Ecosystem, package.Ecosystem)) continue;
                    if (affected.Name != package.Name && affected.Name != package.SourceName) continue;
                    var family = PackageVersions.Family(package.Ecosystem);
                    if (!IsAffected(family, package.Version, affected, out var fixedVersion)) continue;
                    yield return new Finding(advisory.Id, FindingKind.Vulnerability, advisory.Severity, advisory.Summary,
                        $"{package.Name} {package.Version} ({package.Path})", package.Version, fixedVersion, "osv", advisory.Aliases);
                    break;
                }
    }

    /// Debian:12 matches Debian:12 (and a record for all of Debian); npm matches npm.
    private static bool SameEcosystem(string advisory, string package) =>
        advisory == package || (PackageVersions.Family(advisory) == PackageVersions.Family(package) && !advisory.Contains(':'));

    /// OSV's evaluation: the listed versions, then each range's events in version order (introduced opens, fixed and
    /// a passed last_affected close).
    private static bool IsAffected(string family, string version, Affected affected, out string? fixedVersion)
    {
        fixedVersion = null;
        if (affected.Versions.Contains(version)) return true;
        foreach (var events in affected.Ranges)
        {
            int Compare(string a, string b) => a == "0" ? (b == "0" ? 0 : -1) : b == "0" ? 1 : PackageVersions.Compare(family, a, b);
            var inside = false;
            string? fix = null;
            foreach (var (kind, at) in events.OrderBy(e => e.Version, Comparer<string>.Create(Compare)))
            {
                if (kind == "introduced" && Compare(version, at) >= 0) { inside = true; fix = null; }
                else if (kind == "fixed" && Compare(version, at) >= 0) inside = false;
                else if (kind == "fixed" && inside && fix is null) fix = at;
                else if (kind == "last_affected" && Compare(version, at) > 0) inside = false;
            }
            if (inside)
            {
                fixedVersion = fix;
                return true;
            }
        }
        return false;
    }
}
