using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace NukeContainers.Scanning;

/// <summary>
/// Where OSV's per-ecosystem archives come from (<c>BASE/ECOSYSTEM/all.zip</c>, as osv.dev publishes them), where they
/// are cached, and how long a fetched one is used before the server is asked again.
/// </summary>
public sealed record OsvArchiveSource
{
    /// <summary>osv.dev's bucket of archives.</summary>
    public static readonly Uri OsvDev = new("https://osv-vulnerabilities.storage.googleapis.com/");

    /// <summary>The base address: <c>ECOSYSTEM/all.zip</c> under it.</summary>
    public Uri BaseUrl { get; init; } = OsvDev;

    /// <summary>The cache (one folder per server and ecosystem); <c>$XDG_CACHE_HOME/nukecontainers/osv</c> by default.</summary>
    public string CacheFolder { get; init; } = Utils.UserCache.Folder("osv");

    /// <summary>How long a fetched archive is used without asking the server (which then answers 304 when it has not changed).</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(6);
}

/// <summary>
/// Fetches OSV's archive of an ecosystem into the cache, asking the server only when the cached copy is older than
/// <see cref="OsvArchiveSource.MaxAge"/>, and then conditionally (ETag, Last-Modified). A new archive replaces the
/// cached advisories only once it is fully downloaded and unpacked; a server that cannot be reached leaves the cached
/// copy in use, with a warning; with no cached copy that is an error naming the address and the offline way.
/// </summary>
public static class OsvArchives
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new();
    private static readonly HttpClient SharedHttp = new() { Timeout = TimeSpan.FromMinutes(10) };

    private sealed record CacheState(string Url, string? ETag, DateTimeOffset? LastModified, DateTimeOffset CheckedAt, int Advisories);

    /// <summary>The archive an ecosystem's advisories are published in: <c>Debian:12</c> and <c>Alpine:v3.19</c> are in Debian's and Alpine's.</summary>
    public static string ArchiveName(string ecosystem) => ecosystem.Split(':')[0];

    /// <summary>The folder of the ecosystem's advisories (JSON files), fetched or refreshed as needed.</summary>
    public static async Task<string> FetchAsync(OsvArchiveSource source, string ecosystem, Action<string> log, CancellationToken cancellationToken = default,
        HttpClient? http = null)
    {
        var name = ArchiveName(ecosystem);
        var url = new Uri(source.BaseUrl, $"{Uri.EscapeDataString(name)}/all.zip");
        var folder = Path.Combine(source.CacheFolder, string.Concat($"{url.Host}_{url.Port}".Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_')), name);
        var gate = Locks.GetOrAdd(folder, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(folder);
            return await RefreshAsync(url, folder, source.MaxAge, log, http ?? SharedHttp, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<string> RefreshAsync(Uri url, string folder, TimeSpan maxAge, Action<string> log, HttpClient http, CancellationToken cancellationToken)
    {
        var advisories = Path.Combine(folder, "advisories");
        var statePath = Path.Combine(folder, "state.json");
        var state = File.Exists(statePath) && Directory.Exists(advisories) ? JsonSerializer.Deserialize<CacheState>(await File.ReadAllTextAsync(statePath, cancellationToken)) : null;
        if (state is not null && state.Url != url.ToString()) state = null;
        if (state is not null && DateTimeOffset.UtcNow - state.CheckedAt < maxAge)
        {
            log($"OSV advisories for {FolderName(folder)}: {state.Advisories} from the cache (checked {state.CheckedAt:yyyy-MM-dd HH:mm} UTC)");
            return advisories;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (state?.ETag is { } etag) request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));
        if (state?.LastModified is { } modified) request.Headers.IfModifiedSince = modified;
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return Unreachable(url, e.Message, state, advisories, log);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotModified && state is not null)
            {
                await WriteStateAsync(statePath, state with { CheckedAt = DateTimeOffset.UtcNow }, cancellationToken);
                log($"OSV advisories for {FolderName(folder)}: {state.Advisories}, unchanged at {url} (304)");
                return advisories;
            }
            if (!response.IsSuccessStatusCode) return Unreachable(url, $"{(int)response.StatusCode} {response.ReasonPhrase}", state, advisories, log);

            // Downloaded and unpacked beside the cache; the cache is replaced only when both are done.
            var download = Path.Combine(folder, "all.zip.partial");
            var unpacked = Path.Combine(folder, "advisories.new");
            try
            {
                await using (var file = File.Create(download))
                    await (await response.Content.ReadAsStreamAsync(cancellationToken)).CopyToAsync(file, cancellationToken);
                int count;
                try
                {
                    count = Unpack(download, unpacked, url);
                }
                catch (ContainerException e) when (state is not null)
                {
                    return Unreachable(url, e.Message, state, advisories, log);
                }
                if (Directory.Exists(advisories)) Directory.Delete(advisories, recursive: true);
                Directory.Move(unpacked, advisories);
                await WriteStateAsync(statePath, new CacheState(url.ToString(), response.Headers.ETag?.ToString(), response.Content.Headers.LastModified, DateTimeOffset.UtcNow, count), cancellationToken);
                log($"OSV advisories for {FolderName(folder)}: {count} fetched from {url} ({new FileInfo(download).Length / 1e6:0.0} MB)");
                return advisories;
            }
            finally
            {
                File.Delete(download);
                if (Directory.Exists(unpacked)) Directory.Delete(unpacked, recursive: true);
            }
        }
    }

    private static string FolderName(string folder) => Path.GetFileName(folder);

    /// The cached copy, with a warning, or an error when there is none.
    private static string Unreachable(Uri url, string reason, CacheState? state, string advisories, Action<string> log)
    {
        if (state is null)
            throw new ContainerException($"The OSV archive {url} could not be fetched ({reason}), and there is no cached copy. " +
                                         "Check the address (--osv-url) and the network, or scan offline with --advisories FOLDER (an unpacked all.zip).");
        log($"warning: the OSV archive {url} could not be fetched ({reason}): using the cached copy of {state.CheckedAt:yyyy-MM-dd HH:mm} UTC ({state.Advisories} advisories)");
        return advisories;
    }

    /// Unpacks the archive's JSON files (flat: OSV's archives have no folders); an entry that would land outside the
    /// folder, or a file that is not a zip, is an error naming the address.
    private static int Unpack(string archive, string folder, Uri url)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        try
        {
            using var zip = ZipFile.OpenRead(archive);
            var count = 0;
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.EndsWith('/') || !entry.FullName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) continue;
                var target = Path.GetFullPath(Path.Combine(folder, entry.FullName));
                if (!target.StartsWith(root, StringComparison.Ordinal))
                    throw new ContainerException($"The OSV archive {url} has an entry that points outside its folder ({entry.FullName}): it was not used.");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                entry.ExtractToFile(target, overwrite: true);
                count++;
            }
            return count;
        }
        catch (InvalidDataException e)
        {
            throw new ContainerException($"The OSV archive {url} is not a zip file ({e.Message}): it was not used.");
        }
    }

    private static Task WriteStateAsync(string path, CacheState state, CancellationToken cancellationToken) =>
        File.WriteAllTextAsync(path, JsonSerializer.Serialize(state), cancellationToken);
}
