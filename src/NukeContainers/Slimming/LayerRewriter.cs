using System.Security.Cryptography;

namespace NukeContainers.Slimming;

/// <summary>A layer of the slimmed image: its tar, the digest of that tar, and whether it is the layer it was.</summary>
internal sealed record OutputLayer(string File, string DiffId, bool Unchanged);

/// <summary>What the rewrite made.</summary>
internal sealed record Rewrite(IReadOnlyList<OutputLayer> Layers, int RemovedPaths, long RemovedBytes, int SquashedLayers)
{
    /// <summary>True when every layer is the one it was: the image stays as it is.</summary>
    public bool Unchanged => SquashedLayers == 0 && Layers.All(l => l.Unchanged);
}

/// <summary>
/// Rewrites an image's layers: removes what the rules match (files, links and devices; a path that an untouched base
/// layer still holds gets a whiteout, so the older copy does not show through), and squashes the image's own layers
/// (those above the base) into one that holds each path's last version, whiteouts for what they deleted from the
/// base, and opaque folders where they replaced one. A hard link whose target does not survive gets the target's
/// data instead. Entries are copied as the bytes they were, so the same input always makes the same layers.
/// </summary>
internal sealed class LayerRewriter(
    IReadOnlyList<string> files,
    IReadOnlyList<IReadOnlyList<LayerEntry>> entries,
    IReadOnlyList<string> diffIds,
    int baseLayers,
    bool minimiseBase,
    SlimRules? rules,
    bool squash,
    string folder)
{
    private int _removedPaths;
    private long _removedBytes;

    public async Task<Rewrite> RunAsync(CancellationToken cancellationToken)
    {
        var keep = Keep();
        var below = new PathSet();   // what the layers left as they are hold, for whiteouts
        for (var i = 0; i < Math.Min(baseLayers, files.Count); i++) below.Apply(entries[i], keep[i]);

        var output = new List<OutputLayer>();
        var ownCount = files.Count - baseLayers;
        var squashing = Squashes(files.Count, baseLayers, squash);
        for (var i = 0; i < files.Count; i++)
        {
            if (squashing && i >= baseLayers) break;
            var whiteouts = minimiseBase || i < baseLayers ? [] : entries[i].Where((e, p) => !keep[i][p] && below.Contains(e.Path)).Select(e => e.Path).ToList();
            if (keep[i].All(k => k) && whiteouts.Count == 0)
            {
                output.Add(new OutputLayer(files[i], diffIds[i], Unchanged: true));
                continue;
            }
            var plan = new Dictionary<(int, int), Emit>();
            for (var p = 0; p < entries[i].Count; p++) if (keep[i][p]) plan[(i, p)] = Emit.AsIs;
            FixLinks(i, plan);
            output.Add(await WriteAsync(output.Count, [i], plan, [], whiteouts, cancellationToken));
        }
        if (!squashing) return new Rewrite(output, _removedPaths, _removedBytes, 0);

        var own = Enumerable.Range(baseLayers, ownCount).ToList();
        var (owners, opaques, deleted) = Squash(own, keep, below);
        var squashPlan = owners.Values.ToDictionary(o => o, _ => Emit.AsIs);
        foreach (var i in own) FixLinks(i, squashPlan);
        output.Add(await WriteAsync(output.Count, own, squashPlan, opaques, deleted, cancellationToken));
        return new Rewrite(output, _removedPaths, _removedBytes, ownCount);
    }

    /// <summary>Whether a squash asked for has anything to squash: more than one own layer.</summary>
    private static bool Squashes(int layers, int baseLayers, bool squash) => squash && layers - baseLayers > 1;

    /// <summary>
    /// Whether a rewrite would leave every layer as it is: nothing removed (a layer is rewritten only for what it
    /// loses, and whiteouts only for what the own layers lose) and nothing to squash. Then no layer need be read.
    /// </summary>
    public static bool ChangesNothing(int removals, int layers, int baseLayers, bool squash) => removals == 0 && !Squashes(layers, baseLayers, squash);

    /// <summary>The entries the rules remove: those of the own layers, and of the base's when it is included.</summary>
    public static IEnumerable<(int Layer, int Position, LayerEntry Entry)> Removals(
        IReadOnlyList<IReadOnlyList<LayerEntry>> entries, int baseLayers, bool minimiseBase, SlimRules rules)
    {
        for (var i = minimiseBase ? 0 : baseLayers; i < entries.Count; i++)
            for (var p = 0; p < entries[i].Count; p++)
                if (entries[i][p].Path.Length > 0 && rules.Removes(entries[i][p])) yield return (i, p, entries[i][p]);
    }

    private bool[][] Keep()
    {
        var keep = entries.Select(layer => Enumerable.Repeat(true, layer.Count).ToArray()).ToArray();
        if (rules is null) return keep;
        foreach (var (layer, position, entry) in Removals(entries, baseLayers, minimiseBase, rules))
        {
            keep[layer][position] = false;
            _removedPaths++;
            _removedBytes += entry.Size;
        }
        return keep;
    }

    /// Each path's last version among the own layers, the folders made opaque and the paths deleted from the base.
    private (Dictionary<string, (int, int)> Owners, List<string> Opaques, List<string> Deleted) Squash(List<int> own, bool[][] keep, PathSet below)
    {
        var owners = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        var owned = new PathSet();
        var opaques = new PathSet();
        var deleted = new PathSet();
        void Disown(string path, bool andBelow)
        {
            if (owned.Remove(path)) owners.Remove(path);
            if (andBelow) foreach (var p in owned.RemoveBelow(path)) owners.Remove(p);
        }
        foreach (var i in own)
        {
            for (var p = 0; p < entries[i].Count; p++)
            {
                var entry = entries[i][p];
                switch (entry.Kind)
                {
                    case EntryKind.Whiteout:
                        Disown(entry.Path, andBelow: true);
                        opaques.Remove(entry.Path);
                        opaques.RemoveBelow(entry.Path);
                        deleted.RemoveBelow(entry.Path);
                        if (below.Contains(entry.Path)) deleted.Add(entry.Path);
                        break;
                    case EntryKind.OpaqueWhiteout:
                        foreach (var path in owned.RemoveBelow(entry.Path)) owners.Remove(path);
                        opaques.RemoveBelow(entry.Path);
                        deleted.RemoveBelow(entry.Path);
                        if (below.HasBelow(entry.Path)) opaques.Add(entry.Path);
                        break;
                    default:
                        var folder = entry.Kind == EntryKind.Directory;
                        if (deleted.Remove(entry.Path) && folder && below.HasBelow(entry.Path)) opaques.Add(entry.Path);
                        if (!folder)
                        {
                            Disown(entry.Path, andBelow: true);   // a file over a folder replaces all of it
                            opaques.Remove(entry.Path);
                            opaques.RemoveBelow(entry.Path);
                            deleted.RemoveBelow(entry.Path);
                        }
                        if (keep[i][p])
                        {
                            owners[entry.Path] = (i, p);
                            owned.Add(entry.Path);
                        }
                        else
                        {
                            Disown(entry.Path, andBelow: false);
                            if (below.Contains(entry.Path)) deleted.Add(entry.Path);
                        }
                        break;
                }
            }
        }
        return (owners, [.. opaques], [.. deleted]);
    }

    private enum Emit { AsIs, AsTargetOf, Redirected, Skip }

    private readonly Dictionary<(int, int), string> _newNames = [];

    /// A kept hard link whose target is not written from its layer gets the target's data: the first such link takes
    /// it in the target's place, later ones link to that first one.
    private void FixLinks(int layer, Dictionary<(int, int), Emit> plan)
    {
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        var materialised = new Dictionary<int, string>();
        for (var p = 0; p < entries[layer].Count; p++)
        {
            var entry = entries[layer][p];
            if (entry.Kind == EntryKind.HardLink && plan.TryGetValue((layer, p), out var emit) && emit == Emit.AsIs
                && last.TryGetValue(entry.LinkTarget!, out var target) && !plan.ContainsKey((layer, target)))
            {
                if (materialised.TryGetValue(target, out var first))
                {
                    plan[(layer, p)] = Emit.Redirected;
                    _newNames[(layer, p)] = first;
                }
                else
                {
                    materialised[target] = entry.Path;
                    plan[(layer, target)] = Emit.AsTargetOf;
                    _newNames[(layer, target)] = entry.Path;
                    plan[(layer, p)] = Emit.Skip;
                }
            }
            last[entry.Path] = p;
        }
    }

    private async Task<OutputLayer> WriteAsync(int index, IReadOnlyList<int> sources, Dictionary<(int, int), Emit> plan,
        IReadOnlyList<string> opaques, IReadOnlyList<string> whiteouts, CancellationToken cancellationToken)
    {
        var path = Path.Combine(folder, $"slim-{index}.tar");
        await using (var file = File.Create(path))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using var hashing = new HashingStream(file, hash);
            var writer = new RawTarWriter(hashing);
            foreach (var layer in sources)
            {
                await using var input = File.OpenRead(files[layer]);
                var reader = new RawTarReader(input);
                var position = 0;
                while (await reader.NextAsync(cancellationToken) is { } entry)
                {
                    if (entry.IsGlobal) continue;
                    var p = position++;
                    if (!plan.TryGetValue((layer, p), out var emit) || emit == Emit.Skip) continue;
                    if (emit == Emit.AsIs) await writer.WriteHeaderAsync(entry, cancellationToken);
                    else if (emit == Emit.AsTargetOf)
                        await writer.WriteHeaderAsync(_newNames[(layer, p)], '0', entry.Size, entry.Mode, entry.Uid, entry.Gid, entry.ModifiedSeconds, "", cancellationToken);
                    else
                        await writer.WriteHeaderAsync(entry.Facts.Path, '1', 0, entry.Mode, entry.Uid, entry.Gid, entry.ModifiedSeconds, _newNames[(layer, p)], cancellationToken);
                    if (emit != Emit.Redirected) await reader.CopyDataAsync(hashing, cancellationToken);
                }
            }
            foreach (var opaque in opaques)
                await writer.WriteHeaderAsync(LayerEntry.Join(opaque, LayerEntry.OpaqueMarker), '0', 0, 0b110_100_100, 0, 0, 0, "", cancellationToken);
            foreach (var deleted in whiteouts)
            {
                var slash = deleted.LastIndexOf('/');
                var name = slash < 0 ? LayerEntry.WhiteoutPrefix + deleted : deleted[..(slash + 1)] + LayerEntry.WhiteoutPrefix + deleted[(slash + 1)..];
                await writer.WriteHeaderAsync(name, '0', 0, 0b110_100_100, 0, 0, 0, "", cancellationToken);
            }
            await writer.FinishAsync(cancellationToken);
            await hashing.FlushAsync(cancellationToken);
            return new OutputLayer(path, "sha256:" + Convert.ToHexStringLower(hash.GetCurrentHash()), Unchanged: false);
        }
    }

    /// A stream that hashes what is written through it.
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            hash.AppendData(buffer, offset, count);
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            hash.AppendData(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing) { }   // the file is the caller's
    }
}

