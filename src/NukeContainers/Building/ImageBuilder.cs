using System.Diagnostics;
using System.Text.Json;
using NukeContainers.Engine;
using NukeContainers.Utils;

namespace NukeContainers.Building;

/// Builds an image through the Engine API's /build endpoint, reading its progress stream itself: Docker.DotNet
/// cannot parse BuildKit's trace messages.
internal static class ImageBuilder
{
    /// Builds with the context as a tar in the body, or, given a session, with the context synced through it.
    public static async Task<BuildOutput> BuildAsync(HttpClient engine, BuildContext context, BuildSettings settings,
        IReadOnlyList<string> tags, Session.BuildSession? session, Action<string> log, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        if (settings.Builder == Builder.Legacy && context.HasRunMounts)
            log("The legacy builder has no RUN --mount: building without the cache mounts (downloads are not kept between builds, and builds are slower).");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1.41/build?" + Query(context, settings, tags, session));
        if (session is null)
        {
            request.Content = context.ToHttpContent(settings);
            request.Content.Headers.ContentType = new("application/x-tar");
        }
        using var response = await engine.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new BuildRefusedException(settings.Builder, (int)response.StatusCode, EngineMessages.Refusal(await response.Content.ReadAsStringAsync(cancellationToken)));

        await using var output = await response.Content.ReadAsStreamAsync(cancellationToken);
        var (imageId, instructions, stepImages) = await ReadOutputAsync(output, settings.Builder, log, cancellationToken);
        return new BuildOutput(imageId, instructions, settings.Builder, watch.Elapsed) { StepImages = stepImages };
    }

    /// Reads the /build endpoint's output: one JSON message a line, BuildKit's trace or the legacy builder's text,
    /// the image id, or an error that ends the build. A line that is not such a message is a BuildOutputException.
    internal static async Task<(string ImageId, IReadOnlyList<BuiltInstruction> Instructions, IReadOnlyList<string> StepImages)> ReadOutputAsync(
        Stream output, Builder builder, Action<string> log, CancellationToken cancellationToken)
    {
        var buildKit = new BuildKitProgress(log);
        var legacy = new LegacyProgress(log);
        string? imageId = null;
        var messages = EngineMessages.ReadAsync(output,
            error: text =>
            {
                var failure = buildKit.Failure;
                return new ImageBuildException(failure?.Instruction ?? legacy.CurrentInstruction, failure?.Error ?? text, failure?.Tail ?? legacy.Tail);
            },
            cancellationToken,
            cut: e => new EngineConnectionException(buildKit.Running ?? legacy.CurrentInstruction, e),
            malformed: (number, line, e) => new BuildOutputException($"line {number} ({EngineMessages.Shorten(line)}): {e.Message}"));
        await foreach (var message in messages)
        {
            try
            {
                var root = message.Json;
                if (!root.TryGetProperty("aux", out var aux))
                {
                    if (message.Text("stream") is { } stream) legacy.Apply(stream);
                }
                else if (message.Text("id") == "moby.buildkit.trace") buildKit.Apply(aux.GetBytesFromBase64());
                else if (aux.ValueKind == JsonValueKind.Object && aux.TryGetProperty("ID", out var imageIdElement)) imageId = imageIdElement.GetString();
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new BuildOutputException($"line {message.Line} ({EngineMessages.Shorten(message.Json.ToString())}): {e.Message}");
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (imageId is null) throw new BuildOutputException("it ended without naming the image it built");
        return builder == Builder.BuildKit ? (imageId, buildKit.Instructions, []) : (imageId, legacy.Instructions(DateTimeOffset.UtcNow), legacy.StepImages);
    }

    private static string Query(BuildContext context, BuildSettings settings, IReadOnlyList<string> tags, Session.BuildSession? session)
    {
        var query = new List<(string, string)>
        {
            ("version", settings.Builder == Builder.BuildKit ? "2" : "1"),
            // Through a session the Dockerfile comes from its own folder ("dockerfile"), by its name there.
            ("dockerfile", session is null ? context.DockerfileEntry : Path.GetFileName(context.DockerfilePath)),
            ("rm", "1"),
            ("forcerm", "1"),
            ("buildargs", JsonSerializer.Serialize(settings.BuildArgs)),
            ("labels", JsonSerializer.Serialize(settings.Labels)),
        };
        query.AddRange(tags.Select(t => ("t", t)));
        if (session is not null) query.AddRange([("session", session.Id), ("remote", "client-session")]);
        if (settings.Target is not null) query.Add(("target", settings.Target));
        if (settings.Platform is not null) query.Add(("platform", settings.Platform));
        if (settings.NoCache) query.Add(("nocache", "1"));
        if (settings.CacheFrom.Count > 0) query.Add(("cachefrom", JsonSerializer.Serialize(settings.CacheFrom)));
        if (settings.Network != NetworkMode.Default) query.Add(("networkmode", settings.Network == NetworkMode.Host ? "host" : "none"));
        return string.Join('&', query.Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2)}"));
    }
}
