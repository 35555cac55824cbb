using System.Net.Sockets;
using System.Text;

namespace NukeContainers.Tests;

/// A unix socket in front of the real engine that passes everything through, except that it cuts the connection of a
/// build request as soon as the engine's answer has carried a marker: an engine that goes away mid-build, on demand.
internal sealed class CuttingProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _engineSocket;
    private readonly string _marker;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public CuttingProxy(string engineSocket, string marker)
    {
        _engineSocket = engineSocket;
        _marker = marker;
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"nc-proxy-{Guid.NewGuid():N}.sock");
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen();
        _accepting = AcceptAsync();
    }

    public string Path { get; }

    /// True once a build's connection was cut.
    public bool Cut { get; private set; }

    private async Task AcceptAsync()
    {
        try
        {
            while (true) _ = ServeAsync(await _listener.AcceptAsync(_stop.Token));
        }
        catch (OperationCanceledException) { }
    }

    private async Task ServeAsync(Socket client)
    {
        using var _ = client;
        using var engine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await engine.ConnectAsync(new UnixDomainSocketEndPoint(_engineSocket));
        var first = new byte[8192];
        var read = await client.ReceiveAsync(first);
        var isBuild = Encoding.ASCII.GetString(first, 0, read).StartsWith("POST /v1.41/build?", StringComparison.Ordinal);
        await engine.SendAsync(first.AsMemory(0, read));
        var up = PumpAsync(client, engine, cutOnMarker: false);
        var down = PumpAsync(engine, client, cutOnMarker: isBuild);
        await Task.WhenAny(up, down);
    }

    private async Task PumpAsync(Socket from, Socket to, bool cutOnMarker)
    {
        var buffer = new byte[8192];
        var seen = new StringBuilder();
        try
        {
            while (await from.ReceiveAsync(buffer) is var read and > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read));
                if (!cutOnMarker) continue;
                seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
                if (!seen.ToString().Contains(_marker)) continue;
                // Give the client time to read what it has: closing at once can reset the socket with it unread.
                await Task.Delay(500);
                Cut = true;
                return; // the caller's usings close both sockets
            }
        }
        catch (SocketException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        File.Delete(Path);
    }
}
