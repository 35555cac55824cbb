using System.Buffers;
using System.Text;

namespace NukeContainers.Slimming;

/// <summary>
/// One entry of a layer tar as its bytes: the blocks that describe it (PAX and GNU long-name headers, then its own
/// header) and the length of its data. Kept as bytes so that an entry copied into a slimmed layer is exactly what the
/// engine wrote (extended attributes, times, names), and the same input always gives the same layer.
/// </summary>
internal sealed record RawTarEntry(byte[] Header, string Name, char Type, long Size, string LinkName, int Mode, int Uid, int Gid, long ModifiedSeconds)
{
    /// <summary>The bytes of data after the header, rounded up to whole blocks.</summary>
    public long PaddedSize => HasData ? (Size + 511) / 512 * 512 : 0;

    /// <summary>Header-only kinds (links, folders, devices) carry no data, whatever their size field says (as Go reads them).</summary>
    public bool HasData => Type is '0' or '\0' or '7';

    /// <summary>A global PAX header: it applies to the entries after it, and is copied as it is.</summary>
    public bool IsGlobal => Type == 'g';

    /// <summary>The entry as the analysis sees it.</summary>
    public LayerEntry Facts
    {
        get
        {
            var path = LayerEntry.Clean(Name);
            var slash = path.LastIndexOf('/');
            var name = path[(slash + 1)..];
            var parent = slash < 0 ? "" : path[..slash];
            if (name == LayerEntry.OpaqueMarker) return new LayerEntry(parent, 0, EntryKind.OpaqueWhiteout);
            if (name.StartsWith(LayerEntry.WhiteoutPrefix, StringComparison.Ordinal))
                return new LayerEntry(LayerEntry.Join(parent, name[LayerEntry.WhiteoutPrefix.Length..]), 0, EntryKind.Whiteout);
            return Type switch
            {
                '0' or '\0' or '7' => new LayerEntry(path, Size, EntryKind.File),
                '5' => new LayerEntry(path, 0, EntryKind.Directory),
                '2' => new LayerEntry(path, 0, EntryKind.Symlink),
                '1' => new LayerEntry(path, 0, EntryKind.HardLink, LayerEntry.Clean(LinkName)),
                _ => new LayerEntry(path, 0, EntryKind.Other),
            };
        }
    }
}

/// <summary>Reads a tar block by block: headers parsed, data copied or skipped, nothing held but one entry's header.</summary>
internal sealed class RawTarReader(Stream stream)
{
    private readonly byte[] _block = new byte[512];
    private RawTarEntry? _current;
    private bool _dataDone = true;

    /// <summary>The next entry, or null at the end of the archive.</summary>
    public async Task<RawTarEntry?> NextAsync(CancellationToken cancellationToken)
    {
        if (!_dataDone) await CopyDataAsync(null, cancellationToken);
        using var meta = new MemoryStream();
        string? paxPath = null, paxLink = null, longName = null, longLink = null;
        long? paxSize = null;
        while (true)
        {
            if (!await ReadBlockAsync(cancellationToken) || IsZero(_block)) return null;
            var type = (char)_block[156];
            var size = Number(_block.AsSpan(124, 12));
            if (type is 'x' or 'L' or 'K')
            {
                meta.Write(_block);
                var data = new byte[(size + 511) / 512 * 512];
                await stream.ReadExactlyAsync(data, cancellationToken);
                meta.Write(data);
                var text = data.AsSpan(0, (int)size);
                if (type == 'L') longName = Encoding.UTF8.GetString(text).TrimEnd('\0');
                else if (type == 'K') longLink = Encoding.UTF8.GetString(text).TrimEnd('\0');
                else foreach (var (key, value) in PaxRecords(text))
                {
                    if (key == "path") paxPath = value;
                    else if (key == "linkpath") paxLink = value;
                    else if (key == "size") paxSize = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                }
                continue;
            }
            meta.Write(_block);
            var prefix = Text(_block.AsSpan(345, 155));
            var magic = _block.AsSpan(257, 5).SequenceEqual("ustar"u8);
            var name = paxPath ?? longName ?? (magic && prefix.Length > 0 ? prefix + "/" + Text(_block.AsSpan(0, 100)) : Text(_block.AsSpan(0, 100)));
            _current = new RawTarEntry(meta.ToArray(), name, type, paxSize ?? size, paxLink ?? longLink ?? Text(_block.AsSpan(157, 100)),
                (int)Number(_block.AsSpan(100, 8)), (int)Number(_block.AsSpan(108, 8)), (int)Number(_block.AsSpan(116, 8)), Number(_block.AsSpan(136, 12)));
            _dataDone = false;
            return _current;
        }
    }

