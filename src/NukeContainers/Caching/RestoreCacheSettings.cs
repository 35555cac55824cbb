using NukeContainers.Building;
using NukeContainers.Images;
using NukeContainers.Registry;
using Semver;

namespace NukeContainers.Caching;

/// <summary>
/// The restore-cache step: before the build, it works out the input digest and looks for an image with the same inputs
/// (in the engine, else at the cache sources in the registry, pulled then) to reuse instead of building; otherwise it
/// hands the build the cache sources that exist (BuildKit imports their inline cache: <c>cachefrom</c>). A missing or
/// unreachable source is a warning, never a failure. It only reads: <see cref="ImagePipeline.ExportCache"/> writes the
/// cache (the inline cache, the branch's cache tag, the earlier stages' export).
/// </summary>
public sealed record RestoreCacheSettings : IPipelineStep
{
    /// <summary>Cache sources the user names: full references, or tags of the pipeline's repository.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>The branch whose cache tag (<c>buildcache-BRANCH</c>) is a source.</summary>
    public string? Branch { get; init; }

    /// <summary>Also look at the branch's cache tag and the highest version pushed in the repository.</summary>
    public bool Automatic { get; init; } = true;

    /// <summary>Reuse an image with the same input digest instead of building.</summary>
    public bool SkipUnchanged { get; init; } = true;

    /// <summary>Credentials for the registry; the docker config's when null.</summary>
    public RegistryCredentials? Credentials { get; init; }

    /// <summary>The cache tag of a branch: <c>buildcache-main</c>.</summary>
    public static string CacheTag(string branch) => "buildcache-" + (TagSet.Sanitize(branch) ?? "default");

    string IPipelineStep.Name => StepNames.RestoreCache;

    IReadOnlyList<string> IPipelineStep.After => [];

    void IPipelineStep.Check(ImagePipeline pipeline)
    {
        if (pipeline.Build is null) throw new ContainerException($"The restore-cache step of {pipeline.Repository} restores a build's cache: add FromDockerfile(...).");
    }

    async Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var build = context.Pipeline.Build!;
        var (buildContext, _, _) = build.Prepare();
        var (digest, manifest, filesRead, files) = await InputDigest.ComputeAsync(buildContext, build, context.Engine, context.Registries, manifest: true, cancellationToken);
        context.Log($"Input digest {digest[..19]}: {files} files, {filesRead} read (the others unchanged since they were last read)");
        if (!ImageReadCache.Contains(InputsKind, digest)) await ImageReadCache.SetAsync(InputsKind, digest, manifest!, cancellationToken);   // what a later build compares with
        var repository = context.Image.Repository;
        var result = new RestoreCacheResult { Image = context.Image, InputDigest = digest, Labels = new Dictionary<string, string> { [InputDigest.Label] = digest } };

        if (SkipUnchanged && (await context.Engine.FindImagesByLabelAsync(InputDigest.Label, digest, cancellationToken)).FirstOrDefault() is { } local)
        {
            var builtFrom = BuiltFrom((await context.Engine.InspectImageAsync(local, cancellationToken))?.Labels);
            context.Log($"Inputs unchanged ({digest[..19]}): the engine has {local[..19]} built from them{At(builtFrom)}; no build");
            return result with { ReuseImageId = local, Skipped = true, BuiltFrom = builtFrom };
        }

