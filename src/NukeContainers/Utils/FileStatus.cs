using System.Runtime.InteropServices;

namespace NukeContainers.Utils;

/// What lstat(2) says of a path, which .NET does not expose: its type (FIFO, socket, device ...), its inode and link
/// count (to keep hard links as links), its mode, and (in the same call, for the session's file sync) its size and
/// modification time in nanoseconds. glibc 2.33 and later export lstat; the layout of struct stat is read for the two
/// architectures .NET runs Linux containers on (st_size at 48 and st_mtim at 88 on both).
internal readonly record struct FileStatus(FileKind Kind, ulong Device, ulong Inode, ulong Links, UnixFileMode Mode, long Size = 0, long ModifiedNanoseconds = 0)
{
    [DllImport("libc", EntryPoint = "lstat", SetLastError = true)]
    private static extern int LstatNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] buffer);

    [ThreadStatic] private static byte[]? _buffer;

    /// The status from lstat, or where it cannot be called what .NET can tell, with the usual modes (0644 for files,
    /// 0755 for the rest), no inode and one link.
    public static FileStatus Read(string path)
    {
        if (Of(path) is { } status) return status;
        var info = new FileInfo(path);
        var kind = info.LinkTarget is not null ? FileKind.SymbolicLink : info.Attributes.HasFlag(FileAttributes.Directory) ? FileKind.Directory : FileKind.Regular;
        var mode = kind == FileKind.Regular ? (UnixFileMode)0b110_100_100 : (UnixFileMode)0b111_101_101;
        return new FileStatus(kind, 0, 0, 1, mode, kind == FileKind.Directory || !info.Exists ? 0 : info.Length, (info.LastWriteTimeUtc - DateTime.UnixEpoch).Ticks * 100);
    }

    /// The status, or null where lstat cannot be called (not Linux, an old glibc, another architecture).
    public static FileStatus? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var (modeOffset, linksOffset, linksSize) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (24, 16, 8),
            Architecture.Arm64 => (16, 20, 4),
            _ => (-1, -1, 0),
        };
        if (modeOffset < 0) return null;
        var buffer = _buffer ??= new byte[256];
        try
        {
            if (LstatNative(path, buffer) != 0)
                throw new IOException($"Cannot read the status of '{path}': {Marshal.GetLastPInvokeErrorMessage()}");
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        var mode = BitConverter.ToUInt32(buffer, modeOffset);
        var links = linksSize == 8 ? BitConverter.ToUInt64(buffer, linksOffset) : BitConverter.ToUInt32(buffer, linksOffset);
        var modified = BitConverter.ToInt64(buffer, 88) * 1_000_000_000 + BitConverter.ToInt64(buffer, 96);
        return new FileStatus((FileKind)(mode & 0xF000), BitConverter.ToUInt64(buffer, 0), BitConverter.ToUInt64(buffer, 8), links,
            (UnixFileMode)(mode & 0xFFF), BitConverter.ToInt64(buffer, 48), modified);
    }
}

/// The file types of st_mode's S_IFMT bits.
internal enum FileKind : uint
{
    Fifo = 0x1000,
    CharacterDevice = 0x2000,
    Directory = 0x4000,
    BlockDevice = 0x6000,
    Regular = 0x8000,
    SymbolicLink = 0xA000,
    Socket = 0xC000,
}
