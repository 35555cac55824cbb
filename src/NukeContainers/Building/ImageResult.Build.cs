using NukeContainers.Building;

namespace NukeContainers;

public sealed partial record ImageResult
{
    /// <summary>The build step's result, or null when the pipeline did not build.</summary>
    public BuildResult? Build => Step<BuildResult>();

    /// <summary>The image's size as a share of its baseline's, when the build measured one.</summary>
    public double? SizeRatio => Build?.SizeRatio;
}
