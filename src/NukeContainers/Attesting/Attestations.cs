using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NukeContainers.Images;
using NukeContainers.Registry;

namespace NukeContainers.Attesting;

/// <summary>A thing the build was made from, for provenance: a base image (its package URL and digest).</summary>
/// <param name="Uri">Such as <c>pkg:docker/debian@bookworm?platform=linux%2Famd64</c>.</param>
/// <param name="Digest">Its <c>sha256:...</c> digest.</param>
public sealed record Material(string Uri, string Digest);

/// <summary>What the provenance of a build says: who built it, from what, with which parameters.</summary>
public sealed record ProvenanceFacts
{
    /// <summary>The builder's id: the CI run's address, or empty for a build on a developer's machine (as BuildKit writes it).</summary>
    public string BuilderId { get; init; } = "";

    /// <summary>The build's type: BuildKit's own for a BuildKit build, whose parameters it follows.</summary>
    public string BuildType { get; init; } = Attestations.BuildKitBuildType;

    /// <summary>An id of this build invocation (the CI run's), if there is one.</summary>
    public string? InvocationId { get; init; }

    /// <summary>The source repository's address (the image's <c>org.opencontainers.image.source</c>).</summary>
    public string? SourceUri { get; init; }

    /// <summary>The commit built (its <c>org.opencontainers.image.revision</c>).</summary>
    public string? Revision { get; init; }

    /// <summary>True when the image was built from a tree with uncommitted changes (its dirty label): not the revision alone.</summary>
    public bool Dirty { get; init; }

    /// <summary>The Dockerfile, relative to the build context.</summary>
    public string? Dockerfile { get; init; }

    /// <summary>The stage built.</summary>
    public string? Target { get; init; }

    /// <summary>The build arguments, those that look like credentials masked.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    /// <summary>The base images.</summary>
    public IReadOnlyList<Material> Materials { get; init; } = [];
}

/// <summary>An image manifest of the pushed image and what it is for: its descriptor (with the platform) and its config.</summary>
/// <param name="Descriptor">Its descriptor in the index.</param>
/// <param name="Platform">Such as <c>linux/amd64</c> or <c>linux/arm64/v8</c>.</param>
/// <param name="Config">Its config as the registry holds it.</param>
public sealed record PlatformImage(JsonObject Descriptor, string Platform, JsonObject Config)
{
    /// <summary>The manifest's digest.</summary>
    public string Digest => Descriptor["digest"]!.GetValue<string>();

    /// <summary>A label of the image's config, if it has it.</summary>
    public string? Label(string name) => Config["config"]?["Labels"]?[name]?.GetValue<string>();
}

/// <summary>An attestation as the registry holds it: its predicate type, the manifest it is about, and the in-toto statement.</summary>
public sealed record StoredAttestation(string PredicateType, string SubjectDigest, JsonObject Statement)
{
    /// <summary>The statement's predicate.</summary>
    public JsonNode? Predicate => Statement["predicate"];
}

/// <summary>What attaching attestations made: the index the tags name now, and each attestation manifest.</summary>
public sealed record AttachResult(string IndexDigest, IReadOnlyList<string> AttestationManifests, IReadOnlyList<string> PredicateTypes);

/// <summary>
/// Attestations in BuildKit's layout (what <c>docker buildx build --provenance --sbom</c> pushes and
/// <c>docker buildx imagetools inspect</c> reads): the tags name an OCI index of the image manifest and, beside it, an
/// attestation manifest (platform <c>unknown/unknown</c>, annotations <c>vnd.docker.reference.type: attestation-manifest</c>
/// and <c>vnd.docker.reference.digest</c>: the image it is about) whose layers are in-toto statements: SLSA provenance
/// v0.2, and the SBOM as CycloneDX and as SPDX (imagetools shows SPDX).
/// </summary>
public static class Attestations
{
    /// <summary>The media type of an in-toto statement layer.</summary>
    public const string InTotoLayer = "application/vnd.in-toto+json";

    /// <summary>The annotation of a layer that names its predicate type.</summary>
    public const string PredicateTypeAnnotation = "in-toto.io/predicate-type";

    /// <summary>SLSA provenance v0.2, as BuildKit writes it.</summary>
    public const string SlsaProvenance = "https://slsa.dev/provenance/v0.2";

    /// <summary>A CycloneDX SBOM.</summary>
    public const string CycloneDxBom = "https://cyclonedx.org/bom";

    /// <summary>An SPDX document (what BuildKit's SBOMs are, and what imagetools' <c>.SBOM</c> reads).</summary>
    public const string SpdxDocument = "https://spdx.dev/Document";

