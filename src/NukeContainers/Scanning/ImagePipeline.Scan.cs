using System.Diagnostics.Contracts;
using NukeContainers.Scanning;

namespace NukeContainers;

/// The scan step's verbs.
public sealed partial record ImagePipeline
{
    /// <summary>Scans the image: <c>.Scan(s => s.FailingOn(Severity.High).WithAdvisories("osv"))</c>; critical findings fail by default.</summary>
    [Pure] public ImagePipeline Scan(Func<ScanSettings, ScanSettings>? configure = null) => Configure(new ScanSettings(), configure ?? (s => s));
}
