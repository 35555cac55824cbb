using System.Net.Sockets;

namespace NukeContainers.Engine;

/// An HttpClient that talks HTTP over a unix socket, for the endpoints Docker.DotNet cannot follow
/// (BuildKit's progress stream) and for pinging candidate sockets quickly.
internal static class UnixHttp
{
    public static HttpClient Create(string socketPath, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://docker/"), Timeout = timeout ?? Timeout.InfiniteTimeSpan };
    }

    /// True when something at the socket answers the engine's /_ping with OK.
    public static async Task<bool> PingAsync(string socketPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(socketPath)) return false;
        try
        {
            using var client = Create(socketPath, TimeSpan.FromSeconds(3));
            using var response = await client.GetAsync("_ping", cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
