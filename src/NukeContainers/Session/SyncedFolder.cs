using Google.Protobuf;
using NukeContainers.Building;
using NukeContainers.Session.Proto;
using NukeContainers.Utils;

namespace NukeContainers.Session;

/// <summary>
/// A folder the engine may read through the session (fsutil's DiffCopy): the build context, filtered by its
/// .dockerignore the docker CLI's way, or the Dockerfile's folder. The engine names it by <see cref="Name"/>
/// (<c>context</c>, <c>dockerfile</c>) and may narrow it to some paths (followpaths, include patterns).
/// </summary>
internal sealed class SyncedFolder(string name, string path, DockerIgnore excludes)
{
    public string Name { get; } = name;

    public string Path { get; } = path;

    public DockerIgnore Excludes { get; } = excludes;

    /// One entry as DiffCopy sends it: its stat, and where its data is read from (null: nothing to read).
    internal readonly record struct Entry(Stat Stat, string? DataPath);

    /// <summary>
    /// The entries in fsutil's order (depth first, the names of a folder in byte order, a folder before what it
    /// holds) with uid and gid 0 as the docker CLI sends them. An excluded folder that holds included files is sent
    /// (it must be, before its files) only then; links are sent as links; a second name of a hard-linked file is
    /// sent as a link to the first; sockets and devices are left out, as the tar context leaves them out.
    /// </summary>
    public IEnumerable<Entry> Walk(IncludeFilter? include)
    {
        var pending = new List<Entry>();
        var linked = new Dictionary<(ulong, ulong), string>();
        return Walk(Path, "", include, pending, linked);
    }

    private IEnumerable<Entry> Walk(string folder, string prefix, IncludeFilter? include, List<Entry> pending, Dictionary<(ulong, ulong), string> linked)
    {
        foreach (var full in Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal))
        {
            var name = prefix + System.IO.Path.GetFileName(full);
            var status = FileStatus.Read(full);
            var excluded = Excludes.IsExcluded(name);
            var included = include?.Test(name) ?? IncludeFilter.Match.Included;
            if (status.Kind == FileKind.Directory)
            {
                if (included == IncludeFilter.Match.No || (excluded && !Excludes.MayReincludeBelow(name))) continue;
                var entry = new Entry(ToStat(name, status, null), null);
                var sentNow = !excluded && included == IncludeFilter.Match.Included;
                if (sentNow)
                {
                    foreach (var parent in pending) yield return parent;
                    pending.Clear();
                    yield return entry;
                }
                else pending.Add(entry);
                var depth = pending.Count;
                foreach (var child in Walk(full, name + "/", include, pending, linked)) yield return child;
                if (!sentNow && pending.Count == depth) pending.RemoveAt(depth - 1);
                continue;
            }
            if (excluded || included != IncludeFilter.Match.Included || status.Kind is not (FileKind.Regular or FileKind.SymbolicLink or FileKind.Fifo)) continue;
            string? link = null;
            if (status.Kind == FileKind.SymbolicLink) link = new FileInfo(full).LinkTarget ?? "";
            else if (status is { Kind: FileKind.Regular, Links: > 1 })
            {
                if (linked.TryGetValue((status.Device, status.Inode), out var first)) link = first;
                else linked[(status.Device, status.Inode)] = name;
            }
            foreach (var parent in pending) yield return parent;
            pending.Clear();
            var hardLink = status.Kind == FileKind.Regular && link is not null;
            yield return new Entry(ToStat(name, hardLink ? status with { Size = 0 } : status, link),
                status.Kind == FileKind.Regular && !hardLink ? full : null);
        }
    }

    /// The stat as fsutil sends it: the mode in Go's os.FileMode bits, sizes for files and links, times in nanoseconds.
    internal static Stat ToStat(string name, FileStatus status, string? linkName)
    {
        var stat = new Stat
        {
            Path = name,
            Mode = GoFileMode(status.Kind, status.Mode),
            Size = status.Kind == FileKind.Directory ? 0 : status.Size,
            ModTime = status.ModifiedNanoseconds,
        };
        if (linkName is not null) stat.Linkname = linkName;
        return stat;
    }

    /// Go's os.FileMode for a unix type and mode: the permission bits as they are, the type and the special bits high.
    internal static uint GoFileMode(FileKind kind, UnixFileMode mode)
    {
        var bits = (uint)mode & 0x1FF;
        if (mode.HasFlag(UnixFileMode.SetUser)) bits |= 1u << 23;
        if (mode.HasFlag(UnixFileMode.SetGroup)) bits |= 1u << 22;
        if (mode.HasFlag(UnixFileMode.StickyBit)) bits |= 1u << 20;
        return bits | kind switch
        {
            FileKind.Directory => 1u << 31,
            FileKind.SymbolicLink => 1u << 27,
            FileKind.Fifo => 1u << 25,
            _ => 0u,
        };
    }

    /// A packet's data without a copy (the buffer must outlive the write).
    internal static ByteString Wrap(ReadOnlyMemory<byte> data) => UnsafeByteOperations.UnsafeWrap(data);
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