    /// <summary>Copies the current entry's data (padded) to <paramref name="destination"/>, or skips it when that is null.</summary>
    public async Task CopyDataAsync(Stream? destination, CancellationToken cancellationToken)
    {
        if (_current is null || _dataDone) return;
        _dataDone = true;
        var left = _current.PaddedSize;
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            while (left > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
                if (read == 0) throw new ContainerException($"A layer tar ends inside the data of {_current.Name}: the image archive is cut short.");
                if (destination is not null) await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<bool> ReadBlockAsync(CancellationToken cancellationToken)
    {
        var read = await stream.ReadAtLeastAsync(_block, 512, throwOnEndOfStream: false, cancellationToken);
        if (read == 0) return false;
        if (read < 512) throw new ContainerException("A layer tar ends inside a header: the image archive is cut short.");
        return true;
    }

    private static bool IsZero(byte[] block) => !block.AsSpan().ContainsAnyExcept((byte)0);

    private static string Text(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    /// An octal number, or base-256 when the first byte's high bit is set (GNU's form for large values).
    internal static long Number(ReadOnlySpan<byte> field)
    {
        if (field.Length > 0 && (field[0] & 0x80) != 0)
        {
            long value = field[0] & 0x7f;
            foreach (var b in field[1..]) value = (value << 8) | b;
            return value;
        }
        long octal = 0;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0) { if (octal != 0) break; continue; }
            octal = octal * 8 + (b - '0');
        }
        return octal;
    }

    private static IEnumerable<(string Key, string Value)> PaxRecords(ReadOnlySpan<byte> data)
    {
        var records = new List<(string, string)>();
        var text = Encoding.UTF8.GetString(data);
        var position = 0;
        while (position < text.Length)
        {
            var space = text.IndexOf(' ', position);
            if (space < 0 || !int.TryParse(text.AsSpan(position, space - position), out var length) || length <= 0) break;
            // The length counts bytes; the record is ASCII in what matters here (keys, numbers), and names are taken whole.
            var record = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text[position..])[..length]);
            var equals = record.IndexOf('=');
            if (equals > 0) records.Add((record[(space - position + 1)..equals], record[(equals + 1)..].TrimEnd('\n')));
            position += record.Length;
        }
        return records;
    }
}

/// <summary>Writes tar entries: copies of read ones, and new ones (whiteouts, renamed copies) with plain headers.</summary>
internal sealed class RawTarWriter(Stream stream)
{
    /// <summary>Writes an entry's header blocks as they were read; the caller copies its data after.</summary>
    public Task WriteHeaderAsync(RawTarEntry entry, CancellationToken cancellationToken) => stream.WriteAsync(entry.Header, cancellationToken).AsTask();

    /// <summary>Writes a new header (a PAX record carries a name or link longer than the header holds).</summary>
    public async Task WriteHeaderAsync(string name, char type, long size, int mode, int uid, int gid, long modifiedSeconds, string linkName, CancellationToken cancellationToken)
    {
        var nameBytes = Encoding.UTF8.GetByteCount(name);
        var linkBytes = Encoding.UTF8.GetByteCount(linkName);
        if (nameBytes > 100 || linkBytes > 100)
        {
            var records = new StringBuilder();
            if (nameBytes > 100) records.Append(PaxRecord("path", name));
            if (linkBytes > 100) records.Append(PaxRecord("linkpath", linkName));
            var data = Encoding.UTF8.GetBytes(records.ToString());
            await stream.WriteAsync(Header("PaxHeaders/" + Truncate(name, 80), 'x', data.Length, 0b110_100_100, 0, 0, modifiedSeconds, ""), cancellationToken);
            await stream.WriteAsync(data, cancellationToken);
            await PadAsync(data.Length, cancellationToken);
        }
        await stream.WriteAsync(Header(Truncate(name, 100), type, size, mode, uid, gid, modifiedSeconds, Truncate(linkName, 100)), cancellationToken);
    }

    /// <summary>Pads data of this length to whole blocks.</summary>
    public Task PadAsync(long size, CancellationToken cancellationToken) =>
        size % 512 == 0 ? Task.CompletedTask : stream.WriteAsync(new byte[512 - size % 512], cancellationToken).AsTask();

    /// <summary>The end of the archive: two zero blocks.</summary>
    public Task FinishAsync(CancellationToken cancellationToken) => stream.WriteAsync(new byte[1024], cancellationToken).AsTask();

    private static string Truncate(string text, int bytes)
    {
        while (Encoding.UTF8.GetByteCount(text) > bytes) text = text[..^1];
        return text;
    }

    private static string PaxRecord(string key, string value)
    {
        var body = $" {key}={value}\n";
        var length = Encoding.UTF8.GetByteCount(body);
        var digits = length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        if ((length + digits).ToString(System.Globalization.CultureInfo.InvariantCulture).Length > digits) digits++;
        return (length + digits).ToString(System.Globalization.CultureInfo.InvariantCulture) + body;
    }

    private static byte[] Header(string name, char type, long size, int mode, int uid, int gid, long modifiedSeconds, string linkName)
    {
        var block = new byte[512];
        Encoding.UTF8.GetBytes(name, block.AsSpan(0, 100));
        Octal(block.AsSpan(100, 8), mode);
        Octal(block.AsSpan(108, 8), uid);
        Octal(block.AsSpan(116, 8), gid);
        Octal(block.AsSpan(124, 12), size);
        Octal(block.AsSpan(136, 12), modifiedSeconds);
        block.AsSpan(148, 8).Fill((byte)' ');
        block[156] = (byte)type;
        Encoding.UTF8.GetBytes(linkName, block.AsSpan(157, 100));
        "ustar\0"u8.CopyTo(block.AsSpan(257));
        "00"u8.CopyTo(block.AsSpan(263));
        var checksum = 0;
        foreach (var b in block) checksum += b;
        Octal(block.AsSpan(148, 7), checksum);
        return block;
    }

    private static void Octal(Span<byte> field, long value)
    {
        var text = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(text, field);
        field[^1] = 0;
    }
}
