using System.Text;
using System.Text.Json.Nodes;
using NukeContainers.Slimming;

namespace NukeContainers.Scanning;

/// <summary>
/// What the scan reads from an image, in one pass over the engine's export (streamed; only package manifests and
/// files small enough to search for secrets are read into memory, one at a time): the config, the package manifests
/// and Go binaries of the final file system, the secrets in every layer (a file deleted in a later layer still ships
/// in the earlier one) and the files whose mode or name a check looks at.
/// </summary>
internal sealed class ImageContents
{
    public required JsonObject Config { get; init; }
    public required IReadOnlyDictionary<string, byte[]> Manifests { get; init; }
    public required IReadOnlyDictionary<string, GoBuildInfo> GoBinaries { get; init; }
    public required IReadOnlyList<Finding> Secrets { get; init; }
    public required IReadOnlyList<Finding> FileChecks { get; init; }

    /// <summary>The largest file searched for secrets; larger ones are skipped (they are rarely text).</summary>
    public const long SecretSearchLimit = 2 << 20;

    private const long ManifestLimit = 32 << 20;

    /// <summary>
    /// Reads the image's layers once: with <paramref name="findSecrets"/> false no file is searched for secrets; each
    /// visitor sees every regular file of every layer, and the bytes of those it wants.
    /// </summary>
    public static async Task<ImageContents> ReadAsync(Engine.ContainerEngine engine, string imageId, bool findSecrets, IReadOnlyList<IImageFileVisitor> visitors,
        CancellationToken cancellationToken)
    {
        var entries = new Dictionary<string, List<LayerEntry>>(StringComparer.Ordinal);
        var manifests = new Dictionary<(string Layer, string Path), byte[]>();
        var binaries = new Dictionary<(string Layer, string Path), GoBuildInfo>();
        var secrets = new List<(string Layer, string Path, Secrets.Match Match)>();
        var checks = new Dictionary<string, Finding>(StringComparer.Ordinal);
        ImageArchive.Description description;
        await using (var archive = await engine.ExportAsync(imageId, cancellationToken))
        {
            description = await ImageArchive.ReadAsync(archive, async (layer, tar) =>
            {
                var list = entries[layer] = [];
                var reader = new RawTarReader(tar);
                while (await reader.NextAsync(cancellationToken) is { } entry)
                {
                    if (entry.IsGlobal) continue;
                    var facts = entry.Facts;
                    list.Add(facts);
                    if (facts.Kind != EntryKind.File) continue;
                    foreach (var finding in ImageChecks.Files([(facts.Path, entry.Mode)])) checks.TryAdd(finding.Id + " " + finding.Target, finding);
                    var executable = (entry.Mode & 0b001_001_001) != 0;
                    var file = new ImageFile(layer, facts.Path, entry.Size, entry.Mode);
                    var wanting = visitors.Where(v => v.Wants(file)).ToList();
                    if (Inventory.IsManifest(facts.Path) && entry.Size <= ManifestLimit || (findSecrets || executable) && entry.Size <= SecretSearchLimit
                        || wanting.Count > 0 && entry.Size <= ImageFile.ContentLimit)
                    {
                        var data = await ReadAsync(reader, entry, cancellationToken);
                        foreach (var visitor in wanting) visitor.Visit(file, data);
                        if (Inventory.IsManifest(facts.Path)) manifests[(layer, facts.Path)] = data;
                        if (IsText(data))
                        {
                            if (findSecrets)
                                foreach (var match in Scanning.Secrets.Find(Encoding.UTF8.GetString(data))) secrets.Add((layer, facts.Path, match));
                        }
                        else if (executable && FindGoBuildInfo(data) is { } info) binaries[(layer, facts.Path)] = info;
                    }
                    else if (executable)
                    {
                        var search = new GoBuildInfoSearch();
                        await reader.CopyDataAsync(search, cancellationToken);
                        if (search.Result is { } info) binaries[(layer, facts.Path)] = info;
                    }
                }
            }, cancellationToken);
        }

        // The final file system: each path from the last layer that wrote it, if no later layer deleted it.
        var order = description.LayerPaths;
        var final = new PathSet();
        foreach (var layer in order) final.Apply(entries[layer]);
        var candidates = manifests.Keys.Select(k => k.Path).Concat(binaries.Keys.Select(k => k.Path)).ToHashSet(StringComparer.Ordinal);
        var lastWriters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in order)
            foreach (var entry in entries[layer])
                if (entry.Kind == EntryKind.File && candidates.Contains(entry.Path)) lastWriters[entry.Path] = layer;
        string? LastWriter(string path) => lastWriters.GetValueOrDefault(path);
        var finalManifests = manifests.GroupBy(m => m.Key.Path).Where(g => final.Contains(g.Key))
            .Select(g => (g.Key, Layer: LastWriter(g.Key))).Where(x => x.Layer is not null && manifests.ContainsKey((x.Layer, x.Key)))
            .ToDictionary(x => x.Key, x => manifests[(x.Layer!, x.Key)], StringComparer.Ordinal);
        var finalBinaries = binaries.GroupBy(b => b.Key.Path).Where(g => final.Contains(g.Key))
            .Select(g => (g.Key, Layer: LastWriter(g.Key))).Where(x => x.Layer is not null && binaries.ContainsKey((x.Layer, x.Key)))
            .ToDictionary(x => x.Key, x => binaries[(x.Layer!, x.Key)], StringComparer.Ordinal);

