using NukeContainers.Dockerfiles;

namespace NukeContainers.Tests;

/// <summary>
/// The Dockerfile model and each engine's syntax, with no engine: every case of DockerfileFrontendSpecs gets from the
/// model what the engine of that API version said of it (testdata/dockerfile-frontend/verdicts.json, recorded from
/// Docker 20.10.24 and 26.1.5 and checked against them by the engine specs on every run): built, refused at the line the
/// engine named, or refused.
/// </summary>
public sealed class DockerfileVerdictSpecs
{
    private static readonly string[] Engines = ["1.41", "1.45"];

    private static IReadOnlyDictionary<string, string> Texts { get; } =
        DockerfileFrontendCases.Dockerfiles.ToDictionary(row => (string)row[0], row => (string)row[1]);

    public static TheoryData<string, string> Cases
    {
        get
        {
            var cases = new TheoryData<string, string>();
            foreach (var api in Engines)
                foreach (var name in Texts.Keys) cases.Add(api, name);
            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_model_says_of_each_Dockerfile_what_the_engines_frontend_said(string api, string name)
    {
        var recorded = DockerfileFrontendCases.Recorded(api, name);
        Assert.True(recorded is not null, $"verdicts.json has no verdict of API {api} for '{name}': record it from the engine (DockerfileFrontendSpecs says how).");
        DockerfileException? error = null;
        try
        {
            DockerfileParser.Parse(Texts[name], "Dockerfile", null, DockerfileSyntax.ForApiVersion(api));
        }
        catch (DockerfileException e)
        {
            error = e;
        }

        // Where the engine named no line, any line of the model's passes; where it named one, the model names it.
        var verdict = DockerfileFrontendCases.Verdict(error is not null, recorded!.StartsWith("refused at line", StringComparison.Ordinal) ? error?.Line : null);
        Assert.True(verdict == recorded, $"API {api}, '{name}': the engine {recorded}, the model {verdict}{(error is null ? "" : $" ({error.Message})")}");
    }
}
