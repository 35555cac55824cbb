using NukeContainers.Scanning;

namespace NukeContainers.Tests;

/// Version ordering held against the package managers' own rules.
public sealed class PackageVersionSpecs
{
    /// Epochs, tildes, revisions, letters, plus signs and leading zeros, as Debian and Ubuntu versions have them (a
    /// version dpkg refuses, such as "9.9-" with its empty revision, is no pair to compare).
    private static readonly string[] DebianVersions =
    [
        "0", "1.0", "1.0-1", "1.0-1~bpo1", "1.0~rc1-1", "1.0~~a", "1.0~", "1.0a", "1.0+dfsg-1", "1.0.1", "1.00", "01.0",
        "1:0.9", "1:1.0-1", "2:0", "1.2.3-4ubuntu0.1", "1.2.3-4ubuntu0.10", "1.2.3-4", "1.2.3-4+deb12u1", "1.2.3-4+b1",
        "1.34+dfsg-1", "1.34+dfsg-1.2", "2.36-9+deb12u4", "2.36-9+deb12u10", "7.88.1-10+deb12u5", "3.0.11-1~deb12u2",
        "9.9a", "9.9-1", "a1", "1.0-a", "1.0-0", "5.2.15-2+b2",
    ];

    [Fact]
    public async Task Debian_ordering_agrees_with_dpkg_compare_versions_on_every_pair()
    {
        var pairs = DebianVersions.SelectMany(a => DebianVersions.Select(b => (a, b))).ToList();
        var script = string.Join("\n", pairs.Select(p => $"if dpkg --compare-versions '{p.a}' lt '{p.b}'; then echo -1; elif dpkg --compare-versions '{p.a}' eq '{p.b}'; then echo 0; else echo 1; fi"));
        using var folder = new TempFolder().Write("compare.sh", script);
        var output = (await Utils.Shell.RunAsync("bash", [Path.Combine(folder.Path, "compare.sh")], CancellationToken.None)).StandardOutput;

        var dpkg = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.Equal(pairs.Count, dpkg.Count);
        Assert.True(pairs.Count >= 1000, $"{pairs.Count} pairs");
        var disagreements = pairs.Zip(dpkg).Where(x => Math.Sign(PackageVersions.Debian(x.First.a, x.First.b)) != x.Second)
            .Select(x => $"{x.First.a} vs {x.First.b}: dpkg {x.Second}, ours {PackageVersions.Debian(x.First.a, x.First.b)}").ToList();
        Assert.Empty(disagreements);
    }

    [Theory]
    // apk-tools' own test cases (test/version.data): a < b
    [InlineData("1.0", "1.1")]
    [InlineData("1.0_alpha1", "1.0_beta1")]
    [InlineData("1.0_beta1", "1.0_pre1")]
    [InlineData("1.0_pre1", "1.0_rc1")]
    [InlineData("1.0_rc1", "1.0")]
    [InlineData("1.0", "1.0_p1")]
    [InlineData("1.0_cvs1", "1.0_p1")]
    [InlineData("1.0", "1.0a")]
    [InlineData("1.0a", "1.0b")]
    [InlineData("1.0-r0", "1.0-r1")]
    [InlineData("1.0-r9", "1.0-r10")]
    [InlineData("1.0.2q-r0", "1.0.2r-r0")]
    [InlineData("1.0.2p-r0", "1.0.2q-r0")]
    [InlineData("1.01", "1.1")]
    [InlineData("1.001", "1.01")]
    [InlineData("1.2", "1.2.1")]
    [InlineData("1.1.14-r10", "1.1.15-r0")]
    [InlineData("2.9", "2.10")]
    public void Alpine_ordering_follows_apk(string lower, string higher)
    {
        Assert.True(PackageVersions.Alpine(lower, higher) < 0, $"{lower} < {higher}");
        Assert.True(PackageVersions.Alpine(higher, lower) > 0, $"{higher} > {lower}");
        Assert.Equal(0, PackageVersions.Alpine(lower, lower));
    }

