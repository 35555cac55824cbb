using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace NukeContainers.Registry;

/// <summary>
/// The OCI distribution API of one registry, for what the engine cannot do well: read a tag's digest, fetch and put
/// manifests by digest (promotion without a pull), mount blobs across repositories. Answers a 401 with the
/// credentials the WWW-Authenticate challenge asks for (Basic, or a Bearer token from the realm it names).
/// Loopback registries are plain HTTP, as the engine treats them; others HTTPS.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    /// <summary>The manifest and index media types asked for, so that a multi-platform index is kept as it is.</summary>
    public static readonly string[] ManifestTypes =
    [
        "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
    ];

    private readonly HttpClient _http;
    private readonly RegistryCredentials? _credentials;
    // The answer to the registry's challenge for each repository and access (a Bearer token is scoped to both; a Basic
    // answer is the same for all): a client used for several repositories and steps asks the token service once each.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Repository, bool Push), AuthenticationHeaderValue> _authorizations = new();

    /// <summary>A client for a registry (<c>host[:port]</c>) with optional credentials.</summary>
    public RegistryClient(string registry, RegistryCredentials? credentials, HttpMessageHandler? handler = null)
    {
        Registry = registry;
        _credentials = credentials;
        var scheme = IsPlainHttp(registry) ? "http" : "https";
        _http = new HttpClient(handler ?? new SocketsHttpHandler()) { BaseAddress = new Uri($"{scheme}://{registry}/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The registry's host and port.</summary>
    public string Registry { get; }

    /// <summary>The credentials it answers challenges with, if any (the engine's pushes and pulls take the same).</summary>
    public RegistryCredentials? Credentials => _credentials;

    /// <summary>A client with the given credentials, else the docker config's for that registry (config.json, helpers).</summary>
    public static async Task<RegistryClient> ConnectAsync(string registry, RegistryCredentials? credentials = null, string? dockerConfigPath = null,
        CancellationToken cancellationToken = default) =>
        new(registry, credentials ?? await DockerConfig.FindAsync(registry, dockerConfigPath, cancellationToken));

    /// <summary>True for the registries the engine reaches over plain HTTP: 127.0.0.0/8 and localhost.</summary>
    public static bool IsPlainHttp(string registry) =>
        registry.StartsWith("127.", StringComparison.Ordinal) || registry == "localhost" || registry.StartsWith("localhost:", StringComparison.Ordinal);

    /// <summary>The digest a tag points at, or null when the repository has no such tag.</summary>
    public async Task<string?> DigestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => ManifestRequest(HttpMethod.Head, repository, reference), repository, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureAsync(response, $"look up {repository}:{reference}");
        return response.Headers.TryGetValues("Docker-Content-Digest", out var digests) ? digests.First() : null;
    }

    /// <summary>A manifest (or index) by tag or digest, with its media type and digest.</summary>
    public async Task<RegistryManifest> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => ManifestRequest(HttpMethod.Get, repository, reference), repository, cancellationToken);
        await EnsureAsync(response, $"fetch the manifest {repository}@{reference}");
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var digests) ? digests.First()
            : Digest(body);
        return new RegistryManifest(body, response.Content.Headers.ContentType?.MediaType ?? ManifestTypes[^1], digest);
    }

    /// <summary>Puts a manifest under a tag, byte for byte, so that its digest stays the same.</summary>
    public async Task PutManifestAsync(string repository, string tag, RegistryManifest manifest, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, $"v2/{repository}/manifests/{tag}") { Content = new ByteArrayContent(manifest.Body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
            return request;
        }, repository, cancellationToken, push: true);
        await EnsureAsync(response, $"put {repository}:{tag}");
    }

    /// <summary>Deletes a manifest by digest (the registry must allow deletes); every tag on it goes with it.</summary>
    public async Task DeleteManifestAsync(string repository, string digest, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"v2/{repository}/manifests/{digest}"), repository, cancellationToken, push: true);
        if (response.StatusCode != HttpStatusCode.NotFound) await EnsureAsync(response, $"delete {repository}@{digest}");
    }

    /// <summary>The repository's tags (empty when it has none or does not exist).</summary>
    public async Task<IReadOnlyList<string>> TagsAsync(string repository, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/tags/list"), repository, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return [];
        await EnsureAsync(response, $"list the tags of {repository}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return json.RootElement.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? tags.EnumerateArray().Select(t => t.GetString()!).ToList() : [];
    }

    /// <summary>
    /// The image manifests a tag or digest names: the manifest itself, or an index's platform images (not its
    /// attestation or other artifact manifests).
    /// </summary>
    public async Task<IReadOnlyList<RegistryManifest>> ImageManifestsAsync(string repository, RegistryManifest manifest, CancellationToken cancellationToken = default)
    {
        if (manifest.ConfigDigest is not null) return [manifest];
        var images = new List<RegistryManifest>();
        foreach (var child in manifest.PlatformChildren) images.Add(await GetManifestAsync(repository, child, cancellationToken));
        return images;
    }

    /// <summary>The labels in an image's config (an index's first platform image's), by tag or digest.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ConfigLabelsAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        var manifest = await GetManifestAsync(repository, reference, cancellationToken);
        // An index's labels are its first platform image's: that one manifest is fetched, not every platform's.
        if (manifest.ConfigDigest is null && manifest.PlatformChildren is [var first, ..]) manifest = await GetManifestAsync(repository, first, cancellationToken);
        if (manifest.ConfigDigest is not { } config) return new Dictionary<string, string>();
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/blobs/{config}"), repository, cancellationToken);
        await EnsureAsync(response, $"fetch the config of {repository}@{reference}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return json.RootElement.TryGetProperty("config", out var c) && c.TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object
            ? labels.EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString() ?? "") : new Dictionary<string, string>();
    }

    /// <summary>True when the repository has the blob.</summary>
    public async Task<bool> BlobExistsAsync(string repository, string digest, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, $"v2/{repository}/blobs/{digest}"), repository, cancellationToken);
        return response.IsSuccessStatusCode;
    }

    /// <summary>Mounts a blob from another repository of the same registry, without uploading it; true when mounted.</summary>
    public async Task<bool> MountBlobAsync(string repository, string digest, string fromRepository, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post,
            $"v2/{repository}/blobs/uploads/?mount={Uri.EscapeDataString(digest)}&from={Uri.EscapeDataString(fromRepository)}"), repository, cancellationToken, push: true);
        return response.StatusCode == HttpStatusCode.Created;
    }

    /// <summary>A blob's bytes (small ones: configs, signature payloads), checked against its digest.</summary>
    public async Task<byte[]> GetBlobAsync(string repository, string digest, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/blobs/{digest}"), repository, cancellationToken);
        await EnsureAsync(response, $"fetch the blob {repository}@{digest}");
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (Digest(body) != digest) throw new ContainerException($"The registry {Registry} sent a blob for {repository}@{digest} whose content has another digest, {Digest(body)}.");
        return body;
    }

    /// <summary>Uploads a small blob in one request (unless the repository has it already); returns its digest.</summary>
    public async Task<string> PutBlobAsync(string repository, byte[] content, CancellationToken cancellationToken = default)
    {
        var digest = Digest(content);
        if (await BlobExistsAsync(repository, digest, cancellationToken)) return digest;
        Uri location;
        using (var start = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, $"v2/{repository}/blobs/uploads/"), repository, cancellationToken, push: true))
        {
            await EnsureAsync(start, $"start an upload to {repository}");
            location = start.Headers.Location ?? throw new ContainerException($"The registry {Registry} started an upload to {repository} without saying where to send it (no Location).");
        }
        var url = (location.IsAbsoluteUri ? location : new Uri(_http.BaseAddress!, location)).ToString();
        url += (url.Contains('?') ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest);
        using var put = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, url)
        {
            Content = new ByteArrayContent(content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } },
        }, repository, cancellationToken, push: true);
        await EnsureAsync(put, $"upload the blob {digest} to {repository}");
        return digest;
    }

    /// <summary>
    /// What the registry says to an upload, in a sentence, to tell why a push failed: it starts one and sends an empty
    /// blob under a digest that cannot match, which a registry that works refuses with 400 (nothing is stored), then
    /// cancels it. A registry that fails uploads answers with its status and error body, which the sentence names.
    /// </summary>
    public async Task<string> DiagnoseUploadAsync(string repository, CancellationToken cancellationToken = default)
    {
        try
        {
            Uri location;
            using (var start = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, $"v2/{repository}/blobs/uploads/"), repository, cancellationToken, push: true))
            {
                if (!start.IsSuccessStatusCode) return Answered("starts an upload", start, await start.Content.ReadAsStringAsync(cancellationToken));
                if (start.Headers.Location is not { } where) return $"The registry {Registry} starts an upload without saying where to send it (no Location).";
                location = where.IsAbsoluteUri ? where : new Uri(_http.BaseAddress!, where);
            }
            var url = location + (location.Query.Length > 0 ? "&" : "?") + "digest=sha256:" + new string('0', 64);
            using var put = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent([]) }, repository, cancellationToken, push: true);
            var body = await put.Content.ReadAsStringAsync(cancellationToken);
            using var cancel = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, location), repository, cancellationToken, push: true);
            return put.StatusCode == HttpStatusCode.BadRequest
                ? $"The registry {Registry} takes uploads now (it refused a test upload with a wrong digest, as it should): the failure may have passed, or lie between the engine and the registry."
                : Answered("answers an upload", put, body);
        }
        catch (Exception e) when (e is HttpRequestException or ContainerException or TaskCanceledException)
        {
            return $"The registry {Registry} cannot be asked ({e.Message}): check that it runs and that this machine reaches it.";
        }

        string Answered(string what, HttpResponseMessage response, string body) =>
            $"The registry {Registry} {what} with {(int)response.StatusCode} {response.ReasonPhrase}: {Reason(body)}.";
    }

    /// <summary>The <c>sha256:...</c> digest of content.</summary>
    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));

    private static HttpRequestMessage ManifestRequest(HttpMethod method, string repository, string reference)
    {
        var request = new HttpRequestMessage(method, $"v2/{repository}/manifests/{reference}");
        foreach (var type in ManifestTypes) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        return request;
    }

    /// Sends, and on a 401 answers the challenge once and sends again.
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, string repository, CancellationToken cancellationToken, bool push = false)
    {
        // A read that meets a passing server error (Distribution answers 500 while another client rewrites the tag it
        // reads) is asked again; a write never is here (the push has its own retries).
        for (var attempt = 1; ; attempt++)
        {
            var response = await SendOnceAsync(create, repository, cancellationToken, push);
            if ((int)response.StatusCode < 500 || attempt == 3 || response.RequestMessage?.Method is not { Method: "GET" or "HEAD" }) return response;
            response.Dispose();
            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(Func<HttpRequestMessage> create, string repository, CancellationToken cancellationToken, bool push)
    {
        var request = create();
        request.Headers.Authorization = Authorization(repository, push);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ContainerException($"The registry {Registry} does not answer ({e.Message}). Check that it runs and that the address is right.", e);
        }
        if (response.StatusCode != HttpStatusCode.Unauthorized || response.Headers.WwwAuthenticate.FirstOrDefault() is not { } challenge) return response;
        response.Dispose();
        var answer = _authorizations[(repository, push)] = await AnswerAsync(challenge, repository, push, cancellationToken);
        var retry = create();
        retry.Headers.Authorization = answer;
        return await _http.SendAsync(retry, cancellationToken);
    }

    /// The answer kept for the repository and access: a push token serves a pull too; a Basic answer serves every request.
    private AuthenticationHeaderValue? Authorization(string repository, bool push) =>
        _authorizations.TryGetValue((repository, push), out var kept) || !push && _authorizations.TryGetValue((repository, true), out kept) ? kept
        : _authorizations.Values.FirstOrDefault(a => a.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase));

    /// <summary>How many times it asked a token service (or answered a Basic challenge) since it was made.</summary>
    public int Challenges => Volatile.Read(ref _challenges);

    private int _challenges;

    private async Task<AuthenticationHeaderValue> AnswerAsync(AuthenticationHeaderValue challenge, string repository, bool push, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _challenges);
        if (_credentials is null && challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
            throw new ContainerException($"The registry {Registry} asks for credentials and none were found: run 'docker login {Registry}', or give --registry-username and --registry-password.");
        var basic = _credentials is null ? null
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_credentials.Username}:{_credentials.Password}")));
        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)) return basic!;

        // Bearer realm="https://auth/token",service="registry",scope="repository:x:pull"
        var parameters = (challenge.Parameter ?? "").Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim().Trim('"'), StringComparer.OrdinalIgnoreCase);
        if (!parameters.TryGetValue("realm", out var realm))
            throw new ContainerException($"The registry {Registry} asked for a Bearer token without naming where to get one.");
        var scope = $"repository:{repository}:{(push ? "pull,push" : "pull")}";
        var url = $"{realm}?scope={Uri.EscapeDataString(scope)}" + (parameters.TryGetValue("service", out var service) ? $"&service={Uri.EscapeDataString(service)}" : "");
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Authorization = basic } };
        using var tokenResponse = await _http.SendAsync(tokenRequest, cancellationToken);
        await EnsureAsync(tokenResponse, $"get a token from {realm}");
        using var token = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync(cancellationToken));
        var value = token.RootElement.TryGetProperty("token", out var t) ? t.GetString() : token.RootElement.TryGetProperty("access_token", out var a) ? a.GetString() : null;
        return new AuthenticationHeaderValue("Bearer", value ?? throw new ContainerException($"The token service {realm} answered without a token."));
    }

    private async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync();
        var hint = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => " Check the credentials (docker login, or --registry-username and --registry-password).",
            HttpStatusCode.Forbidden => " The credentials may not do this: check the account's rights on the repository.",
            HttpStatusCode.NotFound => " Check the repository and the tag or digest.",
            _ => "",
        };
        throw new ContainerException($"The registry {Registry} refused to {what} ({(int)response.StatusCode}): {Reason(body)}.{hint}");
    }

    /// The reasons of the Distribution API's error body ({"errors":[{"code","message","detail"}]}) in words, such as
    /// "manifest unknown (MANIFEST_UNKNOWN)"; any other body as it is, shortened.
    internal static string Reason(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                var reasons = errors.EnumerateArray().Select(e =>
                    (e.TryGetProperty("message", out var m) ? m.GetString() : null) is { Length: > 0 } message
                        ? message + (e.TryGetProperty("code", out var c) && c.GetString() is { Length: > 0 } code ? $" ({code})" : "")
                        : e.TryGetProperty("code", out var only) ? only.GetString() : null).OfType<string>().ToList();
                if (reasons.Count > 0) return string.Join("; ", reasons);
            }
        }
        catch (JsonException)
        {
        }
        var text = body.Trim();
        return text.Length == 0 ? "no reason given" : text.Length > 300 ? text[..300] + "..." : text;
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}

