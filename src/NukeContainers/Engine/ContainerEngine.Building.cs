using Docker.DotNet;
using Docker.DotNet.Models;
using NukeContainers.Building;

namespace NukeContainers.Engine;

/// Building: the build endpoint (with the BuildKit session or a tar), the cache export, the image store, and the build cache's upkeep.
public sealed partial class ContainerEngine
{
    /// <summary>
    /// Builds an image from a context; see <see cref="BuildSettings"/>. An engine without BuildKit gets the legacy builder.
    /// </summary>
    public async Task<BuildOutput> BuildAsync(BuildContext context, BuildSettings settings, IReadOnlyList<string> tags, Action<string> log, CancellationToken cancellationToken = default)
    {
        if (settings.Platforms.Count > 1 && await ImageStoreAsync(cancellationToken) != ImageStore.Containerd)
            throw new ContainerException(
                $"The build is for {string.Join(", ", settings.Platforms)}: one image a platform under one index, which the engine at {Endpoint} cannot keep " +
                "(its image store holds one platform an image). Build on an engine with the containerd image store (Docker 26: --embedded-engine docker26, " +
                "or \"features\": {\"containerd-snapshotter\": true} in daemon.json), or for one platform.");
        Session.BuildSession? session = null;
        try
        {
            session = await OpenSessionAsync(context, settings, log, cancellationToken);
            // The Control API takes the context through the session; a tar (asked for, or where the engine refused the
            // session) goes to /build, which reads it from the request's body.
            if (settings.Builder == Builder.BuildKit && settings.EffectiveApi == BuildKitApi.Control && session is not null)
                return await ControlBuilder.BuildAsync(this, context, settings, tags, session, log, cancellationToken);
            if (settings.CacheTo.Count > 0)
                throw new ContainerException($"The build exports its cache to a registry, which only BuildKit's Control API does, with a session, and the engine at {Endpoint} refused the session.");
            return await RemoveStepImagesAsync(await ImageBuilder.BuildAsync(Http, context, settings, tags, session, log, cancellationToken));
        }
        catch (BuildRefusedException refused) when (refused.BuildKitUnavailable)
        {
            log($"{refused.Message}; building with the legacy builder instead.");
            return await RemoveStepImagesAsync(await ImageBuilder.BuildAsync(Http, context, settings with { Builder = Builder.Legacy }, tags, null, log, cancellationToken));
        }
        catch (ContainerException e) when (session is not null && !cancellationToken.IsCancellationRequested)
        {
            // The engine may report the failure (its gRPC client's "transport is closing") before this side has seen the
            // connection go: give it a moment then, and only then, so that an ordinary failure is not held up.
            var suspicious = e.Message.Contains("rpc error", StringComparison.Ordinal) || e.Message.Contains("session", StringComparison.OrdinalIgnoreCase);
            if (await session.WasCutAsync(suspicious ? TimeSpan.FromSeconds(2) : TimeSpan.Zero)) throw new SessionCutException(Endpoint.ToString(), e);
            throw;
        }
        finally
        {
            if (session is not null) await session.DisposeAsync();
            // BuildKit keeps every uploaded context tar as a cache record of its own that no build can reuse. Best
            // effort: an engine that went away must not hide the build's own error behind this one's.
            else if (settings.Builder == Builder.BuildKit)
            {
                try
                {
                    await PruneContextUploadsAsync(CancellationToken.None);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or System.Text.Json.JsonException)
                {
                    log($"Could not remove the uploaded context from the engine's build cache: {e.Message}. Prune removes it later.");
                }
            }
        }
    }

