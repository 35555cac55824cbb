using System.Text.Json;
using System.Text.Json.Nodes;
using NukeContainers.Scanning;

namespace NukeContainers.Tests;

/// The scan's readers on other tools' real files (testdata/scan, with their sources in SOURCES.md there).
public sealed class ScanParserSpecs
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "testdata", "scan");

    private static string Read(string path) => File.ReadAllText(Path.Combine(Data, path));

    /// A txtar section ("-- path --" to the next one).
    private static string Section(string txtar, string path) =>
        txtar.Split($"-- {path} --\n")[1].Split("\n-- ")[0];

    [Fact]
    public void Dpkg_status_gives_the_installed_packages_with_their_source()
    {
        var packages = Inventory.Dpkg(Section(Read("pkgdb/dpkg-status-and-available.txtar"), "var/lib/dpkg/status"), "var/lib/dpkg/status", "Debian:12").ToList();

        Assert.Equal(["sed 4.4-2", "tar 1.34+dfsg-1"], packages.Select(p => $"{p.Name} {p.Version}").Take(2));
        Assert.All(packages, p => Assert.Equal("Debian:12", p.Ecosystem));
        Assert.Equal("pkg:deb/debian/tar@1.34%2Bdfsg-1", packages[1].Purl);
        var single = Inventory.Dpkg(Section(Read("pkgdb/dpkg-status-and-md5sums.txtar"), "var/lib/dpkg/status"), "s", "Debian:9").ToList();
        Assert.Equal(["tar 1.29b-2"], single.Select(p => $"{p.Name} {p.Version}"));
    }

    [Fact]
    public void The_apk_database_gives_each_package_with_a_version_and_its_origin()
    {
        var packages = Inventory.Apk(Read("pkgdb/apk-lib-apk-db-installed"), "lib/apk/db/installed", "Alpine:v3.4").ToList();

        Assert.Equal(15, packages.Count);   // 16 paragraphs, one without a version
        Assert.DoesNotContain(packages, p => p.Name == "invalidPackageWithoutAVersion");
        var crypto = Assert.Single(packages, p => p.Name == "libcrypto1.0");
        Assert.Equal(("1.0.2h-r1", "openssl"), (crypto.Version, crypto.SourceName));
    }

    [Fact]
    public void A_deps_json_gives_its_NuGet_packages_and_runtime_packs_not_the_project()
    {
        var happy = Inventory.DotnetDeps(Read("pkgdb/dotnet-happy.deps.json"), "app/ExampleApp1.deps.json").ToList();
        var selfContained = Inventory.DotnetDeps(Read("pkgdb/dotnet-self-contained.deps.json"), "app/x.deps.json").ToList();

        Assert.Equal(["Newtonsoft.Json 13.0.1"], happy.Select(p => $"{p.Name} {p.Version}"));
        Assert.Equal(["Newtonsoft.Json 13.0.1", "Microsoft.NETCore.App.Runtime.linux-x64 8.0.0", "Microsoft.AspNetCore.App.Runtime.linux-x64 8.0.0"],
            selfContained.Select(p => $"{p.Name} {p.Version}"));
    }

    [Fact]
    public void Python_metadata_and_a_node_module_manifest_give_name_and_version_and_a_template_is_no_package()
    {
        var python = Inventory.Python("Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.2\nSummary: A micro framework\n\nFlask is ...\nVersion: 9\n", "usr/lib/python3/dist-packages/Flask-3.0.2.dist-info/METADATA");
        var npm = Inventory.NpmPackage("{ \"name\": \"@babel/core\", \"version\": \"7.24.0\" }", "app/node_modules/@babel/core/package.json");
        var template = Inventory.NpmPackage("{ \"name\": \"{{name}}\" }", "app/node_modules/x/package.json");

        Assert.Equal(("PyPI", "Flask", "3.0.2", "pkg:pypi/flask@3.0.2"), (python!.Ecosystem, python.Name, python.Version, python.Purl));
        Assert.Equal(("@babel/core", "7.24.0", "pkg:npm/%40babel/core@7.24.0"), (npm!.Name, npm.Version, npm.Purl));
        Assert.Null(template);
        Assert.True(Inventory.IsManifest("usr/lib/python3/dist-packages/Flask-3.0.2.dist-info/METADATA"));
        Assert.True(Inventory.IsManifest("app/node_modules/@babel/core/package.json"));
        Assert.False(Inventory.IsManifest("app/node_modules/@babel/core/lib/package.json"));
    }

    [Theory]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0)]
    [InlineData("CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N", 4.7)]
    [InlineData("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", 7.4)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5)]
    [InlineData("CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4)]
    [InlineData("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0)]
    public void CVSS_base_scores_are_FIRSTs(string vector, double score) => Assert.Equal(score, Cvss.BaseScore(vector));

    [Theory]
    [InlineData("Debian:7", "nginx", "1.2.1-2.2+wheezy2", "nginx", "DSA-3029-1", "1.2.1-2.2+wheezy3")]
    [InlineData("Debian:7", "nginx", "1.2.1-2.2+wheezy3", "nginx", null, null)]
    [InlineData("Debian:8", "nginx", "1.2.1-2.2+wheezy2", "nginx", null, null)]   // another release's advisory
    [InlineData("Alpine:v3.5", "libssl1.0", "1.0.2p-r0", "openssl", "CVE-2018-5407", "1.0.2q-r0")]   // matched by origin
    [InlineData("Alpine:v3.5", "libssl1.0", "1.0.2q-r0", "openssl", null, null)]
    [InlineData("npm", "lodash", "4.17.15", null, "GHSA-p6mc-m468-83gw", "4.17.19")]
    [InlineData("npm", "lodash", "3.6.0", null, null, null)]   // before introduced
    [InlineData("npm", "lodash.pick", "4.4.0", null, "GHSA-p6mc-m468-83gw", null)]   // last_affected, no fix
    [InlineData("npm", "lodash.pick", "4.4.1", null, null, null)]
    [InlineData("NuGet", "Newtonsoft.Json", "12.0.3", null, "GHSA-5crp-9r3c-p9vr", "13.0.1")]
    [InlineData("NuGet", "Newtonsoft.Json", "13.0.1", null, null, null)]
    [InlineData("Go", "stdlib", "1.21.1", null, "GO-2023-2102", "1.21.3")]
    [InlineData("Go", "stdlib", "1.20.10", null, null, null)]
    [InlineData("Go", "golang.org/x/net", "v0.16.0", null, "GO-2023-2102", "0.17.0")]
    public void OSV_advisories_match_by_ecosystem_name_and_each_ecosystems_version_order(string ecosystem, string name, string version, string? source, string? advisory, string? fixedIn)
    {
        var database = OsvDatabase.Load(Path.Combine(Data, "osv"));

        var findings = database.Match([new Package(ecosystem, name, version, "x", source)]).ToList();

        Assert.Equal(6, database.Count);
        if (advisory is null) Assert.Empty(findings);
        else Assert.Equal((advisory, fixedIn), (Assert.Single(findings).Id, findings[0].FixedVersion));
    }

    [Fact]
    public void Advisory_severity_is_the_databases_own_else_the_CVSS_vectors_band()
    {
        var database = OsvDatabase.Load(Path.Combine(Data, "osv"));

        var findings = database.Match([new Package("npm", "lodash", "4.17.15", "x"), new Package("Alpine:v3.5", "openssl", "1.0.2a-r0", "x")]).ToList();

        Assert.Equal(Severity.High, findings.Single(f => f.Id == "GHSA-p6mc-m468-83gw").Severity);
        Assert.Equal(["CVE-2020-8203"], findings.Single(f => f.Id == "GHSA-p6mc-m468-83gw").Aliases);
        Assert.Equal(Severity.Medium, findings.Single(f => f.Id == "CVE-2018-5407").Severity);   // CVSS 4.7
    }

    [Fact]
    public void Trivys_reports_become_findings_and_its_secrets_stay_masked()
    {
        var buster = TrivyReport.Parse(Read("trivy/trivy-debian-buster.json.golden"));
        var secrets = TrivyReport.Parse(Read("trivy/trivy-secrets.json.golden"));
        var dotnet = TrivyReport.Parse(Read("trivy/trivy-dotnet.json.golden"));

        Assert.Equal(2, buster.Count);
        Assert.All(buster, f => Assert.Equal(FindingKind.Vulnerability, f.Kind));
        Assert.Equal("CVE-2019-18276", buster[0].Id);
        Assert.StartsWith("bash 5.0-4 (", buster[0].Target);
        Assert.Equal(2, secrets.Count(f => f.Kind == FindingKind.Secret));
        Assert.Contains(secrets, f => f.Id == "aws-access-key-id" && f.Severity == Severity.Critical);
        Assert.Contains(dotnet, f => f.Kind == FindingKind.Vulnerability && f.Target.StartsWith("Newtonsoft.Json ", StringComparison.Ordinal));
    }

    [Fact]
    public void Findings_of_one_advisory_from_two_sources_merge_by_id_or_alias()
    {
        var fromOsv = new Finding("GHSA-p6mc-m468-83gw", FindingKind.Vulnerability, Severity.High, "lodash", "lodash 4.17.15 (app)", "4.17.15", "4.17.19", "osv", ["CVE-2020-8203"]);
        var fromTrivy = new Finding("CVE-2020-8203", FindingKind.Vulnerability, Severity.Critical, "lodash", "lodash 4.17.15 (package-lock.json)", "4.17.15", null, "trivy");
        var other = fromTrivy with { Id = "CVE-2021-23337", Aliases = null };

        var merged = ScanStep.Merge([fromOsv, fromTrivy, other]);

        Assert.Equal(2, merged.Count);
        Assert.Equal((Severity.Critical, "4.17.19", "osv+trivy"), (merged[0].Severity, merged[0].FixedVersion, merged[0].Source));
    }

    [Fact]
    public void An_ignored_id_counts_again_from_its_exp_date_and_a_bad_date_names_the_line()
    {
        var ignore = IgnoreFile.Parse("# accepted risks\nCVE-2020-8203 exp:2026-01-31\nGHSA-5crp-9r3c-p9vr\n\nCVE-2099-1 exp:2099-01-01 # later\n");
        var finding = new Finding("GHSA-p6mc-m468-83gw", FindingKind.Vulnerability, Severity.High, "t", "lodash", Aliases: ["CVE-2020-8203"]);

        Assert.True(ignore.Ignores(finding, new DateOnly(2026, 1, 30)));
        Assert.False(ignore.Ignores(finding, new DateOnly(2026, 1, 31)));
        Assert.True(ignore.Ignores(finding with { Id = "GHSA-5crp-9r3c-p9vr", Aliases = null }, new DateOnly(2030, 1, 1)));
        var bad = Assert.Throws<ContainerException>(() => IgnoreFile.Parse("CVE-1\nCVE-2 exp:31.01.2026\n", "ci/.trivyignore"));
        Assert.Equal("ci/.trivyignore:2: 'exp:31.01.2026' is not a date in the form exp:2025-12-31.", bad.Message);
    }

    [Theory]
    [InlineData("dockle-root_default.config.json", new[] { "CIS-DI-0001", "CIS-DI-0006" })]
    [InlineData("dockle-nginx.config.json", new[] { "CIS-DI-0001", "CIS-DI-0006" })]
    [InlineData("dockle-add_with_arg_statement.config.json", new[] { "CIS-DI-0001", "CIS-DI-0006" })]   // ADD file:... in / is the base's root file system
    public void Image_checks_on_real_configs(string file, string[] ids)
    {
        var config = JsonNode.Parse(Read($"imageconfig/{file}"))!.AsObject();

        Assert.Equal(ids, ImageChecks.Config(config).Select(f => f.Id).Order());
    }

    [Fact]
    public void Credentials_in_ENV_and_ADD_in_the_history_are_flagged_and_the_value_masked()
    {
        var config = JsonNode.Parse("""
            { "config": { "User": "65532", "Env": ["PATH=/bin", "DB_PASSWORD=hunter2hunter2", "API_TOKEN="], "Healthcheck": { "Test": ["CMD", "true"] } },
              "history": [ { "created_by": "/bin/sh -c #(nop) ADD file:abc123 in / " }, { "created_by": "ADD https://example.com/x.tgz /opt/ # buildkit" } ] }
            """)!.AsObject();

        var findings = ImageChecks.Config(config).ToList();

        Assert.Equal(["CIS-DI-0009", "CIS-DI-0010"], findings.Select(f => f.Id).Order());
        Assert.Contains("DB_PASSWORD=hunt********", findings.Single(f => f.Id == "CIS-DI-0010").Title);
        Assert.DoesNotContain("hunter2hunter2", string.Join("\n", findings));
    }

    [Fact]
    public void Secrets_are_found_by_rule_and_line_and_masked()
    {
        var key = "AKIA" + "Z7OQHWH2KS3JDKUA";
        var text = $"#!/bin/sh\n\nexport AWS_ACCESS_KEY_ID={key}\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAvx9u0cmDGPmTtqd1yq+cJfjp7jE5xxG6jCkPCZ3PfDR3ahMg\n-----END RSA PRIVATE KEY-----\n";

        var found = Secrets.Find(text).ToList();

        Assert.Equal([("aws-access-key-id", 3), ("private-key", 5)], found.Select(f => (f.Rule.Id, f.Line)));
        Assert.Equal("AKIA****************", found[0].Masked);
        Assert.DoesNotContain(key, Secrets.MaskPatterns(text));
        Assert.DoesNotContain("MIIEpAIBAAKCAQEAvx9u0cmDGPmTtqd1yq", Secrets.MaskPatterns(text));
    }

    [Fact]
    public void SARIF_has_what_the_2_1_0_schema_requires_and_the_shape_Trivys_has()
    {
        Finding[] findings =
        [
            new("CVE-2020-8203", FindingKind.Vulnerability, Severity.High, "lodash: prototype pollution", "lodash 4.17.15 (app)", "4.17.15", "4.17.19", "osv"),
            new("CIS-DI-0001", FindingKind.ImageCheck, Severity.Medium, "runs as root", "config.User", Source: "checks"),
        ];

        using var ours = JsonDocument.Parse(ScanReports.Sarif("app sha256:1", findings, "samples/go-api/Dockerfile"));
        using var trivys = JsonDocument.Parse(Read("trivy/trivy-alpine-310.sarif.golden"));

        // sarifLog: version, runs; run: tool; tool: driver; driver: name; result: message with text; rule ids that results name.
        var root = ours.RootElement;
        Assert.Equal("2.1.0", root.GetProperty("version").GetString());
        var run = root.GetProperty("runs")[0];
        Assert.Equal("NukeContainers", run.GetProperty("tool").GetProperty("driver").GetProperty("name").GetString());
        var ruleIds = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        foreach (var result in run.GetProperty("results").EnumerateArray())
        {
            Assert.False(string.IsNullOrEmpty(result.GetProperty("message").GetProperty("text").GetString()));
            Assert.Equal(ruleIds[result.GetProperty("ruleIndex").GetInt32()], result.GetProperty("ruleId").GetString());
            Assert.Contains(result.GetProperty("level").GetString(), new[] { "none", "note", "warning", "error" });
        }
        static IEnumerable<string> Keys(JsonElement e) => e.EnumerateObject().Select(p => p.Name).Order();
        var theirs = trivys.RootElement.GetProperty("runs")[0];
        Assert.Empty(Keys(theirs.GetProperty("results")[0]).Except(Keys(run.GetProperty("results")[0])));
        Assert.Empty(Keys(theirs.GetProperty("tool").GetProperty("driver").GetProperty("rules")[0]).Except(Keys(run.GetProperty("tool").GetProperty("driver").GetProperty("rules")[0]).Append("fullDescription").Append("help").Append("helpUri")));
    }

    [Fact]
    public void The_SBOM_is_CycloneDX_1_5_with_a_purl_a_package_and_the_same_for_the_same_image()
    {
        Package[] packages = [new("npm", "@babel/core", "7.24.0", "app/node_modules/@babel/core/package.json"), new("Debian:12", "tar", "1.34+dfsg-1.2", "var/lib/dpkg/status")];

        var first = ScanReports.CycloneDx("127.0.0.1:5000/app", "sha256:abc", packages);
        var again = ScanReports.CycloneDx("127.0.0.1:5000/app", "sha256:abc", packages);
        using var bom = JsonDocument.Parse(first);

        Assert.Equal(first, again);
        Assert.Equal("CycloneDX", bom.RootElement.GetProperty("bomFormat").GetString());
        Assert.Equal("1.5", bom.RootElement.GetProperty("specVersion").GetString());
        Assert.Matches("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", bom.RootElement.GetProperty("serialNumber").GetString());
        Assert.Equal(["pkg:npm/%40babel/core@7.24.0", "pkg:deb/debian/tar@1.34%2Bdfsg-1.2"],
            bom.RootElement.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("purl").GetString()));
    }
}
