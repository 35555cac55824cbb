using NukeContainers.Dockerfiles;

namespace NukeContainers.Tests;

public sealed class DockerfileParserSpecs
{
    private const string MultiStage = """
        # syntax=docker/dockerfile:1
        # escape=\

        ARG GO_VERSION=1.22
        ARG BASE=golang:${GO_VERSION}-bookworm
        FROM --platform=$BUILDPLATFORM ${BASE} AS build
        WORKDIR /src
        # dependency manifests first, for the cache
        COPY go.mod go.sum ./
        RUN go mod download && \
            # a comment inside a continuation
            go build -o /out/app \
              ./cmd/app

        FROM gcr.io/distroless/static:nonroot AS runtime
        COPY --from=build /out/app /app
        ENTRYPOINT ["/app"]
        """;

    [Fact]
    public void Stages_instructions_and_line_numbers_are_read()
    {
        var file = DockerfileParser.Parse(MultiStage, "samples/go-api/Dockerfile");

        Assert.Equal(2, file.Stages.Count);
        Assert.Equal("build", file.Stages[0].Name);
        Assert.Equal("golang:1.22-bookworm", file.Stages[0].BaseImage);
        Assert.Equal("", file.Stages[0].Platform);
        Assert.Equal("gcr.io/distroless/static:nonroot", file.Stages[1].BaseImage);
        var run = file.Stages[0].Instructions.Single(i => i.Keyword == "RUN");
        Assert.Equal((10, 13), (run.Line, run.EndLine));
        Assert.Equal("go mod download &&     go build -o /out/app       ./cmd/app", run.Arguments);
        Assert.Equal("docker/dockerfile:1", file.Directives["syntax"]);
        Assert.Equal("build", file.Stages[1].Instructions[0].Flags["from"]);
    }

    [Fact]
    public void Build_args_override_the_defaults_of_ARGs_before_FROM()
    {
        var file = DockerfileParser.Parse(MultiStage, buildArgs: new Dictionary<string, string> { ["GO_VERSION"] = "1.23" });

        Assert.Equal("golang:1.23-bookworm", file.Stages[0].BaseImage);
    }

    /// BuildKit's own TestDetectSyntax and TestDirectives (frontend/dockerfile/parser/directives_test.go at
    /// 4e8bc5f6d30ceca69992b37ae9d058b43b3baf3f), each with a FROM after it where it has none (the cases are about the
    /// directives). Left out, with their reason: the `//syntax=` and JSON ones, which are for frontends that read
    /// other files than Dockerfiles (a Dockerfile with them fails at its first line, here and in BuildKit's parser).
    [Theory]
    [InlineData("# syntax = dockerfile:experimental // opts\nFROM busybox\n", "dockerfile:experimental")]
    [InlineData("#!/bin/sh\n# syntax = dockerfile:experimental\nFROM busybox\n", "dockerfile:experimental")]   // after a shebang
    [InlineData("#!/bin/sh\n\n# syntax = dockerfile:experimental\nFROM busybox\n", null)]                     // not after a blank line
    [InlineData("FROM busybox\nRUN ls\n", null)]
    [InlineData("\uFEFF# syntax = myfrontend\nFROM busybox\n", "myfrontend")]                                    // TestDetectSyntaxBOM
    public void The_syntax_directive_is_found_where_BuildKit_finds_it(string text, string? syntax) =>
        Assert.Equal(syntax, DockerfileParser.Parse(text).Directives.GetValueOrDefault("syntax"));

    [Theory]
    [InlineData("#escape=\\\n# key = FOO bar\n\n# smth\nFROM busybox\n")]
    [InlineData("# EScape=\\\n# KEY = FOO bar\n\n# smth\nFROM busybox\n")]   // "for some reason Moby implementation in case insensitive for escape"
    public void The_escape_directive_is_read_in_any_case_as_BuildKits_TestDirectives_says(string text) =>
        Assert.Equal("\\", DockerfileParser.Parse(text).Directives["escape"]);

    [Theory]
    [InlineData("${A:-fallback}", "fallback")]
    [InlineData("${SET:-fallback}", "value")]
    [InlineData("${SET:+alt}", "alt")]
    [InlineData("${A:+alt}", "")]
    [InlineData("${EMPTY-fallback}", "")]
    [InlineData("${EMPTY:-fallback}", "fallback")]
    [InlineData("$SET/x", "value/x")]
    public void FROM_expands_variables_like_the_engine(string text, string expected) =>
        Assert.Equal(expected, DockerfileParser.Expand(text, new Dictionary<string, string> { ["SET"] = "value", ["EMPTY"] = "" }));

