using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;

namespace NukeContainers.Scanning;

/// <summary>
/// Trivy, where a user has it: run on the saved image (<c>trivy image --input</c>) through CliWrap, and its JSON report
/// (schema 2: <c>Results[].Vulnerabilities</c>, <c>Secrets</c>, <c>Misconfigurations</c>) read into findings.
/// </summary>
public static class TrivyReport
{
    /// <summary>The trivy executable: TRIVY_EXE, else <c>trivy</c> on PATH; null when there is none.</summary>
    public static string? Locate() => Executables.Locate("trivy", "TRIVY_EXE");

    /// <summary>Runs trivy on an image archive and reads its findings; its failure is an error with its last output.</summary>
    public static async Task<IReadOnlyList<Finding>> RunAsync(string trivy, string imageArchive, CancellationToken cancellationToken)
    {
        var result = await Cli.Wrap(trivy)
            .WithArguments(["image", "--input", imageArchive, "--format", "json", "--quiet", "--scanners", "vuln,secret", "--offline-scan"])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new ContainerException($"trivy exited with {result.ExitCode}: {Secrets.MaskPatterns(string.Join('\n', result.StandardError.Split('\n').TakeLast(5)))}");
        return Parse(result.StandardOutput);
    }

    /// <summary>The findings of a Trivy JSON report.</summary>
    public static IReadOnlyList<Finding> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var findings = new List<Finding>();
        if (!document.RootElement.TryGetProperty("Results", out var results) || results.ValueKind != JsonValueKind.Array) return findings;
        foreach (var result in results.EnumerateArray())
        {
            var target = Text(result, "Target") ?? "";
            foreach (var v in Array(result, "Vulnerabilities"))
            {
                var package = Text(v, "PkgName") ?? "";
                var installed = Text(v, "InstalledVersion");
                findings.Add(new Finding(Text(v, "VulnerabilityID")!, FindingKind.Vulnerability, Finding.ParseSeverity(Text(v, "Severity")),
                    Text(v, "Title") ?? Text(v, "VulnerabilityID")!, $"{package} {installed} ({target})", installed, Text(v, "FixedVersion"), "trivy",
                    Array(v, "VendorIDs").Select(x => x.GetString()!).ToList()));
            }
            foreach (var s in Array(result, "Secrets"))
                findings.Add(new Finding(Text(s, "RuleID")!, FindingKind.Secret, Finding.ParseSeverity(Text(s, "Severity")),
                    $"{Text(s, "Title")}: {Secrets.MaskPatterns(Text(s, "Match") ?? "")}", $"/{target.TrimStart('/')}:{(s.TryGetProperty("StartLine", out var line) ? line.GetInt32() : 0)}", Source: "trivy"));
            foreach (var m in Array(result, "Misconfigurations"))
                findings.Add(new Finding(Text(m, "ID") ?? Text(m, "AVDID")!, FindingKind.Lint, Finding.ParseSeverity(Text(m, "Severity")),
                    Text(m, "Title") ?? "", target, Source: "trivy"));
        }
        return findings;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];
}
