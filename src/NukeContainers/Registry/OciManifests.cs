using System.Text;
using System.Text.Json.Nodes;

namespace NukeContainers.Registry;

/// <summary>
/// OCI manifests the product writes itself (signatures, attestations, indexes): their media types, descriptors, and
/// the put of a manifest of small blobs, each uploaded unless the repository has it.
/// </summary>
public static class OciManifests
{
    /// <summary>An OCI image manifest.</summary>
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>An OCI image index.</summary>
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";

    /// <summary>An OCI image config.</summary>
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";

    /// <summary>A descriptor of content: its media type, size and digest, with annotations and a platform when given.</summary>
    public static JsonObject Descriptor(string mediaType, byte[] content, IReadOnlyDictionary<string, string>? annotations = null, JsonObject? platform = null) =>
        Descriptor(mediaType, RegistryClient.Digest(content), content.Length, annotations, platform);

    /// <summary>A descriptor of content known by its digest and size.</summary>
    public static JsonObject Descriptor(string mediaType, string digest, long size, IReadOnlyDictionary<string, string>? annotations = null, JsonObject? platform = null)
    {
        var descriptor = new JsonObject { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };
        if (annotations is { Count: > 0 }) descriptor["annotations"] = new JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value)));
        if (platform is not null) descriptor["platform"] = platform;
        return descriptor;
    }

    /// <summary>
    /// Uploads <paramref name="blobs"/> (the layers' contents, those the repository lacks) and the config, then puts the
    /// image manifest of the config and <paramref name="layers"/> under <paramref name="reference"/>: a tag, or null for its
    /// own digest. The manifest's bytes are the ones put, so its digest is the one returned.
    /// </summary>
    public static async Task<RegistryManifest> PutImageManifestAsync(RegistryClient registry, string repository, byte[] config, IEnumerable<JsonObject> layers,
        IEnumerable<byte[]> blobs, string? reference, CancellationToken cancellationToken)
    {
        foreach (var blob in blobs) await registry.PutBlobAsync(repository, blob, cancellationToken);
        await registry.PutBlobAsync(repository, config, cancellationToken);
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = ImageManifest,
            ["config"] = Descriptor(ImageConfig, config),
            ["layers"] = new JsonArray([.. layers.Select(l => l.DeepClone())]),
        }.ToJsonString());
        return await PutAsync(registry, repository, body, ImageManifest, reference, cancellationToken);
    }

    /// <summary>Puts an index of the descriptors under <paramref name="reference"/> (a tag, or null for its own digest).</summary>
    public static Task<RegistryManifest> PutIndexAsync(RegistryClient registry, string repository, IEnumerable<JsonObject> manifests, string? reference,
        CancellationToken cancellationToken) =>
        PutAsync(registry, repository, Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = ImageIndex, ["manifests"] = new JsonArray([.. manifests.Select(m => m.DeepClone())]),
        }.ToJsonString()), ImageIndex, reference, cancellationToken);

    private static async Task<RegistryManifest> PutAsync(RegistryClient registry, string repository, byte[] body, string mediaType, string? reference, CancellationToken cancellationToken)
    {
        var manifest = new RegistryManifest(body, mediaType, RegistryClient.Digest(body));
        await registry.PutManifestAsync(repository, reference ?? manifest.Digest, manifest, cancellationToken);
        return manifest;
    }
}
