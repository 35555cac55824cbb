using NukeContainers;
using NukeContainers.Build;
using NukeContainers.Components;

/// ./build.sh BuildImages SlimImages TagImages ScanImages PushImages RolloutImages (or any of them); --help lists them all.
class Build : BuildHost, IBuildImages, IRestoreCache, ISlimImages, ITagImages, IScanImages, IPushImages, IRolloutImages, IPruneImages
{
    public static int Main() => Execute<Build>(x => ((IBuildImages)x).BuildImages);

    /// The images this repository delivers: the Dockerfile at the root, named after the folder. Add more, with a
    /// Target for a multi-stage Dockerfile, a Baseline and a SizeBudget to measure it against a naive build.
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
        [new(Path.GetFileName(RootDirectory.ToString()).ToLowerInvariant(), RootDirectory)];

    // A step's settings hook, to change one step and keep the others:
    // Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.BuildArg("CONFIGURATION", "Release");
}
