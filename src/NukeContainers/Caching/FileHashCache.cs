using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace NukeContainers.Caching;

/// <summary>
/// The content digests of a context's files, kept with what lstat said of each (size, modification time in
/// nanoseconds, inode, device, mode), as git's index keeps them: a file whose status has not changed is not read again,
/// so an input digest over an unchanged context costs a walk and its stats. Git's racy-clean rule holds: a file
/// modified within the second before its digest was taken (the file system's time may be that coarse, and a second
/// write in the same tick leaves size and time as they were) is kept as unsure and read again next time.
/// One file a context folder under <c>$XDG_CACHE_HOME/nukecontainers/file-hashes</c>; one that cannot be read or written
/// costs a full read, never an error.
/// </summary>
internal sealed class FileHashCache
{
    private sealed record Entry(long Size, long ModifiedNanoseconds, ulong Inode, ulong Device, int Mode, string Digest);

    private readonly string _path;
    private readonly Dictionary<string, Entry> _known;
    private readonly Dictionary<string, Entry> _seen = new(StringComparer.Ordinal);
    private readonly long _startedNanoseconds = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>How many files this walk read (their status changed, they were new, or they were unsure).</summary>
    public int FilesRead { get; private set; }

    /// <summary>How many regular files this walk saw.</summary>
    public int Files => _seen.Count;

    private static readonly string Folder = Utils.UserCache.Folder("file-hashes");

    private FileHashCache(string path, Dictionary<string, Entry> known) => (_path, _known) = (path, known);

    /// <summary>The cache of a context folder (empty when there is none yet or it cannot be read).</summary>
    public static FileHashCache For(string contextDirectory)
    {
        var path = Path.Combine(Folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(contextDirectory)))) + ".json");
        try
        {
            using var stream = File.OpenRead(path);
            return new FileHashCache(path, JsonSerializer.Deserialize<Dictionary<string, Entry>>(stream) ?? new(StringComparer.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return new FileHashCache(path, new Dictionary<string, Entry>(StringComparer.Ordinal));
        }
    }

    /// <summary>The file's content digest (hex SHA-256): kept when its status is what it was, else read.</summary>
    public async Task<string> DigestAsync(Building.ContextEntry entry, byte[] buffer, CancellationToken cancellationToken)
    {
        var status = entry.Status;
        if (_known.TryGetValue(entry.Name, out var known) && known.Size == status.Size && known.ModifiedNanoseconds == status.ModifiedNanoseconds
            && known.Inode == status.Inode && known.Device == status.Device && known.Mode == (int)status.Mode && known.Digest.Length > 0)
        {
            _seen[entry.Name] = known;
            return known.Digest;
        }
        FilesRead++;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var file = File.OpenRead(entry.FullPath))
            for (int read; (read = await file.ReadAsync(buffer, cancellationToken)) > 0;) hash.AppendData(buffer, 0, read);
        var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
        // Racily clean (modified within the second before now, or in the future): kept without its digest, so read again.
        var unsure = status.ModifiedNanoseconds >= _startedNanoseconds - 1_000_000_000;
        _seen[entry.Name] = new Entry(status.Size, status.ModifiedNanoseconds, status.Inode, status.Device, (int)status.Mode, unsure ? "" : digest);
        return digest;
    }

    /// <summary>Keeps what this walk saw (files gone since are dropped), written whole and moved into place.</summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (FilesRead == 0 && _seen.Count == _known.Count) return;   // nothing new to keep
        try
        {
            Directory.CreateDirectory(Folder);
            await Utils.ReplacedFile.WriteAllTextAsync(_path, JsonSerializer.Serialize(_seen), cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not kept: the next digest reads the files again.
        }
    }
}
