using NukeContainers.Images;
using NukeContainers.Registry;

namespace NukeContainers.Pushing;

/// <summary>
/// The push's tag step, added with <see cref="ImagePipeline.Push"/>: once the content is in the registry (and the
/// attestations' index, when there is one), it points every tag of the image at the pushed digest through the
/// registry's API, the version's tags last: the version's own tag, checked just before and just after it is written,
/// then major.minor, major and latest, then the version's own tag once more. Two runs that push one version at once
/// (two commits, two clones) cannot both have it: the one that finds the other's digest there leaves no release tag on
/// its image (it points those it moved at the winner's, as the winner does), names the winner's digest and fails; what
/// it did write is in its result, so report.json names every tag a run moved, also when it failed. (The registry API
/// has no compare-and-set: two runs whose whole release falls between the other's look and write can both pass.)
/// </summary>
public sealed record PushTagsSettings : IPipelineStep
{
    /// <summary>Point the version tag at this image even when it names another one.</summary>
    public bool Force { get; init; }

    string IPipelineStep.Name => StepNames.PushTags;

    IReadOnlyList<string> IPipelineStep.After => [StepNames.Push, StepNames.Attest];

    bool IPipelineStep.NeedsEngine => false;

    async Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var image = context.Image;
        var digest = image.Digest ?? throw new ContainerException($"The tags of {image.Repository} point at the pushed image, and none was pushed: add .Push().");
        var path = image.Repository.Path;
        // The push step's credentials (the given ones, or the docker config's it found: a credential helper is asked once).
        var pushed = context.Results.OfType<PushResult>().LastOrDefault(p => p.Registry == image.Repository.Registry)
            ?? throw new ContainerException($"The tags of {image.Repository} point at what the push step pushed to {image.Repository.Registry}, and it pushed nothing there: add .Push().");
        // This run's own: the digest the tags get, and the image the push step pushed (under the version's own tag
        // when the image has no other, so that tag names this run's image before it names the index).
        string[] ours = [digest, pushed.Digest];
        var client = await context.Registries.ConnectAsync(image.Repository.Registry, pushed.Credentials, cancellationToken: cancellationToken);
        var manifest = await client.GetManifestAsync(path, digest, cancellationToken);
        var versionTag = image.Tags.Contains(image.VersionTag ?? "") ? image.VersionTag : null;
        var release = image.Tags.Where(t => TagRelease.IsRelease(t, versionTag)).ToList();
        var written = new List<string>();
        PushTagsResult Result() => new() { Image = image, Digest = digest, Tags = [.. written] };

        // Before anything is written: a version another image has already is the end of this run's push.
        if (versionTag is not null) await CheckVersionAsync(client, image.Repository, versionTag, ours, "before any tag is written", Result, cancellationToken);
        foreach (var tag in image.Tags.Except(release))
        {
            await client.PutManifestAsync(path, tag, manifest, cancellationToken);
            written.Add(tag);
        }
        if (versionTag is not null)
        {
            await CheckVersionAsync(client, image.Repository, versionTag, ours, "just before it was written", Result, cancellationToken);
            await client.PutManifestAsync(path, versionTag, manifest, cancellationToken);
            written.Add(versionTag);
            await CheckVersionAsync(client, image.Repository, versionTag, [digest], "just after it was written", Result, cancellationToken);
        }
        var moving = release.Where(t => t != versionTag).ToList();
        foreach (var tag in moving)
        {
            await client.PutManifestAsync(path, tag, manifest, cancellationToken);
            written.Add(tag);
        }
        if (versionTag is not null && !Force && await client.DigestAsync(path, versionTag, cancellationToken) is { } now && now != digest)
        {
            // Another run wrote the version after this one looked. That run points these tags at its image too, so
            // this one points them there as well: in whatever order the two runs' writes land, they end on the winner.
            var winner = await client.GetManifestAsync(path, now, cancellationToken);
            foreach (var tag in moving)
            {
                await client.PutManifestAsync(path, tag, winner, cancellationToken);
                written.Remove(tag);
            }
            written.Remove(versionTag);
            throw Lost(image.Repository, versionTag, now, "after the release tags were written", Result());
        }
        context.Log($"{string.Join(", ", written)} name {image.Repository.Repository}@{digest}");
        return Result();
    }

    /// Fails unless the version tag is missing or names one of this run's digests (or the push is forced).
    private async Task CheckVersionAsync(RegistryClient client, ImageReference repository, string versionTag, IReadOnlyList<string> ours, string when,
        Func<PushTagsResult> result, CancellationToken cancellationToken)
    {
        if (Force || await client.DigestAsync(repository.Path, versionTag, cancellationToken) is not { } existing || ours.Contains(existing)) return;
        throw Lost(repository, versionTag, existing, when, result());
    }

    private static TagConflictException Lost(ImageReference repository, string versionTag, string winner, string when, PushTagsResult result) =>
        new($"{repository.Repository}:{versionTag} names another image, {winner}, {when}: another run pushed that version first, and versions are " +
            $"immutable, so this run moved no release tag{(result.Tags.Count == 0 ? "" : $" (it pointed {string.Join(", ", result.Tags)} at {result.Digest[..19]})")}. " +
            "Give this build a new version, or push with --force-tags to replace it.", result);
}

/// <summary>What the push's tag step wrote: each tag now names <see cref="Digest"/>.</summary>
public sealed record PushTagsResult : StepResult
{
    /// <summary>The digest the tags name.</summary>
    public required string Digest { get; init; }

    /// <summary>The tags written, in the order they were.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) =>
        [Reporting.ReportSections.PushedTags.With(all.Step<PushResult>()?.Tags.Union(Tags).ToList() ?? Tags)];
}

/// <summary>A version tag that another run pushed first; the step's result says which tags this run did write.</summary>
public sealed class TagConflictException(string message, PushTagsResult result) : ContainerException(message), IStepFailure
{
    /// <inheritdoc />
    public StepResult Result { get; } = result;
}

/// <summary>Which of an image's tags are its release's, written last, and which one its content is pushed under.</summary>
public static class TagRelease
{
    /// <summary>
    /// The tag the push step pushes the content under: one this run owns, the commit's <c>sha-</c> tag, else the first
    /// that is no release tag (the branch, the environment); the version's own tag only when there is no other.
    /// </summary>
    public static string Carrier(TagSet tags, string? versionTag) =>
        tags.FirstOrDefault(t => t.StartsWith("sha-", StringComparison.Ordinal)) ?? tags.FirstOrDefault(t => !IsRelease(t, versionTag)) ?? tags.First();

    /// <summary>True for the version's own tag and the tags that move from release to release: <c>1.2</c>, <c>1</c>, <c>latest</c>.</summary>
    public static bool IsRelease(string tag, string? versionTag) =>
        tag == versionTag || tag == "latest" || Tagging.EnvironmentName.LooksLikeVersion(tag);
}
