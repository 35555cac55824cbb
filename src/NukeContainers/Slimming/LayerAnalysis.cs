using System.Text.Json.Nodes;

namespace NukeContainers.Slimming;

/// <summary>One layer of an image, measured.</summary>
/// <param name="Index">Its place, from 0 (the bottom layer).</param>
/// <param name="DiffId">The digest of its uncompressed tar (<c>rootfs.diff_ids</c>).</param>
/// <param name="SizeBytes">The sum of its entries' sizes, as dive counts a layer.</param>
/// <param name="Instruction">What made it, from the image's history.</param>
/// <param name="Added">Files (not folders) it adds.</param>
/// <param name="Changed">Files it replaces.</param>
/// <param name="Removed">Files and folders it deletes from the layers below (whiteouts, opaque folders, a file over a folder).</param>
public sealed record LayerFacts(int Index, string DiffId, long SizeBytes, string Instruction, int Added, int Changed, int Removed)
{
    /// <summary>
    /// The bytes of this layer's files that a later layer replaces or deletes: shipped, never seen (the layer's part of
    /// the waste; a folder's own size is not counted).
    /// </summary>
    public long HiddenBytes { get; init; }
}

/// <summary>A path that more than one layer holds: dive's inefficiency.</summary>
public sealed record Inefficiency(string Path, int Count, long CumulativeBytes);

/// <summary>
/// An image's layers and dive's figures for them, with dive's definitions (its <c>filetree.Efficiency</c> and
/// <c>image.Analyze</c>): over every path p that is a leaf of some layer's tree, cum(p) is the sum of its sizes across the
/// layers and min(p) the smallest; a whiteout counts what it deletes when that was a folder (the sizes beneath it),
/// and 0 when it was a file, so a deleted file's bytes are all waste. Efficiency = Σ min(p) / Σ cum(p) (1 when
/// nothing has a size); wasted bytes = Σ cum(p) over the paths that occur in more than one layer; user-wasted
/// percent = wasted bytes / the size of all layers after the first.
/// </summary>
public sealed record ImageAnalysis(
    IReadOnlyList<LayerFacts> Layers,
    double Efficiency,
    long WastedBytes,
    double UserWastedPercent,
    long SizeBytes,
    long UserSizeBytes,
    IReadOnlyList<Inefficiency> Inefficiencies)
{
    /// <summary>A table of the layers for the log: size, what made it, and its added, changed and removed files.</summary>
    public IEnumerable<string> LayerTable(int baseLayers = 0)
    {
        yield return $"{"layer",5} {"size",10} {"added",7} {"changed",7} {"removed",7}  instruction";
        foreach (var layer in Layers)
            yield return $"{layer.Index + (layer.Index < baseLayers ? "b" : " "),5} {Bytes(layer.SizeBytes),10} {layer.Added,7} {layer.Changed,7} {layer.Removed,7}  " +
                         (layer.Instruction.Length > 90 ? layer.Instruction[..87] + "..." : layer.Instruction);
        yield return FormattableString.Invariant($"efficiency {100 * Efficiency:0.00}%, wasted {Bytes(WastedBytes)} ({100 * UserWastedPercent:0.0}% of the {Bytes(UserSizeBytes)} above the first layer)");
    }

    internal static string Bytes(long bytes) =>
        bytes >= 1_000_000 ? FormattableString.Invariant($"{bytes / 1e6:0.0} MB") : bytes >= 1000 ? FormattableString.Invariant($"{bytes / 1e3:0.0} kB") : $"{bytes} B";
}

/// <summary>Builds an <see cref="ImageAnalysis"/> from layers read one at a time, in any order.</summary>
internal sealed class LayerAnalyzer
{
    private readonly Dictionary<string, IReadOnlyList<LayerEntry>> _layers = new(StringComparer.Ordinal);

    /// <summary>The entries of each layer, by the layer's path in the archive.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<LayerEntry>> Entries => _layers;

    /// <summary>Reads a layer's tar (headers only; file data is skipped as it streams past).</summary>
    public async Task AddAsync(string archivePath, Stream layerTar, CancellationToken cancellationToken) =>
        _layers[archivePath] = await ReadAsync(layerTar, cancellationToken);

