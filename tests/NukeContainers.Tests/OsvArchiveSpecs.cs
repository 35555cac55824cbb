using System.Diagnostics;
using System.IO.Compression;
using NukeContainers.Scanning;

namespace NukeContainers.Tests;

/// OSV's per-ecosystem archives fetched and cached, from a real HTTP server: Python's http.server serving a folder laid
/// out as osv.dev's bucket (ECOSYSTEM/all.zip), which answers If-Modified-Since with 304 as the bucket does.
[Collection(EngineCollection.Name)]
public sealed class OsvArchiveSpecs(EngineFixture fixture) : IAsyncLifetime
{
    private readonly TempFolder _served = new();
    private readonly TempFolder _cache = new();
    private readonly List<string> _log = [];
    private readonly List<string> _requests = [];
    private Process? _server;
    private int _port;

    private static string Advisory(string file) => Path.Combine(AppContext.BaseDirectory, "testdata", "scan", "osv", file);

    private Uri BaseUrl => new($"http://127.0.0.1:{_port}/");

    private OsvArchiveSource Source(TimeSpan maxAge) => new() { BaseUrl = BaseUrl, CacheFolder = _cache.Path, MaxAge = maxAge };

    /// ECOSYSTEM/all.zip with the files, its modification time set (http.server's Last-Modified).
    private void Publish(string ecosystem, DateTime modified, params (string Name, string Path)[] files)
    {
        var zip = Path.Combine(_served.Path, ecosystem, "all.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(zip)!);
        File.Delete(zip);
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            foreach (var (name, path) in files) archive.CreateEntryFromFile(path, name);
        File.SetLastWriteTimeUtc(zip, modified);
    }

    public async Task InitializeAsync()
    {
        _port = EngineFixture.FreePort();
        var start = new ProcessStartInfo("python3", ["-m", "http.server", _port.ToString(), "--bind", "127.0.0.1", "--directory", _served.Path]) { RedirectStandardError = true, RedirectStandardOutput = true };
        _server = Process.Start(start)!;
        _server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lock (_requests) { _requests.Add(line); Monitor.PulseAll(_requests); }
        };
        _server.BeginErrorReadLine();
        using var http = new HttpClient();
        for (var i = 0; i < 100; i++)
        {
            try { await http.GetAsync(BaseUrl); return; }
            catch (HttpRequestException) { await Task.Delay(100); }
        }
        throw new InvalidOperationException($"python3 -m http.server did not answer on {BaseUrl}");
    }

    public Task DisposeAsync()
    {
        StopServer();
        _served.Dispose();
        _cache.Dispose();
        return Task.CompletedTask;
    }

    private void StopServer()
    {
        if (_server is { HasExited: false }) { _server.Kill(); _server.WaitForExit(); }
    }

