using System.Diagnostics.Contracts;
using NukeContainers.Caching;

namespace NukeContainers;

/// The restore-cache step's verbs.
public sealed partial record ImagePipeline
{
    /// <summary>
    /// Restores the build cache from the registry and skips the build when its inputs are unchanged:
    /// <c>.RestoreCache(c => c with { Branch = "main" })</c>. Also writes BuildKit's inline cache into the image
    /// (<c>BUILDKIT_INLINE_CACHE=1</c>) and, with a branch, tags it <c>buildcache-BRANCH</c> so that the push moves that tag,
    /// and exports the earlier stages' cache after a push (<see cref="ExportCacheSettings"/>).
    /// </summary>
    [Pure] public ImagePipeline RestoreCache(Func<RestoreCacheSettings, RestoreCacheSettings>? configure = null)
    {
        var pipeline = Configure(new RestoreCacheSettings(), configure ?? (c => c)).BuildArg("BUILDKIT_INLINE_CACHE", "1");
        var settings = pipeline.Step<RestoreCacheSettings>()!;
        return settings is { Branch: { } branch, Export: true }
            ? pipeline.Tag(RestoreCacheSettings.CacheTag(branch)).WithStep(new ExportCacheSettings { Branch = branch, Credentials = settings.Credentials })
            : pipeline;
    }
}