    /// <summary>
    /// The entries of a layer tar, one for each header but global PAX ones (the root folder's too, with an empty path),
    /// so that the n-th entry here is the n-th the rewriter meets.
    /// </summary>
    public static async Task<IReadOnlyList<LayerEntry>> ReadAsync(Stream layerTar, CancellationToken cancellationToken)
    {
        var entries = new List<LayerEntry>();
        var reader = new RawTarReader(layerTar);
        while (await reader.NextAsync(cancellationToken) is { } entry)
            if (!entry.IsGlobal) entries.Add(entry.Facts);
        return entries;
    }

    /// <summary>The figures, with the layers in the image's order.</summary>
    public ImageAnalysis Analyze(ImageArchive.Description image) => Analyze(image.LayerPaths.Select(p => _layers[p]).ToList(), image.Config);

    /// <summary>The figures for layers given in the image's order, and the config that names them.</summary>
    public static ImageAnalysis Analyze(IReadOnlyList<IReadOnlyList<LayerEntry>> layers, JsonObject? config)
    {
        var diffIds = config?["rootfs"]?["diff_ids"]?.AsArray().Select(d => d!.GetValue<string>()).ToList() ?? [];
        var instructions = Instructions(config);
        var stacked = new StackedTree();
        var paths = new Dictionary<string, (long Cumulative, long Minimum, int Count)>(StringComparer.Ordinal);
        var facts = new List<LayerFacts>();
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            foreach (var (path, bytes) in Leaves(layer, stacked))
                paths[path] = paths.TryGetValue(path, out var seen)
                    ? (seen.Cumulative + bytes, Math.Min(seen.Minimum, bytes), seen.Count + 1)
                    : (bytes, bytes, 1);
            var (added, changed, removed) = stacked.Apply(layer, index);
            facts.Add(new LayerFacts(index, index < diffIds.Count ? diffIds[index] : "", layer.Sum(e => e.Size),
                index < instructions.Count ? instructions[index] : "", added, changed, removed));
        }
        facts = [.. facts.Select(f => f with { HiddenBytes = stacked.Hidden.GetValueOrDefault(f.Index) })];

