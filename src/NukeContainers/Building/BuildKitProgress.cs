using Google.Protobuf;
using NukeContainers.Building.Proto;
using NukeContainers.Utils;

namespace NukeContainers.Building;

/// Follows BuildKit's status stream (base64 StatusResponse messages in the Engine API's build output) and turns it
/// into instruction lines: each once when it starts, its output, and once when it ends (cached, or how long it took).
internal sealed class BuildKitProgress(Action<string> log)
{
    private readonly Dictionary<string, VertexState> _vertices = new();
    private readonly List<VertexState> _order = [];

    private sealed class VertexState
    {
        public string Name { get; set; } = "";
        public bool Cached { get; set; }
        public DateTimeOffset? Started { get; set; }
        public DateTimeOffset? Completed { get; set; }
        public string? Error { get; set; }
        public OutputTail Output { get; } = new();
        public bool Announced { get; set; }
        public bool Finished { get; set; }
        /// Dockerfile instructions are named "[2/4] COPY ..." or "[build 2/4] RUN ..."; the rest ("[internal] load ...",
        /// "exporting to image") is the builder's own work.
        public bool IsInternal => !Name.StartsWith('[') || Name.StartsWith("[internal]", StringComparison.Ordinal);
    }

    public IReadOnlyList<BuiltInstruction> Instructions =>
        _order.Where(v => !v.IsInternal && v.Finished && v.Error is null && !BuiltInstruction.IsBaseImage(v.Name))
            .Select(v => new BuiltInstruction(v.Name, v.Cached, v.Cached ? TimeSpan.Zero : (v.Completed - v.Started) ?? TimeSpan.Zero))
            .ToList();

    /// The instruction that started last and has not finished, if any.
    public string? Running => _order.LastOrDefault(v => v.Announced && !v.Finished)?.Name;

    private static bool StoppedByAnother(string error) =>
        error.Contains("context canceled", StringComparison.Ordinal) || error.Trim() is "EOF" or "EOF: unknown" || error.TrimEnd().EndsWith(": EOF", StringComparison.Ordinal);

    /// The instruction that failed, its error, and its last output lines.
    /// A step stopped because another failed reports "context canceled", or (a pull cut off, seen on BuildKit 0.13)
    /// "EOF": the cause is the step whose error is neither, when there is one.
    public (string Instruction, string Error, IReadOnlyList<string> Tail)? Failure =>
        (_order.FirstOrDefault(v => v.Error is not null && !StoppedByAnother(v.Error))
         ?? _order.FirstOrDefault(v => v.Error is not null && !v.Error.Contains("context canceled"))) is { } failed
            ? (failed.Name, failed.Error!, failed.Output.Lines)
            : null;

    /// Applies one StatusResponse; a message that is not one (truncated, corrupted) is an error that says so.
    public void Apply(ReadOnlySpan<byte> message)
    {
        StatusResponse status;
        try
        {
            status = StatusResponse.Parser.ParseFrom(message);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new FormatException($"a BuildKit status message of {message.Length} bytes is not a valid StatusResponse ({e.Message})");
        }
        Apply(status);
    }

    /// Applies one StatusResponse as the Control API's Status stream gives it.
    public void Apply(StatusResponse status)
    {
        foreach (var vertex in status.Vertexes) ApplyVertex(vertex);
        foreach (var entry in status.Logs) ApplyLog(entry);
    }

    private void ApplyVertex(Vertex update)
    {
        if (update.Digest.Length == 0) return;
        var vertex = Get(update.Digest);
        if (update.Name.Length > 0) vertex.Name = update.Name;
        vertex.Cached |= update.Cached;
        vertex.Started ??= update.Started?.ToDateTimeOffset();
        if (update.Completed is { } completed) vertex.Completed = completed.ToDateTimeOffset();
        if (update.Error.Length > 0) vertex.Error = update.Error;

        if (vertex.IsInternal) return;
        if (!vertex.Announced && vertex.Started is not null && !vertex.Cached)
        {
            vertex.Announced = true;
            log($"=> {Short(vertex.Name)}");
        }
        if (!vertex.Finished && (vertex.Completed is not null || vertex.Cached))
        {
            vertex.Finished = true;
            log(vertex.Error is not null ? $"=> {Short(vertex.Name)}: ERROR {vertex.Error}"
                : vertex.Cached ? $"=> {Short(vertex.Name)}: CACHED"
                : $"=> {Short(vertex.Name)}: done in {(vertex.Completed - vertex.Started)?.TotalSeconds:0.0}s");
        }
    }

    private void ApplyLog(VertexLog entry)
    {
        if (entry.Vertex.Length == 0) return;
        var vertex = Get(entry.Vertex);
        foreach (var line in vertex.Output.Split(entry.Msg.ToStringUtf8()))
        {
            log("   " + line);
            vertex.Output.Remember(line);
        }
    }

    /// Long RUN lines are cut in progress lines; the result and errors keep the whole name.
    private static string Short(string name) => name.Length <= 120 ? name : name[..117] + "...";

    private VertexState Get(string digest)
    {
        if (_vertices.TryGetValue(digest, out var vertex)) return vertex;
        vertex = new VertexState();
        _vertices[digest] = vertex;
        _order.Add(vertex);
        return vertex;
    }
}
