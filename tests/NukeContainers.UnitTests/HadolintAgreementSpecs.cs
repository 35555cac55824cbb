using System.Text.Json;
using System.Text.RegularExpressions;
using NukeContainers.Dockerfiles;

namespace NukeContainers.Tests;

/// Each lint rule that has hadolint's id, held against hadolint's own specs for it (testdata/hadolint: every case of
/// its test/Hadolint/Rule/DLxxxxSpec.hs, extracted with its expectation): the rule must agree with at least 95% of them.
public sealed partial class HadolintAgreementSpecs(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private sealed record Case(string Rule, bool Expected, bool OnBuild, string Dockerfile);

    private static IReadOnlyList<Case> Cases { get; } = JsonSerializer.Deserialize<List<Case>>(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "hadolint", "cases.json")), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    /// hadolint's onBuild helpers wrap every RUN in ONBUILD; so does this, on the text.
    private static string InOnBuild(string dockerfile) => RunLine().Replace(dockerfile, "${indent}ONBUILD RUN");

    [GeneratedRegex(@"(?m)(?<=^|[^\\]\n)(?<indent>[ \t]*)RUN(?=[ \t])")]
    private static partial Regex RunLine();

    /// The first instruction that is not an ARG (comments and blank lines skipped).
    [GeneratedRegex(@"(?im)^[ \t]*(?!ARG\b)(?!#)([A-Za-z]+)\b")]
    private static partial Regex FirstInstruction();

    /// Whether the lint agrees with one case: reports the rule (exactly once, for an ONBUILD case, as hadolint's helper
    /// asks) or does not; a Dockerfile the parser refuses disagrees.
    private bool Agrees(Case @case, int index)
    {
        var path = Path.Combine(_folder.Path, $"Dockerfile.{index}");
        var text = @case.OnBuild ? InOnBuild(@case.Dockerfile) : @case.Dockerfile;
        // Most of hadolint's cases are fragments without a FROM, which hadolint lints as they are and the engine (and
        // this parser) refuses: they get a FROM scratch line first, which no rule here reports.
        // So do those whose first instruction (after ARGs) is not a FROM (hadolint's MAINTAINER before FROM).
        if (FirstInstruction().Match(text) is not { Success: true, Groups: var g } || !g[1].Value.Equals("FROM", StringComparison.OrdinalIgnoreCase)) text = "FROM scratch\n" + text;
        File.WriteAllText(path, text);
        int reported;
        try
        {
            reported = DockerfileLint.Lint(path).Count(f => f.Id == @case.Rule);
        }
        catch (DockerfileException)
        {
            return false;
        }
        return @case.Expected ? (@case.OnBuild ? reported == 1 : reported >= 1) : reported == 0;
    }

    [Fact]
    public void Each_rule_agrees_with_hadolints_own_specs_for_it()
    {
        var implemented = DockerfileLint.Rules.Select(r => r.Id).Where(id => id.StartsWith("DL", StringComparison.Ordinal)).ToHashSet();
        var results = Cases.Select((c, i) => (Case: c, Agrees: implemented.Contains(c.Rule) && Agrees(c, i))).ToList();
        var rules = results.GroupBy(r => r.Case.Rule).Select(g => (Rule: g.Key, Agreed: g.Count(r => r.Agrees), Total: g.Count())).OrderBy(r => r.Rule, StringComparer.Ordinal).ToList();
        foreach (var (rule, agreed, total) in rules) output.WriteLine($"{rule}: {agreed}/{total} ({100.0 * agreed / total:0.0}%){(implemented.Contains(rule) ? "" : " not implemented")}");
        foreach (var (c, _) in results.Where(r => !r.Agrees && implemented.Contains(r.Case.Rule)))
            output.WriteLine($"--- {c.Rule} expected {(c.Expected ? "reported" : "not reported")}{(c.OnBuild ? " (ONBUILD)" : "")}:\n{c.Dockerfile}");

        Assert.Empty(rules.Where(r => !implemented.Contains(r.Rule)).Select(r => r.Rule));
        Assert.All(rules, r => Assert.True(r.Agreed >= 0.95 * r.Total, $"{r.Rule} agrees with {r.Agreed} of hadolint's {r.Total} cases"));
    }
}
