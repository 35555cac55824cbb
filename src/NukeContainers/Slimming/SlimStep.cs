using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NukeContainers.Building;
using NukeContainers.Utils;

namespace NukeContainers.Slimming;

/// <summary>
/// Runs the slim step: exports the image from the engine (streamed; its layers spooled to a temporary folder only when
/// they are to be rewritten), measures it, rewrites what the settings ask, loads the result and checks the gates.
/// </summary>
internal static class SlimStep
{
    /// <summary>An image's config and each layer's entries, in the image's order: what the slim step reads of it.</summary>
    internal sealed record LayerListing(JsonObject Config, IReadOnlyList<IReadOnlyList<LayerEntry>> Layers);

    /// The folder a removed path is counted under: its first three levels (/usr/share/doc), or its parent when shallower.
    private static string Folder(string path)
    {
        var parts = path.TrimEnd('/').Split('/');
        return "/" + string.Join('/', parts.Take(Math.Clamp(parts.Length - 1, 1, 3)));
    }

    public static async Task<StepResult> RunAsync(SlimSettings settings, StepContext context, CancellationToken cancellationToken)
    {
        var (engine, log, image) = (context.Engine, context.Log, context.Image);
        var imageId = image.RequireImageId("slim");
        if (image.Build?.Platforms is { Count: > 1 } platforms && !settings.DryRun)
        {
            // Slimming writes one image back in the engine; written over an index, it would leave one platform.
            log($"Measuring {image.Repository} only, not slimming it: it is an index of {string.Join(", ", platforms)}, and slimming rewrites one image's layers");
            settings = settings with { DryRun = true };
        }
        var rules = settings.Rules();
        var rewriting = !settings.DryRun && (rules is not null || settings.Squash);
        using var folder = new TemporaryFolder("nukecontainers-slim-");
        var spooled = new List<string>();
        // The image's layers as the engine exports it, each listed, and spooled to the folder when they are to be rewritten.
        async Task<LayerListing> ExportAsync(bool spool)
        {
            var analyzer = new LayerAnalyzer();
            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            ImageArchive.Description description;
            await using (var archive = await engine.ExportAsync(imageId, cancellationToken))
            {
                description = await ImageArchive.ReadAsync(archive, async (path, layer) =>
                {
                    if (!spool)
                    {
                        await analyzer.AddAsync(path, layer, cancellationToken);
                        return;
                    }
                    var file = Path.Combine(folder.Path, $"layer-{files.Count}.tar");
                    await using (var output = File.Create(file)) await layer.CopyToAsync(output, cancellationToken);
                    files[path] = file;
                    await using var input = File.OpenRead(file);
                    await analyzer.AddAsync(path, input, cancellationToken);
                }, cancellationToken);
            }
            spooled.Clear();
            if (spool) spooled.AddRange(description.LayerPaths.Select(p => files[p]));
            return new LayerListing(description.Config, description.LayerPaths.Select(p => analyzer.Entries[p]).ToList());
        }
        // An image id names its content: an earlier slim's listing of it holds, and the image is exported only to be rewritten.
        var listing = await Caching.ImageReadCache.TryGetAsync<LayerListing>("slim", imageId, cancellationToken);
        if (listing is null)
        {
            listing = await ExportAsync(spool: rewriting);
            await Caching.ImageReadCache.SetAsync("slim", imageId, listing, cancellationToken);
        }
        else log($"{image.Repository} {imageId[..19]} was listed before (the same image id): its layers as listed then, from {Caching.ImageReadCache.Folder}");
        var entries = listing.Layers;
        var before = LayerAnalyzer.Analyze(entries, listing.Config);
        // The engine's size of an image is its layers unpacked on the graph driver's store, but their compressed blobs on
        // the containerd store, where a loaded (slimmed) image's blobs are not compressed: there both sides are measured
        // as dive measures them, the sum of the layers' file sizes, so that before and after compare.
        var measuredByLayers = await engine.ImageStoreAsync(cancellationToken) == NukeContainers.Engine.ImageStore.Containerd;
        var beforeBytes = measuredByLayers ? before.SizeBytes : await engine.SizeAsync(imageId, cancellationToken);
        var diffIds = before.Layers.Select(l => l.DiffId).ToList();
        var baseLayers = await BaseLayersAsync(settings, context, diffIds, cancellationToken);
        log($"Layers of {image.Repository} {imageId[..19]} ({ImageAnalysis.Bytes(beforeBytes)}{(baseLayers > 0 ? $"; b: the base's {baseLayers}" : "")}):");
        foreach (var line in before.LayerTable(baseLayers)) log("  " + line);

        var removals = rules is null ? [] : LayerRewriter.Removals(entries, baseLayers, settings.IncludeBase, rules).ToList();
        var removedBytes = removals.Sum(r => r.Entry.Size);
        var removed = removals.Select(r => "/" + r.Entry.Path).Distinct().ToList();
        if (removals.Count > 0)
        {
            // A summary, not thousands of lines: the folders the bytes come from, then the first paths (the result,
            // and the SlimImages target's removed-paths file, have them all).
            log($"{(settings.DryRun ? "Would remove" : "Removing")} {removed.Count} paths, {ImageAnalysis.Bytes(removedBytes)}{(settings.DryRun ? " (dry run: nothing changes)" : "")}; by folder:");
            foreach (var group in removals.GroupBy(r => Folder(r.Entry.Path)).Select(g => (Folder: g.Key, Paths: g.Count(), Bytes: g.Sum(r => r.Entry.Size)))
                         .OrderByDescending(g => g.Bytes).ThenBy(g => g.Folder, StringComparer.Ordinal).Take(10))
                log($"  {ImageAnalysis.Bytes(group.Bytes),10}  {group.Paths,6} paths  {group.Folder}");
            if (settings.ListRemoved > 0) log($"The first {Math.Min(settings.ListRemoved, removed.Count)} of them:");
            foreach (var path in removed.Take(settings.ListRemoved)) log("  " + path);
            if (removed.Count > settings.ListRemoved) log($"  ... and {removed.Count - settings.ListRemoved} more");
        }

        var (after, afterId, afterBytes, squashed) = (before, imageId, beforeBytes, 0);
        if (rewriting && LayerRewriter.ChangesNothing(removals.Count, entries.Count, baseLayers, settings.Squash))
            log($"Nothing to remove or squash in {image.Repository}: it stays {imageId[..19]}.");
        else if (rewriting)
        {
            if (spooled.Count == 0) await ExportAsync(spool: true);   // listed before: now its layers are needed
            var rewrite = await new LayerRewriter(spooled, entries, diffIds, baseLayers,
                settings.IncludeBase, rules, settings.Squash, folder.Path).RunAsync(cancellationToken);
            var config = Config(listing.Config, rewrite, baseLayers);
            var tag = image.Repository.WithTag(settings.ResultTag ?? BuildStep.WorkingTag);
            var configDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(config));
            await engine.LoadAsync((stream, token) => WriteArchiveAsync(stream, config, configDigest, rewrite.Layers, tag.ToString(), token), cancellationToken);
            // The id the engine gave it: its config's digest on the graph driver's store, the digest of the manifest
            // it wrote for it on the containerd store.
            afterId = (await engine.InspectImageAsync(tag, cancellationToken))?.Id
                      ?? throw new ContainerException($"The engine loaded the slimmed image of {image.Repository} but has no {tag}: another run may have moved the tag.");
            if (afterId != imageId) await engine.RemoveIfUnusedAsync(imageId, cancellationToken: cancellationToken);
            var afterEntries = new List<IReadOnlyList<LayerEntry>>();
            for (var i = 0; i < rewrite.Layers.Count; i++)
            {
                if (rewrite.Layers[i].Unchanged) { afterEntries.Add(entries[i]); continue; }
                await using var input = File.OpenRead(rewrite.Layers[i].File);
                afterEntries.Add(await LayerAnalyzer.ReadAsync(input, cancellationToken));
            }
            var afterConfig = JsonNode.Parse(config)!.AsObject();
            after = LayerAnalyzer.Analyze(afterEntries, afterConfig);
            await Caching.ImageReadCache.SetAsync("slim", afterId, new LayerListing(afterConfig, afterEntries), cancellationToken);
            afterBytes = measuredByLayers ? after.SizeBytes : await engine.SizeAsync(afterId, cancellationToken);
            squashed = rewrite.SquashedLayers;
            if (squashed > 0) log($"Squashed {squashed} layers of {image.Repository} into one above the base's {baseLayers}.");
            log(FormattableString.Invariant($"Slimmed {image.Repository} {imageId[..19]} -> {afterId[..19]} ({tag}): {ImageAnalysis.Bytes(beforeBytes)} -> {ImageAnalysis.Bytes(afterBytes)} ") +
                FormattableString.Invariant($"({100.0 * (beforeBytes - afterBytes) / Math.Max(1, beforeBytes):0.0}% less); efficiency {100 * before.Efficiency:0.0}% -> {100 * after.Efficiency:0.0}%, ") +
                $"wasted {ImageAnalysis.Bytes(before.WastedBytes)} -> {ImageAnalysis.Bytes(after.WastedBytes)}");
        }

        var gate = "none";
        if (!settings.Gates.IsEmpty)
        {
            var failures = settings.Gates.Failures(after);
            if (failures.Count > 0)
                throw new ContainerException($"The slim gate failed for {image.Repository} {afterId[..19]}: {string.Join("; ", failures)}. " +
                                             "Slim the image further (.Slim(s => s.RemoveAll().SquashLayers())), or change the rule.");
            gate = "passed";
            log(FormattableString.Invariant($"Slim gate passed ({settings.Gates}): efficiency {after.Efficiency:0.####}, wasted {after.WastedBytes} bytes, user-wasted {after.UserWastedPercent:0.####}"));
        }

        return new SlimResult
        {
            // An image slim left as it is keeps the size the build measured, so the Built line and the summary agree (on
            // the containerd store the slim's own figures are the layers' file sizes, the engine's the compressed blobs;
            // for an index, all its platforms).
            Image = afterId == imageId ? image : image with { ImageId = afterId, SizeBytes = afterBytes },
            BeforeBytes = beforeBytes,
            AfterBytes = afterBytes,
            Before = before,
            After = after,
            RemovedPaths = removed,
            RemovedBytes = removedBytes,
            SquashedLayers = squashed,
            BaseLayers = baseLayers,
            DryRun = settings.DryRun,
            Gate = gate,
        };
    }

