using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using NukeContainers.Building.Proto;
using NukeContainers.Engine;

namespace NukeContainers.Building;

/// <summary>
/// Builds through BuildKit's own Control API, as buildx's docker driver does: <c>POST /grpc</c> upgraded to h2c, then
/// gRPC over that connection: <c>Solve</c> with the Dockerfile frontend and the session that syncs the context, and
/// <c>Status</c> for its progress (the same messages the /build endpoint wraps in its trace). What only this route can
/// do: export the build cache to a registry, with every stage's layers (<c>mode=max</c>), where the engine allows it.
/// </summary>
internal static class ControlBuilder
{
    /// The build argument BuildKit takes the image's time from.
    internal const string SourceDateEpochArg = "SOURCE_DATE_EPOCH";

    /// The exporter that tags the image in the engine's own store (moby's wrapper of BuildKit's image exporter).
    private const string MobyExporter = "moby";

    /// The exporter that writes an OCI archive (to the client, through the session's FileSend): the one that can rewrite timestamps here.
    private const string OciExporter = "oci";

    /// <summary>
    /// Builds the context (synced by <paramref name="session"/>) and tags the image in the engine; with
    /// <paramref name="exportImage"/> false, only the cache exports run (no image is made: the output's id is empty).
    /// </summary>
    public static async Task<BuildOutput> BuildAsync(ContainerEngine engine, BuildContext context, BuildSettings settings, IReadOnlyList<string> tags,
        Session.BuildSession session, Action<string> log, CancellationToken cancellationToken, bool exportImage = true)
    {
        var watch = Stopwatch.StartNew();
        using var channel = Channel(engine);
        var control = new Control.ControlClient(channel);
        // The same commit, the same image: with a SOURCE_DATE_EPOCH, BuildKit rewrites the files' times where it can, in
        // an archive sent back here and loaded as it came (the containerd store keeps its digest).
        var epoch = exportImage && tags.Count > 0 ? settings.SourceDateEpoch : null;
        var rewrite = epoch is not null && await engine.RewritesTimestampsAsync(cancellationToken);
        Exception? loadFailure = null;
        if (rewrite)
        {
            log($"Making the image at SOURCE_DATE_EPOCH={epoch!.Value.ToUnixTimeSeconds()} ({epoch.Value.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}): " +
                "its files' times are rewritten to it and the archive loaded as BuildKit wrote it, so the same commit gives the same digest on any such engine");
            session.ExportReceiver = async (write, token) =>
            {
                using var both = CancellationTokenSource.CreateLinkedTokenSource(token, cancellationToken);
                try
                {
                    await engine.LoadAsync(write, both.Token);
                }
                catch (Exception e) when (e is ContainerException or HttpRequestException or IOException)
                {
                    loadFailure = e;
                    throw new RpcException(new Status(StatusCode.Internal, e.Message));
                }
            };
        }
        var request = Request(context, settings, tags, session, await engine.ImageStoreAsync(cancellationToken) == NukeContainers.Engine.ImageStore.Containerd, exportImage, rewrite);
        var progress = new BuildKitProgress(log);

        // Status first, so that no progress of the solve is missed; it ends when the solve does.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var status = FollowAsync(control, request.Ref, progress, stop.Token);
        SolveResponse response;
        try
        {
            response = await control.SolveAsync(request, cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            await Settle(status, stop);
            if (loadFailure is not null) throw new ContainerException($"The engine at {engine.Endpoint} did not load the archive its BuildKit exported: {loadFailure.Message}", loadFailure);
            if (e.StatusCode == StatusCode.Unavailable && progress.Running is null && progress.Instructions.Count == 0)
                throw new EngineConnectionException(null, e);
            if (e.Status.Detail.Contains("unknown cache exporter", StringComparison.Ordinal))
                throw new ContainerException($"The engine at {engine.Endpoint} cannot export a build cache to a registry (its BuildKit says: {e.Status.Detail}). " +
                                             "Engines with the containerd image store can (Docker 24 or later with the containerd-snapshotter feature, such as --embedded-engine docker26); " +
                                             "on this one, leave CacheTo out and push the inline cache (RestoreCache's cache tags).", e);
            var failure = progress.Failure;
            throw new ImageBuildException(failure?.Instruction, failure?.Error ?? e.Status.Detail, failure?.Tail ?? []);
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            await Settle(status, stop);
            throw new OperationCanceledException(cancellationToken);
        }
        await Settle(status, stop);

        var imageId = exportImage ? await ImageIdAsync(engine, tags, response, cancellationToken) : "";
        return new BuildOutput(imageId, progress.Instructions, Builder.BuildKit, watch.Elapsed)
        {
            ExporterResponse = response.ExporterResponse.ToDictionary(r => r.Key, r => r.Value),
        };
    }

    /// <summary>The Solve request for a Dockerfile build, as buildx makes it for the docker driver.</summary>
    internal static SolveRequest Request(BuildContext context, BuildSettings settings, IReadOnlyList<string> tags, Session.BuildSession session, bool containerdStore,
        bool exportImage = true, bool rewriteTimestamps = false)
    {
        var request = new SolveRequest
        {
            Ref = NewRef(),
            Session = session.Id,
            Frontend = "dockerfile.v0",
            Cache = new CacheOptions(),
        };
        // The Dockerfile is read from the session's "dockerfile" folder by its name there; the context is "context".
        request.FrontendAttrs["filename"] = Path.GetFileName(context.DockerfilePath);
        if (settings.Target is not null) request.FrontendAttrs["target"] = settings.Target;
        if (settings.Platform is not null) request.FrontendAttrs["platform"] = settings.Platform;
        if (settings.NoCache) request.FrontendAttrs["no-cache"] = "";
        foreach (var (name, value) in settings.BuildArgs) request.FrontendAttrs["build-arg:" + name] = value;
        foreach (var (name, value) in settings.Labels) request.FrontendAttrs["label:" + name] = value;
        // The Dockerfile frontend (BuildKit 0.11 and later) makes the config's and the history's created from it.
        if (settings.SourceDateEpoch is { } epoch && !settings.BuildArgs.ContainsKey(SourceDateEpochArg))
            request.FrontendAttrs["build-arg:" + SourceDateEpochArg] = epoch.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (settings.Network != NetworkMode.Default)
        {
            request.FrontendAttrs["force-network-mode"] = settings.Network == NetworkMode.Host ? "host" : "none";
            if (settings.Network == NetworkMode.Host) request.Entitlements.Add("network.host");
        }

        // No exporter: only the cache exports run.
        if (exportImage && rewriteTimestamps)
        {
            // An OCI archive, sent to the client (the session's FileSend), named as the image: loading it tags it.
            request.ExporterDeprecated = OciExporter;
            request.ExporterAttrsDeprecated["name"] = string.Join(',', tags);
            request.ExporterAttrsDeprecated["rewrite-timestamp"] = "true";
        }
        else if (exportImage)
        {
            request.ExporterDeprecated = MobyExporter;
            if (tags.Count > 0) request.ExporterAttrsDeprecated["name"] = string.Join(',', tags);
            // The containerd image store names an image by its manifest's digest: the exporter answers with that.
            if (containerdStore) request.ExporterAttrsDeprecated["prefer-image-digest"] = "true";
        }

        foreach (var source in settings.CacheFrom)
            request.Cache.Imports.Add(new CacheOptionsEntry { Type = "registry", Attrs = { ["ref"] = source } });
        // BUILDKIT_INLINE_CACHE asks the /build endpoint for inline cache; here it is a cache export of its own, as buildx makes it.
        if (settings.BuildArgs.TryGetValue("BUILDKIT_INLINE_CACHE", out var inline) && inline is "1" or "true")
            request.Cache.Exports.Add(new CacheOptionsEntry { Type = "inline" });
        foreach (var export in settings.CacheTo)
            request.Cache.Exports.Add(new CacheOptionsEntry { Type = "registry", Attrs = { ["ref"] = export.Reference, ["mode"] = export.Mode == CacheMode.Max ? "max" : "min" } });
        // The Dockerfile frontend imports the cache itself, from this attribute (BuildKit's client writes it the same way).
        if (request.Cache.Imports.Count > 0)
            request.FrontendAttrs["cache-imports"] = JsonSerializer.Serialize(request.Cache.Imports.Select(i => new { Type = i.Type, Attrs = i.Attrs.ToDictionary(a => a.Key, a => a.Value) }));
        return request;
    }

    /// A gRPC channel whose one HTTP/2 connection is the engine's /grpc endpoint, upgraded to h2c.
    private static GrpcChannel Channel(ContainerEngine engine)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) => await UpgradeAsync(engine, cancellationToken),
            // The build can be long; the connection stays open while it runs.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        return GrpcChannel.ForAddress("http://docker", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 64 * 1024 * 1024 });
    }

    private static async Task<Stream> UpgradeAsync(ContainerEngine engine, CancellationToken cancellationToken)
    {
        var (stream, status, refusal) = await engine.UpgradeToH2cAsync("/grpc", [], cancellationToken);
        return stream ?? throw new BuildRefusedException(Builder.BuildKit, status,
            $"the engine at {engine.Endpoint} did not open BuildKit's Control API (POST /grpc answered {refusal})");
    }

    private static async Task FollowAsync(Control.ControlClient control, string reference, BuildKitProgress progress, CancellationToken cancellationToken)
    {
        using var call = control.Status(new StatusRequest { Ref = reference }, cancellationToken: cancellationToken);
        await foreach (var status in call.ResponseStream.ReadAllAsync(cancellationToken)) progress.Apply(status);
    }

    /// Lets the progress stream end with the solve (its last messages name a failure), then stops it if it does not.
    private static async Task Settle(Task status, CancellationTokenSource stop)
    {
        if (await Task.WhenAny(status, Task.Delay(TimeSpan.FromSeconds(5))) != status) await stop.CancelAsync();
        try { await status; }
        catch (Exception e) when (e is RpcException or OperationCanceledException) { }
    }

    /// The image the exporter tagged: its id as the engine knows it (the first tag's), else what the exporter answered.
    private static async Task<string> ImageIdAsync(ContainerEngine engine, IReadOnlyList<string> tags, SolveResponse response, CancellationToken cancellationToken)
    {
        if (tags.Count > 0 && (await engine.InspectImageAsync(tags[0], cancellationToken))?.Id is { } id) return id;
        foreach (var key in new[] { "containerimage.digest", "containerimage.config.digest" })
            if (response.ExporterResponse.TryGetValue(key, out var digest) && (await engine.InspectImageAsync(digest, cancellationToken))?.Id is { } found) return found;
        throw new BuildOutputException($"the build ended and the engine knows no image it made (the exporter answered: {string.Join(", ", response.ExporterResponse.Select(r => $"{r.Key}={r.Value}"))})");
    }

    /// A build reference as BuildKit makes them: 25 characters of base 32.
    private static string NewRef()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(25);
        return new string(bytes.Select(b => alphabet[b % 32]).ToArray());
    }
}
