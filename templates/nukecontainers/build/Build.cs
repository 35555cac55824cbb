using NukeContainers;
using NukeContainers.Build;
using NukeContainers.Components;

/// ./build.sh Publish (restore the cache, build, slim, tag, scan, push, roll out), or any one step: BuildImages,
/// SlimImages, TagImages, ScanImages, PushImages, RolloutImages; --help lists them all.
class Build : BuildHost, IContainerPublish, IPromoteImages, IPruneImages
{
    public static int Main() => Execute<Build>(x => ((IContainerPublish)x).Publish);

    /// The images this repository delivers: the Dockerfile at the root, named after the folder. Add more, with a
    /// Target for a multi-stage Dockerfile, a Baseline and a SizeBudget to measure it against a naive build.
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
        [new(Path.GetFileName(RootDirectory.ToString()).ToLowerInvariant(), RootDirectory)];

    // A step's settings hook, to change one step and keep the others:
    // Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.BuildArg("CONFIGURATION", "Release");
}
