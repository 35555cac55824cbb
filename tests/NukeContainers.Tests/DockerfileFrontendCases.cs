using System.Text.Json.Nodes;

namespace NukeContainers.Tests;

/// <summary>
/// The Dockerfiles the model is held against the engines' own frontends with, and what each engine said of each
/// (testdata/dockerfile-frontend/verdicts.json, by API version: 1.41 is Docker 20.10's, 1.45 Docker 26's). The engine
/// specs (DockerfileFrontendSpecs) send each to the engine and check that it still says what the table says; the unit
/// tier (DockerfileVerdictSpecs) holds the model to the table with no engine. Shared by both test projects.
/// </summary>
internal static class DockerfileFrontendCases
{
    /// EngineFixture.BaseImage: the engine specs build on it; the unit tier only reads the text.
    internal const string Base = "nukecontainers-test/busybox:1";

    public static TheoryData<string, string> Dockerfiles => new()
    {
        // Good ones.
        { "plain", $"FROM {Base}\nCMD [\"sh\"]\n" },
        { "args before FROM", $"ARG IMAGE={Base}\nARG V=1\nFROM ${{IMAGE}}\nARG V\nRUN echo $V\n" },
        { "stages", $"FROM {Base} AS build\nRUN echo a > /a\nFROM {Base}\nCOPY --from=build /a /a\n" },
        { "backtick escape", $"# escape=`\nFROM {Base}\nRUN echo a `\n  b\n" },
        { "comments inside a continuation", $"FROM {Base}\nRUN echo a \\\n# a comment\n  b\n" },
        { "empty continuation line", $"FROM {Base}\nRUN echo a \\\n\n  b\n" },
        { "spaces after the backslash", $"FROM {Base}\nRUN echo a \\   \n  b\n" },
        { "JSON forms", $"FROM {Base}\nENTRYPOINT [\"/bin/sh\", \"-c\"]\nCMD [\"echo hi\"]\n" },
        { "not JSON is the shell form", $"FROM {Base}\nCMD [echo hi]\n" },
        { "ENV forms", $"FROM {Base}\nENV A=1 B=\"two words\"\nENV C 3\n" },
        { "labels", $"FROM {Base}\nLABEL a=1 b=\"2\"\n" },
        { "ports", $"FROM {Base}\nEXPOSE 80 443/tcp 53/udp 8000-8010/tcp\n" },
        { "port 0 and 65535 pass this engine", $"FROM {Base}\nEXPOSE 0 65535 10-10\n" },
        { "healthcheck", $"FROM {Base}\nHEALTHCHECK --interval=5s --timeout=3s --start-period=1m30s --retries=3 CMD [\"true\"]\n" },
        { "healthcheck none", $"FROM {Base}\nHEALTHCHECK NONE\n" },
        { "copy flags", $"FROM {Base}\nCOPY --chown=1:1 --chmod=755 Dockerfile /d\n" },
        { "add chown", $"FROM {Base}\nADD --chown=1:1 Dockerfile /d\n" },
        { "cache mount", $"FROM {Base}\nRUN --mount=type=cache,target=/cache,sharing=locked echo\n" },
        { "lower case", $"from {Base}\nrun echo hi\n" },
        { "onbuild", $"FROM {Base}\nONBUILD RUN echo later\n" },
        { "the rest", $"FROM {Base}\nSTOPSIGNAL SIGTERM\nSHELL [\"/bin/sh\", \"-c\"]\nWORKDIR /app\nUSER 1000\nVOLUME [\"/data\"]\n" },
        { "a directive after a comment is a comment", $"# a comment\n# escape=x\nFROM {Base}\n" },
        { "platform", $"FROM --platform=linux/amd64 {Base}\n" },
        { "duplicate stage names pass this frontend", $"FROM {Base} AS a\nFROM {Base} AS a\n" },
        { "CMD and RUN with nothing", $"FROM {Base}\nCMD\nRUN\n" },
        { "ARG with two names", $"FROM {Base}\nARG A B\n" },
        // Bad ones.
        { "unknown instruction", $"FROM {Base}\nRUNN echo\n" },
        { "RUN before FROM", $"RUN echo\nFROM {Base}\n" },
        { "stage name starting with a digit", $"FROM {Base} AS 1bad\n" },
        { "AS without a name", $"FROM {Base} AS\n" },
        { "unknown COPY flag", $"FROM {Base}\nCOPY --chmd=755 Dockerfile /d\n" },
        { "a COPY flag on RUN", $"FROM {Base}\nRUN --from=x echo\n" },
        { "a flag this frontend lacks", $"FROM {Base}\nRUN --network=none echo\n" },
        { "COPY --link", $"FROM {Base}\nCOPY --link Dockerfile /d\n" },
        { "unknown FROM flag", $"FROM --platfrm=linux/amd64 {Base}\n" },
        { "unknown ADD flag", $"FROM {Base}\nADD --keep-git-dir=true Dockerfile /d\n" },
        { "unknown mount type", $"FROM {Base}\nRUN --mount=type=nope,target=/x echo\n" },
        { "unknown mount key", $"FROM {Base}\nRUN --mount=type=cache,target=/x,nope=1 echo\n" },
        { "cache mount without a target", $"FROM {Base}\nRUN --mount=type=cache echo\n" },
        { "ENV without a value", $"FROM {Base}\nENV A\n" },
        { "ENV with a blank name", $"FROM {Base}\nENV =x\n" },
        { "LABEL without a value", $"FROM {Base}\nLABEL a\n" },
        { "a port that is not one", $"FROM {Base}\nEXPOSE abc\n" },
        { "a protocol that is not one", $"FROM {Base}\nEXPOSE 80/abc\n" },
        { "a port above 65535", $"FROM {Base}\nEXPOSE 70000\n" },
        { "a range that runs backwards", $"FROM {Base}\nEXPOSE 10-5/udp\n" },
        { "a range that ends above 65535", $"FROM {Base}\nEXPOSE 5-70000\n" },
        { "a duration that is not one", $"FROM {Base}\nHEALTHCHECK --interval=abc CMD true\n" },
        { "retries that are not a number", $"FROM {Base}\nHEALTHCHECK --retries=x CMD true\n" },
        { "HEALTHCHECK NONE with arguments", $"FROM {Base}\nHEALTHCHECK NONE x\n" },
        { "HEALTHCHECK without CMD", $"FROM {Base}\nHEALTHCHECK --interval=5s true\n" },
        { "WORKDIR with nothing", $"FROM {Base}\nWORKDIR\n" },
        { "USER with nothing", $"FROM {Base}\nUSER\n" },
        { "MAINTAINER with nothing", $"FROM {Base}\nMAINTAINER\n" },
        { "STOPSIGNAL with nothing", $"FROM {Base}\nSTOPSIGNAL\n" },
        { "ARG with nothing", $"FROM {Base}\nARG\n" },
        { "VOLUME with nothing", $"FROM {Base}\nVOLUME\n" },
        { "COPY with one argument", $"FROM {Base}\nCOPY Dockerfile\n" },
        { "SHELL not in JSON", $"FROM {Base}\nSHELL /bin/bash -c\n" },
        { "ONBUILD FROM", $"FROM {Base}\nONBUILD FROM x\n" },
        { "ONBUILD ONBUILD", $"FROM {Base}\nONBUILD ONBUILD RUN x\n" },
        { "a heredoc this frontend does not know", $"FROM {Base}\nRUN <<EOT\necho hi\nEOT\n" },
        { "a bad escape directive", $"# escape=x\nFROM {Base}\n" },
        // The classes of disagreement "Hardening, round 3" found (issue 26.9), each held against the engine too.
        { "bare ONBUILD", $"FROM {Base}\nONBUILD\n" },
        { "bare EXPOSE", $"FROM {Base}\nEXPOSE\n" },
        { "a healthcheck interval under 1ms", $"FROM {Base}\nHEALTHCHECK --interval=500us CMD true\n" },
        { "a line ending in an escaped backslash continues", $"FROM {Base}\nRUN echo a \\\\\nnotaninstruction\n" },
        { "an unknown instruction after a bad port", $"FROM {Base}\nEXPOSE abc\nRUNN x\n" },
        { "a quoted << is no heredoc", $"FROM {Base}\nRUN echo \"<<EOT\"\nRUN echo next\n" },
        { "nested JSON in CMD is refused", $"FROM {Base}\nCMD [\"a\", [\"b\"]]\n" },
    };


    /// The table's file.
    public static string VerdictsPath => Path.Combine(AppContext.BaseDirectory, "testdata", "dockerfile-frontend", "verdicts.json");

    /// What the engine of an API version said of a case: "builds", "refused", or "refused at line N".
    public static string? Recorded(string apiVersion, string name) =>
        File.Exists(VerdictsPath) ? JsonNode.Parse(File.ReadAllText(VerdictsPath))?[apiVersion]?[name]?.GetValue<string>() : null;

    /// A verdict as the table writes it: refused with the line the error names, refused without one, or built.
    public static string Verdict(bool refused, int? line) => !refused ? "builds" : line is { } at ? $"refused at line {at}" : "refused";
}
