using System.Runtime.CompilerServices;
using System.Text.Json;
using Json.Schema;
using NukeContainers.Reporting;

namespace NukeContainers.Tests;

/// Every report.json the specs make is held against docs/report.schema.json as it is written: a report that does not
/// fit fails the spec that wrote it, naming where and why.
public static class ReportSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(Path.Combine(Root(), "docs", "report.schema.json"))));

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NukeContainers.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No NukeContainers.sln above {AppContext.BaseDirectory}.");
    }

    /// How many reports were held against the schema in this process.
    public static int Validated;

    /// Throws when the report's text does not fit the schema, with every error and its place.
    public static void Validate(string path, string text)
    {
        using var document = JsonDocument.Parse(text);
        var result = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Interlocked.Increment(ref Validated);
        if (result.IsValid) return;
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"));
        throw new InvalidOperationException($"{path} does not fit docs/report.schema.json:\n{string.Join("\n", errors)}\n{text}");
    }
}

internal static class ReportSchemaHook
{
    [ModuleInitializer]
    internal static void Hook() => ContainerReport.Written = ReportSchema.Validate;
}