/// <summary>A manifest or index as the registry stores it: its bytes, media type and digest.</summary>
public sealed record RegistryManifest(byte[] Body, string MediaType, string Digest)
{
    /// <summary>The config blob's digest (an image manifest's), or null for an index.</summary>
    public string? ConfigDigest
    {
        get
        {
            using var json = Json();
            return json.RootElement.TryGetProperty("config", out var config) ? config.GetProperty("digest").GetString() : null;
        }
    }

    /// <summary>Every blob the manifest names (config and layers), or the manifests an index names.</summary>
    public IReadOnlyList<string> Blobs
    {
        get
        {
            using var json = Json();
            var root = json.RootElement;
            var blobs = new List<string>();
            if (root.TryGetProperty("config", out var config)) blobs.Add(config.GetProperty("digest").GetString()!);
            if (root.TryGetProperty("layers", out var layers)) blobs.AddRange(layers.EnumerateArray().Select(l => l.GetProperty("digest").GetString()!));
            return blobs;
        }
    }

    /// <summary>The digests of the manifests an index names (none for an image manifest).</summary>
    public IReadOnlyList<string> Children
    {
        get
        {
            using var json = Json();
            return json.RootElement.TryGetProperty("manifests", out var manifests)
                ? manifests.EnumerateArray().Select(m => m.GetProperty("digest").GetString()!).ToList()
                : [];
        }
    }

    /// <summary>The digests of an index's platform images: its image manifests but attestation manifests (none for an image manifest).</summary>
    public IReadOnlyList<string> PlatformChildren
    {
        get
        {
            using var json = Json();
            // An image manifest that is not an attestation (a cache index names layers and its cache config: none of them).
            return json.RootElement.TryGetProperty("manifests", out var manifests)
                ? manifests.EnumerateArray()
                    .Where(m => m.TryGetProperty("mediaType", out var mediaType) && RegistryClient.ManifestTypes[2..].Contains(mediaType.GetString()))
                    .Where(m => !(m.TryGetProperty("annotations", out var a) && a.TryGetProperty(Attesting.Attestations.ReferenceType, out var type) && type.GetString() == Attesting.Attestations.AttestationManifest))
                    .Select(m => m.GetProperty("digest").GetString()!).ToList()
                : [];
        }
    }

    private JsonDocument Json() => JsonDocument.Parse(Body);
}