/// <summary>A set of image paths that answers for a folder and everything beneath it.</summary>
internal sealed class PathSet : IEnumerable<string>
{
    private readonly SortedSet<string> _paths = new(StringComparer.Ordinal);

    public bool Add(string path) => _paths.Add(path);

    public bool Remove(string path) => _paths.Remove(path);

    public bool Contains(string path) => _paths.Contains(path);

    public bool HasBelow(string folder) => Below(folder).Count > 0;

    /// <summary>Removes everything beneath the folder (not the folder); returns what it removed.</summary>
    public List<string> RemoveBelow(string folder)
    {
        var below = Below(folder).ToList();
        foreach (var path in below) _paths.Remove(path);
        return below;
    }

    /// <summary>Applies a layer as the engine does: whiteouts and opaque folders delete, other entries add.</summary>
    public void Apply(IReadOnlyList<LayerEntry> layer, bool[]? keep = null)
    {
        for (var p = 0; p < layer.Count; p++)
        {
            var entry = layer[p];
            if (entry.Path.Length == 0) continue;
            if (entry.Kind == EntryKind.Whiteout) { Remove(entry.Path); RemoveBelow(entry.Path); }
            else if (entry.Kind == EntryKind.OpaqueWhiteout) RemoveBelow(entry.Path);
            else if (keep is null || keep[p])
            {
                if (entry.Kind != EntryKind.Directory) RemoveBelow(entry.Path);
                Add(entry.Path);
            }
        }
    }

    private SortedSet<string> Below(string folder) => folder.Length == 0 ? _paths : _paths.GetViewBetween(folder + "/", folder + "0");

    public IEnumerator<string> GetEnumerator() => _paths.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
