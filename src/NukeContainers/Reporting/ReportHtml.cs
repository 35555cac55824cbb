using System.Net;
using System.Text;

namespace NukeContainers.Reporting;

/// <summary>
/// report.html: one page, no script and nothing fetched (it opens from a CI artifact as it is). At the top, the run at a
/// glance: each image built or reused (and from which commit) or failed, its size against the naive build, its time,
/// and the total. For each image: where its time went, step by step, as bars; its size against the naive build as two
/// bars; each layer's size, and the part of it a later layer hides (waste), as bars on one scale; the findings by
/// severity as bars. Every bar carries its figure in <c>data-bytes</c> or
/// <c>data-count</c> and its width in percent, so that a test reads the page as a browser lays it out.
/// </summary>
internal static class ReportHtml
{
    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Percent(double share) => FormattableString.Invariant($"{Math.Clamp(100 * share, 0, 100):0.##}%");

    public static string Render(ContainerReport report)
    {
        var html = new StringBuilder("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Container images</title>
            <style>
            body { font: 14px system-ui, sans-serif; margin: 24px; color: #1b1f24; }
            section { border: 1px solid #d0d7de; border-radius: 6px; padding: 12px 16px; margin-bottom: 20px; }
            h2 { margin: 0 0 8px; font-size: 18px; }
            table { border-collapse: collapse; width: 100%; }
            td, th { padding: 3px 6px; text-align: left; vertical-align: middle; }
            td.figure { white-space: nowrap; text-align: right; width: 8em; }
            td.what { width: 45%; font-family: ui-monospace, monospace; font-size: 12px; overflow-wrap: anywhere; }
            .track { background: #f0f2f4; height: 14px; width: 100%; position: relative; }
            .bar { height: 14px; position: absolute; left: 0; top: 0; }
            .bar.size { background: #2f81f7; } .bar.naive { background: #8c959f; } .bar.hidden { background: #d1242f; opacity: .8; }
            .bar.critical { background: #82071e; } .bar.high { background: #d1242f; } .bar.medium { background: #d4a72c; } .bar.low { background: #8c959f; } .bar.unknown { background: #bbb; }
            .base td.what { color: #57606a; }
            .bar.step { background: #8250df; }
            table.overview td, table.overview th { border-bottom: 1px solid #eaeef2; }
            table.finding-list td, table.finding-list th { border-bottom: 1px solid #eaeef2; font-size: 12px; overflow-wrap: anywhere; }
            table.finding-list tr.critical td:first-child, table.finding-list tr.high td:first-child { color: #cf222e; font-weight: 600; }
            </style></head><body>
            <h1>Container images</h1>

            """);
        Overview(html, report);
        foreach (var image in report.Images) Image(html, image);
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// The run at a glance: one row an image (what happened to it, its size, its time), and the total.
    private static void Overview(StringBuilder html, ContainerReport report)
    {
        html.Append("<section class=\"overview\">\n<h2>The run</h2>\n<table class=\"overview\">\n<tr><th>image</th><th>build</th><th>size</th><th>time</th></tr>\n");
        foreach (var image in report.Images)
        {
            var build = image.FailedAttempt() is { } failed ? $"last attempt failed: {failed.Error}"
                : image.Cache() is { Skipped: true } cache ? $"reused: inputs unchanged{(cache.BuiltFrom is { } commit ? $", built at {commit[..Math.Min(7, commit.Length)]}" : "")}"
                : "built";
            var size = ContainerReport.Megabytes(image.SizeBytes) + (image.ShareOfBaseline() is { } share ? FormattableString.Invariant($" ({100 * share:0.0}% of the naive build)") : "");
            var ms = image.DurationsMs.Values.Sum();
            html.Append($"<tr data-image=\"{E(image.Name)}\"><td>{E(image.Name)}</td><td class=\"build\">{E(build)}</td><td>{E(size)}</td><td class=\"time\" data-ms=\"{ms}\">{E(Seconds(ms))}</td></tr>\n");
        }
        var total = report.Images.Sum(i => i.DurationsMs.Values.Sum());
        html.Append($"<tr class=\"total\"><td colspan=\"3\">{report.Images.Count} image{(report.Images.Count == 1 ? "" : "s")}, the steps' time added up</td><td class=\"time\" data-ms=\"{total}\">{E(Seconds(total))}</td></tr>\n</table>\n</section>\n");
    }

    private static string Seconds(long ms) => FormattableString.Invariant($"{ms / 1000.0:0.0} s");

    private static void Image(StringBuilder html, ImageReport image)
    {
        html.Append($"<section class=\"image\" data-image=\"{E(image.Name)}\">\n<h2>{E(image.Name)}</h2>\n");
        html.Append($"<p>{E(string.Join(" ", image.Tags() ?? []))} {E(image.Digest() ?? image.ImageId)}</p>\n");

        // Where the time went: each step's share of the image's time.
        if (image.DurationsMs.Count > 0)
        {
            var whole = Math.Max(1, image.DurationsMs.Values.Sum());
            html.Append("<h3>Steps</h3>\n<table class=\"steps\">\n");
            foreach (var (step, ms) in image.DurationsMs)
                html.Append($"<tr data-step=\"{E(step)}\"><td class=\"what\">{E(step)}</td><td class=\"figure\">{E(Seconds(ms))}</td>" +
                            $"<td><div class=\"track\"><div class=\"bar step\" data-ms=\"{ms}\" style=\"width:{Percent((double)ms / whole)}\"></div></div></td></tr>\n");
            html.Append("</table>\n");
        }

        // The size against the naive build, on the larger one's scale.
        html.Append("<h3>Size</h3>\n<table class=\"sizes\">\n");
        var baseline = image.Baseline();
        var scale = Math.Max(image.SizeBytes, baseline?.SizeBytes ?? 0);
        Bar(html, "image", "size", image.SizeBytes, scale, image.Target() is { } target ? $"the image (stage {target})" : "the image");
        if (baseline is not null)
        {
            Bar(html, "naive", "naive", baseline.SizeBytes, scale, $"the naive build ({baseline.Dockerfile})");
            html.Append(FormattableString.Invariant($"<tr><td colspan=\"3\" class=\"share\">{100.0 * image.SizeBytes / Math.Max(1, baseline.SizeBytes):0.0}% of the naive build</td></tr>\n"));
        }
        html.Append("</table>\n");

        // The layers as they ship, each with the part a later layer hides, on the largest layer's scale.
        if (image.Slim() is { LayerFigures.Count: > 0 } slim)
        {
            html.Append(FormattableString.Invariant($"<h3>Layers</h3>\n<p>efficiency {100 * slim.Efficiency:0.0}%, wasted {ContainerReport.Megabytes(slim.WastedBytes)}</p>\n<table class=\"layers\">\n"));
            var largest = slim.LayerFigures.Max(l => l.SizeBytes);
            foreach (var layer in slim.LayerFigures)
            {
                html.Append($"<tr class=\"layer{(layer.Base ? " base" : "")}\" data-layer=\"{layer.Index}\"><td class=\"what\">{layer.Index}{(layer.Base ? " (base)" : "")} {E(layer.Instruction)}</td>");
                html.Append($"<td class=\"figure\">{E(Bytes(layer.SizeBytes))}{(layer.HiddenBytes > 0 ? $", {E(Bytes(layer.HiddenBytes))} hidden" : "")}</td>");
                html.Append($"<td><div class=\"track\"><div class=\"bar size\" data-bytes=\"{layer.SizeBytes}\" style=\"width:{Percent(Share(layer.SizeBytes, largest))}\"></div>");
                html.Append($"<div class=\"bar hidden\" data-bytes=\"{layer.HiddenBytes}\" style=\"width:{Percent(Share(layer.HiddenBytes, largest))}\"></div></div></td></tr>\n");
            }
            html.Append("</table>\n");
        }

        // The findings by severity, on the largest count's scale.
        if (image.Scan() is { } scan)
        {
            html.Append($"<h3>Findings</h3>\n<p>gate: {E(scan.Gate)}</p>\n<table class=\"findings\">\n");
            (string Name, int Count)[] severities = [("critical", scan.Critical), ("high", scan.High), ("medium", scan.Medium), ("low", scan.Low), ("unknown", scan.Unknown)];
            var most = Math.Max(1, severities.Max(s => s.Count));
            foreach (var (name, count) in severities)
                html.Append($"<tr><td class=\"what\">{name}</td><td class=\"figure\">{count}</td><td><div class=\"track\"><div class=\"bar {name}\" data-count=\"{count}\" style=\"width:{Percent((double)count / most)}\"></div></div></td></tr>\n");
            html.Append("</table>\n");
            // Each finding, worst first: what to fix, and to which version.
            if (scan.Findings is { Count: > 0 } list)
            {
                html.Append($"<details open><summary>{list.Count} finding{(list.Count == 1 ? "" : "s")}</summary>\n<table class=\"finding-list\">\n<tr><th>severity</th><th>id</th><th>in</th><th>installed</th><th>fixed in</th><th>what</th></tr>\n");
                foreach (var f in list)
                    html.Append($"<tr class=\"{E(f.Severity)}\" data-id=\"{E(f.Id)}\"><td>{E(f.Severity)}</td><td>{E(f.Id)}</td><td>{E(f.Target)}</td><td>{E(f.Installed)}</td><td>{E(f.Fixed)}</td><td>{E(f.Title)}</td></tr>\n");
                html.Append("</table>\n</details>\n");
            }
        }
        html.Append("</section>\n");
    }

    private static void Bar(StringBuilder html, string row, string kind, long bytes, long scale, string what) =>
        html.Append($"<tr data-row=\"{row}\"><td class=\"what\">{E(what)}</td><td class=\"figure\">{E(ContainerReport.Megabytes(bytes))}</td>" +
                    $"<td><div class=\"track\"><div class=\"bar {kind}\" data-bytes=\"{bytes}\" style=\"width:{Percent(Share(bytes, scale))}\"></div></div></td></tr>\n");

    private static double Share(long part, long whole) => whole <= 0 ? 0 : (double)part / whole;

    private static string Bytes(long bytes) => Slimming.ImageAnalysis.Bytes(bytes);
}
