using System.Text.Json;
using NukeContainers.Caching;
using NukeContainers.Scanning;

namespace NukeContainers.Tests;

/// What the slim and scan steps read of an image is kept under its id: a second run reads nothing of the image from the
/// engine and finds what the first, which read it, found.
[Collection(EngineCollection.Name)]
public sealed class ImageReadCacheSpecs(EngineFixture fixture) : IDisposable
{
    private readonly TempFolder _context = new();
    private readonly List<string> _log = [];

    public void Dispose() => _context.Dispose();

    [Fact]
    public async Task A_second_slim_and_scan_of_an_image_take_what_the_first_read_of_it_and_find_the_same()
    {
        // An image no earlier run can have read (its own id), with packages, a finding of each kind a file gives, and
        // something to remove.
        _context.Write("Dockerfile", $$"""
            FROM {{EngineFixture.BaseImage}}
            RUN mkdir -p /app /var/lib/dpkg /usr/share/doc/tool && echo {{Guid.NewGuid():N}} > /app/id \
             && printf 'Package: tool\nStatus: install ok installed\nVersion: 1.2-3\nArchitecture: amd64\n\n' > /var/lib/dpkg/status \
             && echo '//registry.npmjs.org/:_authToken=x' > /app/.npmrc && cp /bin/busybox /app/su && chmod u+s /app/su && echo docs > /usr/share/doc/tool/README
            """);
        var image = (await EngineFixture.Pipeline("image-reads").FromDockerfile(_context.Path).WithLog(_ => { }).RunAsync(fixture.Engine)).ImageId;

        async Task<(string Slim, string Scan, string Sbom, List<string> Log)> ReadAsync(string run)
        {
            using var reports = new TempFolder();
            var log = new List<string>();
            var result = await Containers.Image(EngineFixture.Repository("image-reads")).FromImage(image).WithLog(log.Add)
                .Slim(s => s.RemoveAll() with { DryRun = true })
                .Scan(s => s with { OutputFolder = reports.Path, UseTrivy = false, FailOn = Severity.Critical })
                .RunAsync(fixture.Engine);
            _log.AddRange(log.Select(l => $"[{run}] {l}"));
            var slim = result.Slim!;
            return (JsonSerializer.Serialize(new { slim.Before, slim.RemovedPaths, slim.RemovedBytes, slim.BeforeBytes }),
                await File.ReadAllTextAsync(Path.Combine(reports.Path, "scan.json")), await File.ReadAllTextAsync(Path.Combine(reports.Path, "sbom.cdx.json")), log);
        }

        var first = await ReadAsync("first");
        var second = await ReadAsync("second");

        Assert.DoesNotContain(first.Log, l => l.Contains("before (the same image id)"));
        Assert.Contains(second.Log, l => l.Contains("was listed before (the same image id)"));
        Assert.Contains(second.Log, l => l.Contains("was read before (the same image id)"));
        Assert.Contains("/usr/share/doc/tool/README", first.Slim);
        Assert.Contains("\"CIS-DI-0008\"", first.Scan);                       // the setuid file
        Assert.Contains("pkg:deb/", first.Sbom);                              // the dpkg package
        Assert.Equal(first.Slim, second.Slim);
        Assert.Equal(first.Scan, second.Scan);
        Assert.Equal(Timeless(first.Sbom), Timeless(second.Sbom));
        foreach (var kind in new[] { "slim", "scan" })
        {
            var file = Path.Combine(ImageReadCache.Folder, $"{kind}-{image["sha256:".Length..]}.json");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));   // an image's config may hold a leaked secret
        }
    }

    /// A slim that rewrites an image listed before exports it then (its layers are needed), and makes the image a slim
    /// of it with nothing kept would make.
    [Fact]
    public async Task Slimming_an_image_listed_before_makes_the_image_slimming_it_unlisted_makes()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN mkdir -p /usr/share/doc/tool /app && echo docs > /usr/share/doc/tool/README && echo {Guid.NewGuid():N} > /app/id\n");
        var image = (await EngineFixture.Pipeline("image-reads-slim").FromDockerfile(_context.Path).WithLog(_ => { }).RunAsync(fixture.Engine)).ImageId;
        await fixture.Engine.TagAsync(image, Images.ImageReference.Parse($"{EngineFixture.Repository("image-reads-slim")}:source"));   // slimmed twice: kept
        ImagePipeline Slimming() => Containers.Image(EngineFixture.Repository("image-reads-slim")).FromImage(image).WithLog(_log.Add);

        await Slimming().Slim(s => s.RemoveAll() with { DryRun = true }).RunAsync(fixture.Engine);   // lists it
        var listed = await Slimming().Slim(s => s.RemoveAll() with { ResultTag = "listed" }).RunAsync(fixture.Engine);
        File.Delete(Path.Combine(ImageReadCache.Folder, $"slim-{image["sha256:".Length..]}.json"));
        var unlisted = await Slimming().Slim(s => s.RemoveAll() with { ResultTag = "unlisted" }).RunAsync(fixture.Engine);

        Assert.Contains(_log, l => l.Contains("was listed before (the same image id)"));
        Assert.NotEqual(image, listed.ImageId);
        Assert.Equal(unlisted.ImageId, listed.ImageId);
        Assert.Equal(["/usr/share/doc/tool/README"], listed.Slim!.RemovedPaths);
    }

    /// An entry another build of the library wrote, or one cut short, is not taken: the image is read again.
    [Fact]
    public async Task An_entry_another_build_wrote_or_a_broken_one_is_not_taken()
    {
        var key = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Guid.NewGuid().ToByteArray()));
        var file = Path.Combine(ImageReadCache.Folder, $"spec-{key["sha256:".Length..]}.json");
        try
        {
            await ImageReadCache.SetAsync("spec", key, new[] { "kept" }, CancellationToken.None);
            Assert.Equal(["kept"], await ImageReadCache.TryGetAsync<string[]>("spec", key, CancellationToken.None) ?? []);

            var text = await File.ReadAllTextAsync(file);
            await File.WriteAllTextAsync(file, System.Text.RegularExpressions.Regex.Replace(text, "\"Build\":\"[0-9a-f]+\"", "\"Build\":\"another\""));
            Assert.Null(await ImageReadCache.TryGetAsync<string[]>("spec", key, CancellationToken.None));
            await File.WriteAllTextAsync(file, text[..(text.Length / 2)]);
            Assert.Null(await ImageReadCache.TryGetAsync<string[]>("spec", key, CancellationToken.None));
            var read = 0;
            Assert.Equal(["again"], await ImageReadCache.GetOrReadAsync("spec", key, () => { read++; return Task.FromResult(new[] { "again" }); }, null, CancellationToken.None));
            Assert.Equal(1, read);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// The SBOM says when it was made.
    private static string Timeless(string sbom) => System.Text.RegularExpressions.Regex.Replace(sbom, "\"timestamp\": *\"[^\"]*\"", "");
}
