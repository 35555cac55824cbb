using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NukeContainers.Registry;

namespace NukeContainers.Signing;

/// <summary>
/// Signatures of pushed images in cosign's layout, so that <c>cosign verify</c> checks ours and we check cosign's: the
/// tag <c>sha256-HEX.sig</c> beside the image names an OCI manifest whose layers are "simple signing" payloads (the
/// image's repository and digest), each with its base64 ECDSA signature in the annotation
/// <c>dev.cosignproject.cosign/signature</c>. No transparency log entry is made (cosign's <c>--tlog-upload=false</c>;
/// verify with <c>--insecure-ignore-tlog</c>). A new signature is added beside those already there, never over them.
/// </summary>
public static class CosignSignatures
{
    /// <summary>The media type of a signature layer.</summary>
    public const string PayloadType = "application/vnd.dev.cosign.simplesigning.v1+json";

    /// <summary>The annotation that holds a layer's signature.</summary>
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";

    /// <summary>The tag that holds the signatures of a digest: <c>sha256-HEX.sig</c>.</summary>
    public static string SignatureTag(string digest) => digest.Replace(':', '-') + ".sig";

    /// <summary>The payload cosign signs for an image: its repository (without tag) and manifest digest.</summary>
    public static byte[] Payload(string dockerReference, string digest) => Encoding.UTF8.GetBytes(
        new JsonObject
        {
            ["critical"] = new JsonObject
            {
                ["identity"] = new JsonObject { ["docker-reference"] = dockerReference },
                ["image"] = new JsonObject { ["docker-manifest-digest"] = digest },
                ["type"] = "cosign container image signature",
            },
            ["optional"] = null,
        }.ToJsonString());

    /// <summary>
    /// Signs the image <paramref name="digest"/> of the repository with the key, unless a signature of this key for it is
    /// there already (signing again would only add a second one: ECDSA signatures differ each time).
    /// </summary>
    public static async Task<SignatureResult> SignAsync(RegistryClient registry, string repository, string dockerReference, string digest, SigningKey key,
        CancellationToken cancellationToken = default)
    {
        var tag = SignatureTag(digest);
        // A signature of nothing would be a tag that names no image: cosign refuses too.
        if (await registry.DigestAsync(repository, digest, cancellationToken) is null)
            throw new ContainerException($"{registry.Registry}/{repository} has no image {digest} to sign: push it first (or check --registry).");
        using var verification = key.VerificationKey;
        // The signature manifest is read once: what it holds is checked, and kept beside the new signature.
        var (existingDigest, existingLayers) = await ExistingLayersAsync(registry, repository, tag, cancellationToken);
        if ((await SignaturesInAsync(registry, repository, existingLayers, cancellationToken)).Any(s => s.Verifies(verification, digest)))
            return new SignatureResult(tag, existingDigest!, verification.Fingerprint, Added: false);

        var payload = Payload(dockerReference, digest);
        var signature = Convert.ToBase64String(key.Sign(payload));
        var layers = existingLayers ?? [];
        layers.Add(OciManifests.Descriptor(PayloadType, payload, new Dictionary<string, string> { [SignatureAnnotation] = signature }));
        // The config cosign writes: no platform, one diff id a layer (a payload is its own uncompressed form).
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "", ["created"] = "0001-01-01T00:00:00Z", ["history"] = new JsonArray(new JsonObject { ["created"] = "0001-01-01T00:00:00Z" }),
            ["os"] = "", ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray([.. layers.Select(l => (JsonNode?)l!["digest"]!.GetValue<string>())]) },
            ["config"] = new JsonObject(),
        }.ToJsonString());
        var manifest = await OciManifests.PutImageManifestAsync(registry, repository, config, layers.Select(l => l!.AsObject()), [payload], tag, cancellationToken);
        var manifestDigest = manifest.Digest;
        return new SignatureResult(tag, manifestDigest, verification.Fingerprint, Added: true);
    }

    /// <summary>The signatures the registry holds for the image digest (none when it has no signature tag).</summary>
    public static async Task<IReadOnlyList<StoredSignature>> ReadAsync(RegistryClient registry, string repository, string digest, CancellationToken cancellationToken = default) =>
        await SignaturesInAsync(registry, repository, (await ExistingLayersAsync(registry, repository, SignatureTag(digest), cancellationToken)).Layers, cancellationToken);

    /// The signatures of a signature manifest's layers (their payloads fetched).
    private static async Task<IReadOnlyList<StoredSignature>> SignaturesInAsync(RegistryClient registry, string repository, List<JsonNode?>? layers, CancellationToken cancellationToken)
    {
        if (layers is null) return [];
        var signatures = new List<StoredSignature>();
        foreach (var layer in layers)
        {
            if (layer?["mediaType"]?.GetValue<string>() != PayloadType || layer["annotations"]?[SignatureAnnotation]?.GetValue<string>() is not { } encoded) continue;
            byte[] signature;
            try { signature = Convert.FromBase64String(encoded); }
            catch (FormatException) { continue; }
            signatures.Add(new StoredSignature(await registry.GetBlobAsync(repository, layer["digest"]!.GetValue<string>(), cancellationToken), signature));
        }
        return signatures;
    }

    /// <summary>
    /// Whether the image digest has a signature the key verifies, whose payload names that digest; the reason when not,
    /// in words for an error message.
    /// </summary>
    public static async Task<(bool Verified, string Reason)> VerifyAsync(RegistryClient registry, string repository, string digest, VerificationKey key,
        CancellationToken cancellationToken = default)
    {
        var signatures = await ReadAsync(registry, repository, digest, cancellationToken);
        if (signatures.Count == 0) return (false, $"it has no signature ({registry.Registry}/{repository}:{SignatureTag(digest)} does not exist)");
        return signatures.Any(s => s.Verifies(key, digest)) ? (true, "")
            : (false, $"none of its {signatures.Count} signature(s) is by {key}");
    }

    /// The digest and layers of the signature manifest under the tag, or nulls when there is none.
    private static async Task<(string? Digest, List<JsonNode?>? Layers)> ExistingLayersAsync(RegistryClient registry, string repository, string tag, CancellationToken cancellationToken)
    {
        if (await registry.DigestAsync(repository, tag, cancellationToken) is null) return (null, null);
        var manifest = await registry.GetManifestAsync(repository, tag, cancellationToken);
        return (manifest.Digest, JsonNode.Parse(manifest.Body)?["layers"]?.AsArray().Select(l => l?.DeepClone()).ToList() ?? []);
    }
}

/// <summary>A signature as stored: the payload signed and the signature over it.</summary>
public sealed record StoredSignature(byte[] Payload, byte[] Signature)
{
    /// <summary>True when the key signed the payload and the payload is cosign's claim about this very digest.</summary>
    public bool Verifies(VerificationKey key, string digest)
    {
        if (!key.Verify(Payload, Signature)) return false;
        try
        {
            using var json = JsonDocument.Parse(Payload);
            var critical = json.RootElement.GetProperty("critical");
            return critical.GetProperty("type").GetString() == "cosign container image signature"
                   && critical.GetProperty("image").GetProperty("docker-manifest-digest").GetString() == digest;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>What signing did: the signature tag, the digest of its manifest, the key's fingerprint, and whether a signature was added (false: this key had signed it already).</summary>
public sealed record SignatureResult(string Tag, string ManifestDigest, string KeyFingerprint, bool Added);
