using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using NukeContainers.Scanning;

namespace NukeContainers.Components.Analysers;

/// <summary>
/// Anchore's Grype: run on the exported image (<c>grype docker-archive:IMAGE.tar -o json</c>) when it is installed
/// (<c>GRYPE_EXE</c>, else <c>grype</c> on PATH), or its JSON report read from a file (<c>grype IMAGE -o json</c>'s
/// output). Each match is a finding: the vulnerability's id, severity and first fix, the package and where it was
/// found, and the related vulnerabilities' ids as aliases (a GHSA's CVE), so that it merges with OSV's and Trivy's.
/// A report of another image (its <c>source.target.imageID</c>) is refused.
/// </summary>
public sealed class GrypeAnalyser(string? reportFile = null) : ReportFileAnalyser("grype", reportFile)
{
    /// <inheritdoc/>
    protected override string Command => "grype IMAGE -o json";

    /// <inheritdoc/>
    protected override async Task<(string Json, string From)?> RunAsync(ScanInput input, CancellationToken cancellationToken)
    {
        if (Executables.Locate("grype", "GRYPE_EXE") is not { } grype) return null;
        var folder = Directory.CreateTempSubdirectory("nukecontainers-grype-");
        try
        {
            var archive = Path.Combine(folder.FullName, "image.tar");
            await using (var export = await input.Engine.ExportAsync(input.ImageId, cancellationToken))
            await using (var file = File.Create(archive))
                await export.CopyToAsync(file, cancellationToken);
            var result = await Cli.Wrap(grype).WithArguments([$"docker-archive:{archive}", "-o", "json", "--quiet"])
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
            if (result.ExitCode != 0)
                throw new ContainerException($"grype exited with {result.ExitCode}: {string.Join('\n', result.StandardError.Split('\n').TakeLast(5))}");
            return (result.StandardOutput, grype);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<Finding> Read(JsonElement report, ScanInput input, string from)
    {
        var target = report.TryGetProperty("source", out var source) && source.TryGetProperty("target", out var t) ? t : default;
        if (Text(target, "imageID") is { Length: > 0 } imageId && imageId != input.ImageId)
            throw new ContainerException($"{from} is Grype's report of image {imageId}, and the image scanned is {input.ImageId}: run grype on this image, or leave the report out.");
        return Parse(report);
    }

    /// <summary>The findings of Grype's JSON report.</summary>
    public static IReadOnlyList<Finding> Parse(JsonElement report)
    {
        if (!report.TryGetProperty("matches", out var matches) || matches.ValueKind != JsonValueKind.Array)
            throw new InvalidOperationException("it has no \"matches\" array");
        return matches.EnumerateArray().Select(match =>
        {
            var vulnerability = match.GetProperty("vulnerability");
            var artifact = match.GetProperty("artifact");
            var id = Text(vulnerability, "id") ?? throw new InvalidOperationException("a match has no vulnerability id");
            var package = $"{Text(artifact, "name")} {Text(artifact, "version")}";
            var location = Items(artifact, "locations").Select(l => Text(l, "path")).FirstOrDefault(p => p is not null);
            var fixes = vulnerability.TryGetProperty("fix", out var fix) ? Items(fix, "versions").Select(v => v.GetString()).OfType<string>().ToList() : [];
            var aliases = Items(match, "relatedVulnerabilities").Select(r => Text(r, "id")).OfType<string>().Where(a => a != id).Distinct().ToList();
            return new Finding(id, FindingKind.Vulnerability, Finding.ParseSeverity(Text(vulnerability, "severity")),
                Text(vulnerability, "description") is { Length: > 0 } description ? description.Split('\n')[0] : id,
                location is null ? package : $"{package} ({location})", Text(artifact, "version"), fixes.FirstOrDefault(), "grype", aliases);
        }).ToList();
    }

    /// <summary>The findings of a Grype JSON report's text.</summary>
    public static IReadOnlyList<Finding> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement);
    }
}
