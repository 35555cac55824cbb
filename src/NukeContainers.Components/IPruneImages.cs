using System.Globalization;
using NukeContainers.Build;
using NukeContainers.Engine;

namespace NukeContainers.Components;

/// <summary>Keeps the engine's disk in check: trims the build cache, and removes what builds and crashed runs left.</summary>
public interface IPruneImages : IContainerImages
{
    /// <summary>How much build cache to keep, such as 500MB or 10GB.</summary>
    [Parameter("How much of the engine's build cache Prune keeps, such as 500MB or 10GB")]
    string KeepBuildCache => TryGetValue(() => KeepBuildCache) ?? "10GB";

    /// <summary>Trims the build cache and removes leftovers.</summary>
    Target Prune => _ => _
        .Description("Trim the engine's build cache to --keep-build-cache, remove dangling images this product built and what crashed runs left")
        .Validates(() => ParseSize(KeepBuildCache))
        .Executes(async ct =>
        {
            var keep = ParseSize(KeepBuildCache);
            using var engine = await ConnectEngineAsync(ct);
            var freed = await engine.PruneContextUploadsAsync(ct) + await engine.PruneBuildCacheAsync(keep, ct);
            var images = await engine.RemoveDanglingImagesAsync(ct);
            var leftovers = await ResourceReaper.ReapDeadRunsAsync(engine, ct);
            Note($"freed {freed / 1e6:0.0} MB of build cache; {images} dangling images, {leftovers} leftovers removed");
        });

    /// <summary>A size such as 500MB, 10GB or 1048576 (bytes); an error names --keep-build-cache.</summary>
    static long ParseSize(string text)
    {
        var units = new (string Suffix, long Factor)[] { ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("B", 1) };
        var trimmed = text.Trim().ToUpperInvariant();
        var (suffix, factor) = units.FirstOrDefault(u => trimmed.EndsWith(u.Suffix, StringComparison.Ordinal), ("", 1));
        return double.TryParse(trimmed[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? (long)(value * factor)
            : throw new ParameterException($"--keep-build-cache got '{text}'; give a size such as 500MB, 10GB or a number of bytes.");
    }
}
