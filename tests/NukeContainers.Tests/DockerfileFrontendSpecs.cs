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
    [Theory]
    [MemberData(nameof(DockerfileFrontendCases.Dockerfiles), MemberType = typeof(DockerfileFrontendCases))]
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
        var engineLine = engineError is not null && EngineLine().Match(engineError) is { Success: true } match ? int.Parse(match.Groups[1].Value) : (int?)null;
        if (engineError is null) Assert.Null(modelError);
        else
        {
            Assert.NotNull(modelError);
            if (engineLine is { } line) Assert.Equal(line, modelError.Line);
        }
        // The table the unit tier holds the model to is what this engine says (NUKECONTAINERS_RECORD_VERDICTS=FILE writes it there instead).
        var verdict = DockerfileFrontendCases.Verdict(engineError is not null, engineLine);
        if (Environment.GetEnvironmentVariable("NUKECONTAINERS_RECORD_VERDICTS") is { Length: > 0 } record) Record(record, version.APIVersion, name, verdict);
        else Assert.True(DockerfileFrontendCases.Recorded(version.APIVersion, name) == verdict,
            $"testdata/dockerfile-frontend/verdicts.json says {DockerfileFrontendCases.Recorded(version.APIVersion, name) ?? "nothing"} of '{name}' for API {version.APIVersion}, and the engine: {verdict}. " +
            "Record the table again: NUKECONTAINERS_RECORD_VERDICTS=tests/NukeContainers.Tests/testdata/dockerfile-frontend/verdicts.json, on each engine.");
    }

    private static readonly Lock Recording = new();

    /// Adds a verdict to the table at <paramref name="file"/>, keeping the others (the cases run one at a time; both engines write the same file).
    private static void Record(string file, string apiVersion, string name, string verdict)
    {
        lock (Recording)
        {
            var table = File.Exists(file) ? System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!.AsObject() : new System.Text.Json.Nodes.JsonObject();
            var engine = table[apiVersion] as System.Text.Json.Nodes.JsonObject ?? (System.Text.Json.Nodes.JsonObject)(table[apiVersion] = new System.Text.Json.Nodes.JsonObject());
            engine[name] = verdict;
            File.WriteAllText(file, table.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
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
