using System.Diagnostics.Contracts;
using NukeContainers.Slimming;

namespace NukeContainers;

/// The slim step's verbs.
public sealed partial record ImagePipeline
{
    /// <summary>
    /// Slims the image: <c>.Slim(s => s.RemoveCaches().SquashLayers())</c>; <c>.Slim()</c> removes every kind of file
    /// that should not ship (<see cref="SlimCategories.All"/>) from the image's own layers.
    /// </summary>
    [Pure] public ImagePipeline Slim(Func<SlimSettings, SlimSettings>? configure = null) =>
        Configure(new SlimSettings(), configure ?? (s => s.RemoveAll()));
}
