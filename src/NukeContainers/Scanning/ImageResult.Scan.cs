using NukeContainers.Scanning;

namespace NukeContainers;

public sealed partial record ImageResult
{
    /// <summary>The scan step's result, or null when the pipeline did not scan.</summary>
    public ScanResult? Scan => Step<ScanResult>();
}
