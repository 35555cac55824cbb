using System.Net.Sockets;
using System.Text;

namespace NukeContainers.Tests;

/// A unix socket in front of the real engine that passes everything through, except that it cuts the connection of a
/// build request as soon as the engine's answer has carried a marker: an engine that goes away mid-build, on demand.
/// For the BuildKit session it can also answer <c>POST /session</c> as an engine without sessions does (404), or cut
/// the session's connection once the client has sent some bytes over it (a session lost mid-build).
internal sealed class CuttingProxy : IAsyncDisposable
{
    /// Answer the session request with 404, as an engine (or a proxy) that does not know it.
    public bool RefuseSessions { get; init; }

    /// Cut a session's connection once the client has sent this many bytes through it (0: never).
    public long CutSessionAfter { get; init; }

    /// How many session requests came through.
    public int Sessions { get; private set; }

    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _engineSocket;
    private readonly string? _marker;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public CuttingProxy(string engineSocket, string? marker)
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
        if (Encoding.ASCII.GetString(first, 0, read).StartsWith("POST /v1.41/session ", StringComparison.Ordinal))
        {
            Sessions++;
            if (RefuseSessions)
            {
                const string body = "{\"message\":\"page not found\"}";
                await client.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
                return;
            }
            if (CutSessionAfter > 0)
            {
                await engine.SendAsync(first.AsMemory(0, read));
                var fromEngine = PumpAsync(engine, client, cutOnMarker: false);
                var toEngine = PumpAsync(client, engine, cutOnMarker: false, cutAfter: CutSessionAfter);
                await Task.WhenAny(toEngine, fromEngine);
                return;
            }
        }
        await engine.SendAsync(first.AsMemory(0, read));
        var up = PumpAsync(client, engine, cutOnMarker: false);
        var down = PumpAsync(engine, client, cutOnMarker: isBuild && _marker is not null);
        await Task.WhenAny(up, down);
    }

    private async Task PumpAsync(Socket from, Socket to, bool cutOnMarker, long cutAfter = 0)
    {
        var buffer = new byte[8192];
        var seen = new StringBuilder();
        long sent = 0;
        try
        {
            while (await from.ReceiveAsync(buffer) is var read and > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read));
                sent += read;
                if (cutAfter > 0 && sent >= cutAfter)
                {
                    Cut = true;
                    return;
                }
                if (!cutOnMarker) continue;
                seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
                if (!seen.ToString().Contains(_marker!)) continue;
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