    /// <summary>The annotation naming the manifest an attestation manifest is about.</summary>
    public const string ReferenceDigest = "vnd.docker.reference.digest";

    /// <summary>The annotation that says a manifest of an index is an attestation manifest.</summary>
    public const string ReferenceType = "vnd.docker.reference.type";

    /// <summary>BuildKit's build type.</summary>
    public const string BuildKitBuildType = "https://mobyproject.org/buildkit@v1";

    /// <summary>The legacy builder's build type (not BuildKit's: it has no frontend).</summary>
    public const string LegacyBuildType = "https://github.com/nukecontainers/legacy-builder@v1";

    private const string Statement01 = "https://in-toto.io/Statement/v0.1";

    /// <summary>An in-toto statement about the image manifest.</summary>
    public static JsonObject Statement(string predicateType, string subjectName, string subjectDigest, JsonNode predicate) => new()
    {
        ["_type"] = Statement01,
        ["predicateType"] = predicateType,
        ["subject"] = new JsonArray(new JsonObject
        {
            ["name"] = subjectName,
            ["digest"] = new JsonObject { ["sha256"] = subjectDigest.Replace("sha256:", "", StringComparison.Ordinal) },
        }),
        ["predicate"] = predicate,
    };

    /// <summary>The subject's name as BuildKit writes it: <c>pkg:docker/127.0.0.1%3A5000/team/app@1.2.0?platform=linux%2Famd64</c>.</summary>
    public static string SubjectName(ImageReference repository, string? tag, string platform) =>
        $"pkg:docker/{EscapePath(repository.Repository)}@{tag ?? "latest"}?platform={Uri.EscapeDataString(platform)}";

    /// <summary>A base image's package URL: <c>pkg:docker/debian@bookworm?platform=linux%2Famd64</c> (Docker Hub's names short, as BuildKit writes them).</summary>
    public static string MaterialUri(ImageReference image, string platform)
    {
        var name = image.Repository;
        if (image.Registry == "docker.io")
            foreach (var prefix in new[] { "docker.io/", "index.docker.io/", "library/" })
                if (name.StartsWith(prefix, StringComparison.Ordinal)) name = name[prefix.Length..];
        return $"pkg:docker/{EscapePath(name)}@{image.Tag ?? image.Digest ?? "latest"}?platform={Uri.EscapeDataString(platform)}";
    }

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>SLSA provenance v0.2 in BuildKit's shape (its <c>mode=min</c>: no build steps), for one platform.</summary>
    public static JsonObject Provenance(ProvenanceFacts facts, string platform)
    {
        var args = new JsonObject();
        foreach (var (name, value) in facts.BuildArgs.OrderBy(a => a.Key, StringComparer.Ordinal)) args["build-arg:" + name] = value;
        if (facts.Target is not null) args["target"] = facts.Target;
        var configSource = new JsonObject();
        if (facts.SourceUri is not null) configSource["uri"] = facts.SourceUri;
        if (facts.Revision is not null) configSource["digest"] = new JsonObject { ["sha1"] = facts.Revision };
        configSource["entryPoint"] = facts.Dockerfile ?? "Dockerfile";
        var materials = facts.Materials.Select(m => (JsonNode)new JsonObject
        {
            ["uri"] = m.Uri, ["digest"] = new JsonObject { ["sha256"] = m.Digest.Replace("sha256:", "", StringComparison.Ordinal) },
        }).ToList();
        if (facts.SourceUri is not null && facts.Revision is not null)
            materials.Add(new JsonObject { ["uri"] = facts.SourceUri, ["digest"] = new JsonObject { ["sha1"] = facts.Revision } });
        var metadata = new JsonObject();
        if (facts.InvocationId is not null) metadata["buildInvocationID"] = facts.InvocationId;
        // Not every parameter is recorded (build secrets and SSH agents are not; credential-like arguments are masked), as
        // BuildKit's mode=min says of its own.
        metadata["completeness"] = new JsonObject { ["parameters"] = false, ["environment"] = true, ["materials"] = false };
        metadata["reproducible"] = false;
        return new JsonObject
        {
            ["builder"] = new JsonObject { ["id"] = facts.BuilderId },
            ["buildType"] = facts.BuildType,
            ["materials"] = new JsonArray([.. materials]),
            ["invocation"] = new JsonObject
            {
                ["configSource"] = configSource,
                ["parameters"] = new JsonObject
                {
                    ["frontend"] = "dockerfile.v0",
                    ["args"] = args,
                    ["locals"] = new JsonArray(new JsonObject { ["name"] = "context" }, new JsonObject { ["name"] = "dockerfile" }),
                },
                ["environment"] = facts.Dirty ? new JsonObject { ["platform"] = platform, ["dirty"] = true } : new JsonObject { ["platform"] = platform },
            },
            ["metadata"] = metadata,
        };
    }

