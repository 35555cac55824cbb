using System.Text.Json;
using NukeContainers.Scanning;

namespace NukeContainers.Components.Analysers;

/// <summary>
/// What Grype's and Clair's analysers share, built only on the scan's public seam (<see cref="IImageAnalyser"/>,
/// <see cref="ScanInput"/>, <see cref="Finding"/>): a tool's JSON report, read from a file or from the tool run on the
/// image; its findings are merged, ignored, gated and reported with the others'.
/// </summary>
public abstract class ReportFileAnalyser(string name, string? reportFile) : IImageAnalyser
{
    /// <inheritdoc/>
    public string Name => name;

    /// <summary>The report file to read instead of running the tool, if one was given.</summary>
    public string? ReportFile { get; } = reportFile;

    /// <inheritdoc/>
    public async Task<ScanAnalysis> AnalyseAsync(ScanInput input, CancellationToken cancellationToken)
    {
        string json;
        string from;
        if (ReportFile is { } file)
        {
            if (!File.Exists(file)) throw new ContainerException($"The {name} report {file} does not exist. Give the file {name} wrote for this image, or leave it out.");
            (json, from) = (await File.ReadAllTextAsync(file, cancellationToken), file);
        }
        else if (await RunAsync(input, cancellationToken) is { } output) (json, from) = output;
        else return new ScanAnalysis([]);

        IReadOnlyList<Finding> findings;
        try
        {
            using var document = JsonDocument.Parse(json);
            findings = Read(document.RootElement, input, from);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new ContainerException($"{from} is not {name}'s JSON report ({e.Message}). Give the file `{Command}` wrote.", e);
        }
        input.Log($"{name} ({from}) found {findings.Count}");
        return new ScanAnalysis(findings);
    }

    /// <summary>How the tool writes its JSON report, for messages.</summary>
    protected abstract string Command { get; }

    /// <summary>Runs the tool on the image when it is installed, returning its report and what ran; null when it is not.</summary>
    protected abstract Task<(string Json, string From)?> RunAsync(ScanInput input, CancellationToken cancellationToken);

    /// <summary>The report's findings; an error names <paramref name="from"/> when the report does not fit the image.</summary>
    protected abstract IReadOnlyList<Finding> Read(JsonElement report, ScanInput input, string from);

    /// <summary>The string property, or null.</summary>
    protected static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The array property's items, or none.</summary>
    protected static IEnumerable<JsonElement> Items(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];

    /// <summary>The object property's members, or none.</summary>
    protected static IEnumerable<JsonProperty> Members(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Object ? value.EnumerateObject() : [];

    /// <inheritdoc/>
    public override string ToString() => name;
}
