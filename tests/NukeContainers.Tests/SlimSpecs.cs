using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NukeContainers.Engine;
using NukeContainers.Slimming;

namespace NukeContainers.Tests;

/// The slim step on the real engine: images loaded from layers written here (so every figure can be worked out by
/// hand), and images built on the test's busybox base.
[Collection(EngineCollection.Name)]
public sealed class SlimSpecs(EngineFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _context = new();
    private readonly List<string> _log = [];

    public void Dispose() => _context.Dispose();

    /// A file, folder, hard link or whiteout of a hand-written layer.
    private sealed record Entry(string Name, TarEntryType Type = TarEntryType.RegularFile, int Size = 0, string? Link = null);

    /// Three layers on scratch:
    /// 0: data/over 1000, data/del 2000, data/dir/x 300, data/dir/y 400, data/hard 500, data/link (hard link to data/hard), data/keep 700
    /// 1: data/over 1500 (overwritten), data/del deleted (whiteout), data/dir a file of 50 (a folder replaced by a file)
    /// 2: data/over deleted, data/new 800
    private static readonly Entry[][] Figures =
    [
        [new("data/", TarEntryType.Directory), new("data/over", Size: 1000), new("data/del", Size: 2000), new("data/dir/", TarEntryType.Directory),
         new("data/dir/x", Size: 300), new("data/dir/y", Size: 400), new("data/hard", Size: 500), new("data/link", TarEntryType.HardLink, Link: "data/hard"),
         new("data/keep", Size: 700)],
        [new("data/", TarEntryType.Directory), new("data/over", Size: 1500), new("data/.wh.del"), new("data/dir", Size: 50)],
        [new("data/", TarEntryType.Directory), new("data/.wh.over"), new("data/new", Size: 800)],
    ];

    [Fact]
    public async Task Efficiency_and_wasted_bytes_of_known_layers_are_the_ones_worked_out_by_hand()
    {
        var image = await LoadAsync("figures", Figures);

        var result = await Slimming("figures", image).Slim(s => s with { Remove = SlimCategories.None }).WithLog(_log.Add).RunAsync(fixture.Engine);

        // The leaves of each layer, with dive's sizes (a whiteout of a file counts 0; data/dir is no leaf in layer 0):
        //   data/over 1000, 1500, 0    -> cum 2500, min 0, in 3 layers: wasted
        //   data/del  2000, 0          -> cum 2000, min 0, in 2 layers: wasted
        //   data/dir/x 300, data/dir/y 400, data/hard 500, data/link 0, data/keep 700, data/dir 50, data/new 800: once each
        // Σmin = 300+400+500+0+700+50+800 = 2750; Σcum = 2500+2000+2750 = 7250; wasted = 4500.
        // Layer sizes: 4900, 1550, 800; the user's (after the first) 2350.
        var slim = result.Slim!;
        Assert.Equal(2750.0 / 7250, slim.Before.Efficiency, 9);
        Assert.Equal(4500, slim.Before.WastedBytes);
        Assert.Equal(4500.0 / 2350, slim.Before.UserWastedPercent, 9);
        Assert.Equal([4900L, 1550, 800], slim.Before.Layers.Select(l => l.SizeBytes));
        Assert.Equal([("data/over", 3, 2500L), ("data/del", 2, 2000L)], slim.Before.Inefficiencies.Select(i => (i.Path, i.Count, i.CumulativeBytes)));
        // Added, changed and removed files: layer 1 changes data/over and data/dir (a folder, now a file), and removes
        // data/del and the folder's two files; layer 2 adds data/new and removes data/over.
        Assert.Equal([(7, 0, 0), (0, 2, 3), (1, 0, 1)], slim.Before.Layers.Select(l => (l.Added, l.Changed, l.Removed)));
        Assert.Equal(["layer 0", "layer 1", "layer 2"], slim.Before.Layers.Select(l => l.Instruction));
        // Each layer's bytes a later one hid: layer 0's data/over 1000 (replaced), data/del 2000 (deleted), data/dir/x 300
        // and data/dir/y 400 (their folder replaced by a file); layer 1's data/over 1500 (deleted); nothing of layer 2's.
        Assert.Equal([3700L, 1500, 0], slim.Before.Layers.Select(l => l.HiddenBytes));
        Assert.Equal(image, result.ImageId); // nothing to remove or squash: the same image
        Assert.Contains(_log, l => l.Contains("efficiency 37.93%, wasted 4.5 kB", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Squashing_keeps_each_paths_last_version_and_slimming_the_result_again_changes_nothing()
    {
        var image = await LoadAsync("squash", Figures);

        var squashed = await Slimming("squash", image).Slim(s => s.SquashLayers()).WithLog(_log.Add).RunAsync(fixture.Engine);
        var again = await Slimming("squash", squashed.ImageId).Slim(s => s.RemoveAll().SquashLayers()).WithLog(_log.Add).RunAsync(fixture.Engine);

        var layers = await ExportedLayersAsync(squashed.ImageId);
        var entry = Assert.Single(layers);
        Assert.Equal(["data/", "data/dir 50", "data/hard 500", "data/keep 700", "data/link -> data/hard", "data/new 800"], entry.Order(StringComparer.Ordinal));
        Assert.Equal(3, squashed.Slim!.SquashedLayers);
        Assert.Equal(1.0, squashed.Slim.After.Efficiency);
        Assert.Equal(0, squashed.Slim.After.WastedBytes);
        var history = (await fixture.Engine.InspectImageAsync(squashed.ImageId))!;
        Assert.Single(history.Layers!);
        Assert.Equal(squashed.ImageId, again.ImageId);
        Assert.Equal(0, again.Slim!.SquashedLayers);
    }

    [Fact]
    public async Task Minimising_removes_what_should_not_ship_keeps_the_config_and_the_licence_and_the_container_still_runs()
    {
        var image = await BuildAsync("minimise", """
            RUN mkdir -p /tmp /var/cache/apt/archives/partial /usr/share/doc/tool /usr/share/man/man1 /var/lib/apt/lists /app/__pycache__ /root/.npm/_cacache /usr/share/locale/de/LC_MESSAGES /usr/share/locale/en_GB/LC_MESSAGES \
             && head -c 30000 /dev/zero > /var/cache/apt/archives/tool.deb && head -c 20000 /dev/zero > /var/lib/apt/lists/main_Packages \
             && echo docs > /usr/share/doc/tool/README && echo licence > /usr/share/doc/tool/copyright && echo man > /usr/share/man/man1/tool.1 \
             && echo bytecode > /app/__pycache__/m.pyc && echo cache > /root/.npm/_cacache/index && echo junk > /tmp/junk \
             && echo de > /usr/share/locale/de/LC_MESSAGES/tool.mo && echo en > /usr/share/locale/en_GB/LC_MESSAGES/tool.mo && echo app > /app/main
            ENV MODE=production
            WORKDIR /app
            USER 1000:1000
            EXPOSE 8080
            HEALTHCHECK --interval=5s CMD ["/bin/true"]
            STOPSIGNAL SIGTERM
            LABEL team=platform
            ENTRYPOINT ["/bin/sh", "-c"]
            CMD ["cat /app/main"]
            """);
        var before = (await fixture.Engine.Client.Images.InspectImageAsync(image)).Config!;   // the Engine API's whole config, as a peer reads it

        var dryRun = await Slimming("minimise", image).Slim(s => s.RemoveAll() with { DryRun = true }).WithLog(_log.Add).RunAsync(fixture.Engine);
        var slimmed = await Slimming("minimise", image).Slim(s => s.RemoveAll().KeepPaths("tmp/junk")).WithLog(_log.Add).RunAsync(fixture.Engine);
        var again = await Slimming("minimise", slimmed.ImageId).Slim(s => s.RemoveAll().KeepPaths("tmp/junk")).WithLog(_log.Add).RunAsync(fixture.Engine);

        string[] gone = ["/var/cache/apt/archives/tool.deb", "/var/lib/apt/lists/main_Packages", "/usr/share/doc/tool/README", "/usr/share/man/man1/tool.1",
            "/app/__pycache__/m.pyc", "/root/.npm/_cacache/index", "/usr/share/locale/de/LC_MESSAGES/tool.mo"];
        Assert.Equal(image, dryRun.ImageId);
        Assert.Equal(gone.Append("/tmp/junk").Order(), dryRun.Slim!.RemovedPaths.Order());
        Assert.Equal(gone.Order(), slimmed.Slim!.RemovedPaths.Order());
        Assert.NotEqual(image, slimmed.ImageId);
        Assert.True(slimmed.Slim.AfterBytes <= slimmed.Slim.BeforeBytes - 50000, $"{slimmed.Slim.BeforeBytes} -> {slimmed.Slim.AfterBytes}");
        Assert.Equal(slimmed.ImageId, again.ImageId);   // nothing left to remove: the same image

        var after = (await fixture.Engine.Client.Images.InspectImageAsync(slimmed.ImageId)).Config!;
        Assert.Equal(before.Entrypoint, after.Entrypoint);
        Assert.Equal(before.Cmd, after.Cmd);
        Assert.Equal(before.Env, after.Env);
        Assert.Equal("1000:1000", after.User);
        Assert.Equal("/app", after.WorkingDir);
        Assert.Equal("platform", after.Labels!["team"]);
        Assert.Equal(before.ExposedPorts!.Keys, after.ExposedPorts!.Keys);
        Assert.Equal(before.Healthcheck!.Test, after.Healthcheck!.Test);
        Assert.Equal("SIGTERM", after.StopSignal);

        var listing = await fixture.Engine.RunAsync(slimmed.ImageId, ["cat /app/main && find / -xdev -type f | sort"]);
        Assert.Equal(0, listing.ExitCode);
        Assert.StartsWith("app\n", listing.StandardOutput);
        foreach (var path in gone) Assert.DoesNotContain(path + "\n", listing.StandardOutput);
        Assert.Contains("/usr/share/doc/tool/copyright\n", listing.StandardOutput);
        Assert.Contains("/usr/share/locale/en_GB/LC_MESSAGES/tool.mo\n", listing.StandardOutput);
        Assert.Contains("/tmp/junk\n", listing.StandardOutput);
    }

    [Fact]
    public async Task A_file_removed_from_an_own_layer_that_the_base_also_has_is_whited_out_so_the_old_copy_does_not_show()
    {
        var baseTag = EngineFixture.Repository("slim-base") + ":1";
        var baseImage = await BuildAsync("slim-base", "RUN mkdir -p /var/log && echo old > /var/log/app.log", tag: baseTag);
        _context.Write("Dockerfile", $"FROM {baseTag}\nRUN echo new >> /var/log/app.log && echo kept > /kept\n");

        var result = await EngineFixture.Pipeline("over-base").FromDockerfile(_context.Path).Slim(s => s.RemoveAll()).WithLog(_log.Add).RunAsync(fixture.Engine);
        var listing = await fixture.Engine.RunAsync(result.ImageId, ["sh", "-c", "ls /var/log; cat /kept"]);

        Assert.Equal(3, result.Slim!.BaseLayers);   // busybox's two and the RUN above them
        Assert.Equal(["/var/log/app.log"], result.Slim.RemovedPaths);
        Assert.Equal("kept\n", listing.StandardOutput);   // the base's app.log does not come back
        Assert.Equal((await fixture.Engine.InspectImageAsync(baseImage))!.Layers!, (await fixture.Engine.InspectImageAsync(result.ImageId))!.Layers!.Take(3));
        await fixture.Engine.Client.Images.DeleteImageAsync(baseTag, new Docker.DotNet.Models.ImageDeleteParameters { Force = true });
    }

    [Fact]
    public async Task A_failing_gate_fails_the_step_and_names_the_figure_its_value_and_the_threshold()
    {
        var image = await LoadAsync("gate", Figures);
        _context.Write(".dive-ci", "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 4KB\n  highestUserWastedPercent: disabled\n");
        var gates = SlimGates.Load(Path.Combine(_context.Path, ".dive-ci"));

        var error = await Assert.ThrowsAsync<ContainerException>(() =>
            Slimming("gate", image).Slim(s => s.Gate(gates)).WithLog(_log.Add).RunAsync(fixture.Engine));
        var passed = await Slimming("gate", image).Slim(s => s.Gate(SlimGates.Parse("0.3", "5kB", "disabled"))).WithLog(_log.Add).RunAsync(fixture.Engine);

        Assert.Equal(new SlimGates(0.95, 4000, null), gates);
        Assert.Contains("efficiency 0.3793 is below the lowest allowed, 0.95 (lowestEfficiency)", error.Message);
        Assert.Contains("wasted bytes 4500 (4.5 kB) are above the highest allowed, 4000 (4.0 kB) (highestWastedBytes)", error.Message);
        Assert.DoesNotContain("user-wasted", error.Message);
        Assert.Equal("passed", passed.Slim!.Gate);
        _context.Write(".dive-ci", "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: lots\n");
        var bad = Assert.Throws<ContainerException>(() => SlimGates.Load(Path.Combine(_context.Path, ".dive-ci")));
        Assert.Contains(".dive-ci:3: highestWastedBytes 'lots' is not a size", bad.Message);
    }

    [Fact]
    public async Task A_1GB_image_is_analysed_with_memory_far_below_its_size()
    {
        var image = await BuildAsync("big", "RUN head -c 1073741824 /dev/zero > /big && echo done > /small");
        var pipeline = Slimming("big", image).Slim(s => s with { Remove = SlimCategories.None }).WithLog(_log.Add);

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var result = await pipeline.RunAsync(fixture.Engine);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        output.WriteLine($"Analysing {result.Slim!.Before.SizeBytes:N0} bytes of layers allocated {allocated:N0} bytes in all.");
        Assert.True(result.Slim.Before.SizeBytes > 1_073_741_824);
        // Everything the process allocated while 1 GB streamed past, not only what it held at once.
        Assert.True(allocated < 64_000_000, $"{allocated:N0} bytes allocated while analysing a 1 GB image");
    }

    /// A pipeline that starts from an image (no build step, so no base image is known: every layer is the image's own).
    private static ImagePipeline Slimming(string name, string imageId) => Containers.Image(EngineFixture.Repository(name)).FromImage(imageId);

    private async Task<string> BuildAsync(string name, string instructions, string? tag = null)
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\n{instructions}\n");
        var result = await EngineFixture.Pipeline(name).FromDockerfile(_context.Path).WithLog(_log.Add).RunAsync(fixture.Engine);
        if (tag is not null) await fixture.Engine.TagAsync(result.ImageId, Images.ImageReference.Parse(tag));
        return result.ImageId;
    }

    /// Loads an image made of these layers on scratch (labelled as this run's), and returns the id the engine gave it.
    private async Task<string> LoadAsync(string name, Entry[][] layers)
    {
        var tars = layers.Select(Tar).ToList();
        var config = new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Labels"] = new JsonObject { [ResourceLabels.Run] = ResourceLabels.RunId } },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray([.. tars.Select(t => (JsonNode)("sha256:" + Convert.ToHexStringLower(SHA256.HashData(t))))]) },
            ["history"] = new JsonArray([.. tars.Select((_, i) => (JsonNode)new JsonObject { ["created_by"] = $"layer {i}" })]),
        };
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = "config.json",
            ["RepoTags"] = new JsonArray(EngineFixture.Repository(name) + ":fixture"),
            ["Layers"] = new JsonArray([.. tars.Select((_, i) => (JsonNode)$"{i}/layer.tar")]),
        });
        await fixture.Engine.LoadAsync(async (stream, token) =>
        {
            await using var archive = new TarWriter(stream, TarEntryFormat.Ustar, leaveOpen: true);
            await archive.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, "config.json") { DataStream = new MemoryStream(configBytes) }, token);
            for (var i = 0; i < tars.Count; i++)
                await archive.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, $"{i}/layer.tar") { DataStream = new MemoryStream(tars[i]) }, token);
            await archive.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(manifest.ToJsonString())) }, token);
        });
        // The config's digest on the graph driver's store; the digest of the manifest it writes on the containerd store.
        return (await fixture.Engine.InspectImageAsync(EngineFixture.Repository(name) + ":fixture"))!.Id;
    }

    private static byte[] Tar(Entry[] entries)
    {
        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
            foreach (var entry in entries)
            {
                var written = new UstarTarEntry(entry.Type, entry.Name)
                {
                    ModificationTime = DateTimeOffset.UnixEpoch,
                    Mode = entry.Type == TarEntryType.Directory ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                };
                if (entry.Type == TarEntryType.RegularFile) written.DataStream = new MemoryStream(new byte[entry.Size]);
                if (entry.Link is not null) written.LinkName = entry.Link;
                tar.WriteEntry(written);
            }
        return buffer.ToArray();
    }

    /// The engine's own export of each layer: its files as "path size", links as "path -> target", folders as "path/".
    /// The layers are the ones manifest.json lists: "N/layer.tar" in the graph driver's export, "blobs/sha256/..." in
    /// the containerd store's (an OCI layout, where blobs are configs and manifests too); these images are small.
    private async Task<List<List<string>>> ExportedLayersAsync(string image)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using var archive = await fixture.Engine.ExportAsync(image);
        await using var reader = new TarReader(archive);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            if (entry.DataStream is null) continue;
            using var buffer = new MemoryStream();
            await entry.DataStream.CopyToAsync(buffer);
            entries[entry.Name] = buffer.ToArray();
        }
        var order = JsonNode.Parse(entries["manifest.json"])!.AsArray()[0]!["Layers"]!.AsArray().Select(l => l!.GetValue<string>());
        var layers = new List<List<string>>();
        foreach (var path in order)
        {
            var files = new List<string>();
            await using var layer = new TarReader(new MemoryStream(entries[path]));
            while (await layer.GetNextEntryAsync() is { } file)
                files.Add(file.EntryType switch
                {
                    TarEntryType.Directory => file.Name,
                    TarEntryType.HardLink => $"{file.Name} -> {file.LinkName}",
                    _ => $"{file.Name} {file.Length}",
                });
            layers.Add(files);
        }
        return layers;
    }
}