    /// <summary>
    /// Exports the build cache of a build to the registry references of <see cref="BuildSettings.CacheTo"/> through
    /// BuildKit's Control API, building from the engine's cache (quick after the build itself); no image is made.
    /// Engines whose BuildKit cannot export to a registry say so in the error.
    /// </summary>
    public async Task<BuildOutput> ExportCacheAsync(BuildContext context, BuildSettings settings, Action<string> log, CancellationToken cancellationToken = default)
    {
        if (settings.CacheTo.Count == 0) throw new ContainerException("Exporting the build cache needs a registry reference to export it to (CacheTo).");
        await using var session = await OpenSessionAsync(context, settings with { Builder = Builder.BuildKit }, log, cancellationToken)
            ?? throw new ContainerException($"Exporting the build cache goes through BuildKit's Control API with a session, and the engine at {Endpoint} refused the session.");
        return await ControlBuilder.BuildAsync(this, context, settings, [], session, log, cancellationToken, exportImage: false);
    }

    /// The session a BuildKit build syncs its context through, or null for the tar: when the build asks for the tar,
    /// for the legacy builder, and where the engine refuses a session (said in the log; an error when the build needs
    /// the session for its secrets or SSH agents).
    private async Task<Session.BuildSession?> OpenSessionAsync(BuildContext context, BuildSettings settings, Action<string> log, CancellationToken cancellationToken)
    {
        var needsSession = settings.Secrets.Count > 0 || settings.SshAgents.Count > 0;
        if (settings.Builder != Builder.BuildKit || settings.Transfer == ContextTransfer.Tar)
        {
            if (needsSession)
                throw new ContainerException($"The build has secrets or SSH agents ({string.Join(", ", settings.Secrets.Keys.Concat(settings.SshAgents.Keys))}), which reach the build only through a BuildKit session: build with BuildKit and the session (the defaults).");
            if (settings.Builder == Builder.BuildKit) await RequireTarContextsAsync("The build asks for the tar (Transfer(ContextTransfer.Tar))", cancellationToken);
            return null;
        }
        var session = Session.BuildSession.For(context, settings, log);
        var refusal = await session.OpenAsync(this, cancellationToken);
        if (refusal is null) return session;
        await session.DisposeAsync();
        if (needsSession)
            throw new ContainerException($"The engine at {Endpoint} refused a BuildKit session ({refusal}), and the build's secrets or SSH agents reach it only through one: use an engine with BuildKit sessions (Docker 18.09 or later).");
        await RequireTarContextsAsync($"The engine at {Endpoint} refused a BuildKit session ({refusal})", cancellationToken);
        log($"The engine at {Endpoint} refused a BuildKit session ({refusal}): sending the whole context as a tar instead (every file, every build).");
        return null;
    }

    /// An engine with the containerd image store does not read a tar context through BuildKit: its builder fetches the
    /// uploaded body as http://build-context-ID, and its containerd worker resolves that name in DNS (seen on Docker
    /// 26.1: "lookup build-context-...: no such host"). Said before the upload, not after it.
    private async Task RequireTarContextsAsync(string why, CancellationToken cancellationToken)
    {
        if (await ImageStoreAsync(cancellationToken) == ImageStore.Containerd)
            throw new ContainerException($"{why}, but the engine at {Endpoint} keeps its images in containerd, and with that store its BuildKit cannot read a " +
                                         "context sent as a tar (it looks the upload up as a host name). Build through the BuildKit session (the default), or with the legacy builder.");
    }

    /// <summary>
    /// Whether the engine's BuildKit rewrites the files' times in the layers it exports to SOURCE_DATE_EPOCH
    /// (<c>rewrite-timestamp</c>, BuildKit 0.13: Docker 26, API 1.45, and later). It does so only in an archive, not in the
    /// image it unpacks into its store (moby's exporter refuses the two together), so the build has the archive sent
    /// back and loads it, which the containerd store keeps as it is, digest and all.
    /// </summary>
    public async Task<bool> RewritesTimestampsAsync(CancellationToken cancellationToken = default) =>
        await ImageStoreAsync(cancellationToken) == ImageStore.Containerd &&
        System.Version.TryParse(await ApiVersionAsync(cancellationToken), out var api) && api >= new System.Version(1, 45);

    private ImageStore? _imageStore;

