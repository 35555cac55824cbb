using System.Diagnostics.Contracts;
using NukeContainers.Pushing;

namespace NukeContainers;

/// The push step's verbs.
public sealed partial record ImagePipeline
{
    /// <summary>
    /// Pushes the image and then every tag it has, version tags last (<see cref="PushTagsSettings"/>, after the
    /// attestations when there are any): <c>.Push()</c>, or <c>.Push(p => p with { Credentials = ... })</c>.
    /// </summary>
    [Pure] public ImagePipeline Push(Func<PushSettings, PushSettings>? configure = null)
    {
        var pipeline = Configure(new PushSettings(), configure ?? (p => p));
        return pipeline.WithStep(new PushTagsSettings { Force = pipeline.Step<PushSettings>()!.Force });
    }
}
