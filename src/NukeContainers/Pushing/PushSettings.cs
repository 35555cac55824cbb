using NukeContainers.Registry;
using NukeContainers.Tagging;
using Polly;
using Polly.Retry;

namespace NukeContainers.Pushing;

/// <summary>
/// The push step: the image's content, through the engine, under one tag this run owns (<see cref="TagRelease.Carrier"/>:
/// its <c>sha-</c> tag, else another that is no version's); the pushed digest checked to be the image this run built
/// (not whatever the tag points at by then). The image's other tags are written after it, and after the attestations,
/// by the push's tag step (<see cref="PushTagsSettings"/>), version tags last. A version tag that the registry
/// already has for another image is refused unless forced, even for a build of the same commit (the refusal names the
/// commit its <c>org.opencontainers.image.revision</c> label says): versions are immutable; other tags move. A build of
/// the same inputs reuses the pushed image (the restore-cache step), so a re-run CI job pushes the same image again.
/// </summary>
public sealed record PushSettings : IPipelineStep
{
    /// <summary>Credentials for the registry; when null, the docker config's (config.json, credential helpers).</summary>
    public RegistryCredentials? Credentials { get; init; }

    /// <summary>Another docker config.json to take credentials from.</summary>
    public string? DockerConfigPath { get; init; }

    /// <summary>Push even when the version tag already names another image in the registry.</summary>
    public bool Force { get; init; }

    /// <summary>How many times a push is tried when it fails for a passing reason (connection, timeouts, 5xx).</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The wait before the first retry; it doubles each time.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the push may go without progress (no bytes sent, no layer pushed) before it stops, over all its attempts
    /// and the engine's own retries: a registry that fails every upload fails the push in this time, while a large push
    /// that moves goes on.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    string IPipelineStep.Name => StepNames.Push;

    IReadOnlyList<string> IPipelineStep.After => [StepNames.Tag, StepNames.Scan];

    void IPipelineStep.Check(ImagePipeline pipeline)
    {
        if (MaxAttempts < 1) throw new ContainerException($"The push step of {pipeline.Repository} needs at least 1 attempt, not {MaxAttempts}.");
        if (StallTimeout <= TimeSpan.Zero) throw new ContainerException($"The push step of {pipeline.Repository} needs a stall timeout above zero, not {StallTimeout}.");
    }

    /// True when the registry's manifest is the engine's image: its config is the image's id (the graph driver's
    /// store), or the manifest itself is (the containerd image store, where an image's id is its manifest's digest).
    private static bool IsImage(RegistryManifest manifest, string imageId) => manifest.ConfigDigest == imageId || manifest.Digest == imageId;

    /// True when the manifest, or an index's platform image (the attest step's index of the image and its
    /// attestations), is the engine's image.
    private static async Task<bool> NamesImageAsync(RegistryClient client, string repository, RegistryManifest manifest, string imageId, CancellationToken cancellationToken) =>
        IsImage(manifest, imageId) || (await client.ImageManifestsAsync(repository, manifest, cancellationToken)).Any(m => IsImage(m, imageId));

    async Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var image = context.Image;
        var imageId = image.RequireImageId("push");
        if (image.Tags.Count == 0)
            throw new ContainerException($"The push step of {image.Repository} has no tags to push: add a tag step (.Tag(...)).");
        var registry = image.Repository.Registry;
        var client = await context.Registries.ConnectAsync(registry, Credentials, DockerConfigPath, cancellationToken);
        var credentials = client.Credentials;
        var path = image.Repository.Path;

        var versionTag = context.Image.VersionTag;
        if (versionTag is not null && image.Tags.Contains(versionTag) && await client.DigestAsync(path, versionTag, cancellationToken) is { } existing)
        {
            if (!await NamesImageAsync(client, path, await client.GetManifestAsync(path, existing, cancellationToken), imageId, cancellationToken) && !Force)
            {
                var theirs = (await client.ConfigLabelsAsync(path, existing, cancellationToken)).GetValueOrDefault(ImagePipeline.RevisionLabel);
                throw new ContainerException(
                    $"{image.Repository}:{versionTag} already exists in {registry} for another image ({existing[..19]}" +
                    $"{(theirs is null ? "" : $", built from commit {theirs[..Math.Min(12, theirs.Length)]}")}): versions are immutable. " +
                    "Give the new build a new version, or push with --force-tags to replace it.");
            }
        }