        var secretFindings = secrets.Select(s =>
        {
            var index = order.ToList().IndexOf(s.Layer);
            var deleted = !final.Contains(s.Path) ? ", deleted by a later layer but still in this one" : "";
            return new Finding(s.Match.Rule.Id, FindingKind.Secret, s.Match.Rule.Severity, $"{s.Match.Rule.Title}: {s.Match.Masked}",
                $"/{s.Path}:{s.Match.Line} (layer {index}{deleted})", Source: "secrets");
        }).ToList();
        var configText = description.Config.ToJsonString();
        if (findSecrets)
            secretFindings.AddRange(Scanning.Secrets.Find(configText).Select(m =>
            new Finding(m.Rule.Id, FindingKind.Secret, m.Rule.Severity, $"{m.Rule.Title}: {m.Masked}", "the image config (ENV, labels or a build argument in the history)", Source: "secrets")));
        return new ImageContents
        {
            Config = description.Config,
            Manifests = finalManifests,
            GoBinaries = finalBinaries,
            Secrets = secretFindings.DistinctBy(f => (f.Id, f.Title, f.Target)).ToList(),
            FileChecks = [.. checks.Values],
        };
    }

    private static async Task<byte[]> ReadAsync(RawTarReader reader, RawTarEntry entry, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream((int)Math.Min(entry.PaddedSize, int.MaxValue));
        await reader.CopyDataAsync(buffer, cancellationToken);
        return buffer.GetBuffer().AsSpan(0, (int)entry.Size).ToArray();
    }

    /// Text: no NUL byte in the first 8000 bytes (git's test).
    private static bool IsText(byte[] data) => data.AsSpan(0, Math.Min(8000, data.Length)).IndexOf((byte)0) < 0;

    private static GoBuildInfo? FindGoBuildInfo(byte[] data)
    {
        var at = data.AsSpan().IndexOf(GoBuildInfo.Magic);
        return at < 0 ? null : GoBuildInfo.Parse(data.AsSpan(at));
    }

    /// Looks for a Go binary's build info in the data written through it, keeping only a small window.
    private sealed class GoBuildInfoSearch : Stream
    {
        private const int Window = 1 << 20;
        private readonly byte[] _tail = new byte[16];
        private int _tailLength;
        private MemoryStream? _capture;

        public GoBuildInfo? Result => _capture is null ? null : GoBuildInfo.Parse(_capture.ToArray());

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> data)
        {
            if (_capture is not null)
            {
                if (_capture.Length < Window) _capture.Write(data[..(int)Math.Min(data.Length, Window - _capture.Length)]);
                return;
            }
            // The magic may straddle two writes: look in the last bytes of the one before and the start of this one.
            var joined = new byte[_tailLength + Math.Min(data.Length, 16)];
            _tail.AsSpan(0, _tailLength).CopyTo(joined);
            data[..Math.Min(data.Length, 16)].CopyTo(joined.AsSpan(_tailLength));
            var at = joined.AsSpan().IndexOf(GoBuildInfo.Magic);
            if (at >= 0 && at < _tailLength)
            {
                _capture = new MemoryStream();
                _capture.Write(joined.AsSpan(at, _tailLength - at));
                _capture.Write(data[..Math.Min(data.Length, Window)]);
                return;
            }
            at = data.IndexOf(GoBuildInfo.Magic);
            if (at >= 0)
            {
                _capture = new MemoryStream();
                _capture.Write(data[at..Math.Min(data.Length, at + Window)]);
                return;
            }
            var keep = Math.Min(data.Length, _tail.Length);
            if (keep == _tail.Length) { data[^keep..].CopyTo(_tail); _tailLength = keep; }
            else
            {
                var merged = _tail.AsSpan(0, _tailLength).ToArray().Concat(data.ToArray()).TakeLast(_tail.Length).ToArray();
                merged.CopyTo(_tail, 0);
                _tailLength = merged.Length;
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
