using System.Text.Json.Nodes;
using NukeContainers.Building;
using NukeContainers.Dockerfiles;
using NukeContainers.Engine;
using NukeContainers.Images;
using NukeContainers.Registry;

namespace NukeContainers.Attesting;

/// <summary>
/// The attest step: attaches SLSA provenance and the SBOM to the pushed image as BuildKit does
/// (<see cref="Attestations"/>), so that <c>docker buildx imagetools inspect</c>, Scout and policy tools read them. The
/// tags then name an index of the image and its attestations; the pipeline's digest becomes the index's, which the
/// sign step signs and the rollout deploys. The index is put by its digest; the push's tag step then points the tags
/// at it, so no tag ever names the image without its attestations. The provenance says what the image was built from: the commit and source
/// (the image's OCI labels), the Dockerfile, target and build arguments (those that look like credentials masked),
/// and the base images with their digests. The same image and inputs give the same index.
/// </summary>
public sealed record AttestSettings : IPipelineStep
{
    /// <summary>Attach SLSA provenance.</summary>
    public bool Provenance { get; init; } = true;

    /// <summary>Attach the SBOM (CycloneDX, and the same packages as SPDX), when there is one.</summary>
    public bool Sbom { get; init; } = true;

    /// <summary>A CycloneDX SBOM file to attach; the scan step's when null.</summary>
    public string? SbomFile { get; init; }

    /// <summary>The builder's id in the provenance; the CI run's address (GitHub Actions, GitLab CI) when null, else empty.</summary>
    public string? BuilderId { get; init; }

    /// <summary>Credentials for the registry; the docker config's when null.</summary>
    public RegistryCredentials? Credentials { get; init; }

    string IPipelineStep.Name => StepNames.Attest;

    IReadOnlyList<string> IPipelineStep.After => [StepNames.Push];

    async Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var image = context.Image;
        var digest = image.Digest ?? throw new ContainerException(
            $"The attest step of {image.Repository} attaches to the pushed image, and it has none: add .Push() before .Attest().");
        if (image.Tags.Count == 0) throw new ContainerException($"The attest step of {image.Repository} names its statements by a tag, and the image has no tags: add .Tag(...).");
        var sbomFile = Sbom ? SbomFile ?? context.Results.OfType<Scanning.ScanResult>().LastOrDefault()?.Sbom : null;
        if (sbomFile is not null && !File.Exists(sbomFile))
            throw new ContainerException($"The SBOM to attest to {image.Repository}, {sbomFile}, does not exist: scan the image first (./build.sh ScanImages), or leave the SBOM out.");
        if (Sbom && sbomFile is null) context.Log($"No SBOM to attest for {image.Repository}: add a scan step (.Scan()), which writes one");
        if (!Provenance && sbomFile is null)
            return new AttestResult { Image = image, Manifest = digest, Index = null, PredicateTypes = [] };

        var repository = image.Repository;
        var registry = await context.Registries.ConnectAsync(repository.Registry, Credentials, cancellationToken: cancellationToken);
        var pushed = await registry.GetManifestAsync(repository.Path, digest, cancellationToken);
        var images = await Attestations.PlatformImagesAsync(registry, repository.Path, pushed, cancellationToken);
        var build = image.Build;
        var cycloneDx = sbomFile is null ? null : JsonNode.Parse(await File.ReadAllTextAsync(sbomFile, cancellationToken))
            ?? throw new ContainerException($"The SBOM {sbomFile} is empty.");
        var tag = image.VersionTag ?? image.Tags.First();
        var scanned = images.Count > 1 ? await context.Engine.PlatformAsync(cancellationToken) : null;
        if (scanned is not null && cycloneDx is not null)
            context.Log($"The SBOM goes with the {scanned} image of the index: the scan read the engine's own platform's (the others have provenance only)");
        var materials = new Dictionary<string, IReadOnlyList<Material>>();
        foreach (var platform in images.Select(i => i.Platform).Distinct())
            materials[platform] = build is null ? [] : await MaterialsAsync(context.Engine, build, platform, cancellationToken);

