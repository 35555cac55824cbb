using System.Text.Json;
using NukeContainers.Scanning;

namespace NukeContainers.Tests;

/// The scan step on images built and made here, held against what the images' own tools say.
[Collection(EngineCollection.Name)]
public sealed class ScanSpecs(EngineFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _context = new();
    private readonly TempFolder _reports = new();
    private readonly List<string> _log = [];

    public void Dispose()
    {
        _context.Dispose();
        _reports.Dispose();
    }

    /// A pipeline that scans an image the engine has, writing its reports to this test's folder.
    private ImagePipeline Scanning(string name, string imageId, Func<ScanSettings, ScanSettings>? configure = null) =>
        Containers.Image(EngineFixture.Repository(name)).FromImage(imageId).WithLog(_log.Add)
            .Scan(s => (configure ?? (x => x))(s with { OutputFolder = _reports.Path, UseTrivy = false }));

    private async Task<string> BuildAsync(string name, string instructions)
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\n{instructions}\n");
        return (await EngineFixture.Pipeline(name).FromDockerfile(_context.Path).WithLog(_log.Add).RunAsync(fixture.Engine)).ImageId;
    }

    [Fact]
    public async Task Planted_keys_are_found_even_in_a_deleted_file_and_masked_everywhere_and_the_gate_names_the_worst()
    {
        var key = "AKIA" + "QYLPMN5HHHFPZAM2";   // made up, in the shape of an AWS access key id
        var secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY";
        var pem = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";
        var image = await BuildAsync("scan-secrets", $$"""
            RUN mkdir -p /app /root/.aws && echo 'export AWS_ACCESS_KEY_ID={{key}}' > /app/env.sh \
             && printf -- '-----BEGIN RSA PRIVATE KEY-----\n{{pem}}\n-----END RSA PRIVATE KEY-----\n' > /app/deploy.pem \
             && echo '//registry.npmjs.org/:_authToken=x' > /app/.npmrc && cp /bin/busybox /app/su && chmod u+s /app/su
            RUN printf '[default]\naws_secret_access_key = {{secret}}\n' > /root/.aws/credentials && rm /app/deploy.pem
            """);

        var error = await Assert.ThrowsAsync<ContainerException>(() => Scanning("scan-secrets", image).RunAsync(fixture.Engine));

        var findings = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_reports.Path, "scan.json"))).RootElement.GetProperty("findings")
            .EnumerateArray().Select(f => (Id: f.GetProperty("id").GetString()!, Target: f.GetProperty("target").GetString()!, Title: f.GetProperty("title").GetString()!)).ToList();
        Assert.Contains(findings, f => f.Id == "aws-access-key-id" && f.Target.StartsWith("/app/env.sh:1 (layer ", StringComparison.Ordinal) && f.Title.EndsWith("AKIA****************", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Id == "private-key" && f.Target.StartsWith("/app/deploy.pem:2 (layer ", StringComparison.Ordinal) && f.Target.Contains("deleted by a later layer"));
        Assert.Contains(findings, f => f.Id == "aws-secret-access-key" && f.Target.StartsWith("/root/.aws/credentials:2", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Id == "CIS-DI-0001");                                   // runs as root
        Assert.Contains(findings, f => f.Id == "CIS-DI-0008" && f.Target == "/app/su");            // setuid
        Assert.Contains(findings, f => f.Id == "CIS-DI-0010" && f.Target == "/root/.aws/credentials");
        Assert.Contains(findings, f => f.Id == "CIS-DI-0010" && f.Target == "/app/.npmrc");
        Assert.Contains("findings at critical or above. The worst: aws-access-key-id (CRITICAL) in /app/env.sh:1 (layer ", error.Message);
        var everything = string.Join("\n", _log) + error.Message + string.Concat(Directory.GetFiles(_reports.Path).Select(File.ReadAllText));
        foreach (var raw in new[] { key, secret, pem }) Assert.DoesNotContain(raw, everything);
    }

    /// A team's own analyser: a finding for every npm package it is told is banned, from the packages the built-in inventory read.
    private sealed class BannedPackages(params string[] banned) : IImageAnalyser
    {
        public string Name => "banned";
        public List<int> PackagesSeen { get; } = [];

        public Task<ScanAnalysis> AnalyseAsync(ScanInput input, CancellationToken cancellationToken)
        {
            PackagesSeen.Add(input.Packages.Count);
            return Task.FromResult(new ScanAnalysis([.. input.Packages.Where(p => banned.Contains(p.Name)).Select(p =>
                new Finding("TEAM-BANNED", FindingKind.Vulnerability, Severity.High, $"{p.Name} is banned here", $"{p.Name} {p.Version}", Source: "banned"))]));
        }
    }

    [Fact]
    public async Task A_teams_own_analyser_gets_the_inventory_and_its_findings_are_gated_and_reported_and_a_built_in_one_can_be_left_out()
    {
        _context.Write("node_modules/left-pad/package.json", """{ "name": "left-pad", "version": "1.3.0" }""");
        var key = "AKIA" + "QYLPMN5HHHFPZAM3";   // made up, in the shape of an AWS access key id
        var image = await BuildAsync("scan-analyser", $"COPY node_modules /app/node_modules\nRUN echo 'export AWS_ACCESS_KEY_ID={key}' > /app/env.sh");
        var banned = new BannedPackages("left-pad");
        ScanSettings TeamsScan(ScanSettings settings)
        {
            var withBanned = settings.FailingOn(Severity.High).WithAnalyser(banned);
            return withBanned with { Analysers = [.. withBanned.Analysers.Where(a => a.Name != "secrets")] };
        }

        var error = await Assert.ThrowsAsync<ContainerException>(() => Scanning("scan-analyser", image, TeamsScan).RunAsync(fixture.Engine));

        Assert.Equal([1], banned.PackagesSeen);   // after the inventory, once
        var findings = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_reports.Path, "scan.json"))).RootElement.GetProperty("findings")
            .EnumerateArray().Select(f => f.GetProperty("id").GetString()!).ToList();
        Assert.Contains("TEAM-BANNED", findings);
        Assert.DoesNotContain("aws-access-key-id", findings);   // the secrets analyser was left out
        Assert.Contains("Secrets: not searched for (the secrets analyser is not among the scan's analysers)", _log);   // not searched, not just not shown
        Assert.Contains("The worst: TEAM-BANNED (HIGH) in left-pad 1.3.0", error.Message);
        Assert.Equal(["inventory", "checks", "secrets", "osv", "trivy", "lint"], ImageAnalysers.Defaults.Select(a => a.Name));
    }

    /// A team's analyser that reads the image's files (issue 27.5), on the public seam only: a finding for each
    /// configuration file that turns debugging on, in whichever layer it is, a later layer's deletion or not.
    private sealed class DebugSwitches : IImageFileAnalyser
    {
        public string Name => "debug-switches";
        public List<ImageFile> Seen { get; } = [];
        public List<string> Read { get; } = [];

        public IImageFileVisitor StartImage(string imageId) => new Visitor(this);

        public Task<ScanAnalysis> AnalyseAsync(ScanInput input, CancellationToken cancellationToken) =>
            Task.FromResult(new ScanAnalysis([.. ((Visitor)input.Files!).Found.Select(f =>
                new Finding("TEAM-DEBUG", FindingKind.ImageCheck, Severity.High, "debugging is on", $"/{f.Path} ({f.Layer[..12]})", Source: Name))]));

        private sealed class Visitor(DebugSwitches analyser) : IImageFileVisitor
        {
            public List<ImageFile> Found { get; } = [];

            public bool Wants(ImageFile file)
            {
                analyser.Seen.Add(file);
                return file.Path.EndsWith(".conf", StringComparison.Ordinal);
            }

            public void Visit(ImageFile file, ReadOnlySpan<byte> content)
            {
                analyser.Read.Add(file.Path);
                if (System.Text.Encoding.UTF8.GetString(content).Contains("debug=true", StringComparison.Ordinal)) Found.Add(file);
            }
        }
    }

    [Fact]
    public async Task A_teams_analyser_sees_every_file_of_every_layer_and_reads_only_those_it_wants()
    {
        var image = await BuildAsync("scan-files", """
            RUN mkdir -p /etc/app && echo 'debug=true' > /etc/app/old.conf && echo 'debug=false' > /etc/app/new.conf && echo 'debug=true' > /etc/app/notes.txt
            RUN rm /etc/app/old.conf && dd if=/dev/zero of=/etc/app/huge.conf bs=1M count=9 2>/dev/null && chmod 600 /etc/app/new.conf
            """);
        var analyser = new DebugSwitches();

        var error = await Assert.ThrowsAsync<ContainerException>(() => Scanning("scan-files", image, s => s.FailingOn(Severity.High).WithAnalyser(analyser)).RunAsync(fixture.Engine));

        Assert.Contains("The worst: TEAM-DEBUG (HIGH) in /etc/app/old.conf (", error.Message);   // deleted later, still in its layer
        Assert.Contains(analyser.Seen, f => f.Path == "etc/app/notes.txt");                        // seen, not read
        Assert.Contains(analyser.Seen, f => f.Path == "etc/app/huge.conf" && f.Size == 9 << 20);   // over the limit: seen, not read
        Assert.Equal(["etc/app/new.conf", "etc/app/new.conf", "etc/app/old.conf"], analyser.Read.Order());   // the chmod's layer holds new.conf again
        Assert.Contains(analyser.Seen, f => f.Path == "bin/busybox");                               // the base's layer too
        Assert.Equal(3, analyser.Seen.Select(f => f.Layer).Distinct().Count());                     // the base's and the two RUNs' layers
    }

    [Fact]
    public async Task The_dpkg_inventory_of_the_debian_base_is_what_dpkg_query_prints_inside_it()
    {
        await LocalMachine.LocalBaseImagesAsync(fixture.Engine, fixture.Log.Add);
        var image = (await fixture.Engine.InspectImageAsync("local/debian:bookworm"))!.Id;

        var result = await Scanning("scan-debian", image).RunAsync(fixture.Engine);
        var listed = await fixture.Engine.RunAsync(image, ["dpkg-query", "-W", "-f", "${Package}\t${Version}\n"]);

        var dpkg = listed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        var ours = result.Scan!.Packages.Where(p => p.Ecosystem == "Debian:12").Select(p => $"{p.Name}\t{p.Version}").Order(StringComparer.Ordinal).ToList();
        Assert.True(dpkg.Count > 50, listed.StandardOutput + listed.StandardError);
        Assert.Equal(dpkg, ours);
        Assert.Equal("passed", result.Scan.Gate);   // root is a medium finding; critical fails
        using var sbom = JsonDocument.Parse(await File.ReadAllTextAsync(result.Scan.Sbom));
        Assert.Equal(dpkg.Count, sbom.RootElement.GetProperty("components").GetArrayLength());
    }

    [Fact]
    public async Task The_local_distroless_style_bases_list_their_packages_in_status_d_as_distroless_does()
    {
        var baseImages = await LocalMachine.LocalBaseImagesAsync(fixture.Engine, fixture.Log.Add);
        async Task<List<Package>> DebianPackagesOf(string buildArg) =>
            (await Scanning("scan-" + buildArg.ToLowerInvariant(), (await fixture.Engine.InspectImageAsync(baseImages[buildArg]))!.Id).RunAsync(fixture.Engine))
            .Scan!.Packages.Where(p => p.Ecosystem == "Debian:12").ToList();

        var staticBase = await DebianPackagesOf("STATIC_IMAGE");
        var cc = await DebianPackagesOf("CC_IMAGE");
        var nginx = await DebianPackagesOf("NGINX_IMAGE");
        // The peer: dpkg itself, in the Debian base the bases are made from.
        var libc = (await fixture.Engine.RunAsync(baseImages["DEBIAN_IMAGE"], ["dpkg-query", "-W", "-f", "${Version}", "libc6"])).StandardOutput.Trim();

        Assert.Equal(["ca-certificates", "tzdata"], staticBase.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(staticBase, p => Assert.StartsWith("var/lib/dpkg/status.d/", p.Path));
        Assert.Equal(["ca-certificates", "libc6", "libgcc-s1", "libssl3", "libstdc++6", "tzdata", "zlib1g"], cc.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(libc, cc.Single(p => p.Name == "libc6").Version);
        Assert.Contains(nginx, p => p.Name == "nginx-light");
        Assert.Equal(libc, nginx.Single(p => p.Name == "libc6").Version);
        output.WriteLine($"nginx base: {string.Join(", ", nginx.Select(p => $"{p.Name} {p.Version}"))}");
    }

    [Fact]
    public async Task The_npm_Go_and_dotnet_inventories_of_the_samples_agree_with_their_lock_file_and_toolchains()
    {
        var baseImages = await LocalMachine.LocalBaseImagesAsync(fixture.Engine, fixture.Log.Add);
        var samples = Path.Combine(EngineFixture.RepositoryRoot(), "samples");
        var nodeNaive = await EngineFixture.Pipeline("scan-node-naive").FromDockerfile(Path.Combine(samples, "node-web"), "Dockerfile.naive").BuildArgs(baseImages).WithLog(_log.Add).RunAsync(fixture.Engine);
        var go = await EngineFixture.Pipeline("scan-go").FromDockerfile(Path.Combine(samples, "go-api")).Target("runtime").BuildArgs(baseImages).WithLog(_log.Add).RunAsync(fixture.Engine);
        var dotnet = await EngineFixture.Pipeline("scan-dotnet").FromDockerfile(Path.Combine(samples, "dotnet-api")).Target("runtime").BuildArgs(baseImages).WithLog(_log.Add).RunAsync(fixture.Engine);

        var npm = (await Scanning("scan-node-naive", nodeNaive.ImageId).RunAsync(fixture.Engine)).Scan!.Packages;
        var goPackages = (await Scanning("scan-go", go.ImageId).RunAsync(fixture.Engine)).Scan!.Packages;
        var dotnetPackages = (await Scanning("scan-dotnet", dotnet.ImageId).RunAsync(fixture.Engine)).Scan!.Packages;

        using var lockFile = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(samples, "node-web", "package-lock.json")));
        var locked = lockFile.RootElement.GetProperty("packages").EnumerateObject().Where(p => p.Name.StartsWith("node_modules/", StringComparison.Ordinal))
            .Select(p => $"{p.Name[(p.Name.LastIndexOf("node_modules/", StringComparison.Ordinal) + "node_modules/".Length)..]} {p.Value.GetProperty("version").GetString()}").Order().ToList();
        Assert.NotEmpty(locked);
        Assert.Equal(locked, npm.Where(p => p.Path.StartsWith("app/node_modules/", StringComparison.Ordinal)).Select(p => $"{p.Name} {p.Version}").Order().ToList());

        var goVersion = (await fixture.Engine.RunAsync(baseImages["GO_IMAGE"], ["go", "version"])).StandardOutput.Split(' ')[2];   // go1.19.8
        Assert.Contains(goPackages, p => p.Ecosystem == "Go" && p.Name == "stdlib" && "go" + p.Version == goVersion);

        var runtimes = (await fixture.Engine.RunAsync(baseImages["DOTNET_SDK_IMAGE"], ["dotnet", "--list-runtimes"])).StandardOutput;
        var netcore = runtimes.Split('\n').First(l => l.StartsWith("Microsoft.NETCore.App ", StringComparison.Ordinal)).Split(' ')[1];
        Assert.Contains(dotnetPackages, p => p.Ecosystem == "NuGet" && p.Name == "Microsoft.NETCore.App.Runtime.linux-x64" && p.Version == netcore);
        output.WriteLine($"npm {npm.Count} packages, Go {string.Join(", ", goPackages.Select(p => $"{p.Name} {p.Version}"))}, .NET {string.Join(", ", dotnetPackages.Select(p => $"{p.Name} {p.Version}"))}");
    }

    [Fact]
    public async Task A_vulnerable_package_fails_the_gate_at_its_severity_and_an_ignore_whose_date_passed_no_longer_ignores_it()
    {
        var image = await BuildAsync("scan-gate", """
            RUN mkdir -p /app/node_modules/lodash && echo '{ "name": "lodash", "version": "4.17.15" }' > /app/node_modules/lodash/package.json
            USER 65532
            HEALTHCHECK CMD ["/bin/true"]
            """);
        var advisories = Path.Combine(AppContext.BaseDirectory, "testdata", "scan", "osv");
        _context.Write("expired.trivyignore", "CVE-2020-8203 exp:2026-01-01\n").Write("current.trivyignore", "CVE-2020-8203 exp:2027-01-01\n");
        var today = new DateOnly(2026, 11, 28);

        var passedAtCritical = await Scanning("scan-gate", image, s => s.WithAdvisories(advisories) with { Today = today }).RunAsync(fixture.Engine);
        var failed = await Assert.ThrowsAsync<ContainerException>(() =>
            Scanning("scan-gate", image, s => s.WithAdvisories(advisories).FailingOn(Severity.High).Ignoring(Path.Combine(_context.Path, "expired.trivyignore")) with { Today = today }).RunAsync(fixture.Engine));
        var ignored = await Scanning("scan-gate", image, s => s.WithAdvisories(advisories).FailingOn(Severity.High).Ignoring(Path.Combine(_context.Path, "current.trivyignore")) with { Today = today }).RunAsync(fixture.Engine);

        var finding = Assert.Single(passedAtCritical.Scan!.Findings, f => f.Kind == FindingKind.Vulnerability);
        Assert.Equal(("GHSA-p6mc-m468-83gw", Severity.High, "4.17.19"), (finding.Id, finding.Severity, finding.FixedVersion));
        Assert.Equal("passed", passedAtCritical.Scan.Gate);
        Assert.Contains("1 finding at high or above. The worst: GHSA-p6mc-m468-83gw (HIGH) in lodash 4.17.15 (app/node_modules/lodash/package.json), fixed in 4.17.19", failed.Message);
        Assert.Equal("passed", ignored.Scan!.Gate);
        Assert.Equal("GHSA-p6mc-m468-83gw", Assert.Single(ignored.Scan.Ignored).Id);
        var report = Reporting.ContainerReport.From([passedAtCritical], _reports.Path).Images[0].Scan()!;
        Assert.Equal((0, 1, "passed", "sbom.cdx.json"), (report.Critical, report.High, report.Gate, report.Sbom));
    }

    [Fact]
    public async Task Trivy_named_by_TRIVY_EXE_gets_the_saved_image_and_its_findings_join_the_others()
    {
        // Trivy cannot be installed here: a stand-in at TRIVY_EXE checks what it is given (the image saved as a tar)
        // and answers with a real Trivy report (testdata/scan/trivy, Trivy's own golden file).
        var golden = Path.Combine(AppContext.BaseDirectory, "testdata", "scan", "trivy", "trivy-debian-buster.json.golden");
        _context.Write("trivy", $$"""
            #!/bin/sh
            [ "$1" = image ] && [ "$2" = --input ] && tar -tf "$3" manifest.json >/dev/null || { echo "unexpected: $*" >&2; exit 3; }
            cat '{{golden}}'
            """);
        File.SetUnixFileMode(Path.Combine(_context.Path, "trivy"), (UnixFileMode)0b111_101_101);
        var image = await BuildAsync("scan-trivy", "USER 65532\nHEALTHCHECK CMD [\"/bin/true\"]");
        Environment.SetEnvironmentVariable("TRIVY_EXE", Path.Combine(_context.Path, "trivy"));
        try
        {
            var error = await Assert.ThrowsAsync<ContainerException>(() => Containers.Image(EngineFixture.Repository("scan-trivy")).FromImage(image).WithLog(_log.Add)
                .Scan(s => s with { OutputFolder = _reports.Path }).RunAsync(fixture.Engine));

            var fromTrivy = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_reports.Path, "scan.json"))).RootElement.GetProperty("findings")
                .EnumerateArray().Where(f => f.GetProperty("source").GetString() == "trivy").Select(f => f.GetProperty("id").GetString()).Order();
            Assert.Equal(["CVE-2019-18224", "CVE-2019-18276"], fromTrivy);
            Assert.Contains(_log, l => l.StartsWith("Trivy (", StringComparison.Ordinal) && l.EndsWith(") found 2", StringComparison.Ordinal));
            Assert.Contains("The worst: CVE-2019-18224 (CRITICAL) in libidn2-0 2.0.5-1", error.Message);   // Trivy's critical fails the default gate
        }
        finally
        {
            Environment.SetEnvironmentVariable("TRIVY_EXE", null);
        }
    }

    [Fact]
    public async Task A_1GB_image_is_scanned_with_memory_far_below_its_size()
    {
        var image = await BuildAsync("big", "RUN head -c 1073741824 /dev/zero > /big && echo done > /small");

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var result = await Scanning("big", image).RunAsync(fixture.Engine);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        output.WriteLine($"Scanning a 1 GB image allocated {allocated:N0} bytes in all.");
        Assert.Equal("passed", result.Scan!.Gate);
        Assert.True(allocated < 64_000_000, $"{allocated:N0} bytes allocated while scanning a 1 GB image");
    }
}
