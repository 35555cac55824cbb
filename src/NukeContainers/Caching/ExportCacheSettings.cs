using NukeContainers.Dockerfiles;
using NukeContainers.Registry;

namespace NukeContainers.Caching;

/// <summary>
/// Exports the build cache of the stages before the target: BuildKit's inline cache describes only the layers of the
/// image it is in, so a multi-stage build's earlier stages (where the toolchain and the dependencies are) would never be
/// cached from the registry. Where the engine's BuildKit exports a registry cache (the containerd image store), one
/// cache with every stage's layers (<c>mode=max</c>, through the Control API) goes to <c>buildcache-BRANCH.max</c>;
/// elsewhere this step builds each earlier stage (from the engine's cache: quick), with inline cache, tags it
/// <c>buildcache-BRANCH-STAGE</c> and pushes it. The restore-cache step takes those as sources. Added by
/// <see cref="ImagePipeline.ExportCache"/> with a branch; it runs after the push.
/// </summary>
public sealed record ExportCacheSettings : IPipelineStep
{
    /// <summary>The branch whose stage cache tags are written.</summary>
    public required string Branch { get; init; }

    /// <summary>Credentials for the registry; the docker config's when null.</summary>
    public RegistryCredentials? Credentials { get; init; }

    string IPipelineStep.Name => StepNames.ExportCache;

    IReadOnlyList<string> IPipelineStep.After => [StepNames.PushTags];

    /// <summary>The cache tag of a stage: <c>buildcache-main-build</c>.</summary>
    public static string StageTag(string branch, string stage) => $"{RestoreCacheSettings.CacheTag(branch)}-{Images.TagSet.Sanitize(stage)}";

    /// <summary>The tag of the branch's cache of every stage (<c>mode=max</c>): <c>buildcache-main.max</c> (no stage's tag can be it: those have no dot).</summary>
    public static string AllStagesTag(string branch) => RestoreCacheSettings.CacheTag(branch) + ".max";

    /// <summary>The named stages before the target, whose layers are not in the image.</summary>
    public static IReadOnlyList<string> EarlierStages(Dockerfile dockerfile, string? target)
    {
        var index = target is null ? dockerfile.Stages.Count - 1 : dockerfile.RequireStage(target).Index;
        return dockerfile.Stages.Take(index).Select(s => s.Name).OfType<string>().ToList();
    }

    async Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        // Only a pushed image's cache is exported (building alone must not write to the registry), and only after a
        // build: a reused image's inputs are unchanged, so the registry's stage cache is already current.
        if (context.Image.Digest is null || context.Results.OfType<Building.BuildResult>().Any(b => b.Reused))
            return new ExportCacheResult { Image = context.Image };
        var build = context.Image.Build ?? throw new ContainerException(
            $"Exporting the build cache of {context.Image.Repository} needs what it is built from: a build step before it, or FromImage(..., build: settings).");
        var (buildContext, _, _) = build.Prepare();
        var stages = EarlierStages(DockerfileParser.Load(buildContext.DockerfilePath, build.BuildArgs), build.Target);
        var repository = context.Image.Repository;
        var credentials = Credentials ?? await DockerConfig.FindAsync(repository.Registry, cancellationToken: cancellationToken);
        if (stages.Count > 0 && await context.Engine.ImageStoreAsync(cancellationToken) == NukeContainers.Engine.ImageStore.Containerd)
            return await ExportEveryStageAsync(context, build, buildContext, repository.WithTag(AllStagesTag(Branch)), credentials, cancellationToken);
        var exported = new List<string>();
        foreach (var stage in stages)
        {
            var reference = repository.WithTag(StageTag(Branch, stage));
            var settings = build with
            {
                Target = stage,
                BuildArgs = new Dictionary<string, string>(build.BuildArgs) { ["BUILDKIT_INLINE_CACHE"] = "1" },
                Labels = new Dictionary<string, string>(build.Labels) { [Engine.ResourceLabels.BuiltBy] = Engine.ResourceLabels.Product },
            };
            var previous = (await context.Engine.InspectImageAsync(reference, cancellationToken))?.Id;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var built = await context.Engine.BuildAsync(buildContext, settings, [reference], _ => { }, cancellationToken);
            // The stage image the tag pointed at before is dangling now, as the build step's working image would be.
            if (previous is not null && previous != built.ImageId) await context.Engine.RemoveIfUnusedAsync(previous, cancellationToken: cancellationToken);
            // Said before it starts: a toolchain stage is often hundreds of MB, a long first push to a new registry.
            var size = await context.Engine.SizeAsync(built.ImageId, cancellationToken);
            context.Log($"Exporting the build cache of stage {stage}: pushing its image ({size / 1e6:0.0} MB, layers the registry has are skipped) to {reference}, " +
                        "so that an engine that never built it takes the toolchain and dependencies from the registry");
            await context.Engine.PushAsync(reference, credentials, context.Log, cancellationToken);
            context.Log($"Exported the build cache of stage {stage} in {watch.Elapsed.TotalSeconds:0.0} s");
            exported.Add(reference.ToString());
        }
        return new ExportCacheResult { Image = context.Image, Exported = exported };
    }

    /// One registry cache of every stage's layers (mode=max), built from the engine's cache through the Control API.
    private static async Task<StepResult> ExportEveryStageAsync(StepContext context, Building.BuildSettings build, Building.BuildContext buildContext,
        Images.ImageReference reference, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        context.Log($"Exporting the build cache of every stage (mode=max) to {reference}, so that an engine that never built them takes the toolchain and dependencies from the registry");
        var registryCredentials = new Dictionary<string, RegistryCredentials>(build.RegistryCredentials);
        if (credentials is not null) registryCredentials[reference.Registry] = credentials;
        await context.Engine.ExportCacheAsync(buildContext, build with
        {
            CacheTo = [new Building.CacheExport(reference.ToString(), Building.CacheMode.Max)],
            RegistryCredentials = registryCredentials,
        }, _ => { }, cancellationToken);
        context.Log($"Exported the build cache of every stage in {watch.Elapsed.TotalSeconds:0.0} s");
        return new ExportCacheResult { Image = context.Image, Exported = [reference.ToString()] };
    }
}

/// <summary>What exporting the stages' cache pushed.</summary>
public sealed record ExportCacheResult : StepResult
{
    /// <summary>The stage cache images pushed.</summary>
    public IReadOnlyList<string> Exported { get; init; } = [];
}
