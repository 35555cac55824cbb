using System.Diagnostics.Contracts;
using NukeContainers.Rollout;

namespace NukeContainers;

/// The rollout step's verbs.
public sealed partial record ImagePipeline
{
    /// <summary>Rolls the pushed image out: <c>.Rollout(r => r.Into("api", "staging") with { ImagePullPolicy = "IfNotPresent" })</c>.</summary>
    [Pure] public ImagePipeline Rollout(Func<RolloutSettings, RolloutSettings> configure) => Configure(new RolloutSettings(), configure);
}
