using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace NukeContainers.Session;

/// Where Kestrel "listens" for session connections: nowhere on the network. Each connection is one the client opened
/// to the engine (<c>POST /session</c>, upgraded to h2c) and hands to Kestrel, which then serves HTTP/2 on it, the
/// engine being the HTTP/2 client.
internal sealed class SessionEndPoint : EndPoint
{
    public override string ToString() => "buildkit-session";
}

/// Kestrel's transport for session connections: a listener whose accepted connections are the engine connections
/// added with <see cref="Add"/>.
internal sealed class SessionTransport : IConnectionListenerFactory, IConnectionListenerFactorySelector, IConnectionListener
{
    private readonly Channel<ConnectionContext> _incoming = Channel.CreateUnbounded<ConnectionContext>();

    /// Kestrel's pooled blocks for every connection's pipes (and, through IMemoryPoolFeature, for Kestrel's own): without
    /// it, Kestrel falls back on a pool that allocates an object a block, and sending 1 GiB allocated 1.5 GiB.
    public System.Buffers.MemoryPool<byte>? Pool { get; set; }

    public EndPoint EndPoint { get; } = new SessionEndPoint();

    public bool CanBind(EndPoint endpoint) => endpoint is SessionEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IConnectionListener>(this);

    /// Serves HTTP/2 on an upgraded engine connection; the connection's <see cref="StreamConnection.Closed"/> completes
    /// when either side ends it.
    public StreamConnection Add(string id, Stream stream)
    {
        var connection = new StreamConnection(id, stream, Pool);
        if (!_incoming.Writer.TryWrite(connection)) throw new InvalidOperationException("The session host has stopped.");
        return connection;
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _incoming.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _incoming.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => UnbindAsync();
}

/// One upgraded engine connection as Kestrel sees a transport connection: its stream read and written through pipes.
internal sealed class StreamConnection : ConnectionContext, IConnectionLifetimeFeature, IMemoryPoolFeature
{
    private readonly Stream _stream;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StreamConnection(string id, Stream stream, System.Buffers.MemoryPool<byte>? pool)
    {
        _stream = stream;
        ConnectionId = id;
        MemoryPool = pool ?? System.Buffers.MemoryPool<byte>.Shared;
        Transport = new Pipe(PipeReader.Create(stream, new StreamPipeReaderOptions(pool, leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(pool, leaveOpen: true)));
        Features.Set<IConnectionLifetimeFeature>(this);
        if (pool is not null) Features.Set<IMemoryPoolFeature>(this);
        ConnectionClosed = _closed.Token;
    }

    private sealed record Pipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    public System.Buffers.MemoryPool<byte> MemoryPool { get; }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    /// Completes when the connection has ended, from either side.
    public Task Closed => _ended.Task;

    /// Ends the connection from this side: the engine sees the session go.
    public override void Abort(ConnectionAbortedException abortReason) => Close();

    public void Close()
    {
        try
        {
            _stream.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // already gone
        }
        if (!_closed.IsCancellationRequested) _closed.Cancel();
        _ended.TrySetResult();
    }

    public override ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }
}
