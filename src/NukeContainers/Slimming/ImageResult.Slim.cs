using NukeContainers.Slimming;

namespace NukeContainers;

public sealed partial record ImageResult
{
    /// <summary>The slim step's result, or null when the pipeline did not slim.</summary>
    public SlimResult? Slim => Step<SlimResult>();
}