    /// <summary>
    /// The SBOM as an SPDX 2.3 document (its packages from the CycloneDX SBOM's components, each with its purl), so that
    /// tools that read BuildKit's SBOMs (imagetools, Scout) read ours. The same SBOM gives the same document.
    /// </summary>
    public static JsonObject Spdx(JsonNode cycloneDx, string name, DateTimeOffset created)
    {
        var components = (cycloneDx["components"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var serial = cycloneDx["serialNumber"]?.GetValue<string>() ?? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cycloneDx.ToJsonString())));
        var packages = components.Select((c, i) =>
        {
            var package = new JsonObject
            {
                ["name"] = c["name"]?.GetValue<string>() ?? "unknown",
                ["SPDXID"] = $"SPDXRef-Package-{i + 1}",
                ["versionInfo"] = c["version"]?.GetValue<string>(),
                ["downloadLocation"] = "NOASSERTION",
                ["filesAnalyzed"] = false,
            };
            if (c["purl"]?.GetValue<string>() is { } purl)
                package["externalRefs"] = new JsonArray(new JsonObject { ["referenceCategory"] = "PACKAGE-MANAGER", ["referenceType"] = "purl", ["referenceLocator"] = purl });
            return (JsonNode)package;
        }).ToList();
        return new JsonObject
        {
            ["spdxVersion"] = "SPDX-2.3",
            ["dataLicense"] = "CC0-1.0",
            ["SPDXID"] = "SPDXRef-DOCUMENT",
            ["name"] = name,
            ["documentNamespace"] = $"https://nukecontainers.dev/spdx/{Uri.EscapeDataString(name)}/{serial.Replace("urn:uuid:", "", StringComparison.Ordinal)}",
            ["creationInfo"] = new JsonObject
            {
                ["created"] = created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                ["creators"] = new JsonArray("Tool: NukeContainers"),
            },
            ["packages"] = new JsonArray([.. packages]),
            ["relationships"] = new JsonArray([.. packages.Select(p => (JsonNode)new JsonObject
            {
                ["spdxElementId"] = "SPDXRef-DOCUMENT", ["relationshipType"] = "DESCRIBES", ["relatedSpdxElement"] = p!["SPDXID"]!.GetValue<string>(),
            })]),
        };
    }

    /// <summary>
    /// The image manifests of what was pushed: the manifest itself, or an index's manifests but its attestation manifests;
    /// each with its platform and config.
    /// </summary>
    public static async Task<IReadOnlyList<PlatformImage>> PlatformImagesAsync(RegistryClient registry, string repository, RegistryManifest pushed, CancellationToken cancellationToken)
    {
        var images = new List<PlatformImage>();
        var root = JsonNode.Parse(pushed.Body)!;
        if (root["manifests"] is JsonArray manifests)
        {
            var platformImages = pushed.PlatformChildren;
            foreach (var descriptor in manifests.OfType<JsonObject>().Where(m => platformImages.Contains(m["digest"]?.GetValue<string>())))
            {
                var manifest = await registry.GetManifestAsync(repository, descriptor["digest"]!.GetValue<string>(), cancellationToken);
                images.Add(await PlatformImageAsync(registry, repository, manifest, descriptor.DeepClone().AsObject(), cancellationToken));
            }
            return images;
        }
        return [await PlatformImageAsync(registry, repository, pushed, OciManifests.Descriptor(pushed.MediaType, pushed.Body), cancellationToken)];
    }

    private static async Task<PlatformImage> PlatformImageAsync(RegistryClient registry, string repository, RegistryManifest manifest, JsonObject descriptor, CancellationToken cancellationToken)
    {
        var configDigest = manifest.ConfigDigest ?? throw new ContainerException($"{registry.Registry}/{repository}@{manifest.Digest} is not an image manifest (it has no config).");
        var config = JsonNode.Parse(await registry.GetBlobAsync(repository, configDigest, cancellationToken))!.AsObject();
        var os = config["os"]?.GetValue<string>() ?? "linux";
        var architecture = config["architecture"]?.GetValue<string>() ?? "amd64";
        var variant = config["variant"]?.GetValue<string>();
        if (descriptor["platform"] is null)
        {
            var platform = new JsonObject { ["architecture"] = architecture, ["os"] = os };
            if (variant is not null) platform["variant"] = variant;
            descriptor["platform"] = platform;
        }
        return new PlatformImage(descriptor, $"{os}/{architecture}{(variant is null ? "" : "/" + variant)}", config);
    }

    /// <summary>True when an index's descriptor is an attestation manifest.</summary>
    public static bool IsAttestation(JsonObject descriptor) => descriptor["annotations"]?[ReferenceType]?.GetValue<string>() == AttestationManifest;

    /// <summary>The <see cref="ReferenceType"/> of an attestation manifest.</summary>
    public const string AttestationManifest = "attestation-manifest";

    /// <summary>
    /// Puts an attestation manifest for each image (its statements as layers) and an index of the images and their
    /// attestations under each tag. Attestations that were in a pushed index for those images are replaced. The same
    /// images and statements give the same index, so attaching again changes no digest.
    /// </summary>
    public static async Task<AttachResult> AttachAsync(RegistryClient registry, string repository, IReadOnlyList<PlatformImage> images,
        Func<PlatformImage, IReadOnlyList<(string PredicateType, JsonObject Statement)>> statements, CancellationToken cancellationToken)
    {
        var entries = new List<JsonObject>();
        var attestationManifests = new List<string>();
        var predicateTypes = new List<string>();
        foreach (var image in images)
        {
            entries.Add(image.Descriptor.DeepClone().AsObject());
            var made = statements(image);
            if (made.Count == 0) continue;
            var blobs = made.Select(s => Encoding.UTF8.GetBytes(s.Statement.ToJsonString())).ToList();
            var layers = made.Select((s, i) => OciManifests.Descriptor(InTotoLayer, blobs[i], new Dictionary<string, string> { [PredicateTypeAnnotation] = s.PredicateType })).ToList();
            // BuildKit's config of an attestation manifest: no platform, the statements as its layers' diff ids.
            var config = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["architecture"] = "unknown", ["os"] = "unknown", ["config"] = new JsonObject(),
                ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray([.. layers.Select(l => (JsonNode?)l["digest"]!.GetValue<string>())]) },
            }.ToJsonString());
            var manifest = await OciManifests.PutImageManifestAsync(registry, repository, config, layers, blobs, reference: null, cancellationToken);
            entries.Add(OciManifests.Descriptor(manifest.MediaType, manifest.Body,
                new Dictionary<string, string> { [ReferenceDigest] = image.Digest, [ReferenceType] = AttestationManifest },
                new JsonObject { ["architecture"] = "unknown", ["os"] = "unknown" }));
            attestationManifests.Add(manifest.Digest);
            predicateTypes.AddRange(made.Select(s => s.PredicateType).Where(p => !predicateTypes.Contains(p)));
        }
        // By its digest: the tags are pointed at it after (the push's tag step), version tags last.
        var index = await OciManifests.PutIndexAsync(registry, repository, entries, reference: null, cancellationToken);
        return new AttachResult(index.Digest, attestationManifests, predicateTypes);
    }

    /// <summary>The attestations an index names (none for an image manifest), each with its statement fetched.</summary>
    public static async Task<IReadOnlyList<StoredAttestation>> ReadAsync(RegistryClient registry, string repository, string reference, CancellationToken cancellationToken = default)
    {
        var index = JsonNode.Parse((await registry.GetManifestAsync(repository, reference, cancellationToken)).Body)!;
        var found = new List<StoredAttestation>();
        foreach (var descriptor in (index["manifests"] as JsonArray ?? []).OfType<JsonObject>().Where(IsAttestation))
        {
            var subject = descriptor["annotations"]![ReferenceDigest]?.GetValue<string>() ?? "";
            var manifest = JsonNode.Parse((await registry.GetManifestAsync(repository, descriptor["digest"]!.GetValue<string>(), cancellationToken)).Body)!;
            foreach (var layer in (manifest["layers"] as JsonArray ?? []).OfType<JsonObject>().Where(l => l["mediaType"]?.GetValue<string>() == InTotoLayer))
            {
                var statement = JsonNode.Parse(await registry.GetBlobAsync(repository, layer["digest"]!.GetValue<string>(), cancellationToken))!.AsObject();
                found.Add(new StoredAttestation(statement["predicateType"]?.GetValue<string>() ?? "", subject, statement));
            }
        }
        return found;
    }

    /// <summary>The image config's creation time, or the Unix epoch when it has none (so that a document made from it is the same each time).</summary>
    public static DateTimeOffset Created(JsonObject config) =>
        config["created"]?.GetValue<string>() is { } created && DateTimeOffset.TryParse(created, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time : DateTimeOffset.UnixEpoch;
}