        var attached = await Attestations.AttachAsync(registry, repository.Path, images, platformImage =>
        {
            // Named as the commit that built the image is (its sha- tag, from its revision label), not by this run's
            // tags: an image reused at a later commit gets the same statements, so the same index and digest.
            var subject = Attestations.SubjectName(repository,
                platformImage.Label(ImagePipeline.RevisionLabel) is { Length: >= 7 } revision ? "sha-" + revision[..7] : tag, platformImage.Platform);
            var statements = new List<(string, JsonObject)>();
            if (Provenance)
                statements.Add((Attestations.SlsaProvenance, Attestations.Statement(Attestations.SlsaProvenance, subject, platformImage.Digest,
                    Attestations.Provenance(Facts(platformImage, build, materials[platformImage.Platform]), platformImage.Platform))));
            // The SBOM is of the image the scan read: the engine's own platform's, of an index.
            if (cycloneDx is not null && (images.Count == 1 || platformImage.Platform == scanned))
            {
                statements.Add((Attestations.CycloneDxBom, Attestations.Statement(Attestations.CycloneDxBom, subject, platformImage.Digest, cycloneDx.DeepClone())));
                statements.Add((Attestations.SpdxDocument, Attestations.Statement(Attestations.SpdxDocument, subject, platformImage.Digest,
                    Attestations.Spdx(cycloneDx, repository.Repository, Attestations.Created(platformImage.Config)))));
            }
            return statements;
        }, cancellationToken);
        context.Log($"Attested {repository.Repository}@{digest[..19]} ({string.Join(", ", attached.PredicateTypes.Select(Short))}): " +
                    $"the index {attached.IndexDigest[..19]} of the image and its attestations, which its tags will name");
        return new AttestResult { Image = image with { Digest = attached.IndexDigest }, Manifest = digest, Index = attached.IndexDigest, PredicateTypes = attached.PredicateTypes };
    }

    private static string Short(string predicateType) => predicateType switch
    {
        Attestations.SlsaProvenance => "SLSA provenance", Attestations.CycloneDxBom => "CycloneDX SBOM", Attestations.SpdxDocument => "SPDX SBOM", _ => predicateType,
    };

    /// What the provenance says of the build: from the image's own labels, the build settings and the CI's variables.
    private ProvenanceFacts Facts(PlatformImage image, BuildSettings? build, IReadOnlyList<Material> materials)
    {
        var (builderId, invocationId) = ContinuousIntegration();
        return new ProvenanceFacts
        {
            BuilderId = BuilderId ?? builderId ?? "",
            BuildType = build?.Builder == Builder.Legacy ? Attestations.LegacyBuildType : Attestations.BuildKitBuildType,
            InvocationId = invocationId,
            SourceUri = image.Label("org.opencontainers.image.source"),
            Revision = image.Label(ImagePipeline.RevisionLabel),
            Dirty = image.Label(ImagePipeline.DirtyLabel) == "true",
            Dockerfile = build is null ? null : DockerfileEntryPoint(build),
            Target = build?.Target,
            BuildArgs = build is null ? new Dictionary<string, string>() : DeclaredArgs(build)
                .ToDictionary(a => a.Key, a => Scanning.Secrets.LooksLikeCredentialName(a.Key) ? "****" : a.Value),
            Materials = materials,
        };
    }

    /// The build arguments the Dockerfile declares (an ARG), and BuildKit's own (BUILDKIT_...): one the Dockerfile never
    /// reads changed nothing in the image (a build system passes its base-image arguments to every image), so the
    /// provenance leaves it out.
    private static IEnumerable<KeyValuePair<string, string>> DeclaredArgs(BuildSettings build)
    {
        var declared = File.Exists(build.DockerfilePath) ? DockerfileParser.Load(build.DockerfilePath, build.BuildArgs).DeclaredArgs : null;
        return build.BuildArgs.Where(a => declared is null || declared.Contains(a.Key) || a.Key.StartsWith("BUILDKIT_", StringComparison.Ordinal));
    }

    /// The Dockerfile as the build named it: relative to the context, as BuildKit's entry point is.
    private static string DockerfileEntryPoint(BuildSettings build)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(build.ContextDirectory ?? "."), build.DockerfilePath).Replace('\\', '/');
        return relative.StartsWith("../", StringComparison.Ordinal) ? Path.GetFileName(build.DockerfilePath) : relative;
    }

    /// The CI run's address and id: GitHub Actions', GitLab CI's; nulls on a developer's machine.
    private static (string? BuilderId, string? InvocationId) ContinuousIntegration()
    {
        string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
        if (Variable("GITHUB_RUN_ID") is { } run && Variable("GITHUB_REPOSITORY") is { } repository)
            return ($"{Variable("GITHUB_SERVER_URL") ?? "https://github.com"}/{repository}/actions/runs/{run}", $"{run}-{Variable("GITHUB_RUN_ATTEMPT") ?? "1"}");
        if (Variable("CI_JOB_URL") is { } job) return (job, Variable("CI_JOB_ID"));
        return (null, null);
    }

    /// <summary>
    /// The base images the built stage comes from (its FROM, its stages' FROMs, COPY --from images; not scratch), each
    /// with the digest the engine has for it: the registry digest it was pulled by, else its id (as BuildKit records a
    /// local image; on the containerd store a multi-platform image's id is its index's digest), and the platform it was
    /// taken for: its stage's <c>--platform</c> (<c>$BUILDPLATFORM</c>: the engine's), else the image's.
    /// </summary>
    internal static async Task<IReadOnlyList<Material>> MaterialsAsync(ContainerEngine engine, BuildSettings build, string platform, CancellationToken cancellationToken)
    {
        var dockerfile = DockerfileParser.Load(build.DockerfilePath, build.BuildArgs);
        var materials = new List<Material>();
        var buildPlatform = await engine.PlatformAsync(cancellationToken);
        foreach (var (name, stage) in BaseImageSources(dockerfile, dockerfile.RequireStage(build.Target)))
        {
            if (!ImageReference.TryParse(name, out var reference, out _)) continue;
            var inspected = await engine.InspectImageAsync(name, cancellationToken);
            if (inspected is null) continue;
            var pulledBy = inspected.RepoDigests?.Select(d => d.Split('@')).FirstOrDefault(d => d.Length == 2 && ImageReference.TryParse(d[0], out var r, out _) && r.Repository == reference.Repository)?[1];
            materials.Add(new Material(Attestations.MaterialUri(reference, StagePlatform(stage, build, platform, buildPlatform)), reference.Digest ?? pulledBy ?? inspected.Id));
        }
        return materials;
    }

    /// <summary>
    /// The platform a stage's images are taken for: its <c>FROM --platform</c> with the build's arguments and BuildKit's
    /// automatic platform arguments (<c>$BUILDPLATFORM</c> is the engine's, <c>$TARGETPLATFORM</c> the image's), else the
    /// image's own.
    /// </summary>
    public static string StagePlatform(Stage stage, BuildSettings build, string platform, string buildPlatform)
    {
        if (stage.From.Flags.GetValueOrDefault("platform") is not { Length: > 0 } flag) return platform;
        var variables = new Dictionary<string, string>(build.BuildArgs);
        foreach (var (prefix, value) in new[] { ("BUILD", buildPlatform), ("TARGET", platform) })
        {
            var parts = value.Split('/');
            variables[prefix + "PLATFORM"] = value;
            variables[prefix + "OS"] = parts[0];
            variables[prefix + "ARCH"] = parts.ElementAtOrDefault(1) ?? "";
            variables[prefix + "VARIANT"] = parts.ElementAtOrDefault(2) ?? "";
        }
        return DockerfileParser.Expand(flag, variables) is { Length: > 0 } expanded ? expanded : platform;
    }

    /// <summary>The images a stage is built from, following the stages it names (FROM a stage, COPY --from a stage); in order, once each.</summary>
    public static IReadOnlyList<string> BaseImages(Dockerfile dockerfile, Stage stage) => [.. BaseImageSources(dockerfile, stage).Select(s => s.Image)];

    /// <summary>As <see cref="BaseImages"/>, each with the stage that takes it (its FROM, or a COPY --from in it).</summary>
    public static IReadOnlyList<(string Image, Stage Stage)> BaseImageSources(Dockerfile dockerfile, Stage stage)
    {
        var images = new List<(string, Stage)>();
        var seen = new HashSet<int>();
        void Visit(Stage current)
        {
            if (!seen.Add(current.Index)) return;
            var sources = current.Instructions.Where(i => i.Keyword == "COPY").Select(i => i.Flags.GetValueOrDefault("from")).OfType<string>().Prepend(current.BaseImage);
            foreach (var source in sources)
            {
                if (dockerfile.StageBefore(current.Index, source) is { } earlier) Visit(earlier);
                else if (!string.Equals(source, "scratch", StringComparison.OrdinalIgnoreCase) && images.All(i => i.Item1 != source)) images.Add((source, current));
            }
        }
        Visit(stage);
        return images;
    }
}

/// <summary>What the attest step did.</summary>
public sealed record AttestResult : StepResult
{
    /// <summary>The image manifest pushed (what the attestations are about).</summary>
    public required string Manifest { get; init; }

    /// <summary>The index the tags name now, or null when nothing was attested.</summary>
    public required string? Index { get; init; }

    /// <summary>The predicate types attached.</summary>
    public required IReadOnlyList<string> PredicateTypes { get; init; }

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) => Index is null ? [] :
    [
        Reporting.ReportSections.Digest.With(Index),
        Reporting.ReportSections.Attestations.With(new Reporting.AttestationsReport(Index, Manifest, PredicateTypes)),
    ];
}
