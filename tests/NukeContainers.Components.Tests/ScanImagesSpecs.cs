using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Engine;
using NukeContainers.Reporting;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// ScanImages as a team runs it, after BuildImages through report.json.
[Collection(EngineCollection.Name)]
public sealed class ScanImagesSpecs : AppSpecs
{
    [Fact]
    public async Task A_finding_at_fail_on_fails_the_target_naming_it_and_below_it_report_json_gets_the_scan_section()
    {
        App.Write("Dockerfile", $"""
            FROM {EngineFixture.BaseImage}
            RUN mkdir -p /app/node_modules/lodash && echo '{"{"} "name": "lodash", "version": "4.17.15" {"}"}' > /app/node_modules/lodash/package.json && echo {Guid.NewGuid():N} > /id
            USER 65532
            """);
        var advisories = Path.Combine(EngineFixture.RepositoryRoot(), "tests", "NukeContainers.Tests", "testdata", "scan", "osv");

        var built = await Driver.RunAsync(new AppBuild(App.Path, "scan-target"), "BuildImages");
        var failed = await Driver.RunAsync(new AppBuild(App.Path, "scan-target"), "ScanImages", "--advisories", advisories, "--fail-on", "high");
        var passed = await Driver.RunAsync(new AppBuild(App.Path, "scan-target"), "ScanImages", "--advisories", advisories);

        Assert.True(built.ExitCode == 0, built.Output);
        Assert.Equal(TargetStatus.Failed, failed.StatusOf("ScanImages"));
        Assert.Contains("The worst: GHSA-p6mc-m468-83gw (HIGH) in lodash 4.17.15 (app/node_modules/lodash/package.json), fixed in 4.17.19", failed.Output);
        Assert.True(passed.ExitCode == 0, passed.Output);
        Assert.Equal("app 0C 1H 1M 1L, 1 packages", passed.NoteOf("ScanImages"));   // the advisory; no .dockerignore (NCL003, medium); no HEALTHCHECK (low)
        var scan = ContainerReport.Read(Path.Combine(Driver.Root, "artifacts/containers/report.json")).Find("app")!.Scan()!;
        Assert.Equal((0, 1, "passed", "artifacts/containers/scan/app/sbom.cdx.json"), (scan.Critical, scan.High, scan.Gate, scan.Sbom));
        Assert.True(File.Exists(Path.Combine(Driver.Root, "artifacts/containers/scan/app/scan.sarif")));
    }
}
