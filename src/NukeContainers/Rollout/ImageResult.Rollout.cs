using NukeContainers.Rollout;

namespace NukeContainers;

public sealed partial record ImageResult
{
    /// <summary>The rollout step's result, or null when the pipeline did not roll out.</summary>
    public RolloutResult? Rollout => Step<RolloutResult>();
}