    /// How many of the image's bottom layers are its base's: the base image's layers, when the image starts with them.
    private static async Task<int> BaseLayersAsync(SlimSettings settings, StepContext context, IReadOnlyList<string> diffIds, CancellationToken cancellationToken)
    {
        var name = settings.Base ?? BaseOfBuild(context.Image.Build);
        if (name is null or "scratch") return 0;
        var layers = (await context.Engine.InspectImageAsync(name, cancellationToken))?.Layers;
        if (layers is null)
        {
            context.Log($"The base image {name} is not in the engine: every layer of {context.Image.Repository} counts as its own.");
            return 0;
        }
        if (layers.Count > diffIds.Count || !layers.SequenceEqual(diffIds.Take(layers.Count)))
        {
            context.Log($"{context.Image.Repository} does not start with the layers of {name} as the engine has it now (rebuilt since?): every layer counts as its own.");
            return 0;
        }
        return layers.Count;
    }

    /// The image the build's target stage starts from, following stages built on earlier stages.
    private static string? BaseOfBuild(BuildSettings? build)
    {
        if (build is null) return null;
        var dockerfile = Dockerfiles.DockerfileParser.Load(build.DockerfilePath, build.BuildArgs);
        var stage = dockerfile.RequireStage(build.Target);
        while (dockerfile.Stages.Take(stage.Index).LastOrDefault(s => string.Equals(s.Name, stage.BaseImage, StringComparison.OrdinalIgnoreCase)) is { } earlier)
            stage = earlier;
        return stage.BaseImage;
    }

