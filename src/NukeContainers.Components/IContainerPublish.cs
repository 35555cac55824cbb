using NukeContainers.Build;
using NukeContainers.Reporting;

namespace NukeContainers.Components;

/// <summary>
/// The whole delivery as one target: restore the cache, build, slim, tag, scan, push, sign (given a key) and roll out each declared image
/// (<c>./build.sh Publish</c>). Each step is its component's target with its own parameters and settings hook, so a
/// build overrides one step (its <c>...Settings</c> hook, or the target itself) without copying the others; the steps
/// hand each other the images through report.json. The rollout runs when a cluster is configured (--kubeconfig,
/// KUBECONFIG or ~/.kube/config); otherwise it is skipped, and report.json and the summary say why.
/// </summary>
public interface IContainerPublish : IBuildImages, IRestoreCache, ISlimImages, IScanImages, IPushImages, ISignImages, IRolloutImages
{
    /// <summary>Runs every step and prints the summary of what was delivered.</summary>
    Target Publish => _ => _
        .Description("Restore the cache, build, slim, tag, scan, push, sign (given --signing-key) and roll out (when a cluster is configured) every selected image; print the summary")
        .DependsOn<IBuildImages>(x => x.BuildImages)
        .DependsOn<ISlimImages>(x => x.SlimImages)
        .DependsOn<ITagImages>(x => x.TagImages)
        .DependsOn<IScanImages>(x => x.ScanImages)
        .DependsOn<IPushImages>(x => x.PushImages)
        .DependsOn<ISignImages>(x => x.SignImages)
        .DependsOn<IRolloutImages>(x => x.RolloutImages)
        .Executes(() =>
        {
            var report = ReadReport();
            var delivered = SelectedImages().Select(i => report.Find(i.Name)).OfType<ImageReport>().ToList();
            Log.Write(Verbosity.Minimal, Summary(delivered));
            foreach (var reason in delivered.Select(i => i.Rollout()).Where(r => r?.Status == "skipped").Select(r => r!.Diagnosis).Distinct())
                Log.Write(Verbosity.Minimal, $"Rollout skipped: {reason}.");
            foreach (var image in delivered)
                Note($"{image.Name} {(image.Cache()?.Skipped == true ? "unchanged, not rebuilt: its pushed digest" : "built and pushed as")} {image.Digest()?[..19]}, rollout {image.Rollout()?.Status ?? "not run"}");
        });

    /// <summary>One line an image: size (and against its baseline), tags, digest, findings, rollout and time taken.</summary>
    static string Summary(IReadOnlyList<ImageReport> images)
    {
        string[] header = ["image", "build", "size", "tags", "digest", "findings", "rollout", "time"];
        var rows = images.Select(i => new[]
        {
            i.Name,
            i.Cache()?.Skipped == true ? "reused (inputs unchanged)" : "built",
            ContainerReport.Megabytes(i.SizeBytes) + (i.ShareOfBaseline() is { } share ? FormattableString.Invariant($" ({100 * share:0.0}% of naive)") : ""),
            string.Join(" ", i.Tags() ?? []),
            i.Digest() is { Length: > 19 } d ? d[..19] : i.Digest() ?? "-",
            i.Scan() is { } s ? $"{s.Critical}C {s.High}H {s.Medium}M {s.Low}L ({s.Gate})" : "-",
            i.Rollout() is { } r ? r.Status + (r.Status == "skipped" ? "" : $" ({r.Deployment})") : "-",
            FormattableString.Invariant($"{i.DurationsMs.Values.Sum() / 1000.0:0.0} s"),
        }).ToList();
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((cell, c) => c == cells.Length - 1 ? cell : cell.PadRight(widths[c])));
        return string.Join('\n', new[] { Line(header), string.Join("  ", widths.Select(w => new string('-', w))) }.Concat(rows.Select(Line)));
    }
}
