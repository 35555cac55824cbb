using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NukeContainers.Reporting;

/// <summary>
/// artifacts/containers/report.json (the contract other tools read) and its Markdown rendering, report.md (which the
/// components also give a CI job's summary). Each step writes its own fields (<see cref="StepResult.ReportFields"/>);
/// a step that did not run writes none. Targets run in later processes read it back and add to it.
/// </summary>
public sealed record ContainerReport(IReadOnlyList<ImageReport> Images)
{
    /// <summary>The version of report.json's shape this code reads and writes (docs/report.schema.json).</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>The version of report.json's shape: <see cref="CurrentSchemaVersion"/> when written here; reports written before it was kept have none (read as 1, the same shape).</summary>
    [JsonPropertyOrder(-1)]
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>Told each report.json text as it is written (the tests validate it against docs/report.schema.json).</summary>
    internal static Action<string, string>? Written { get; set; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    /// <summary>An empty report.</summary>
    public static ContainerReport Empty { get; } = new([]);

    /// <summary>The report of pipeline results, with paths relative to the repository root.</summary>
    public static ContainerReport From(IEnumerable<ImageResult> images, string rootDirectory) =>
        Empty.With(images, rootDirectory);

    /// <summary>
    /// This report with the results added. A result that built its image replaces that image's entry (what earlier
    /// runs said of the old image no longer holds); one that did not build (a later target's steps) keeps the entry's
    /// fields and durations and writes its own over them; a new image is appended.
    /// </summary>
    public ContainerReport With(IEnumerable<ImageResult> results, string rootDirectory)
    {
        var images = Images.ToList();
        foreach (var result in results)
        {
            var index = images.FindIndex(i => i.Name == result.Name);
            var update = ImageReport.From(result, rootDirectory);
            if (index < 0) images.Add(update);
            // A reused image (restore-cache found its inputs unchanged) keeps what the report said of that same image.
            else images[index] = result.Build is { Reused: false } || images[index].ImageId != update.ImageId ? update : images[index].Merge(update);
        }
        return new ContainerReport(images);
    }

    /// <summary>
    /// This report with a failed (or cancelled) attempt recorded beside each named image's entry, whose fields stay as
    /// earlier runs delivered them; an image with no entry gets none (there is nothing of it to keep).
    /// </summary>
    public ContainerReport WithFailedAttempts(IReadOnlyDictionary<string, string> errors, DateTimeOffset at) =>
        errors.Where(e => Find(e.Key) is not null)
            .Aggregate(this, (report, e) => report.WithField(e.Key, ReportSections.FailedAttempt, new FailedAttempt(Scanning.Secrets.MaskPatterns(e.Value), at)));

    /// <summary>This report with one field of one image set (a step that did not run a pipeline, such as a skipped rollout).</summary>
    public ContainerReport WithField<T>(string image, ReportSection<T> section, T value) =>
        new(Images.Select(i => i.Name != image ? i : i with
        {
            Fields = new Dictionary<string, JsonElement>(i.Fields) { [section.Name] = JsonSerializer.SerializeToElement(value, Json) },
        }).ToList());

    /// <summary>The image of that name, or null.</summary>
    public ImageReport? Find(string name) => Images.FirstOrDefault(i => i.Name == name);

    /// <summary>
    /// Writes report.json, report.md and report.html into the folder (artifacts/containers); returns report.json's path.
    /// Each file is replaced whole (written beside it, then renamed), so a run stopped while writing leaves the last
    /// complete report.
    /// </summary>
    public async Task<string> WriteAsync(string folder, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder);
        var json = Path.Combine(folder, "report.json");
        var text = JsonSerializer.Serialize(this with { SchemaVersion = CurrentSchemaVersion }, Json) + "\n";
        Written?.Invoke(json, text);
        await Utils.ReplacedFile.WriteAllTextAsync(json, text, cancellationToken);
        await Utils.ReplacedFile.WriteAllTextAsync(Path.Combine(folder, "report.md"), ToMarkdown(), cancellationToken);
        await Utils.ReplacedFile.WriteAllTextAsync(Path.Combine(folder, "report.html"), ToHtml(), cancellationToken);
        return json;
    }

