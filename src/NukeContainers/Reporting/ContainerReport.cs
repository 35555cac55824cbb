using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NukeContainers.Reporting;

/// <summary>
/// artifacts/containers/report.json (the contract other tools read) and its Markdown rendering, report.md, which also
/// goes to $GITHUB_STEP_SUMMARY when that is set. A step that did not run leaves its key out.
/// </summary>
public sealed record ContainerReport(IReadOnlyList<ImageReport> Images)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    /// <summary>The report of pipeline results, with paths relative to the repository root.</summary>
    public static ContainerReport From(IEnumerable<ImageResult> images, string rootDirectory) =>
        new(images.Select(i => new ImageReport(
            i.Name, i.Repository, Relative(rootDirectory, i.Dockerfile), i.Target, i.ImageId, i.SizeBytes,
            i.Baseline is { } b ? new BaselineReport(Relative(rootDirectory, b.Dockerfile), b.SizeBytes) : null,
            new Dictionary<string, long> { ["build"] = (long)i.Build.Duration.TotalMilliseconds })).ToList());

    /// <summary>Writes report.json and report.md into the folder (artifacts/containers); returns report.json's path.</summary>
    public async Task<string> WriteAsync(string folder, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder);
        var json = Path.Combine(folder, "report.json");
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(this, Json) + "\n", cancellationToken);
        var markdown = ToMarkdown();
        await File.WriteAllTextAsync(Path.Combine(folder, "report.md"), markdown, cancellationToken);
        if (Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY") is { Length: > 0 } summary)
            await File.AppendAllTextAsync(summary, markdown, cancellationToken);
        return json;
    }

    /// <summary>Reads a report.json.</summary>
    public static ContainerReport Read(string path) =>
        JsonSerializer.Deserialize<ContainerReport>(File.ReadAllText(path), Json)
        ?? throw new ContainerException($"{path} holds no report.");

    /// <summary>One table: each image's size against its baseline, and its build.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder("## Container images\n\n| image | target | size | baseline | size / baseline | build |\n|---|---|---:|---:|---:|---:|\n");
        foreach (var image in Images)
        {
            var baseline = image.Baseline is { } b ? $"{Megabytes(b.SizeBytes)} ({b.Dockerfile})" : "";
            var ratio = image.Baseline is { SizeBytes: > 0 } r ? Invariant($"{100.0 * image.SizeBytes / r.SizeBytes:0.0}%") : "";
            var build = image.DurationsMs.TryGetValue("build", out var ms) ? Invariant($"{ms / 1000.0:0.0} s") : "";
            text.Append($"| {image.Name} | {image.Target} | {Megabytes(image.SizeBytes)} | {baseline} | {ratio} | {build} |\n");
        }
        return text.ToString();
    }

    private static string Megabytes(long bytes) => Invariant($"{bytes / 1e6:0.0} MB");

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}

/// <summary>One image in report.json.</summary>
public sealed record ImageReport(
    string Name, string Repository, string Dockerfile, string? Target, string ImageId, long SizeBytes,
    BaselineReport? Baseline, IReadOnlyDictionary<string, long> DurationsMs);

/// <summary>The unoptimised build an image is measured against.</summary>
public sealed record BaselineReport(string Dockerfile, long SizeBytes);
