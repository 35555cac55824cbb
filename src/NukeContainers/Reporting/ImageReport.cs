using System.Text.Json;
using System.Text.Json.Serialization;

namespace NukeContainers.Reporting;

/// <summary>
/// One image in report.json: what every run writes (name, repository, image id, size, durations), and the fields
/// each step wrote (<see cref="Fields"/>), read back by the typed methods of the steps' partials (methods, not
/// properties: a property of a field's name would hide that field from the extension data when read back).
/// </summary>
public sealed partial record ImageReport
{
    /// <summary>The image's short name.</summary>
    public required string Name { get; init; }

    /// <summary>Its repository.</summary>
    public required string Repository { get; init; }

    /// <summary>The image id the last step left.</summary>
    public required string ImageId { get; init; }

    /// <summary>Its size.</summary>
    public long SizeBytes { get; init; }

    /// <summary>Each step's duration in milliseconds, by the step's name.</summary>
    public IReadOnlyDictionary<string, long> DurationsMs { get; init; } = new Dictionary<string, long>();

    /// <summary>The fields the steps wrote: <c>dockerfile</c>, <c>baseline</c>, <c>cache</c>, <c>tags</c>, <c>scan</c> ...</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement> Fields { get; init; } = new();

    /// <summary>A section read as its type, or default when no step wrote it.</summary>
    public T? Field<T>(ReportSection<T> section) => Field<T>(section.Name);

    /// <summary>A step's field read as a type, or default when the step did not write it.</summary>
    public T? Field<T>(string name) =>
        Fields.TryGetValue(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.Deserialize<T>(ContainerReport.Json) : default;

    /// <summary>The report of one pipeline result.</summary>
    public static ImageReport From(ImageResult result, string rootDirectory)
    {
        var fields = new Dictionary<string, JsonElement>();
        foreach (var step in result.Steps)
            foreach (var (name, value) in step.ReportFields(rootDirectory, result))
                if (value is not null) fields[name] = JsonSerializer.SerializeToElement(value, ContainerReport.Json);
        return new ImageReport
        {
            Name = result.Name,
            Repository = result.Image.Repository.Repository,
            ImageId = result.ImageId,
            SizeBytes = result.SizeBytes,
            DurationsMs = result.DurationsMs,
            Fields = fields,
        };
    }

    /// <summary>The fields that hold for the image in one repository only: its tags there, its digest there, and what was rolled out from there.</summary>
    public static IReadOnlyList<string> RepositoryFields { get; } = [ReportSections.Tags.Name, ReportSections.VersionTag.Name, ReportSections.Digest.Name, ReportSections.Rollout.Name];

    /// <summary>
    /// This image with a later run's results over it: the later image, fields and durations win. When the later run
    /// names the image in another repository (another --registry), what this one said of the old repository (its
    /// tags, digest and rollout) is dropped: that digest may not exist in the new one.
    /// </summary>
    public ImageReport Merge(ImageReport later) => later with
    {
        DurationsMs = DurationsMs.Concat(later.DurationsMs).GroupBy(d => d.Key).ToDictionary(g => g.Key, g => g.Last().Value),
        Fields = Fields.Where(f => f.Key != FailedAttemptField && (later.Repository == Repository || !RepositoryFields.Contains(f.Key)))
            .Concat(later.Fields).GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.Last().Value),
    };

    /// <summary>The field of a run that failed or was cancelled after this entry was written: <c>failedAttempt</c>.</summary>
    public static readonly string FailedAttemptField = ReportSections.FailedAttempt.Name;

    /// <summary>The last attempt, when it failed or was cancelled; the rest of the entry is what earlier runs delivered.</summary>
    public FailedAttempt? FailedAttempt() => Field(ReportSections.FailedAttempt);

    /// <summary>The tags the tag step gave it, when it ran.</summary>
    public IReadOnlyList<string>? Tags() => Field(ReportSections.Tags);

    /// <summary>The version's own tag, when the tag step gave one.</summary>
    public string? VersionTag() => Field(ReportSections.VersionTag);

    /// <summary>The pushed digest, when the push step ran.</summary>
    public string? Digest() => Field(ReportSections.Digest);
}

/// <summary>report.json's <c>failedAttempt</c>: why the last run of an image failed (or <c>cancelled</c>), and when.</summary>
public sealed record FailedAttempt(string Error, DateTimeOffset At);
