using System.Diagnostics.Contracts;
using NukeContainers.Signing;

namespace NukeContainers;

/// The sign step's verbs.
public sealed partial record ImagePipeline
{
    /// <summary>Signs the pushed digest: <c>.Sign(s => s with { Key = "cosign.key" })</c> (the password from COSIGN_PASSWORD).</summary>
    [Pure] public ImagePipeline Sign(Func<SignSettings, SignSettings> configure) => Configure(new SignSettings(), configure);
}
