using System.Net.Sockets;

namespace NukeContainers.Engine;

/// An HttpClient that talks HTTP over a unix socket, for the endpoints Docker.DotNet cannot follow
/// (BuildKit's progress stream) and for pinging candidate sockets quickly.
internal static class UnixHttp
{
    public static HttpClient Create(string socketPath, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler { ConnectCallback = async (_, cancellationToken) => await ConnectAsync(socketPath, cancellationToken) };
        return new HttpClient(handler) { BaseAddress = new Uri("http://docker/"), Timeout = timeout ?? Timeout.InfiniteTimeSpan };
    }

    /// A connection to the socket, as a stream that owns it.
    public static async Task<Stream> ConnectAsync(string socketPath, CancellationToken cancellationToken)
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
    }

    /// True when something at the socket answers the engine's /_ping with OK. A socket this user may not open is an
    /// error that says so and how to fix it: looking elsewhere would hide why the engine is not used.
    public static async Task<bool> PingAsync(string socketPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(socketPath)) return false;
        try
        {
            using var client = Create(socketPath, TimeSpan.FromSeconds(3));
            using var response = await client.GetAsync("_ping", cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AccessDenied })
        {
            throw new ContainerException(
                $"Permission denied on the engine's socket {socketPath}: user {Environment.UserName} may not open it. " +
                "Add the user to the socket's group (sudo usermod -aG docker $USER, then log in again), run as root, " +
                "or point DOCKER_HOST at an engine this user may use.", e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
