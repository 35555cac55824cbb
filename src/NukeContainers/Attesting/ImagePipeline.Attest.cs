using System.Diagnostics.Contracts;
using NukeContainers.Attesting;

namespace NukeContainers;

/// The attest step's verbs.
public sealed partial record ImagePipeline
{
    /// <summary>
    /// Attaches SLSA provenance and the scan's SBOM to the pushed image, as <c>docker buildx build --provenance --sbom</c>
    /// does: <c>.Attest()</c>, or <c>.Attest(a => a with { Sbom = false })</c>.
    /// </summary>
    [Pure] public ImagePipeline Attest(Func<AttestSettings, AttestSettings>? configure = null) => Configure(new AttestSettings(), configure ?? (a => a));
}
