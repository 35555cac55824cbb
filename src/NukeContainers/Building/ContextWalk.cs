using NukeContainers.Utils;

namespace NukeContainers.Building;

/// <summary>
/// One entry of a build context as the walk finds it: its name in the context, its path, what lstat says of it, a
/// symbolic link's target, and for a second name of a hard-linked file the first name the walk gave it.
/// </summary>
internal readonly record struct ContextEntry(string Name, string FullPath, FileStatus Status, string? LinkTarget = null, string? HardLinkOf = null)
{
    /// <summary>Its type.</summary>
    public FileKind Kind => Status.Kind;
}

/// <summary>
/// The one walk of a build context, for the tar, the session and the input digest: depth first, a folder's names in
/// ordinal order, a folder before what it holds, as the docker CLI and fsutil walk one. Links are not followed (a
/// link to a folder is a link, even when broken); named pipes are entries (never opened: reading one would block);
/// sockets and devices are left out. .dockerignore's exclusions apply, and an excluded folder is entered only when an
/// exception may bring back something below it.
/// </summary>
internal sealed record ContextWalk(string Root, DockerIgnore Excludes)
{
    /// <summary>Names that are walked even when .dockerignore excludes them (the tar's Dockerfile and .dockerignore).</summary>
    public Func<string, bool> AlwaysSent { get; init; } = _ => false;

    /// <summary>The paths the engine asked for (the session's followpaths and include patterns); all when null.</summary>
    public IncludeFilter? Include { get; init; }

    /// <summary>
    /// Whether a folder that is not itself sent (excluded, or outside <see cref="Include"/>) comes just before the first
    /// entry below it that is: fsutil needs a file's folders before it; a tar does not.
    /// </summary>
    public bool SendParents { get; init; }

    /// <summary>The entries, in order.</summary>
    public IEnumerable<ContextEntry> Entries() => Walk(Root, "", [], new Dictionary<(ulong, ulong), string>());

    private IEnumerable<ContextEntry> Walk(string folder, string prefix, List<ContextEntry> pending, Dictionary<(ulong, ulong), string> linked)
    {
        foreach (var full in Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal))
        {
            var name = prefix + Path.GetFileName(full);
            var status = FileStatus.Read(full);
            var excluded = !AlwaysSent(name) && Excludes.IsExcluded(name);
            var included = Include?.Test(name) ?? IncludeFilter.Match.Included;
            if (status.Kind == FileKind.Directory)
            {
                if (included == IncludeFilter.Match.No || (excluded && !Excludes.MayReincludeBelow(name))) continue;
                var entry = new ContextEntry(name, full, status);
                var sentNow = !excluded && included == IncludeFilter.Match.Included;
                if (sentNow)
                {
                    foreach (var parent in pending) yield return parent;
                    pending.Clear();
                    yield return entry;
                }
                else if (SendParents) pending.Add(entry);
                var depth = pending.Count;
                foreach (var child in Walk(full, name + "/", pending, linked)) yield return child;
                if (!sentNow && SendParents && pending.Count == depth) pending.RemoveAt(depth - 1);
                continue;
            }
            if (excluded || included != IncludeFilter.Match.Included || status.Kind is not (FileKind.Regular or FileKind.SymbolicLink or FileKind.Fifo)) continue;
            string? target = null, first = null;
            if (status.Kind == FileKind.SymbolicLink) target = new FileInfo(full).LinkTarget ?? "";
            else if (status is { Kind: FileKind.Regular, Links: > 1 } && !linked.TryGetValue((status.Device, status.Inode), out first))
                linked[(status.Device, status.Inode)] = name;
            foreach (var parent in pending) yield return parent;
            pending.Clear();
            yield return new ContextEntry(name, full, status, target, first);
        }
    }
}

/// <summary>
/// The paths the engine asked for (fsutil's followpaths and include patterns): a path is included when it, or a
/// folder above it, matches; a folder is entered when a pattern may match below it.
/// </summary>
internal sealed class IncludeFilter
{
    private readonly DockerIgnore _matcher;
    private readonly IReadOnlyList<string[]> _patterns;

    public enum Match { No, Below, Included }

    private IncludeFilter(IReadOnlyList<string> patterns)
    {
        var cleaned = patterns.Select(p => p.Trim().TrimStart('/').TrimEnd('/')).Where(p => p.Length > 0 && p != ".").ToList();
        _matcher = DockerIgnore.Parse(string.Join('\n', cleaned), "the engine's include patterns");
        _patterns = cleaned.Select(p => p.Split('/')).ToList();
    }

    /// A filter for the patterns, or null when there are none (everything is included).
    public static IncludeFilter? For(IReadOnlyList<string> patterns) =>
        patterns.Any(p => p.Trim().TrimStart('/').TrimEnd('/') is { Length: > 0 } and not ".") ? new IncludeFilter(patterns) : null;

    public Match Test(string path)
    {
        if (_matcher.IsExcluded(path)) return Match.Included;
        var segments = path.Split('/');
        return _patterns.Any(p => MayMatchBelow(p, segments)) ? Match.Below : Match.No;
    }

    private static bool MayMatchBelow(string[] pattern, string[] folder)
    {
        for (var i = 0; i < folder.Length; i++)
        {
            if (i >= pattern.Length) return false;
            if (pattern[i] == "**" || pattern[i].Contains('[')) return true;
            if (!System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern[i], folder[i], ignoreCase: false)) return false;
        }
        return pattern.Length > folder.Length;
    }
}