    private static readonly System.Text.Json.Nodes.JsonNode Pep440Cases =
        System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "pep440", "cases.json")))!;

    private static string[] Strings(string key) => Pep440Cases[key]!.AsArray().Select(v => v!.GetValue<string>()).ToArray();

    [Fact]
    public void Python_ordering_agrees_with_pypa_packagings_own_tables()
    {
        var ordered = Strings("ordered");
        var disagreements = new List<string>();
        for (var i = 0; i < ordered.Length; i++)
            for (var j = 0; j < ordered.Length; j++)
                if (Math.Sign(PackageVersions.Python(ordered[i], ordered[j])) != Math.Sign(i.CompareTo(j)))
                    disagreements.Add($"{ordered[i]} vs {ordered[j]}: ours {PackageVersions.Python(ordered[i], ordered[j])}");
        foreach (var pair in Pep440Cases["equivalent"]!.AsArray())
            if (PackageVersions.Python(pair![0]!.GetValue<string>(), pair[1]!.GetValue<string>()) != 0) disagreements.Add($"{pair.ToJsonString()} are one version");
        foreach (var invalid in Strings("invalid"))
            if (Pep440Version.TryParse(invalid, out _)) disagreements.Add($"'{invalid}' is no PEP 440 version");

        Assert.Equal(92 * 92, ordered.Length * ordered.Length);
        Assert.Empty(disagreements);
    }

    [Fact]
    public async Task Python_ordering_agrees_with_the_packaging_library_on_every_pair()
    {
        await Provisioning.DebianPackages.EnsureInstalledAsync(_ => { }, CancellationToken.None, "python3-packaging");
        // Versions as PyPI packages and Debian's python3-* packages have them, and pypa/packaging's own.
        string[] versions = [.. Strings("ordered").Where((_, i) => i % 3 == 0), "2.31.0", "2.31.0.post1", "23.2", "1.26.18", "1.26.18+dfsg", "0.0.1rc1",
            "3.0.0b1", "3.0.0.dev20240101", "1!0.1", "2024.2.2", "1.0.0-alpha.1", "7.4.post0", "1.0.0a0", "41.0.7"];
        using var folder = new TempFolder().Write("compare.py", $$"""
            import json, sys
            from packaging.version import Version
            versions = json.loads(sys.argv[1])
            for a in versions:
                for b in versions:
                    print((Version(a) > Version(b)) - (Version(a) < Version(b)))
            """);
        // Debian's own python3, whose path has Debian's packages (a python3 earlier on PATH, such as pyenv's, may not).
        var output = (await Utils.Shell.RunAsync("/usr/bin/python3", [Path.Combine(folder.Path, "compare.py"), System.Text.Json.JsonSerializer.Serialize(versions)], CancellationToken.None)).StandardOutput;

        var theirs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        var pairs = versions.SelectMany(a => versions.Select(b => (a, b))).ToList();
        Assert.Equal(pairs.Count, theirs.Count);
        Assert.Empty(pairs.Zip(theirs).Where(x => Math.Sign(PackageVersions.Python(x.First.a, x.First.b)) != x.Second)
            .Select(x => $"{x.First.a} vs {x.First.b}: packaging {x.Second}, ours {PackageVersions.Python(x.First.a, x.First.b)}"));
    }

    [Theory]
    // NuGet's rules (NuGet.Versioning's VersionComparer), where a generic dotted order goes wrong: numeric labels by value.
    [InlineData("1.0.0-beta.2", "1.0.0-beta.10")]
    [InlineData("1.0.0-alpha", "1.0.0-alpha.1")]
    [InlineData("1.0.0-rc.1", "1.0.0")]
    [InlineData("1.0.0", "1.0.0.1")]
    [InlineData("6.0.0-preview.7.21377.19", "6.0.0-rc.1.21451.13")]
    public void NuGet_ordering_is_NuGets(string lower, string higher)
    {
        Assert.True(PackageVersions.Compare("NuGet", lower, higher) < 0, $"{lower} < {higher}");
        Assert.True(PackageVersions.Compare("NuGet", higher, lower) > 0, $"{higher} > {lower}");
        Assert.Equal(0, PackageVersions.Compare("NuGet", "1.0.0-BETA", "1.0.0-beta"));   // labels without case
        Assert.Equal(0, PackageVersions.Compare("NuGet", "1.0", "1.0.0+build.5"));       // missing parts are 0, metadata does not count
    }

    [Theory]
    [InlineData("npm", "4.17.15", "4.17.19")]
    [InlineData("npm", "1.0.0-rc.1", "1.0.0")]
    [InlineData("npm", "1.0.0-alpha", "1.0.0-alpha.1")]
    [InlineData("Go", "v0.16.0", "0.17.0")]
    [InlineData("Go", "1.21.0-0", "1.21.0")]
    [InlineData("NuGet", "12.0.3", "13.0.1")]
    [InlineData("NuGet", "13.0.1-beta1", "13.0.1")]
    [InlineData("NuGet", "4.3.0", "4.3.0.1")]
    [InlineData("NuGet", "1.0.0-ALPHA", "1.0.0-beta")]
    public void Semantic_and_dotted_versions_order_by_precedence(string ecosystem, string lower, string higher)
    {
        Assert.True(PackageVersions.Compare(ecosystem, lower, higher) < 0, $"{lower} < {higher}");
        Assert.True(PackageVersions.Compare(ecosystem, higher, lower) > 0, $"{higher} > {lower}");
    }
}