    /// The archive requests the server logged, with its status: "GET /npm/all.zip 200".
    private async Task<List<string>> Requests()
    {
        // http.server writes a request's log line before it answers, one line at a time to one pipe: once the line of
        // a request made now has been read, every earlier request's line has been too.
        var sentinel = $"/sentinel-{Guid.NewGuid():N}";
        using (var http = new HttpClient()) await http.GetAsync(new Uri(BaseUrl, sentinel));
        lock (_requests)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!_requests.Any(l => l.Contains(sentinel, StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
                Monitor.Wait(_requests, TimeSpan.FromSeconds(1));
            Assert.Contains(_requests, l => l.Contains(sentinel, StringComparison.Ordinal));
            return _requests.Where(l => l.Contains("all.zip", StringComparison.Ordinal))
                .Select(l => l.Split('"')).Select(p => $"{string.Join(' ', p[1].Split(' ')[..2])} {p[2].Trim().Split(' ')[0]}").ToList();
        }
    }

    [Fact]
    public async Task An_archive_is_fetched_once_asked_again_only_when_old_and_replaced_only_by_a_whole_new_one()
    {
        var monday = new DateTime(2026, 11, 30, 8, 0, 0, DateTimeKind.Utc);
        Publish("Debian", monday, ("DSA-3029-1.json", Advisory("debian-DSA-3029-1.from-osv-schema-doc.json")));

        var first = await OsvArchives.FetchAsync(Source(TimeSpan.FromHours(1)), "Debian:12", _log.Add);
        var cached = await OsvArchives.FetchAsync(Source(TimeSpan.FromHours(1)), "Debian:12", _log.Add);
        Assert.Equal(["GET /Debian/all.zip 200"], await Requests());
        var unchanged = await OsvArchives.FetchAsync(Source(TimeSpan.Zero), "Debian:12", _log.Add);
        Assert.Equal(["GET /Debian/all.zip 200", "GET /Debian/all.zip 304"], await Requests());

        Publish("Debian", monday.AddDays(1), ("DSA-3029-1.json", Advisory("debian-DSA-3029-1.from-osv-schema-doc.json")), ("GHSA.json", Advisory("npm-GHSA-p6mc-m468-83gw.json")));
        var changed = await OsvArchives.FetchAsync(Source(TimeSpan.Zero), "Debian:12", _log.Add);
        File.WriteAllText(Path.Combine(_served.Path, "Debian", "all.zip"), "not a zip");
        File.SetLastWriteTimeUtc(Path.Combine(_served.Path, "Debian", "all.zip"), monday.AddDays(2));
        var afterBadArchive = await OsvArchives.FetchAsync(Source(TimeSpan.Zero), "Debian:12", _log.Add);
        StopServer();
        var offline = await OsvArchives.FetchAsync(Source(TimeSpan.Zero), "Debian:12", _log.Add);

        Assert.Equal([first], new[] { cached, unchanged, changed, afterBadArchive, offline }.Distinct());
        Assert.Equal(["DSA-3029-1.json", "GHSA.json"], Directory.GetFiles(offline).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(2, OsvDatabase.Load(offline).Count);
        Assert.Contains(_log, l => l == $"OSV advisories for Debian: 1 fetched from {BaseUrl}Debian/all.zip (0.0 MB)");
        Assert.Contains(_log, l => l.StartsWith("OSV advisories for Debian: 1 from the cache (checked ", StringComparison.Ordinal));
        Assert.Contains(_log, l => l == $"OSV advisories for Debian: 1, unchanged at {BaseUrl}Debian/all.zip (304)");
        Assert.Contains(_log, l => l.StartsWith($"warning: the OSV archive {BaseUrl}Debian/all.zip could not be fetched (The OSV archive {BaseUrl}Debian/all.zip is not a zip file", StringComparison.Ordinal)
                                   && l.Contains("using the cached copy of ") && l.EndsWith("(2 advisories)", StringComparison.Ordinal));
        Assert.Contains(_log, l => l.StartsWith($"warning: the OSV archive {BaseUrl}Debian/all.zip could not be fetched (Connection refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_no_cached_copy_an_unreachable_or_missing_archive_is_an_error_naming_it_and_an_entry_outside_its_folder_is_refused()
    {
        var missing = await Assert.ThrowsAsync<ContainerException>(() => OsvArchives.FetchAsync(Source(TimeSpan.Zero), "PyPI", _log.Add));
        var outside = Path.Combine(_served.Path, "escaped.json");
        Publish("npm", DateTime.UtcNow, ("../../escaped.json", Advisory("npm-GHSA-p6mc-m468-83gw.json")));
        var traversal = await Assert.ThrowsAsync<ContainerException>(() => OsvArchives.FetchAsync(Source(TimeSpan.Zero), "npm", _log.Add));
        StopServer();
        var down = await Assert.ThrowsAsync<ContainerException>(() => OsvArchives.FetchAsync(Source(TimeSpan.Zero), "Go", _log.Add));

        Assert.Equal($"The OSV archive {BaseUrl}PyPI/all.zip could not be fetched (404 File not found), and there is no cached copy. " +
                     "Check the address (--osv-url) and the network, or scan offline with --advisories FOLDER (an unpacked all.zip).", missing.Message);
        Assert.Equal($"The OSV archive {BaseUrl}npm/all.zip has an entry that points outside its folder (../../escaped.json): it was not used.", traversal.Message);
        Assert.False(File.Exists(outside));
        Assert.Empty(Directory.GetFiles(_cache.Path, "escaped.json", SearchOption.AllDirectories));
        Assert.StartsWith($"The OSV archive {BaseUrl}Go/all.zip could not be fetched (Connection refused", down.Message);
    }

    [Fact]
    public async Task The_scan_step_fetches_the_archives_of_the_ecosystems_its_packages_are_of_and_matches_them()
    {
        Publish("npm", DateTime.UtcNow.AddMinutes(-1), ("GHSA-p6mc-m468-83gw.json", Advisory("npm-GHSA-p6mc-m468-83gw.json")));
        Publish("Go", DateTime.UtcNow.AddMinutes(-1), ("GO-2023-1558.json", Advisory("go-GO-2023-1558.json")));
        using var context = new TempFolder().Write("Dockerfile", $"""
            FROM {EngineFixture.BaseImage}
            RUN mkdir -p /app/node_modules/lodash && echo '{"{"} "name": "lodash", "version": "4.17.15" {"}"}' > /app/node_modules/lodash/package.json
            USER 65532
            """);
        var image = (await EngineFixture.Pipeline("osv-archives").FromDockerfile(context.Path).WithLog(_log.Add).RunAsync(fixture.Engine)).ImageId;
        using var reports = new TempFolder();

        var result = await Containers.Image(EngineFixture.Repository("osv-archives")).FromImage(image).WithLog(_log.Add)
            .Scan(s => s.WithOsvArchives(Source(TimeSpan.FromHours(1))) with { OutputFolder = reports.Path, UseTrivy = false }).RunAsync(fixture.Engine);

        var finding = Assert.Single(result.Scan!.Findings, f => f.Kind == FindingKind.Vulnerability);
        Assert.Equal(("GHSA-p6mc-m468-83gw", Severity.High, "4.17.19"), (finding.Id, finding.Severity, finding.FixedVersion));
        Assert.Equal(["GET /npm/all.zip 200"], await Requests());            // only the ecosystem the image has packages of
    }
}
