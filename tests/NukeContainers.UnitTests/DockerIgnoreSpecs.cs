using NukeContainers.Building;

namespace NukeContainers.Tests;

public sealed class DockerIgnoreSpecs
{
    [Fact]
    public void Every_case_of_moby_patternmatchers_own_tests_agrees()
    {
        var cases = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "patternmatcher", "cases.json")))!;
        var disagreements = new List<string>();
        void Check(string[] patterns, string text, bool excluded, bool bad)
        {
            // Each pattern a line, as .dockerignore has them; patternmatcher's Matches takes them as a list.
            var file = string.Join('\n', patterns);
            try
            {
                var ignore = DockerIgnore.Parse(file);
                if (bad) disagreements.Add($"[{string.Join(", ", patterns)}] is refused by patternmatcher, and taken here");
                else if (ignore.IsExcluded(text) != excluded) disagreements.Add($"[{string.Join(", ", patterns)}] on '{text}': patternmatcher {excluded}, here {!excluded}");
            }
            catch (ContainerException e)
            {
                if (!bad) disagreements.Add($"[{string.Join(", ", patterns)}] is taken by patternmatcher, and refused here: {e.Message}");
            }
        }
        foreach (var c in cases["single"]!.AsArray())
            Check([c!["pattern"]!.GetValue<string>()], c["text"]!.GetValue<string>(), c["pass"]!.GetValue<string>() != "fail", bad: false);
        foreach (var c in cases["multi"]!.AsArray())
            Check([.. c!["patterns"]!.AsArray().Select(p => p!.GetValue<string>())], c["text"]!.GetValue<string>(), c["pass"]!.GetValue<string>() != "fail", bad: false);
        foreach (var c in cases["filepathMatch"]!.AsArray())
            Check([c!["pattern"]!.GetValue<string>()], c["text"]!.GetValue<string>(), c["match"]!.GetValue<bool>(), bad: c["error"] is not null);

        Assert.Equal(68 + 12 + 55, cases["single"]!.AsArray().Count + cases["multi"]!.AsArray().Count + cases["filepathMatch"]!.AsArray().Count);
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} disagreements:\n" + string.Join("\n", disagreements));
    }

    [Theory]
    [InlineData("*.env", "secret.env", true)]
    [InlineData("*.env", "config/secret.env", false)]            // * stays within one segment
    [InlineData("**/*.env", "config/deep/secret.env", true)]
    [InlineData("**/*.env", "secret.env", true)]                  // ** matches zero folders too
    [InlineData("logs", "logs/today/app.log", true)]               // a folder excludes what is in it
    [InlineData("/logs/", "logs/app.log", true)]                   // leading and trailing slashes are cleaned
    [InlineData("./build", "build/out.bin", true)]
    [InlineData("doc?", "docs", true)]
    [InlineData("doc?", "doc", false)]
    [InlineData("src/**", "src/a/b/c.go", true)]
    [InlineData("src/**", "srcx/a.go", false)]
    [InlineData("**", "anything/at/all", true)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("[a-c]at", "bat", true)]
    [InlineData("[a-c]at", "rat", false)]
    [InlineData("file.txt", "file_txt", false)]                   // dots are literal
    public void A_pattern_matches_like_the_docker_CLI(string pattern, string path, bool excluded) =>
        Assert.Equal(excluded, DockerIgnore.Parse(pattern).IsExcluded(path));

    [Fact]
    public void The_last_matching_pattern_wins_so_exceptions_re_include_paths()
    {
        var ignore = DockerIgnore.Parse("""
            # build output
            *.md
            !README*.md
            README-secret.md
            """);

        Assert.True(ignore.IsExcluded("CHANGELOG.md"));
        Assert.False(ignore.IsExcluded("README.md"));
        Assert.True(ignore.IsExcluded("README-secret.md"));
        Assert.True(ignore.HasExceptions);
    }

    [Fact]
    public void An_exception_can_re_include_a_file_inside_an_excluded_folder()
    {
        var ignore = DockerIgnore.Parse("logs\n!logs/keep.log\n");

        Assert.True(ignore.IsExcluded("logs/a.log"));
        Assert.False(ignore.IsExcluded("logs/keep.log"));
    }

    [Fact]
    public void Comments_and_blank_lines_are_ignored()
    {
        var ignore = DockerIgnore.Parse("\n# *.txt\n   \n");

        Assert.False(ignore.IsExcluded("a.txt"));
        Assert.False(ignore.HasExceptions);
    }

    [Fact]
    public void The_context_walk_leaves_out_excluded_files_but_always_sends_the_Dockerfile_and_dockerignore()
    {
        using var folder = new TempFolder()
            .Write("Dockerfile", "FROM scratch")
            .Write(".dockerignore", "Dockerfile\n.dockerignore\nnode_modules\nlogs\n!logs/keep.log\n*.env")
            .Write("app.js", "")
            .Write("local.env", "")
            .Write("logs/a.log", "")
            .Write("logs/keep.log", "")
            .Write("node_modules/x/index.js", "");

        var entries = BuildContext.Create(folder.Path).Entries().ToList();

        Assert.Equal([".dockerignore", "Dockerfile", "app.js", "logs/keep.log"], entries);
    }

    [Fact]
    public void A_missing_Dockerfile_is_an_error_naming_where_it_was_looked_for()
    {
        using var folder = new TempFolder().Write("app.js", "");

        var error = Assert.Throws<ContainerException>(() => BuildContext.Create(folder.Path, "Dockerfile.prod"));

        Assert.Contains($"There is no Dockerfile at '{Path.Combine(folder.Path, "Dockerfile.prod")}'", error.Message);
    }

    [Theory]
    [InlineData("[abc", 2)]
    [InlineData("x[z-a]y", 3)]
    public void A_pattern_that_is_not_one_names_the_file_and_line(string pattern, int line)
    {
        var text = string.Join('\n', new[] { "# first", "*.tmp", "logs" }.Take(line - 1).Append(pattern));

        var error = Assert.Throws<ContainerException>(() => DockerIgnore.Parse(text, "/ctx/.dockerignore"));

        Assert.StartsWith($"/ctx/.dockerignore:{line}: the pattern '{pattern}' is not valid (", error.Message);
        Assert.EndsWith("Fix or remove the line: the docker CLI refuses it too.", error.Message);
    }
}

