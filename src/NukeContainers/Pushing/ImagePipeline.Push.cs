using System.Diagnostics.Contracts;
using NukeContainers.Pushing;

namespace NukeContainers;

/// The push step's verbs.
public sealed partial record ImagePipeline
{
    /// <summary>Pushes every tag the image has: <c>.Push()</c>, or <c>.Push(p => p with { Credentials = ... })</c>.</summary>
    [Pure] public ImagePipeline Push(Func<PushSettings, PushSettings>? configure = null) => Configure(new PushSettings(), configure ?? (p => p));
}
