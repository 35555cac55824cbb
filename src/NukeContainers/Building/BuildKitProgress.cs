using NukeContainers.Utils;

namespace NukeContainers.Building;

/// Follows BuildKit's status stream (base64 StatusResponse messages in the Engine API's build output) and turns it
/// into step lines: each step once when it starts, its output, and once when it ends (cached, or how long it took).
internal sealed class BuildKitProgress(Action<string> log)
{
    private readonly Dictionary<string, Vertex> _vertices = new();
    private readonly List<Vertex> _order = [];

    private sealed class Vertex(string digest)
    {
        public string Digest { get; } = digest;
        public string Name { get; set; } = "";
        public bool Cached { get; set; }
        public DateTimeOffset? Started { get; set; }
        public DateTimeOffset? Completed { get; set; }
        public string? Error { get; set; }
        public OutputTail Output { get; } = new();
        public bool Announced { get; set; }
        public bool Finished { get; set; }
        /// Dockerfile steps are named "[2/4] COPY ..." or "[build 2/4] RUN ..."; the rest ("[internal] load ...",
        /// "exporting to image") is the builder's own work.
        public bool IsInternal => !Name.StartsWith('[') || Name.StartsWith("[internal]", StringComparison.Ordinal);
    }

    public IReadOnlyList<BuildStep> Steps =>
        _order.Where(v => !v.IsInternal && v.Finished && v.Error is null && !BuildStep.IsBaseImage(v.Name))
            .Select(v => new BuildStep(v.Name, v.Cached, v.Cached ? TimeSpan.Zero : (v.Completed - v.Started) ?? TimeSpan.Zero))
            .ToList();

    /// The step that failed, its error, and its last output lines.
    public (string Step, string Error, IReadOnlyList<string> Tail)? Failure =>
        _order.FirstOrDefault(v => v.Error is not null && !v.Error.Contains("context canceled")) is { } failed
            ? (failed.Name, failed.Error!, failed.Output.Lines)
            : null;

    public void Apply(ReadOnlyMemory<byte> statusResponse)
    {
        var reader = new ProtoReader(statusResponse);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == 2: ApplyVertex(new ProtoReader(reader.ReadBytes())); break;
                case 3 when wire == 2: ApplyLog(new ProtoReader(reader.ReadBytes())); break;
                default: reader.Skip(wire); break;
            }
        }
    }

    private void ApplyVertex(ProtoReader reader)
    {
        string? digest = null, name = null, error = null;
        bool cached = false;
        DateTimeOffset? started = null, completed = null;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1: digest = reader.ReadString(); break;
                case 3: name = reader.ReadString(); break;
                case 4: cached = reader.ReadVarint() != 0; break;
                case 5: started = reader.ReadTimestamp(); break;
                case 6: completed = reader.ReadTimestamp(); break;
                case 7: error = reader.ReadString(); break;
                default: reader.Skip(wire); break;
            }
        }
        if (digest is null) return;
        var vertex = Get(digest);
        if (name is { Length: > 0 }) vertex.Name = name;
        vertex.Cached |= cached;
        vertex.Started ??= started;
        if (completed is not null) vertex.Completed = completed;
        if (error is { Length: > 0 }) vertex.Error = error;

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

    private void ApplyLog(ProtoReader reader)
    {
        string? digest = null;
        ReadOnlyMemory<byte> message = default;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 2) digest = reader.ReadString();
            else if (field == 4 && wire == 2) message = reader.ReadBytes();
            else reader.Skip(wire);
        }
        if (digest is null) return;
        var vertex = Get(digest);
        foreach (var line in vertex.Output.Split(System.Text.Encoding.UTF8.GetString(message.Span)))
        {
            log("   " + line);
            vertex.Output.Remember(line);
        }
    }

    /// Long RUN lines are cut in progress lines; the result and errors keep the whole name.
    private static string Short(string name) => name.Length <= 120 ? name : name[..117] + "...";

    private Vertex Get(string digest)
    {
        if (_vertices.TryGetValue(digest, out var vertex)) return vertex;
        vertex = new Vertex(digest);
        _vertices[digest] = vertex;
        _order.Add(vertex);
        return vertex;
    }
}