        string? lastError = null;
        // One attempt is no retry (Polly wants at least one retry in a retry strategy).
        var retry = MaxAttempts == 1 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<PushException>(e => e.Transient),
            MaxRetryAttempts = MaxAttempts - 1,
            Delay = FirstRetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            OnRetry = arguments =>
            {
                lastError = arguments.Outcome.Exception?.Message;
                context.Log($"Push failed ({arguments.Outcome.Exception?.Message}); trying again in {arguments.RetryDelay.TotalSeconds:0.#} s (attempt {arguments.AttemptNumber + 2} of {MaxAttempts}).");
                return default;
            },
        }).Build();

        var carrier = image.Repository.WithTag(TagRelease.Carrier(image.Tags, versionTag));
        string digest;
        // The deadline moves on with every sign of progress: a push that stalls stops, one that moves goes on.
        // Progress is a layer done, or more of one sent than any attempt before sent (each retry starts again at 0).
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stalled.CancelAfter(StallTimeout);
        var done = new HashSet<string>();
        var most = new Dictionary<string, long>();
        void Progress(string layer, long sent, bool finished)
        {
            if ((finished && done.Add(layer)) || sent > most.GetValueOrDefault(layer))
            {
                most[layer] = Math.Max(sent, most.GetValueOrDefault(layer));
                stalled.CancelAfter(StallTimeout);
            }
        }
        try
        {
            digest = await retry.ExecuteAsync(async token => await context.Engine.PushAsync(carrier, credentials, context.Log, token, Progress), stalled.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ContainerException(
                $"Pushing {carrier} to {registry} made no progress for {StallTimeout.TotalSeconds:0} s{(lastError is null ? "" : $" (last: {lastError})")}, so it was stopped. " +
                $"{await client.DiagnoseUploadAsync(path, CancellationToken.None)} (The time a push may stall is the push's StallTimeout, --push-timeout.)");
        }
        catch (PushException e)
        {
            throw new ContainerException(
                $"Pushing {carrier} to {registry} failed{(e.Transient ? $" after {MaxAttempts} attempts" : "")}: {e.Message}. " +
                (e.Transient ? await client.DiagnoseUploadAsync(path, CancellationToken.None) : e.Hint(registry)), e);
        }
        if (!IsImage(await client.GetManifestAsync(path, digest, cancellationToken), imageId))
            throw new ContainerException($"{carrier}@{digest[..19]} is not the image this run built ({imageId[..19]}): another run moved the tag {carrier.Tag} while this one pushed. Push again.");
        context.Log($"Pushed {carrier}: {digest}");
        return new PushResult { Image = image with { Digest = digest }, Digest = digest, Registry = registry, Tags = [carrier.Tag!], Credentials = credentials };
    }
}

/// <summary>What the push step did.</summary>
public sealed record PushResult : StepResult
{
    /// <summary>The digest every tag points at.</summary>
    public required string Digest { get; init; }

    /// <summary>The registry it went to.</summary>
    public required string Registry { get; init; }

    /// <summary>The tags it wrote (the one it pushed under; the tag step writes the others).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// The credentials it pushed with (given, or the docker config's), for the tag step after it; never reported.
    internal RegistryCredentials? Credentials { get; init; }

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) => [Reporting.ReportSections.Digest.With(Digest), Reporting.ReportSections.PushedTags.With(Tags)];
}

/// <summary>A push the engine failed; <see cref="Transient"/> when trying again may help.</summary>
public sealed class PushException(string message, bool transient) : ContainerException(message)
{
    /// <summary>True for passing failures (connection refused or reset, timeouts, 5xx); never for 401, 403, 404 or bad names.</summary>
    public bool Transient { get; } = transient;

    /// <summary>What to check, by the kind of failure.</summary>
    public string Hint(string registry) =>
        Message.Contains("unauthorized", StringComparison.OrdinalIgnoreCase) || Message.Contains("authentication required", StringComparison.OrdinalIgnoreCase)
            ? $"Check the credentials for {registry}: docker login {registry}, or --registry-username and --registry-password."
        : Message.Contains("denied", StringComparison.OrdinalIgnoreCase) ? $"The credentials may not push to this repository of {registry}."
        : Transient ? $"Check that the registry {registry} runs and is reachable from the engine."
        : "Check the repository name and the registry.";

    internal static bool IsTransient(string message)
    {
        string[] permanent = ["unauthorized", "authentication required", "denied", "not found", "invalid reference", "name unknown", "manifest invalid", "does not exist"];
        return !permanent.Any(p => message.Contains(p, StringComparison.OrdinalIgnoreCase));
    }
}
