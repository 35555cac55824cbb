using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace NukeContainers.Slimming;

/// <summary>What a layer's file system entry is, as the layer tar says.</summary>
public enum EntryKind
{
    /// <summary>A regular file.</summary>
    File,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A symbolic link.</summary>
    Symlink,
    /// <summary>A hard link to an entry earlier in the same layer.</summary>
    HardLink,
    /// <summary>A whiteout (<c>.wh.name</c>): the path is deleted from the layers below.</summary>
    Whiteout,
    /// <summary>An opaque whiteout (<c>.wh..wh..opq</c>): the folder's contents in the layers below are hidden.</summary>
    OpaqueWhiteout,
    /// <summary>A device, a FIFO or another kind.</summary>
    Other,
}

/// <summary>
/// One entry of a layer: its path (cleaned: no leading <c>/</c> or <c>./</c>; for whiteouts the path they delete), its
/// size as the tar header gives it (0 for folders, links and whiteouts), its kind, and a hard link's target.
/// </summary>
public readonly record struct LayerEntry(string Path, long Size, EntryKind Kind, string? LinkTarget = null)
{
    internal const string WhiteoutPrefix = ".wh.";
    internal const string OpaqueMarker = ".wh..wh..opq";

    /// Go's path.Clean as dive applies it, without the leading "/": "./usr//bin/" is "usr/bin".
    internal static string Clean(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else parts.Add(part);
        }
        return string.Join('/', parts);
    }

    internal static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;
}

/// <summary>
/// Reads an image archive as the engine exports it (<c>GET /images/{name}/get</c>: the docker-archive layout with
/// <c>manifest.json</c>, or the OCI layout of newer engines), streamed: each layer is handed over as it passes, never
/// held whole; the small JSON documents (manifest, config) are kept.
/// </summary>
internal static class ImageArchive
{
    /// <summary>The parts of the archive that say what the image is.</summary>
    public sealed record Description(JsonObject Config, IReadOnlyList<string> LayerPaths);

    /// <summary>
    /// Reads the archive; <paramref name="onLayer"/> gets each layer's path in the archive and its uncompressed tar,
    /// which it must read before returning. Layers come in the archive's order, which is not the image's:
    /// <see cref="Description.LayerPaths"/> gives that.
    /// </summary>
    public static async Task<Description> ReadAsync(Stream archive, Func<string, Stream, Task> onLayer, CancellationToken cancellationToken)
    {
        var documents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var layers = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = new TarReader(archive);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.DataStream is null || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            var name = LayerEntry.Clean(entry.Name);
            var head = new byte[Math.Min(512, entry.Length)];
            await entry.DataStream.ReadExactlyAsync(head, cancellationToken);
            var data = new PrefixedStream(head, entry.DataStream);
            if (IsTar(head) || (head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b))
            {
                var uncompressed = head[0] == 0x1f ? new GZipStream(data, CompressionMode.Decompress) : (Stream)data;
                await onLayer(name, uncompressed);
                await uncompressed.CopyToAsync(Stream.Null, cancellationToken);   // what the layer's reader left: padding
                layers.Add(name);
            }
            else if (name.EndsWith(".json", StringComparison.Ordinal) || name.StartsWith("blobs/", StringComparison.Ordinal) || name == "index.json")
            {
                if (entry.Length > 16 << 20) continue;   // no document of an image is that large
                using var buffer = new MemoryStream();
                await data.CopyToAsync(buffer, cancellationToken);
                documents[name] = buffer.ToArray();
            }
        }
        return Describe(documents, layers);
    }

    private static Description Describe(Dictionary<string, byte[]> documents, HashSet<string> layers)
    {
        if (!documents.TryGetValue("manifest.json", out var manifestBytes))
            throw new ContainerException("The engine's image archive has no manifest.json; the engine may be too old or too new for this reader.");
        var manifest = JsonNode.Parse(manifestBytes)!.AsArray()[0]!.AsObject();
        var configPath = LayerEntry.Clean(manifest["Config"]!.GetValue<string>());
        var layerPaths = manifest["Layers"]!.AsArray().Select(l => LayerEntry.Clean(l!.GetValue<string>())).ToList();
        if (!documents.TryGetValue(configPath, out var configBytes))
            throw new ContainerException($"The engine's image archive has no config {configPath}.");
        if (layerPaths.FirstOrDefault(p => !layers.Contains(p)) is { } missing)
            throw new ContainerException($"The engine's image archive has no layer {missing}, which its manifest names.");
        return new Description(JsonNode.Parse(configBytes)!.AsObject(), layerPaths);
    }

    /// A tar's first block: "ustar" at 257, or an archive with no entries (all zeros).
    private static bool IsTar(byte[] head) =>
        head.Length == 512 && (head.AsSpan(257, 5).SequenceEqual("ustar"u8) || !head.AsSpan().ContainsAnyExcept((byte)0));

    /// A stream that gives back the bytes read to look at it, then the rest.
    private sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= prefix.Length) return rest.Read(buffer);
            var n = Math.Min(buffer.Length, prefix.Length - _position);
            prefix.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position >= prefix.Length) return await rest.ReadAsync(buffer, cancellationToken);
            return Read(buffer.Span);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
