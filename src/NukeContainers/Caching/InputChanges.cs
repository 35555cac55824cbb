namespace NukeContainers.Caching;

/// <summary>
/// What a build's input digest is made of, one entry an input: each file the context sends with its own digest (its
/// kind, mode and link target too), the Dockerfile's and the .dockerignore's digests, the build arguments and labels
/// the digest covers, the target, platform, builder and network, and each base image's identity. Kept under the input
/// digest (<see cref="ImageReadCache"/>) so that a later build can say what changed since.
/// </summary>
public sealed record InputManifest(IReadOnlyDictionary<string, string> Files, string Dockerfile, string DockerIgnore,
    IReadOnlyDictionary<string, string> BuildArgs, IReadOnlyDictionary<string, string> Labels, string Build, IReadOnlyDictionary<string, string> BaseImages);

/// <summary>
/// Why an image was rebuilt: what changed between the inputs of the image the engine built last for the repository
/// (<paramref name="Previous"/>, at commit <paramref name="BuiltFrom"/>) and these. The file lists hold the first few
/// paths; the counts say how many. <paramref name="Recorded"/> is false when this machine has no record of the earlier
/// inputs (another machine built it, or another NukeContainers): then only that they differ is known.
/// </summary>
public sealed record InputChanges(string Previous, string? BuiltFrom, bool Recorded, IReadOnlyList<string> Added, IReadOnlyList<string> Changed,
    IReadOnlyList<string> Removed, int AddedCount, int ChangedCount, int RemovedCount, bool Dockerfile, IReadOnlyList<string> BuildArgs,
    IReadOnlyList<string> BaseImages, IReadOnlyList<string> Other)
{
    /// <summary>How many paths of each kind the report lists.</summary>
    public const int Listed = 5;

    /// <summary>The differences between two manifests.</summary>
    public static InputChanges Between(InputManifest before, InputManifest after, string previous, string? builtFrom)
    {
        var added = after.Files.Keys.Where(f => !before.Files.ContainsKey(f)).Order(StringComparer.Ordinal).ToList();
        var removed = before.Files.Keys.Where(f => !after.Files.ContainsKey(f)).Order(StringComparer.Ordinal).ToList();
        var changed = after.Files.Where(f => before.Files.TryGetValue(f.Key, out var was) && was != f.Value).Select(f => f.Key).Order(StringComparer.Ordinal).ToList();
        static IReadOnlyList<string> Differing(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
            a.Keys.Union(b.Keys).Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k)).Order(StringComparer.Ordinal).ToList();
        var other = new List<string>();
        if (before.DockerIgnore != after.DockerIgnore) other.Add(".dockerignore");
        if (before.Build != after.Build) other.Add(after.Build);
        other.AddRange(Differing(before.Labels, after.Labels).Select(l => $"label {l}"));
        return new InputChanges(previous, builtFrom, true, [.. added.Take(Listed)], [.. changed.Take(Listed)], [.. removed.Take(Listed)],
            added.Count, changed.Count, removed.Count, before.Dockerfile != after.Dockerfile, Differing(before.BuildArgs, after.BuildArgs),
            Differing(before.BaseImages, after.BaseImages), other);
    }

    /// <summary>The earlier inputs are not recorded on this machine: only that they differ is known.</summary>
    public static InputChanges Unrecorded(string previous, string? builtFrom) => new(previous, builtFrom, false, [], [], [], 0, 0, 0, false, [], [], []);

    /// <summary>One line: <c>1 file changed (app/main.go), the Dockerfile, build argument VERSION</c>.</summary>
    public string Describe()
    {
        if (!Recorded) return $"its inputs differ from those of {Previous[..19]}{At}, which this machine has no record of";
        static string Files(int count, IReadOnlyList<string> listed, string what) =>
            count == 0 ? "" : $"{count} file{(count == 1 ? "" : "s")} {what} ({string.Join(", ", listed)}{(count > listed.Count ? ", ..." : "")})";
        var parts = new[]
        {
            Files(ChangedCount, Changed, "changed"), Files(AddedCount, Added, "added"), Files(RemovedCount, Removed, "removed"),
            Dockerfile ? "the Dockerfile" : "",
            BuildArgs.Count == 0 ? "" : $"build argument{(BuildArgs.Count == 1 ? "" : "s")} {string.Join(", ", BuildArgs)}",
            BaseImages.Count == 0 ? "" : $"base image{(BaseImages.Count == 1 ? "" : "s")} {string.Join(", ", BaseImages)}",
            string.Join(", ", Other),
        }.Where(p => p.Length > 0).ToList();
        return $"{(parts.Count == 0 ? "nothing it lists" : string.Join(", ", parts))} since {Previous[..19]}{At}";
    }

    /// <summary>A few words for a summary's cell: <c>3 files, Dockerfile changed</c>.</summary>
    public string Short()
    {
        var parts = new[]
        {
            AddedCount + ChangedCount + RemovedCount is var files and > 0 ? $"{files} file{(files == 1 ? "" : "s")}" : "",
            Dockerfile ? "Dockerfile" : "", BuildArgs.Count > 0 ? "build args" : "", BaseImages.Count > 0 ? "base images" : "", Other.Count > 0 ? "settings" : "",
        }.Where(p => p.Length > 0).ToList();
        return !Recorded || parts.Count == 0 ? "inputs changed" : string.Join(", ", parts) + " changed";
    }

    private string At => BuiltFrom is { Length: > 0 } commit ? $" (built at {commit[..Math.Min(7, commit.Length)]})" : "";
}