    /// <summary>Where the engine keeps its images: the containerd image store (Docker 24 and later when on) or the graph driver's.</summary>
    public async Task<ImageStore> ImageStoreAsync(CancellationToken cancellationToken = default) =>
        _imageStore ??= (await Client.System.GetSystemInfoAsync(cancellationToken)).DriverStatus?
            .Any(s => s.Length == 2 && s[0] == "driver-type" && s[1].StartsWith("io.containerd.snapshotter", StringComparison.Ordinal)) == true
            ? ImageStore.Containerd : ImageStore.GraphDriver;

    /// <summary>
    /// Removes the context tars that BuildKit keeps from tar-context builds (<c>http url http://build-context-...</c>
    /// cache records: a new random name each build, so never reused) and that no build uses now; returns the bytes freed.
    /// Without this, every build of an unchanged 200 MB context adds 200 MB to the build cache.
    /// </summary>
    public async Task<long> PruneContextUploadsAsync(CancellationToken cancellationToken = default)
    {
        using var usage = await Http.GetAsync("v1.41/system/df", cancellationToken);
        if (!usage.IsSuccessStatusCode) return 0;
        using var json = System.Text.Json.JsonDocument.Parse(await usage.Content.ReadAsStringAsync(cancellationToken));
        if (!json.RootElement.TryGetProperty("BuildCache", out var records) || records.ValueKind != System.Text.Json.JsonValueKind.Array) return 0;
        var uploads = records.EnumerateArray()
            .Where(r => r.TryGetProperty("Description", out var d) && d.GetString()?.StartsWith("http url http://build-context-", StringComparison.Ordinal) == true
                        && !(r.TryGetProperty("InUse", out var inUse) && inUse.GetBoolean()))
            .Select(r => r.GetProperty("ID").GetString()!).ToList();
        long freed = 0;
        foreach (var id in uploads)
        {
            var filters = Uri.EscapeDataString($$"""{"id":["{{id}}"]}""");
            using var pruned = await Http.PostAsync($"v1.41/build/prune?filters={filters}", null, cancellationToken);
            if (!pruned.IsSuccessStatusCode) continue; // another run pruned it first, or it came into use
            using var result = System.Text.Json.JsonDocument.Parse(await pruned.Content.ReadAsStringAsync(cancellationToken));
            freed += result.RootElement.TryGetProperty("SpaceReclaimed", out var bytes) ? bytes.GetInt64() : 0;
        }
        return freed;
    }

    /// On the containerd image store the legacy builder keeps each step's image as an untagged image of its own. The
    /// graph driver's store keeps them as the built image's hidden parents and removes them with it; the containerd
    /// store removes them with it only at times (Docker 26.1: a run of its specs left 8 such images, each time): they
    /// go once the build is done. They are the legacy builder's cache, so there it caches nothing between builds; that
    /// builder is deprecated there, and BuildKit, its default, keeps its cache apart from the images.
    private async Task<BuildOutput> RemoveStepImagesAsync(BuildOutput output)
    {
        if (output.StepImages.Count == 0 || await ImageStoreAsync(CancellationToken.None) != ImageStore.Containerd) return output;
        foreach (var id in output.StepImages)
        {
            var image = await InspectImageAsync(id, CancellationToken.None);
            if (image is null || image.Id == output.ImageId || image.RepoTags is { Count: > 0 }) continue;
            try
            {
                await Client.Images.DeleteImageAsync(image.Id, new ImageDeleteParameters(), CancellationToken.None);
            }
            catch (DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
            {
                // A container uses it, or a concurrent build of the same steps removed it first.
            }
        }
        return output;
    }

    /// <summary>
    /// Trims the engine's build cache to at most <paramref name="keepBytes"/> (the least recently used records go
    /// first); returns the bytes freed.
    /// </summary>
    public async Task<long> PruneBuildCacheAsync(long keepBytes, CancellationToken cancellationToken = default)
    {
        using var response = await Http.PostAsync($"v1.41/build/prune?keep-storage={keepBytes}", null, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new ContainerException($"The engine refused to prune its build cache ({(int)response.StatusCode}): {EngineMessages.Refusal(body)}");
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty("SpaceReclaimed", out var freed) ? freed.GetInt64() : 0;
    }
}
