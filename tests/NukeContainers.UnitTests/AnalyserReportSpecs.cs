using NukeContainers.Components.Analysers;
using NukeContainers.Scanning;

namespace NukeContainers.Tests;

/// Grype's and Clair's analysers read their tools' real reports (testdata/scan/grype and clair, with their sources in
/// SOURCES.md there): Grype's `grype explain` test images and claircore's matcher results.
public sealed class AnalyserReportSpecs
{
    private static string Read(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "scan", path));

    [Fact]
    public void Grype_matches_become_findings_with_the_package_where_it_was_found_and_related_ids_as_aliases()
    {
        var findings = GrypeAnalyser.Parse(Read("grype/chainguard-ruby-test.json"));

        Assert.Equal(["CVE-2023-28755", "CVE-2023-28755", "GHSA-hv5j-3h9f-99c2"], findings.Select(f => f.Id));
        Assert.All(findings, f => Assert.Equal((FindingKind.Vulnerability, Severity.High, "grype"), (f.Kind, f.Severity, f.Source)));
        Assert.Equal("ruby-3.0 3.0.4-r1 (/lib/apk/db/installed)", findings[0].Target);
        Assert.Equal(("3.0.4-r1", "3.0.6-r0"), (findings[0].InstalledVersion, findings[0].FixedVersion));
        Assert.Null(findings[1].FixedVersion);                                       // Grype knows no fix for the gem's CVE
        Assert.StartsWith("A ReDoS issue was discovered in the URI component", findings[1].Title);   // the description's first line
        Assert.Equal(["CVE-2023-28755"], findings[2].Aliases!);                     // the GHSA merges with the CVE
        Assert.Empty(findings[0].Aliases!);                                          // its own id is not an alias of itself
    }

    [Fact]
    public void Grype_severities_read_as_the_scan_gates_them()
    {
        var golden = GrypeAnalyser.Parse(Read("trivy/grype-TestJsonImgsPresenter.golden.json"));
        var keycloak = GrypeAnalyser.Parse(Read("grype/keycloak-test.json"));
        var java = GrypeAnalyser.Parse(Read("grype/ghsa-test.json"));

        Assert.Equal([(Severity.Low, "1.2.1"), (Severity.Critical, null)], golden.Select(f => (f.Severity, f.FixedVersion)));
        Assert.Equal(6, keycloak.Count);
        Assert.All(keycloak, f => Assert.Equal(Severity.Low, f.Severity));
        Assert.Equal([("GHSA-cfh5-3ghh-wfjx", Severity.Medium, "4.3.5"), ("CVE-2014-3577", Severity.Medium, null)], java.Select(f => (f.Id, f.Severity, f.FixedVersion)));
    }

    [Fact]
    public void Clair_package_vulnerabilities_become_findings_with_OSV_fixed_versions_and_CVE_aliases_from_the_links()
    {
        var findings = ClairAnalyser.Parse(Read("clair/clair-jackson-databind.json"));

        Assert.Equal(24, findings.Count);
        Assert.Equal(new Dictionary<Severity, int> { [Severity.Critical] = 2, [Severity.High] = 6, [Severity.Medium] = 14, [Severity.Low] = 2 },
            findings.GroupBy(f => f.Severity).ToDictionary(g => g.Key, g => g.Count()));
        var kafka = Assert.Single(findings, f => f.Id == "GHSA-crqf-q9fp-hwjw");
        Assert.Equal("org.springframework.kafka:spring-kafka 2.8.11 (maven:workspace/BOOT-INF/lib/spring-kafka-2.8.11.jar)", kafka.Target);
        Assert.Equal(("2.8.11", "2.9.11"), (kafka.InstalledVersion, kafka.FixedVersion));   // fixed=2.9.11&introduced=2.8.0
        Assert.Equal(["CVE-2023-34040"], kafka.Aliases!);
        Assert.Equal("Spring-Kafka has Java Deserialization vulnerability When Improperly Configured", kafka.Title);
        Assert.All(findings, f => Assert.Equal("clair", f.Source));
    }

    [Fact]
    public void Clair_without_a_severity_or_a_fixed_version_says_unknown_and_none()
    {
        var rhel = ClairAnalyser.Parse(Read("clair/clair-rhel8-python.json"));
        var splunk = Assert.Single(ClairAnalyser.Parse(Read("clair/clair-splunk-nodejs.json")));
        var ruby = ClairAnalyser.Parse(Read("clair/clair-bullseye-ruby.json"));

        Assert.Equal(4, rhel.Count(f => f.Severity == Severity.Unknown));
        Assert.Equal(3, rhel.Count(f => f.Severity == Severity.Critical));
        Assert.Equal(("GHSA-p8p7-x288-28g6", Severity.Medium, null), (splunk.Id, splunk.Severity, splunk.FixedVersion));
        Assert.Contains("CVE-2023-28155", splunk.Aliases!);
        Assert.Equal(["6.3.0", "6.2.0"], ruby.Select(f => f.FixedVersion));
        Assert.All(ruby, f => Assert.Equal("secure_headers 6.0.0 (usr/local/bundle/specifications/secure_headers-6.0.0.gemspec)", f.Target));
    }

    [Fact]
    public void Another_tools_report_is_not_taken_for_one()
    {
        var trivy = Read("trivy/trivy-alpine-310.json.golden");

        Assert.Contains("\"matches\"", Assert.Throws<InvalidOperationException>(() => GrypeAnalyser.Parse(trivy)).Message);
        Assert.Contains("\"vulnerabilities\"", Assert.Throws<InvalidOperationException>(() => ClairAnalyser.Parse(Read("grype/ghsa-test.json"))).Message);
    }
}