    /// <summary>Reads a report.json; an error names the file when it is not one.</summary>
    public static ContainerReport Read(string path)
    {
        var text = File.ReadAllText(path);
        ContainerReport report;
        try
        {
            // The version first: another version's shape may not read as this one's at all.
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("schemaVersion", out var version)
                && !(version.ValueKind == JsonValueKind.Number && version.TryGetInt32(out var number) && number == CurrentSchemaVersion))
                throw new ContainerException($"{path} is report.json schema version {version.GetRawText()}, and this NukeContainers reads version {CurrentSchemaVersion}: " +
                    (version.ValueKind == JsonValueKind.Number && version.GetDouble() > CurrentSchemaVersion
                        ? "a newer NukeContainers wrote it. Update the build's NukeContainers packages, or delete it (a Publish writes it again)."
                        : "delete it (a Publish writes it again)."));
            report = document.RootElement.Deserialize<ContainerReport>(Json) ?? throw new JsonException("it holds null");
        }
        catch (JsonException e)
        {
            throw new ContainerException($"{path} is not a report.json ({e.Message}). Delete it and run the build again.");
        }
        return report with { SchemaVersion = CurrentSchemaVersion };
    }

    /// <summary>Reads report.json when it exists; an empty report otherwise.</summary>
    public static ContainerReport ReadOrEmpty(string path) => File.Exists(path) ? Read(path) : Empty;

    /// <summary>One table: each image's size against its baseline, tags and digest, and the steps' durations.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder("## Container images\n\n| image | target | size | baseline | size / baseline | slim | scan | tags | digest | rollout | steps |\n|---|---|---:|---:|---:|---|---|---|---|---|---|\n");
        foreach (var image in Images)
        {
            var baseline = image.Baseline() is { } b ? $"{Megabytes(b.SizeBytes)} ({b.Dockerfile})" : "";
            var ratio = image.ShareOfBaseline() is { } share ? Invariant($"{100 * share:0.0}%") : "";
            var steps = string.Join(", ", image.DurationsMs.Select(d => Invariant($"{d.Key} {d.Value / 1000.0:0.0} s")));
            var digest = image.Digest() is { Length: > 19 } d ? d[..19] : image.Digest();
            var slim = image.Slim() is { } sl
                ? Invariant($"{Megabytes(sl.BeforeBytes)} -> {Megabytes(sl.AfterBytes)}, efficiency {100 * sl.Efficiency:0.0}%, wasted {Megabytes(sl.WastedBytes)}{(sl.DryRun ? " (dry run)" : "")}")
                : "";
            var scan = image.Scan() is { } sc ? $"{sc.Critical} critical, {sc.High} high, {sc.Medium} medium, {sc.Low} low: {sc.Gate}" : "";
            var rollout = image.Rollout() is { } ro ? ro.Status + (ro.Status == "skipped" ? $" ({ro.Diagnosis})" : $" ({ro.Deployment})") : "";
            text.Append($"| {image.Name} | {image.Target()} | {Megabytes(image.SizeBytes)} | {baseline} | {ratio} | {slim} | {scan} | {string.Join(" ", image.Tags() ?? [])} | {digest} | {rollout} | {steps} |\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// One page (report.html, written beside report.md): each image's size against its naive build, each layer's size
    /// and the part a later layer hides, and the findings by severity, as bars; no script, nothing fetched.
    /// </summary>
    public string ToHtml() => ReportHtml.Render(this);

    /// <summary>A size in megabytes with one decimal, the same in every culture: <c>6.1 MB</c>.</summary>
    public static string Megabytes(long bytes) => Invariant($"{bytes / 1e6:0.0} MB");

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    /// <summary>A path relative to the repository root, with forward slashes, as report.json writes paths.</summary>
    public static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