/// What the legacy builder is given instead of the Dockerfile.
public sealed class LegacyDockerfileSpecs
{
    [Fact]
    public void Earlier_stages_end_with_the_builds_labels_in_place_of_the_blank_line_before_the_next_FROM_so_lines_keep_their_numbers()
    {
        const string dockerfile = "FROM a AS build\nRUN --mount=type=cache,target=/c make\n\nFROM b AS test\nRUN true\nFROM c\nCOPY --from=build /out /\n";

        var legacy = Building.BuildContext.ForLegacyBuilder(dockerfile, new Dictionary<string, string> { ["org.nukecontainers.run"] = "host:1:2", ["team"] = "a \"b\" $HOME" });

        Assert.Equal(
            "FROM a AS build\nRUN make\nLABEL org.nukecontainers.stage=earlier \"org.nukecontainers.run\"=\"host:1:2\" \"team\"=\"a \\\"b\\\" \\$HOME\"\nFROM b AS test\nRUN true\n" +
            "LABEL org.nukecontainers.stage=earlier \"org.nukecontainers.run\"=\"host:1:2\" \"team\"=\"a \\\"b\\\" \\$HOME\"\nFROM c\nCOPY --from=build /out /\n", legacy);
        Assert.Equal(dockerfile.Replace("--mount=type=cache,target=/c ", ""), Building.BuildContext.ForLegacyBuilder(dockerfile, new Dictionary<string, string>()));
    }

    [Fact]
    public void A_stage_on_the_build_platform_loses_the_flag_the_legacy_builder_cannot_expand_and_other_platforms_keep_it()
    {
        const string dockerfile = "FROM --platform=$BUILDPLATFORM golang AS build\nfrom --platform=${BUILDPLATFORM} node AS web\nFROM --platform=linux/arm64 scratch\n";

        Assert.Equal("FROM golang AS build\nfrom node AS web\nFROM --platform=linux/arm64 scratch\n", Building.BuildContext.ForLegacyBuilder(dockerfile, new Dictionary<string, string>()));
    }
}
