using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace NukeContainers.Session;

/// <summary>
/// The process's one gRPC server for BuildKit sessions: Kestrel serving HTTP/2 (prior knowledge, no TLS: the engine
/// connection under it is the socket or TLS connection to the engine) on the connections <see cref="BuildSession"/>
/// upgrades, with the session services mapped. Started on first use; every session of the process shares it, and a
/// call finds its session by its connection.
/// </summary>
internal static class SessionHost
{
    private static readonly SemaphoreSlim Starting = new(1, 1);
    private static readonly ConcurrentDictionary<string, BuildSession> Sessions = new(StringComparer.Ordinal);
    private static SessionTransport? _transport;

    /// <summary>Serves the session on its upgraded engine connection.</summary>
    public static async Task<StreamConnection> ServeAsync(BuildSession session, Stream connection, CancellationToken cancellationToken)
    {
        var transport = await TransportAsync(cancellationToken);
        Sessions[session.Id] = session;
        return transport.Add(session.Id, connection);
    }

    public static void Forget(BuildSession session) => Sessions.TryRemove(session.Id, out _);

    /// <summary>The session a call came in on; a call after its session ended is Unavailable.</summary>
    public static BuildSession SessionOf(ServerCallContext context) =>
        Sessions.TryGetValue(context.GetHttpContext().Connection.Id, out var session) ? session
            : throw new RpcException(new Status(StatusCode.Unavailable, "the build session has ended"));

    private static async Task<SessionTransport> TransportAsync(CancellationToken cancellationToken)
    {
        if (_transport is { } started) return started;
        await Starting.WaitAsync(cancellationToken);
        try
        {
            if (_transport is not null) return _transport;
            var transport = new SessionTransport();
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "NukeContainers.Session" });
            builder.WebHost.UseKestrelCore().ConfigureKestrel(options =>
            {
                options.AddServerHeader = false;
                // A DiffCopy call waits on the engine while it compares; the engine's side is slow by design, not stuck.
                options.Limits.MinRequestBodyDataRate = null;
                options.Limits.MinResponseDataRate = null;
                options.Limits.KeepAliveTimeout = TimeSpan.FromDays(1);
                options.Limits.Http2.MaxStreamsPerConnection = 1000;
                options.Listen(transport.EndPoint, listen => listen.Protocols = HttpProtocols.Http2);
            });
            builder.Services.AddSingleton<IConnectionListenerFactory>(transport);
            builder.Services.AddRoutingCore();
            builder.Services.AddGrpc(options => options.MaxReceiveMessageSize = 16 * 1024 * 1024);
            var app = builder.Build();
            transport.Pool = app.Services.GetService<IMemoryPoolFactory<byte>>()?.Create(new MemoryPoolOptions());
            app.UseRouting();
            app.MapGrpcService<HealthService>();
            app.MapGrpcService<FileSyncService>();
            app.MapGrpcService<FileSendService>();
            app.MapGrpcService<SecretsService>();
            app.MapGrpcService<SshService>();
            app.MapGrpcService<AuthService>();
            await app.StartAsync(cancellationToken);
            return _transport = transport;
        }
        finally
        {
            Starting.Release();
        }
    }
}