        long minimum = 0, cumulative = 0, wasted = 0;
        var inefficiencies = new List<Inefficiency>();
        foreach (var (path, (cum, min, count)) in paths)
        {
            minimum += min;
            cumulative += cum;
            if (count < 2) continue;
            wasted += cum;
            inefficiencies.Add(new Inefficiency(path, count, cum));
        }
        var size = facts.Sum(f => f.SizeBytes);
        var userSize = facts.Skip(1).Sum(f => f.SizeBytes);
        return new ImageAnalysis(
            facts,
            cumulative == 0 ? 1.0 : (double)minimum / cumulative,
            wasted,
            userSize == 0 ? 0 : (double)wasted / userSize,
            size,
            userSize,
            [.. inefficiencies.OrderByDescending(i => i.CumulativeBytes).ThenBy(i => i.Path, StringComparer.Ordinal)]);
    }

    /// What made each layer: the history's entries that are not empty layers, in order.
    private static List<string> Instructions(JsonObject? config) =>
        config?["history"]?.AsArray().Where(h => h?["empty_layer"]?.GetValue<bool>() != true)
            .Select(h => Instruction(h?["created_by"]?.GetValue<string>() ?? h?["comment"]?.GetValue<string>() ?? "")).ToList() ?? [];

    internal static string Instruction(string createdBy)
    {
        var text = createdBy.Trim();
        if (text.StartsWith("/bin/sh -c #(nop) ", StringComparison.Ordinal)) text = text["/bin/sh -c #(nop) ".Length..].Trim();
        else if (text.StartsWith("/bin/sh -c ", StringComparison.Ordinal)) text = "RUN " + text["/bin/sh -c ".Length..];
        if (text.EndsWith(" # buildkit", StringComparison.Ordinal)) text = text[..^" # buildkit".Length];
        return text.Replace('\n', ' ');
    }

    /// The leaves of one layer's tree, as dive builds it (every entry and the folders above it; an opaque marker only
    /// makes sure its folder is there), with the size dive gives each.
    private static IEnumerable<(string Path, long Size)> Leaves(IReadOnlyList<LayerEntry> layer, StackedTree below)
    {
        var parents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in layer)
        {
            if (entry.Path.Length == 0) continue;
            for (var path = Parent(entry.Path); path.Length > 0 && parents.Add(path); path = Parent(path)) { }
        }
        var nodes = new Dictionary<string, LayerEntry>(StringComparer.Ordinal);
        foreach (var entry in layer)
        {
            if (entry.Path.Length == 0) continue;
            if (entry.Kind == EntryKind.OpaqueWhiteout)
            {
                // The folder exists in the tree even when the layer has no entry of its own for it.
                nodes.TryAdd(entry.Path, new LayerEntry(entry.Path, 0, EntryKind.Directory));
                continue;
            }
            nodes[entry.Kind == EntryKind.Whiteout ? LayerEntry.WhiteoutPrefix + entry.Path : entry.Path] = entry;
        }
        foreach (var entry in nodes.Values)
        {
            var isParent = entry.Kind != EntryKind.Whiteout && parents.Contains(entry.Path);
            if (isParent) continue;
            yield return (entry.Path, entry.Kind == EntryKind.Whiteout ? below.SizeOfFolder(entry.Path) : entry.Size);
        }
    }

    private static string Parent(string path) => path.LastIndexOf('/') is var slash and >= 0 ? path[..slash] : "";

    /// The file system as the layers so far make it: each path's size, whether it is a folder, and the layer that holds
    /// it; and the bytes of each layer that later layers hid.
    private sealed class StackedTree
    {
        private readonly Dictionary<string, (long Size, bool Folder, int Layer)> _nodes = new(StringComparer.Ordinal);

        /// <summary>By layer: the bytes of its files a later layer replaced or deleted.</summary>
        public Dictionary<int, long> Hidden { get; } = [];
        private readonly SortedSet<string> _paths = new(StringComparer.Ordinal);

        /// What deleting the path removes when it is a folder (the sizes beneath it); 0 for a file, as dive counts.
        public long SizeOfFolder(string path) =>
            _nodes.TryGetValue(path, out var node) && node.Folder ? Below(path).Sum(p => _nodes[p].Size) : 0;

        private List<string> Below(string folder) => [.. _paths.GetViewBetween(folder + "/", folder + "0")];

        public (int Added, int Changed, int Removed) Apply(IReadOnlyList<LayerEntry> layer, int index)
        {
            int added = 0, changed = 0, removed = 0;
            foreach (var entry in layer.Where(e => e.Path.Length > 0))
            {
                switch (entry.Kind)
                {
                    case EntryKind.Whiteout:
                        if (Remove(entry.Path)) removed++;
                        removed += RemoveBelow(entry.Path);
                        break;
                    case EntryKind.OpaqueWhiteout:
                        removed += RemoveBelow(entry.Path);
                        break;
                    default:
                        var folder = entry.Kind == EntryKind.Directory;
                        var existed = _nodes.TryGetValue(entry.Path, out var before);
                        if (existed && before.Folder && !folder) removed += RemoveBelow(entry.Path);
                        if (!folder) { if (existed) changed++; else added++; }
                        if (existed && !before.Folder && before.Layer != index) Hide(before);
                        _nodes[entry.Path] = (entry.Size, folder, index);
                        _paths.Add(entry.Path);
                        break;
                }
            }
            return (added, changed, removed);
        }

        private bool Remove(string path)
        {
            if (!_nodes.Remove(path, out var node)) return false;
            if (!node.Folder) Hide(node);
            return _paths.Remove(path);
        }

        private void Hide((long Size, bool Folder, int Layer) node) => Hidden[node.Layer] = Hidden.GetValueOrDefault(node.Layer) + node.Size;

        private int RemoveBelow(string folder)
        {
            var below = Below(folder);
            foreach (var path in below) Remove(path);
            return below.Count;
        }
    }
}
