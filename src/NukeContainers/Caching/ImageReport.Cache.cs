using NukeContainers.Caching;

namespace NukeContainers.Reporting;

/// The restore-cache step's field in report.json.
public sealed partial record ImageReport
{
    /// <summary>What restoring the cache found and whether the build was skipped, when the step ran.</summary>
    public CacheReport? Cache() => Field(ReportSections.Cache);
}
