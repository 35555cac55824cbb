using System.Text;

namespace NukeContainers.Build.Cli;

/// The end-of-build summary: one row a target, then a one-line verdict.
internal static class SummaryTable
{
    public static string Render(BuildSummary summary)
    {
        var rows = summary.Targets.Select(t => (t.Name, Status: t.Status.ToString(), Duration: Format(t), Note: t.Note ?? "")).ToList();
        var total = TimeSpan.FromTicks(summary.Targets.Sum(t => t.Duration.Ticks));
        var nameWidth = Math.Max(6, rows.Max(r => r.Name.Length));
        const int statusWidth = 10, durationWidth = 8;
        var rule = new string('─', nameWidth + statusWidth + durationWidth + 30);
        var text = new StringBuilder();
        text.AppendLine(rule);
        text.AppendLine($"{"Target".PadRight(nameWidth)}  {"Status".PadRight(statusWidth)}  {"Duration".PadLeft(durationWidth)}  Notes");
        text.AppendLine(rule);
        foreach (var row in rows)
            text.AppendLine($"{row.Name.PadRight(nameWidth)}  {row.Status.PadRight(statusWidth)}  {row.Duration.PadLeft(durationWidth)}  {row.Note}".TrimEnd());
        text.AppendLine(rule);
        text.AppendLine($"{"Total".PadRight(nameWidth)}  {"".PadRight(statusWidth)}  {Format(total).PadLeft(durationWidth)}");
        text.AppendLine(rule);
        return text.ToString();
    }

    public static string Verdict(BuildSummary summary, string? logFile)
    {
        var where = logFile is null ? "" : $" Full log: {logFile}";
        if (summary.Succeeded) return $"Build succeeded in {Format(TimeSpan.FromTicks(summary.Targets.Sum(t => t.Duration.Ticks)))}.";
        if (summary.WasCancelled) return "Build cancelled." + where;
        var failed = summary.Targets.First(t => t.Status is TargetStatus.Failed or TargetStatus.Cancelled);
        var note = failed.Note?.TrimEnd('.') is { Length: > 0 } text ? ": " + text : "";
        return $"Build failed: target {failed.Name} {failed.Status.ToString().ToLowerInvariant()}{note}.{where}";
    }

    private static string Format(TargetResult result) =>
        result.Status is TargetStatus.Skipped or TargetStatus.NotRun ? "" : Format(result.Duration);

    private static string Format(TimeSpan duration) =>
        duration.TotalHours >= 1 ? duration.ToString(@"h\:mm\:ss") : duration.ToString(@"m\:ss\.f");
}