    /// The config with the new layers' digests; a squash replaces the own layers' history entries by one.
    private static byte[] Config(JsonObject original, Rewrite rewrite, int baseLayers)
    {
        var config = original.DeepClone().AsObject();
        var rootfs = config["rootfs"]!.AsObject();
        rootfs["diff_ids"] = new JsonArray([.. rewrite.Layers.Select(l => (JsonNode)JsonValue.Create(l.DiffId)!)]);
        if (rewrite.SquashedLayers > 0 && config["history"] is JsonArray history)
        {
            var entries = history.Select(h => h!.DeepClone()).ToList();
            var layerEntries = 0;
            var firstOwn = entries.FindIndex(h => h["empty_layer"]?.GetValue<bool>() != true && layerEntries++ == baseLayers);
            if (firstOwn >= 0)
            {
                var own = entries.Skip(firstOwn).ToList();
                var made = own.Where(h => h["empty_layer"]?.GetValue<bool>() != true)
                    .Select(h => LayerAnalyzer.Instruction(h["created_by"]?.GetValue<string>() ?? "")).ToList();
                var squashed = new JsonObject
                {
                    ["created"] = own.Last()["created"]?.DeepClone(),
                    ["created_by"] = $"nukecontainers slim: {made.Count} layers squashed into one",
                    ["comment"] = string.Join(" && ", made).Length > 1000 ? string.Join(" && ", made)[..1000] : string.Join(" && ", made),
                };
                entries = [.. entries.Take(firstOwn), .. own.Where(h => h["empty_layer"]?.GetValue<bool>() == true), squashed];
            }
            config["history"] = new JsonArray([.. entries]);
        }
        return Encoding.UTF8.GetBytes(config.ToJsonString());
    }

    /// The archive <c>docker load</c> reads: the config, each layer, and a manifest that names them and the tag.
    private static async Task WriteArchiveAsync(Stream stream, byte[] config, string imageId, IReadOnlyList<OutputLayer> layers, string tag, CancellationToken cancellationToken)
    {
        await using var tar = new TarWriter(stream, TarEntryFormat.Ustar, leaveOpen: true);
        var configName = imageId["sha256:".Length..] + ".json";
        await tar.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, configName) { DataStream = new MemoryStream(config) }, cancellationToken);
        var names = new List<string>();
        for (var i = 0; i < layers.Count; i++)
        {
            names.Add($"{i}/layer.tar");
            await tar.WriteEntryAsync(layers[i].File, names[^1], cancellationToken);
        }
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = configName,
            ["RepoTags"] = new JsonArray(JsonValue.Create(tag)),
            ["Layers"] = new JsonArray([.. names.Select(n => (JsonNode)JsonValue.Create(n)!)]),
        });
        await tar.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(manifest.ToJsonString())) }, cancellationToken);
    }
}
