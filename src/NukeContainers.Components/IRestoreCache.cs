using NukeContainers.Build;
using NukeContainers.Caching;
using NukeContainers.Registry;
using NukeContainers.Versioning;

namespace NukeContainers.Components;

/// <summary>
/// Fast rebuilds on an empty engine, and no rebuild when nothing changed. Taking this component puts the restore-cache
/// step into BuildImages' pipelines: BuildKit imports the inline cache of the branch's <c>buildcache-BRANCH</c> tag, the
/// highest version in the registry and <c>--cache-from</c>, and a build whose input digest an image already has is
/// skipped. TagImages adds the branch's cache tag, so PushImages moves it. The RestoreCache target checks in advance
/// which sources exist.
/// </summary>
public interface IRestoreCache : IContainerImages
{
    /// <summary>More images to take cache from.</summary>
    [Parameter("More images to take build cache from (their inline cache), besides the branch's cache tag and the last version")]
    string[] CacheFrom => TryGetValue(() => CacheFrom) ?? [];

    /// <summary>Build even when the inputs did not change.</summary>
    [Parameter("Build even when an image with the same inputs exists")]
    bool NoSkip => TryGetValue<bool?>(() => NoSkip) ?? false;

    /// <summary>The settings hook for the restore-cache step of each image.</summary>
    Configure<RestoreCacheSettings> RestoreCacheSettings => _ => _;

    /// <summary>The restore-cache settings of the run (its branch from git or CI), through the settings hook.</summary>
    RestoreCacheSettings CacheSettings(RunFacts facts) =>
        RestoreCacheSettings(new RestoreCacheSettings { Branch = facts.Branch, Sources = CacheFrom, SkipUnchanged = !NoSkip, Credentials = GivenCredentials });

    /// <summary>The branch whose cache the run writes: none for uncommitted changes (read, never written) or without a branch.</summary>
    string? ExportBranch(RunFacts facts) => facts.Dirty ? null : CacheSettings(facts).Branch;

    /// <summary>The restore-cache step before the build, and the inline cache in the image a later restore reads.</summary>
    ImageStep RestoreCacheImageStep => new(StepNames.RestoreCache, (pipeline, context) => pipeline.RestoreCache(_ => CacheSettings(context.Facts)).InlineCache());

    /// <summary>The branch's cache tag, <c>buildcache-BRANCH</c>, which the push moves.</summary>
    IEnumerable<string> IContainerImages.CacheTags(RunFacts facts) => ExportBranch(facts) is { } branch ? [Caching.RestoreCacheSettings.CacheTag(branch)] : [];

    /// <summary>The export of the earlier stages' cache after the push (nothing without a branch; the tag step adds the cache tag: <see cref="IContainerImages.CacheTags"/>).</summary>
    ImageStep ExportCacheImageStep => new(StepNames.ExportCache, (pipeline, context) => ExportBranch(context.Facts) is { } branch
        ? pipeline.WithStep(new ExportCacheSettings { Branch = branch, Credentials = CacheSettings(context.Facts).Credentials })
        : pipeline);

    /// <summary>Checks the cache sources of each image before the build.</summary>
    Target RestoreCache => _ => _
        .Description("Say which cache sources each image will build from (buildcache-BRANCH, the last version, --cache-from); BuildImages uses them")
        .Validates(CheckImageParameters)
        .DependentFor<IBuildImages>(x => x.BuildImages)
        .Executes(async ct =>
        {
            var settings = CacheSettings(await RunFactsAsync(ct));
            foreach (var image in SelectedImages())
            {
                var repository = RepositoryOf(image);
                var sources = settings.Branch is null ? [] : new[] { repository.WithTag(Caching.RestoreCacheSettings.CacheTag(settings.Branch)) };
                var registry = await ContainerRegistries.ConnectAsync(repository.Registry, settings.Credentials, cancellationToken: ct);
                foreach (var source in sources)
                {
                    try
                    {
                        Log.Info(await registry.DigestAsync(source.Path, source.Tag!, ct) is { } digest
                            ? $"[{image.Name}] cache source {source}: {digest[..19]}"
                            : $"[{image.Name}] cache source {source} does not exist yet: the first push of the branch makes it");
                    }
                    catch (ContainerException e)
                    {
                        Log.Warn($"[{image.Name}] cache source {source} cannot be reached: {e.Message}");
                    }
                }
            }
            Note(settings.Branch is null ? "no branch: no cache tag" : $"cache tag {Caching.RestoreCacheSettings.CacheTag(settings.Branch)}");
        });
}
