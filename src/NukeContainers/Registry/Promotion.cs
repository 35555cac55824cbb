using NukeContainers.Images;

namespace NukeContainers.Registry;

/// <summary>What a promotion did.</summary>
/// <param name="From">The reference promoted from.</param>
/// <param name="To">The tag it now also has.</param>
/// <param name="Digest">The digest both name, unchanged.</param>
/// <param name="MountedBlobs">How many blobs were mounted from the source repository (none within one repository).</param>
public sealed record PromotionResult(ImageReference From, ImageReference To, string Digest, int MountedBlobs);

/// <summary>
/// Points a tag at an image already pushed, through the registry's API alone: the manifest (or index) fetched by tag
/// or digest is put under the new tag byte for byte, so its digest is the same, and no layer is pulled or uploaded;
/// into another repository of the same registry, its blobs are mounted first.
/// </summary>
public static class Promotion
{
    /// <summary>Promotes <paramref name="from"/> (a tag or digest reference) to <paramref name="to"/> (a tag reference).</summary>
    /// <remarks>
    /// A version tag (<see cref="Tagging.EnvironmentName.LooksLikeVersion"/>) that already names another image is not
    /// moved, as the push step refuses it, unless <paramref name="force"/>.
    /// </remarks>
    public static async Task<PromotionResult> PromoteAsync(ImageReference from, ImageReference to, RegistryCredentials? credentials = null,
        Action<string>? log = null, CancellationToken cancellationToken = default, bool force = false)
    {
        if (from.Tag is null && from.Digest is null) throw new ContainerException($"Promoting {from}: name the tag or digest to promote, such as {from.Repository}:staging.");
        if (to.Tag is null) throw new ContainerException($"Promoting to {to}: name the tag to point, such as {to.Repository}:production.");
        if (from.Registry != to.Registry)
            throw new ContainerException($"{from} and {to} are in different registries; promotion points a tag within one registry. Push to {to.Registry} instead.");
        using var client = await RegistryClient.ConnectAsync(from.Registry, credentials, cancellationToken: cancellationToken);
        if (from.Digest is null && await client.DigestAsync(from.Path, from.Tag!, cancellationToken) is null)
        {
            var tags = await client.TagsAsync(from.Path, cancellationToken);
            throw new ContainerException($"{from} does not exist: {from.Registry}/{from.Path} has no tag '{from.Tag}' " +
                                         $"({(tags.Count == 0 ? "the repository has no tags" : $"its tags: {string.Join(", ", tags.Order(StringComparer.Ordinal).Take(20))}")}). Check --from.");
        }
        var manifest = await client.GetManifestAsync(from.Path, from.Digest ?? from.Tag!, cancellationToken);
        if (Tagging.EnvironmentName.LooksLikeVersion(to.Tag) && !force
            && await client.DigestAsync(to.Path, to.Tag, cancellationToken) is { } existing && existing != manifest.Digest)
            throw new ContainerException($"{to} already names another image ({existing[..19]}), and version tags are immutable: " +
                                         "promote to an environment's tag (such as production), or pass --force-tags to replace it.");
        var mounted = 0;
        if (from.Path != to.Path)
        {
            var children = manifest.Children;
            foreach (var child in children)
                mounted += await MountAsync(client, await client.GetManifestAsync(from.Path, child, cancellationToken), from.Path, to.Path, cancellationToken);
            mounted += await MountAsync(client, manifest, from.Path, to.Path, cancellationToken);
            foreach (var child in children)
                await client.PutManifestAsync(to.Path, child, await client.GetManifestAsync(from.Path, child, cancellationToken), cancellationToken);
        }
        await client.PutManifestAsync(to.Path, to.Tag, manifest, cancellationToken);
        var now = await client.DigestAsync(to.Path, to.Tag, cancellationToken);
        if (now != manifest.Digest)
            throw new ContainerException($"After promoting, {to} names {now}, not {manifest.Digest}: another run moved it at the same moment. Promote again.");
        log?.Invoke($"Promoted {from} to {to}: {manifest.Digest}{(mounted > 0 ? $" ({mounted} blobs mounted from {from.Path})" : "")}");
        return new PromotionResult(from, to, manifest.Digest, mounted);
    }

    private static async Task<int> MountAsync(RegistryClient client, RegistryManifest manifest, string from, string to, CancellationToken cancellationToken)
    {
        var mounted = 0;
        foreach (var blob in manifest.Blobs)
        {
            if (await client.BlobExistsAsync(to, blob, cancellationToken)) continue;
            if (!await client.MountBlobAsync(to, blob, from, cancellationToken))
                throw new ContainerException($"The registry {client.Registry} would not mount {blob} from {from} into {to}; promoting across repositories needs a registry that mounts blobs.");
            mounted++;
        }
        return mounted;
    }
}
