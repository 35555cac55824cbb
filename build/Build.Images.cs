using NukeContainers.Build;
using NukeContainers.Components;

/// The images this repository delivers: its samples, each measured against its naive Dockerfile and held to a budget,
/// built on the local base images (ILocalBaseImages: nothing can be pulled here; --base-images official pulls them).
partial class Build : IContainerPublish, IPromoteImages, IPruneImages, ILocalBaseImages
{
    AbsolutePath SamplesDirectory => RootDirectory / "samples";

    /// The most each sample's image may weigh against its naive build: the case studies' promise, checked on every build.
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
    [
        Sample("go-api", 0.02),
        Sample("node-web", 0.10),
        Sample("dotnet-api", 0.15),
    ];

    ContainerImage Sample(string name, double budget) => new(name, SamplesDirectory / name)
    {
        Repository = $"samples/{name}", Target = "runtime", Baseline = "Dockerfile.naive", SizeBudget = budget,
    };
}
