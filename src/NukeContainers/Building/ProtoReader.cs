namespace NukeContainers.Building;

/// Just enough of the protobuf wire format to read BuildKit's StatusResponse without its generated code.
internal sealed class ProtoReader(ReadOnlyMemory<byte> data)
{
    private int _position;

    public bool AtEnd => _position >= data.Length;

    public (int Field, int WireType) ReadTag()
    {
        var tag = ReadVarint();
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data.Span[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new FormatException("A protobuf varint is longer than 10 bytes.");
    }

    public ReadOnlyMemory<byte> ReadBytes()
    {
        var length = (int)ReadVarint();
        var bytes = data.Slice(_position, length);
        _position += length;
        return bytes;
    }

    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes().Span);

    /// A google.protobuf.Timestamp: seconds = 1, nanos = 2.
    public DateTimeOffset ReadTimestamp()
    {
        var reader = new ProtoReader(ReadBytes());
        long seconds = 0, nanos = 0;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 0) seconds = (long)reader.ReadVarint();
            else if (field == 2 && wire == 0) nanos = (long)reader.ReadVarint();
            else reader.Skip(wire);
        }
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100);
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: _position += 8; break;
            case 2: ReadBytes(); break;
            case 5: _position += 4; break;
            default: throw new FormatException($"Unsupported protobuf wire type {wireType}.");
        }
    }
}
