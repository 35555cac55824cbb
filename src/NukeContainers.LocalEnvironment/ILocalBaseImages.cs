using NukeContainers.Build;
using NukeContainers.Engine;

namespace NukeContainers.Components;

/// <summary>Where a build's base images come from.</summary>
public enum BaseImageSource
{
    /// <summary>Made on this machine from Debian's packages (<c>local/golang:bookworm</c> ...); nothing is pulled.</summary>
    Local,
    /// <summary>The images the Dockerfiles name, pulled as usual.</summary>
    Official,
}

/// <summary>
/// For machines that cannot pull (an air-gapped CI runner; this repository's own): makes the base images the
/// Dockerfiles build on from Debian's packages, once a machine and again when out of date (<c>local/golang:bookworm</c>,
/// <c>local/static:nonroot</c>, <c>local/node:bookworm</c>, <c>local/dotnet-sdk:10.0</c> ..., for linux/amd64 and
/// linux/arm64), and gives every build the arguments that name them (<c>GO_IMAGE</c>, <c>STATIC_IMAGE</c> ...:
/// <see cref="LocalMachine.LocalBaseImageArgs"/>). A Dockerfile takes them as <c>ARG GO_IMAGE=golang:1.24-bookworm</c>
/// then <c>FROM ${GO_IMAGE}</c>, so that the same file builds on the official image elsewhere.
/// <c>--base-images official</c> leaves them out.
/// </summary>
public interface ILocalBaseImages : ILocalEnvironment, IBuildImages
{
    /// <summary>local (the default): build on the local base images; official: on the images the Dockerfiles name.</summary>
    [Parameter("Where the base images come from: local (made on this machine from Debian's packages, nothing pulled; the default) or official (the Dockerfiles' own, pulled)")]
    BaseImageSource BaseImages => TryGetValue<BaseImageSource?>(() => BaseImages) ?? BaseImageSource.Local;

    /// <summary>Every build names the local base images (before the settings hook), unless --base-images official.</summary>
    IReadOnlyDictionary<string, string> IBuildImages.ComponentBuildArgs =>
        BaseImages == BaseImageSource.Local ? LocalMachine.LocalBaseImageArgs : new Dictionary<string, string>();

    /// <summary>
    /// A platform the local base images are not made for would fail the build on a lookup at docker.io (nothing can be
    /// pulled): said before anything runs, with the platforms there are.
    /// </summary>
    void CheckPlatformsHaveLocalBases()
    {
        if (BaseImages != BaseImageSource.Local || Platform is not { } platform) return;
        var made = Provisioning.LocalBaseImages.All.SelectMany(i => i.Platforms).Distinct().Order().ToList();
        var missing = platform.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(p => !made.Contains(p)).ToList();
        if (missing.Count > 0)
            throw new ParameterException($"--platform {string.Join(",", missing)}: the local base images are made for {string.Join(" and ", made)} only (nothing is pulled here). " +
                                         "Build for those, or give --base-images official where the official images can be pulled.");
    }

    /// <summary>Makes the local base images that are missing or out of date; every build and Publish runs it first.</summary>
    Target LocalBaseImages => _ => _
        .Description("Make the base images the Dockerfiles build on from Debian's packages, when missing or out of date (--base-images local)")
        .DependsOn<ILocalEnvironment>(x => x.LocalEnvironment)
        .DependentFor<IBuildImages>(x => x.BuildImages)
        .DependentFor<IContainerPublish>(x => x.Publish)
        .OnlyWhenStatic(() => BaseImages == BaseImageSource.Local)
        .Validates(CheckPlatformsHaveLocalBases)
        .Executes(async ct =>
        {
            using var engine = await ConnectEngineAsync(ct);
            await LocalMachine.LocalBaseImagesAsync(engine, Log.Info, ct, buildLog: Log.Verbose);
        });
}
