using NukeContainers.Building;
using System.Buffers;
using Grpc.Core;
using Microsoft.Win32.SafeHandles;
using NukeContainers.Session.Proto;

namespace NukeContainers.Session;

/// <summary>
/// FileSync.DiffCopy, the sending side of fsutil's protocol: every entry's stat in walk order (an empty stat ends the
/// walk); the engine compares them with its copy from the last build and asks (REQ, by index) only for the files that
/// changed; each asked-for file goes as DATA packets and an empty one; the engine's FIN is answered with FIN.
/// </summary>
internal sealed class FileSyncService : FileSync.FileSyncBase
{
    public override async Task DiffCopy(IAsyncStreamReader<Packet> requestStream, IServerStreamWriter<Packet> responseStream, ServerCallContext context)
    {
        var session = SessionHost.SessionOf(context);
        var dirName = Values(context, "dir-name").FirstOrDefault() ?? "";
        if (!session.Folders.TryGetValue(dirName, out var folder))
            throw new RpcException(new Status(StatusCode.NotFound, $"no access allowed to dir \"{dirName}\""));
        // A link on a path COPY names brings its target, as fsutil's walk follows it for the engine.
        var follow = Values(context, "followpaths").ToList();
        var include = IncludeFilter.For([.. follow, .. FollowedLinks.Resolve(folder.Path, follow), .. Values(context, "include-patterns")]);
        var sender = new Sender(folder, include, responseStream, session, context.CancellationToken);
        await sender.RunAsync(requestStream);
    }

    /// Every value of a metadata key. The engine sends a repeated key as several header fields; gRPC's metadata joins
    /// them with commas, which paths may hold, so they are read from the HTTP request, where they stay apart.
    private static IEnumerable<string> Values(ServerCallContext context, string key) =>
        context.GetHttpContext().Request.Headers[key].Where(v => v is not null).Select(v => v!);

    private sealed class Sender(SyncedFolder folder, IncludeFilter? include, IServerStreamWriter<Packet> responses, BuildSession session, CancellationToken cancellationToken)
    {
        /// Packets are written buffered and flushed every so often (and at the end of the walk and of each file): a
        /// flush per stat would cost a write call per file.
        private const int FlushEvery = 256;
        private const int ChunkSize = 32 * 1024;   // fsutil's own; larger chunks are copied through unpooled buffers

        private readonly SemaphoreSlim _writing = new(1, 1);
        private readonly List<string?> _files = [];
        private int _unflushed;

        public async Task RunAsync(IAsyncStreamReader<Packet> requests)
        {
            var walk = Task.Run(WalkAsync, cancellationToken);
            try
            {
                while (await requests.MoveNext(cancellationToken))
                {
                    var packet = requests.Current;
                    switch (packet.Type)
                    {
                        case Packet.Types.PacketType.PacketReq:
                            await SendFileAsync(packet.ID);
                            break;
                        case Packet.Types.PacketType.PacketFin:
                            await walk;
                            await WriteAsync(new Packet { Type = Packet.Types.PacketType.PacketFin }, flush: true);
                            return;
                        case Packet.Types.PacketType.PacketErr:
                            throw new RpcException(new Status(StatusCode.Aborted, $"the engine stopped reading '{folder.Path}': {packet.Data.ToStringUtf8()}"));
                    }
                }
            }
            finally
            {
                // The walk ends with the call (its writes fail once the call is over); its error, if any, was sent.
                try { await walk; } catch (Exception) when (cancellationToken.IsCancellationRequested || !walk.IsCompletedSuccessfully) { }
            }
        }

        private async Task WalkAsync()
        {
            try
            {
                foreach (var entry in folder.Walk(include))
                {
                    lock (_files) _files.Add(entry.DataPath);
                    await WriteAsync(new Packet { Type = Packet.Types.PacketType.PacketStat, Stat = entry.Stat }, flush: false);
                }
                await WriteAsync(new Packet { Type = Packet.Types.PacketType.PacketStat }, flush: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await FailAsync($"cannot read the folder '{folder.Path}': {e.Message}");
                throw;
            }
        }

        private async Task SendFileAsync(uint id)
        {
            string? path;
            lock (_files) path = id < _files.Count ? _files[(int)id] : null;
            if (path is null)
            {
                await FailAsync($"the engine asked for entry {id} of '{folder.Path}', which is not a file that was sent");
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"invalid file id {id}"));
            }
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            try
            {
                using SafeFileHandle file = File.OpenHandle(path);
                long offset = 0;
                while (RandomAccess.Read(file, buffer.AsSpan(0, ChunkSize), offset) is var read and > 0)
                {
                    offset += read;
                    await WriteAsync(new Packet { Type = Packet.Types.PacketType.PacketData, ID = id, Data = SyncedFolder.Wrap(buffer.AsMemory(0, read)) }, flush: false);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await FailAsync($"cannot read '{path}': {e.Message}");
                throw new RpcException(new Status(StatusCode.Unavailable, $"cannot read '{path}': {e.Message}"));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            await WriteAsync(new Packet { Type = Packet.Types.PacketType.PacketData, ID = id }, flush: true);
        }

        private async Task FailAsync(string message)
        {
            session.Log($"The build session could not send the engine what it asked for: {message}");
            try
            {
                await WriteAsync(new Packet { Type = Packet.Types.PacketType.PacketErr, Data = Google.Protobuf.ByteString.CopyFromUtf8(message) }, flush: true);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or OperationCanceledException)
            {
                // the call is over already
            }
        }

        private async Task WriteAsync(Packet packet, bool flush)
        {
            await _writing.WaitAsync(cancellationToken);
            try
            {
                flush |= ++_unflushed >= FlushEvery;
                responses.WriteOptions = flush ? null : BufferHint;
                await responses.WriteAsync(packet, cancellationToken);
                if (flush) _unflushed = 0;
            }
            finally
            {
                _writing.Release();
            }
        }

        private static readonly WriteOptions BufferHint = new(WriteFlags.BufferHint);
    }
}
