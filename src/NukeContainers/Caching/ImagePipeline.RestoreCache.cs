using System.Diagnostics.Contracts;
using NukeContainers.Caching;
using NukeContainers.Registry;

namespace NukeContainers;

/// The build cache's verbs: restore it before the build, write it with the image and export it after the push.
public sealed partial record ImagePipeline
{
    /// <summary>
    /// Restores the build cache from the registry and skips the build when its inputs are unchanged:
    /// <c>.RestoreCache(c => c with { Branch = "main" })</c>. It only reads; <see cref="ExportCache"/> writes what a later
    /// restore reads.
    /// </summary>
    [Pure] public ImagePipeline RestoreCache(Func<RestoreCacheSettings, RestoreCacheSettings>? configure = null) =>
        Configure(new RestoreCacheSettings(), configure ?? (c => c));

    /// <summary>BuildKit's inline cache in the built image (<c>BUILDKIT_INLINE_CACHE=1</c>), which a later restore imports.</summary>
    [Pure] public ImagePipeline InlineCache() => BuildArg("BUILDKIT_INLINE_CACHE", "1");

    /// <summary>
    /// Writes the build cache that a later <see cref="RestoreCache"/> reads: BuildKit's inline cache in the image
    /// (<c>BUILDKIT_INLINE_CACHE=1</c>), and, with a <paramref name="branch"/>, the tag <c>buildcache-BRANCH</c> (which
    /// the push moves) and the export of the earlier stages' cache after the push (<see cref="ExportCacheSettings"/>).
    /// </summary>
    [Pure] public ImagePipeline ExportCache(string? branch = null, RegistryCredentials? credentials = null)
    {
        var pipeline = InlineCache();
        return branch is null ? pipeline
            : pipeline.Tag(RestoreCacheSettings.CacheTag(branch)).WithStep(new ExportCacheSettings { Branch = branch, Credentials = credentials });
    }
}
