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

    /// Grype's and Clair's reports (real ones, testdata/scan) read by their analysers, which are built on the scan's
    /// public seam only (issue 27.5): their findings are gated, ignored (.trivyignore) and reported as Trivy's are; a
    /// Grype report of another image is refused, naming both.
    [Fact]
    public async Task Grype_and_Clair_reports_are_gated_ignored_and_reported_with_the_other_findings()
    {
        App.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\nUSER 65532\n");
        var data = Path.Combine(EngineFixture.RepositoryRoot(), "tests", "NukeContainers.Tests", "testdata", "scan");
        var built = await Driver.RunAsync(new AppBuild(App.Path, "scan-reports"), "BuildImages");
        var imageId = ContainerReport.Read(Path.Combine(Driver.Root, "artifacts/containers/report.json")).Find("app")!.ImageId;
        // Grype's report of this image: its golden report with the image's id as the target (Grype writes the config digest there).
        var grype = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(data, "trivy", "grype-TestJsonImgsPresenter.golden.json")))!;
        grype["source"]!["target"]!["imageID"] = imageId;
        Directory.CreateDirectory(Path.Combine(Driver.Root, "reports"));
        File.WriteAllText(Path.Combine(Driver.Root, "reports", "app.grype.json"), grype.ToJsonString());
        File.Copy(Path.Combine(data, "clair", "clair-bullseye-ruby.json"), Path.Combine(Driver.Root, "reports", "app.clair.json"));
        string[] scan = ["ScanImages", "--grype-report", "reports/{name}.grype.json", "--clair-report", "reports/{name}.clair.json"];

        var failed = await Driver.RunAsync(new AppBuild(App.Path, "scan-reports"), scan);
        var failedScan = File.ReadAllText(Path.Combine(Driver.Root, "artifacts/containers/scan/app/scan.json"));
        File.WriteAllText(Path.Combine(Driver.Root, ".trivyignore"), "# accepted until the package is replaced\nCVE-1999-0002\n");
        var passed = await Driver.RunAsync(new AppBuild(App.Path, "scan-reports"), scan);
        grype["source"]!["target"]!["imageID"] = "sha256:" + new string('0', 64);
        File.WriteAllText(Path.Combine(Driver.Root, "reports", "app.grype.json"), grype.ToJsonString());
        var another = await Driver.RunAsync(new AppBuild(App.Path, "scan-reports"), scan);

        Assert.True(built.ExitCode == 0, built.Output);
        Assert.Equal(TargetStatus.Failed, failed.StatusOf("ScanImages"));
        Assert.Contains("The worst: CVE-1999-0002 (CRITICAL) in package-2 2.2.2 (/foo/bar/somefile-2.txt)", failed.Output);
        Assert.Contains("\"GHSA-w978-rmpf-qmwg\"", failedScan);                         // Clair's findings are in the report too
        Assert.True(passed.ExitCode == 0, passed.Output);
        var report = ContainerReport.Read(Path.Combine(Driver.Root, "artifacts/containers/report.json")).Find("app")!.Scan()!;
        Assert.Equal((0, "passed"), (report.Critical, report.Gate));
        Assert.Contains(report.Findings!, f => f.Id == "CVE-1999-0001" && f.Source == "grype");
        Assert.Equal(2, report.Findings!.Count(f => f.Source == "clair"));
        Assert.DoesNotContain(report.Findings!, f => f.Id == "CVE-1999-0002");                // ignored
        Assert.Equal(TargetStatus.Failed, another.StatusOf("ScanImages"));
        Assert.Contains($"reports/app.grype.json is Grype's report of image sha256:{new string('0', 64)}, and the image scanned is {imageId}", another.Output);
    }
}