        // Each source is asked at its own registry, with that registry's credentials.
        Task<RegistryClient> ClientFor(string registry) =>
            context.Registries.ConnectAsync(registry, registry == repository.Registry ? Credentials : null, cancellationToken: cancellationToken);
        var found = (RestoreCacheResult)await FindSourcesAsync(context, repository, result, digest, ClientFor, cancellationToken);
        if (found.Skipped) return found;
        // Rebuilt: what changed since the image the engine built last for this repository (its working tag).
        var last = await context.Engine.InspectImageAsync(repository.WithTag(Building.BuildStep.WorkingTag).ToString(), cancellationToken);
        if (last?.Labels.GetValueOrDefault(InputDigest.Label) is not { } previous || previous == digest) return found;
        var changes = await ImageReadCache.TryGetAsync<InputManifest>(InputsKind, previous, cancellationToken) is { } before
            ? InputChanges.Between(before, manifest!, previous, BuiltFrom(last.Labels))
            : InputChanges.Unrecorded(previous, BuiltFrom(last.Labels));
        context.Log($"Rebuilding {repository}: {changes.Describe()}");
        return found with { Changes = changes };
    }

    /// The kind of <see cref="ImageReadCache"/> entry that keeps a build's <see cref="InputManifest"/>, under its input digest.
    private const string InputsKind = "inputs";

    private async Task<StepResult> FindSourcesAsync(StepContext context, ImageReference repository, RestoreCacheResult result, string digest,
        Func<string, Task<RegistryClient>> clientFor, CancellationToken cancellationToken)
    {
        var candidates = Sources.Select(s => s.Contains('/') ? ImageReference.Parse(s) : repository.WithTag(s)).ToList();
        if (Automatic) candidates.AddRange(await AutomaticSourcesAsync(await clientFor(repository.Registry), repository, context.Pipeline.Build!, context.Log, cancellationToken));
        // The every-stage cache exists only where the engine exports one (ExportCacheSettings): its absence is no news.
        var quiet = Branch is null ? null : repository.WithTag(ExportCacheSettings.AllStagesTag(Branch)).ToString();
        var usable = new List<ImageReference>();
        foreach (var source in candidates.DistinctBy(c => c.ToString()))
        {
            try
            {
                if (await (await clientFor(source.Registry)).DigestAsync(source.Path, source.Tag ?? source.Digest ?? "latest", cancellationToken) is null)
                {
                    if (source.ToString() != quiet) context.Log($"warning: cache source {source} does not exist (yet); building without it");
                }
                else usable.Add(source);
            }
            catch (ContainerException e)
            {
                context.Log($"warning: cache source {source} cannot be reached ({e.Message}); building without it");
            }
        }

        if (SkipUnchanged)
            foreach (var source in usable)
            {
                var client = await clientFor(source.Registry);
                var labels = await client.ConfigLabelsAsync(source.Path, source.Tag ?? source.Digest!, cancellationToken);
                if (labels.GetValueOrDefault(InputDigest.Label) != digest) continue;
                var builtFrom = BuiltFrom(labels);
                context.Log($"Inputs unchanged ({digest[..19]}): {source} was built from them{At(builtFrom)}; pulling it instead of building");
                var pulled = await context.Engine.PullAsync(source, client.Credentials, cancellationToken);
                return result with { ReuseImageId = pulled, Skipped = true, Sources = [source.ToString()], BuiltFrom = builtFrom };
            }

        if (usable.Count > 0) context.Log($"Cache from {string.Join(", ", usable)}");
        return result with { Sources = usable.Select(u => u.ToString()).ToList(), CacheFrom = usable.Select(u => u.ToString()).ToList() };
    }

    /// The commit a reused image was built at (its revision label), when it names one.
    private static string? BuiltFrom(IEnumerable<KeyValuePair<string, string>>? labels) =>
        labels?.FirstOrDefault(l => l.Key == ImagePipeline.RevisionLabel).Value is { Length: > 0 } commit ? commit : null;

    private static string At(string? commit) => commit is null ? "" : $" at commit {commit[..Math.Min(12, commit.Length)]}";

    /// The branch's cache tags (the image's, and its earlier stages'), and the highest version the repository has.
    private async Task<IEnumerable<ImageReference>> AutomaticSourcesAsync(RegistryClient registry, ImageReference repository, BuildSettings build, Action<string> log, CancellationToken cancellationToken)
    {
        var sources = new List<ImageReference>();
        if (Branch is not null)
        {
            sources.Add(repository.WithTag(CacheTag(Branch)));
            var dockerfile = Dockerfiles.DockerfileParser.Load(build.DockerfilePath, build.BuildArgs);
            var stages = ExportCacheSettings.EarlierStages(dockerfile, build.Target);
            sources.AddRange(stages.Select(stage => repository.WithTag(ExportCacheSettings.StageTag(Branch, stage))));
            if (stages.Count > 0) sources.Add(repository.WithTag(ExportCacheSettings.AllStagesTag(Branch)));
        }
        try
        {
            var versions = (await registry.TagsAsync(repository.Path, cancellationToken))
                .Select(t => SemVersion.TryParse(t, SemVersionStyles.Strict, out var v) ? (Tag: t, Version: v) : default)
                .Where(t => t.Version is not null).OrderBy(t => t.Version, SemVersion.PrecedenceComparer).ToList();
            if (versions.Count > 0) sources.Add(repository.WithTag(versions[^1].Tag));
        }
        catch (ContainerException e)
        {
            log($"warning: the registry {repository.Registry} cannot list {repository.Path}'s tags ({e.Message}); no version to take cache from");
        }
        return sources;
    }
}

/// <summary>What the restore-cache step found; the build takes its cache sources, its label, or the image to reuse.</summary>
public sealed record RestoreCacheResult : StepResult, IBuildContribution
{
    /// <summary>The digest of the build's inputs.</summary>
    public required string InputDigest { get; init; }

    /// <summary>The cache sources that exist (or the one reused).</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>True when the build was skipped: an image with the same inputs was reused.</summary>
    public bool Skipped { get; init; }

    /// <summary>The commit the reused image was built at (its revision label), when it was reused and names one.</summary>
    public string? BuiltFrom { get; init; }

    /// <summary>For a rebuilt image: what changed since the image the engine built last for the repository, when it has one.</summary>
    public InputChanges? Changes { get; init; }

    /// <inheritdoc />
    public IReadOnlyList<string> CacheFrom { get; init; } = [];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <inheritdoc />
    public string? ReuseImageId { get; init; }

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) =>
    [
        Reporting.ReportSections.Cache.With(new CacheReport(Sources, all.Build?.Output.InstructionsCached ?? 0, all.Build?.Output.InstructionsTotal ?? 0, Skipped, InputDigest, BuiltFrom, Changes)),
    ];
}

/// <summary>
/// report.json's <c>cache</c> section; <c>builtFrom</c> is the commit a reused image was built at, <c>changes</c> what
/// changed since the image the engine built before a rebuilt one.
/// </summary>
public sealed record CacheReport(IReadOnlyList<string> Sources, int StepsCached, int StepsTotal, bool Skipped, string InputDigest, string? BuiltFrom = null,
    InputChanges? Changes = null);