    [Fact]
    public void Heredocs_are_read_with_their_content_and_end_line()
    {
        var file = DockerfileParser.Parse("FROM alpine\nRUN <<EOF\necho one\necho two\nEOF\nCOPY <<-\"CONF\" /etc/app.conf\n\tkey=value\n\tCONF\nUSER 65532\n");

        var run = file.Stages[0].Instructions[0];
        Assert.Equal("echo one\necho two\n", run.Heredocs[0].Content);
        Assert.Equal((2, 5), (run.Line, run.EndLine));
        var copy = file.Stages[0].Instructions[1];
        Assert.Equal("key=value\n", copy.Heredocs[0].Text);
        Assert.Equal("\tkey=value\n", copy.Heredocs[0].Content);
        Assert.Equal(9, file.Stages[0].Instructions[2].Line);
    }

    /// Each of these was read otherwise before the parser followed BuildKit's line parsers (issue 26.9).
    [Fact]
    public void Instructions_are_split_as_BuildKits_line_parsers_split_them()
    {
        var file = DockerfileParser.Parse(
            "# foo=bar\n# foo=baz\nARG REGISTRY=local IMAGE=\"static:nonroot\"\nFROM ${REGISTRY}/${IMAGE}\n" +
            "RUN --mount=type=cache,target=/a --mount=type=cache,target=/b true\n" +
            "COPY --chown=\"1:1\" --from=build /out /app\nONBUILD RUN <<EOF\necho later\nEOF\n");

        Assert.Empty(file.Directives);   // an unknown name ends the directives: both lines are comments, not "given twice"
        Assert.Equal("local/static:nonroot", file.Stages[0].BaseImage);   // two ARGs on one line
        Assert.Equal(["--mount=type=cache,target=/a", "--mount=type=cache,target=/b"], file.Stages[0].Instructions[0].Node.Flags);
        Assert.Equal("1:1", file.Stages[0].Instructions[1].Flags["chown"]);
        Assert.Equal(["/out", "/app"], file.Stages[0].Instructions[1].Node.Values);
        Assert.Equal("echo later\n", file.Stages[0].Instructions[2].Heredocs.Single().Content);   // an ONBUILD's RUN carries heredocs too
        Assert.Equal(["REGISTRY", "IMAGE"], file.DeclaredArgs);
        Assert.Equal("docker/dockerfile:1", DockerfileParser.Parse("# syntax=docker/dockerfile:1 extra\nFROM a\n").Directives["syntax"]);
    }

    [Fact]
    public void The_escape_directive_changes_the_continuation_character()
    {
        var file = DockerfileParser.Parse("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\n");

        Assert.Equal("dir   c:\\", file.Stages[0].Instructions[0].Arguments);
    }

    [Theory]
    [InlineData("FROM alpine\nRUNN echo hi\n", 2, "unknown instruction: RUNN")]
    [InlineData("# a comment\nRUN echo hi\n", 2, "the first instruction must be FROM (ARGs may come before it), not RUN")]
    [InlineData("FROM alpine AS build extra\n", 1, "FROM takes an image and an optional 'AS name'")]
    [InlineData("FROM alpine AS a\nFROM alpine AS A\n", 2, "the stage name 'A' is used twice")]
    [InlineData("FROM alpine\nRUN <<EOF\necho never ends\n", 2, "the here-document <<EOF never ends")]
    [InlineData("ARG BASE\nFROM $BASE\n", 2, "expands to an empty image name")]
    public void A_syntax_error_names_the_file_and_line(string text, int line, string problem)
    {
        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse(text, "app/Dockerfile"));

        Assert.Equal(line, error.Line);
        Assert.StartsWith($"app/Dockerfile:{line}: ", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void An_unknown_target_stage_is_an_error_that_lists_the_stages()
    {
        var file = DockerfileParser.Parse(MultiStage, "Dockerfile");

        var error = Assert.Throws<DockerfileException>(() => file.RequireStage("tset"));

        Assert.Equal("Dockerfile has no stage 'tset'. Its stages are: build, runtime. Name one of them as the target, or leave the target out to build the last stage.", error.Message);
        Assert.Equal("runtime", file.RequireStage(null).Name);
        Assert.Equal("build", file.RequireStage("BUILD").Name);
        Assert.Equal("runtime", file.RequireStage("1").Name);
    }
}
