using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NukeContainers.Scanning;

/// <summary>The scan's reports: its own JSON, Markdown, SARIF 2.1.0 (code-scanning services read it) and a CycloneDX 1.5 SBOM.</summary>
public static class ScanReports
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The findings and the packages as JSON.</summary>
    public static string Json(string image, IReadOnlyList<Finding> findings, IReadOnlyList<Package> packages) =>
        new JsonObject
        {
            ["image"] = image,
            ["findings"] = new JsonArray([.. findings.Select(f => (JsonNode)new JsonObject
            {
                ["id"] = f.Id, ["kind"] = f.Kind.ToString(), ["severity"] = f.Severity.ToString().ToUpperInvariant(), ["title"] = f.Title,
                ["target"] = f.Target, ["installedVersion"] = f.InstalledVersion, ["fixedVersion"] = f.FixedVersion, ["source"] = f.Source,
                ["aliases"] = f.Aliases is null ? null : new JsonArray([.. f.Aliases.Select(a => (JsonNode)a)]),
            })]),
            ["packages"] = new JsonArray([.. packages.Select(p => (JsonNode)new JsonObject
            {
                ["ecosystem"] = p.Ecosystem, ["name"] = p.Name, ["version"] = p.Version, ["path"] = "/" + p.Path, ["purl"] = p.Purl,
            })]),
        }.ToJsonString(Indented);

    /// <summary>A table of the findings, worst first.</summary>
    public static string Markdown(string image, IReadOnlyList<Finding> findings, string gate)
    {
        var text = new StringBuilder($"## Scan of {image}\n\nGate: {gate}. ");
        text.Append(string.Join(", ", Enum.GetValues<Severity>().Reverse().Select(s => $"{findings.Count(f => f.Severity == s)} {s.ToString().ToLowerInvariant()}")));
        text.Append("\n\n| severity | id | kind | target | fixed in | title |\n|---|---|---|---|---|---|\n");
        foreach (var f in findings)
            text.Append($"| {f.Severity.ToString().ToUpperInvariant()} | {f.Id} | {f.Kind} | {Cell(f.Target)} | {f.FixedVersion} | {Cell(f.Title)} |\n");
        return text.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");

    /// <summary>SARIF 2.1.0: one rule per finding id, one result per finding, located in the Dockerfile or at the image.</summary>
    public static string Sarif(string image, IReadOnlyList<Finding> findings, string? dockerfile)
    {
        var rules = findings.GroupBy(f => f.Id).Select(g => g.First()).ToList();
        var index = rules.Select((r, i) => (r.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var log = new JsonObject
        {
            ["version"] = "2.1.0",
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject
                {
                    ["driver"] = new JsonObject
                    {
                        ["name"] = "NukeContainers",
                        ["informationUri"] = "https://github.com/nukecontainers/nukecontainers",
                        ["rules"] = new JsonArray([.. rules.Select(r => (JsonNode)new JsonObject
                        {
                            ["id"] = r.Id,
                            ["name"] = r.Kind.ToString(),
                            ["shortDescription"] = new JsonObject { ["text"] = r.Title },
                            ["defaultConfiguration"] = new JsonObject { ["level"] = Level(r.Severity) },
                            ["properties"] = new JsonObject
                            {
                                ["security-severity"] = SecuritySeverity(r.Severity),
                                ["tags"] = new JsonArray("security", r.Severity.ToString().ToUpperInvariant()),
                            },
                        })]),
                    },
                },
                ["results"] = new JsonArray([.. findings.Select(f => (JsonNode)new JsonObject
                {
                    ["ruleId"] = f.Id,
                    ["ruleIndex"] = index[f.Id],
                    ["level"] = Level(f.Severity),
                    ["message"] = new JsonObject { ["text"] = $"{f.Title} ({f.Target}{(f.FixedVersion is null ? "" : $", fixed in {f.FixedVersion}")})" },
                    ["locations"] = new JsonArray(new JsonObject
                    {
                        ["physicalLocation"] = new JsonObject
                        {
                            ["artifactLocation"] = new JsonObject { ["uri"] = dockerfile ?? image, ["uriBaseId"] = "ROOTPATH" },
                            ["region"] = new JsonObject { ["startLine"] = f.Line ?? 1, ["startColumn"] = 1, ["endLine"] = f.Line ?? 1, ["endColumn"] = 1 },
                        },
                        ["message"] = new JsonObject { ["text"] = $"{image}: {f.Target}" },
                    }),
                })]),
                ["originalUriBaseIds"] = new JsonObject { ["ROOTPATH"] = new JsonObject { ["uri"] = "file:///" } },
            }),
        };
        return log.ToJsonString(Indented);
    }

    private static string Level(Severity severity) => severity switch
    {
        Severity.Critical or Severity.High => "error",
        Severity.Medium => "warning",
        _ => "note",
    };

    private static string SecuritySeverity(Severity severity) => severity switch
    {
        Severity.Critical => "9.5", Severity.High => "8.0", Severity.Medium => "5.5", Severity.Low => "2.0", _ => "0.0",
    };

    /// <summary>A CycloneDX 1.5 SBOM: the image as the subject, each package a library with its purl; the same image gives the same file.</summary>
    public static string CycloneDx(string repository, string imageId, IReadOnlyList<Package> packages)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(imageId));
        hash[6] = (byte)((hash[6] & 0x0f) | 0x50);   // a name-based UUID, so the SBOM of an image is the same every time
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80);
        var serial = new Guid(hash.AsSpan(0, 16), bigEndian: true);
        var components = packages.DistinctBy(p => p.Purl).Select(p => (JsonNode)new JsonObject
        {
            ["bom-ref"] = p.Purl,
            ["type"] = "library",
            ["name"] = p.Name,
            ["version"] = p.Version,
            ["purl"] = p.Purl,
            ["properties"] = new JsonArray(new JsonObject { ["name"] = "nukecontainers:path", ["value"] = "/" + p.Path }),
        });
        return new JsonObject
        {
            ["$schema"] = "http://cyclonedx.org/schema/bom-1.5.schema.json",
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = "1.5",
            ["serialNumber"] = $"urn:uuid:{serial}",
            ["version"] = 1,
            ["metadata"] = new JsonObject
            {
                ["tools"] = new JsonObject { ["components"] = new JsonArray(new JsonObject { ["type"] = "application", ["name"] = "NukeContainers" }) },
                ["component"] = new JsonObject { ["bom-ref"] = imageId, ["type"] = "container", ["name"] = repository, ["version"] = imageId },
            },
            ["components"] = new JsonArray([.. components]),
        }.ToJsonString(Indented);
    }
}
