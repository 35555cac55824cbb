using System.Text.RegularExpressions;
using NukeContainers.Building;
using NukeContainers.Dockerfiles;

namespace NukeContainers.Tests;

/// The Dockerfile model held against the engine's own frontend: each Dockerfile below goes to the engine as it is (no
/// check of ours in between) and to the model with the engine's syntax. Where the engine refuses a file at a line, the
/// model refuses it at that line; where the engine refuses it without a line, the model refuses it; where the engine
/// builds it, the model accepts it.
[Collection(EngineCollection.Name)]
public sealed partial class DockerfileFrontendSpecs(EngineFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Base = EngineFixture.BaseImage;

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

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public async Task The_model_refuses_what_the_engines_frontend_refuses_at_the_same_line_and_accepts_what_it_builds(string name, string text)
    {
        using var context = new TempFolder().Write("Dockerfile", text);
        var version = await fixture.Engine.Client.System.GetVersionAsync();
        var syntax = DockerfileSyntax.ForApiVersion(version.APIVersion);

        string? engineError = null;
        try
        {
            await fixture.Engine.BuildAsync(BuildContext.Create(context.Path), new BuildSettings { Network = NetworkMode.None, Labels = new Dictionary<string, string> { [Engine.ResourceLabels.Run] = Engine.ResourceLabels.RunId } }, [], _ => { });
        }
        catch (ContainerException e)
        {
            engineError = e.Message;
        }
        DockerfileException? modelError = null;
        try
        {
            DockerfileParser.Parse(text, "Dockerfile", null, syntax);
        }
        catch (DockerfileException e)
        {
            modelError = e;
        }

        output.WriteLine($"{name}: engine {engineError ?? "builds it"}; model {modelError?.Message ?? "accepts it"}");
        if (engineError is null) Assert.Null(modelError);
        else
        {
            Assert.NotNull(modelError);
            if (EngineLine().Match(engineError) is { Success: true } line) Assert.Equal(int.Parse(line.Groups[1].Value), modelError.Line);
        }
    }

    [Fact]
    public void A_file_without_FROM_is_refused_by_the_model_before_the_engine_sees_it_because_it_crashes_this_engine()
    {
        // Sent to this engine (Docker 20.10.24), "ARG A=1" alone panics its BuildKit (index out of range in
        // dispatchStates.lastTarget) and takes the daemon down: the build step parses first, so it never gets there.
        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("ARG A=1\n", "Dockerfile", null, DockerfileSyntax.Engine2010));

        Assert.Contains("has no FROM instruction", error.Message);
    }

    [GeneratedRegex(@"parse error line (\d+)")]
    private static partial Regex EngineLine();
}
