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
    public IEnumerable<Entry> Walk(IncludeFilter? include) =>
        new ContextWalk(Path, Excludes) { Include = include, SendParents = true }.Entries().Select(e => e.Kind switch
        {
            FileKind.Directory or FileKind.Fifo => new Entry(ToStat(e.Name, e.Status, null), null),
            FileKind.SymbolicLink => new Entry(ToStat(e.Name, e.Status, e.LinkTarget), null),
            _ when e.HardLinkOf is { } first => new Entry(ToStat(e.Name, e.Status with { Size = 0 }, first), null),
            _ => new Entry(ToStat(e.Name, e.Status, null), e.FullPath),
        });

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
