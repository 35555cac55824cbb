using NukeContainers.Dockerfiles;
using NukeContainers.Scanning;

namespace NukeContainers.Tests;

/// The lint rules, their ids and lines, and the ways to silence them (no engine: the unit tier).
public sealed class DockerfileLintSpecs : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private const string Everything = """
        ARG DB_PASSWORD
        FROM ubuntu
        RUN apt-get update && apt-get install curl
        COPY . /app
        RUN npm install
        RUN pip install flask && echo done | tee /log
        ADD app.py /app/
        CMD python app.py
        USER root
        FROM debian:latest AS tools
        FROM debian:12 AS tools
        """;

    /// hadolint's own PragmaSpec (test/Hadolint/PragmaSpec.hs at 11f3241d7338c1bddef348fb84706624ed11d778): each
    /// Dockerfile and whether DL3002 (USER root) is reported. The two cases of DL3021/DL3023, rules not implemented
    /// here, are held with DL3002 in their place, and the shell pragma's (DL1001) is left out: no such rule here.
    [Theory]
    [InlineData("FROM ubuntu\n# hadolint ignore=DL3002\nUSER root\n", false)]                  // ignores single rule
    [InlineData("FROM scratch\n# hadolint ignore=DL3001\nUSER root\n", true)]                  // only the given rule
    [InlineData("FROM scratch\n# hadolint ignore=DL3001,DL3002\nUSER root\n", false)]          // several given
    [InlineData("# hadolint ignore=DL3001,DL3002\nFROM ubuntu\nUSER root\n", true)]            // only directly above
    [InlineData("FROM scratch\n# hadolint ignore=crazy,DL3002\nUSER root\n", true)]            // an invalid name voids it
    [InlineData("FROM node as foo\n# hadolint ignore=DL3023, DL3002\nUSER root\n", false)]     // extra whitespace
    [InlineData("# hadolint global ignore=DL3002\nFROM ubuntu\nUSER root\n", false)]            // global: single rule
    [InlineData("# hadolint global ignore = DL3023 , DL3002\nFROM ubuntu\nUSER root\n", false)] // global: spaces around = and ,
    [InlineData("FROM ubuntu\n# hadolint ignore=DL3002 \nUSER root\n", false)]                  // followed by a space
    [InlineData("FROM ubuntu\n# hadolint ignore=DL3002 # foobar\nUSER root\n", false)]          // followed by a comment
    [InlineData("FROM ubuntu\n# hadolint ignore=DL3002\n# a comment between\nUSER root\n", true)] // the next line only
    public void Ignore_pragmas_read_as_hadolints_own_specs_say(string dockerfile, bool reported)
    {
        var path = Path.Combine(_folder.Write("Dockerfile", dockerfile).Path, "Dockerfile");

        Assert.Equal(reported, DockerfileLint.Lint(path).Any(f => f.Id == "DL3002"));
    }

    [Fact]
    public void A_configuration_can_switch_the_pragmas_off_and_an_empty_one_is_refused_as_hadolint_refuses_it()
    {
        var path = Path.Combine(_folder.Write("Dockerfile", "FROM ubuntu\n# hadolint ignore=DL3002\nUSER root\n").Path, "Dockerfile");
        var disabled = Path.Combine(_folder.Write("disabled.yaml", "disable-ignore-pragma: true\n").Path, "disabled.yaml");
        var empty = Path.Combine(_folder.Write("empty.yaml", "").Path, "empty.yaml");

        Assert.Contains(DockerfileLint.Lint(path, configFile: disabled), f => f.Id == "DL3002");
        var error = Assert.Throws<ContainerException>(() => DockerfileLint.Lint(path, configFile: empty));
        Assert.Equal($"{empty} is empty, and hadolint refuses an empty configuration file (\"empty YAML stream\"): give a setting (such as ignored: [DL3008]) or remove the file.", error.Message);
    }

    [Fact]
    public void Each_rule_names_its_id_and_the_line_it_is_about()
    {
        _folder.Write("Dockerfile", Everything);

        var findings = DockerfileLint.Lint(Path.Combine(_folder.Path, "Dockerfile"), _folder.Path, syntax: DockerfileSyntax.Engine2010);

        Assert.Equal(
        [
            // hadolint's DL3009 holds only in the last stage or one a later FROM builds on, as its specs have it: not here.
            ("NCL003", 1), ("NCL004", 1), ("DL3006", 2), ("DL3008", 3), ("DL3014", 3), ("DL3015", 3), ("NCL001", 5), ("NCL002", 5),
            ("DL3013", 6), ("DL3042", 6), ("DL4006", 6), ("DL3020", 7), ("DL3025", 8), ("DL3002", 9), ("DL3007", 10), ("DL3024", 11),
        ], findings.Select(f => (f.Id, f.Line!.Value)));
        Assert.All(findings, f => Assert.Equal(FindingKind.Lint, f.Kind));
        Assert.Equal(Severity.High, findings.Single(f => f.Id == "DL3020").Severity);    // hadolint's error
        Assert.Equal(Severity.Medium, findings.Single(f => f.Id == "DL3006").Severity);  // warning
        Assert.Equal(Severity.Low, findings.Single(f => f.Id == "DL3015").Severity);     // info
        Assert.Contains("'npm install' after the COPY at line 4", findings.Single(f => f.Id == "NCL002").Title);
    }

    [Fact]
    public void Each_stage_whose_last_USER_is_root_is_flagged_as_hadolint_flags_it()
    {
        _folder.Write("Dockerfile", "FROM debian:12 AS build\nUSER root\nFROM debian:12 AS test\nUSER root\nUSER 65532\nFROM debian:12\nUSER 0:0\nRUN true\n").Write(".dockerignore", "");

        var findings = DockerfileLint.Lint(Path.Combine(_folder.Path, "Dockerfile"), _folder.Path);

        Assert.Equal([("DL3002", 2), ("DL3002", 7)], findings.Select(f => (f.Id, f.Line!.Value)));
    }

    [Fact]
    public void Inline_and_global_ignore_comments_and_a_hadolint_yaml_silence_rules_or_change_their_level()
    {
        _folder.Write("Dockerfile", """
            # hadolint global ignore=DL3059
            FROM ubuntu
            # the reason
            # hadolint ignore=DL3014,DL3015
            RUN apt-get update && apt-get install curl && rm -rf /var/lib/apt/lists/*
            RUN true
            RUN apt-get install -y wget && rm -rf /var/lib/apt/lists/*
            """).Write(".dockerignore", "").Write(".hadolint.yaml", "ignored:\n  - DL3006\n  - DL3008\noverride:\n  error:\n    - DL3015\n");

        var findings = DockerfileLint.Lint(Path.Combine(_folder.Path, "Dockerfile"), _folder.Path, Path.Combine(_folder.Path, ".hadolint.yaml"));

        Assert.Equal([("DL3015", 7, Severity.High)], findings.Select(f => (f.Id, f.Line!.Value, f.Severity)));
    }

    [Theory]
    [InlineData("go-api", "Dockerfile", new string[0])]
    [InlineData("node-web", "Dockerfile", new string[0])]
    [InlineData("dotnet-api", "Dockerfile", new string[0])]
    [InlineData("go-api", "Dockerfile.naive", new[] { "NCL002" })]      // go build fetches the modules after COPY . .
    [InlineData("node-web", "Dockerfile.naive", new[] { "NCL001", "NCL002", "DL3059" })]
    [InlineData("dotnet-api", "Dockerfile.naive", new[] { "NCL002" })]  // dotnet publish restores after COPY . .
    public void The_samples_optimised_Dockerfiles_are_clean_and_the_naive_ones_are_not(string sample, string file, string[] ids)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "NukeContainers.sln"))) root = root.Parent!;
        var folder = Path.Combine(root.FullName, "samples", sample);

        var findings = DockerfileLint.Lint(Path.Combine(folder, file), folder);

        Assert.Equal(ids, findings.Select(f => f.Id));
    }
}
