using System.Xml.Linq;
using NukeContainers.Build;
using NukeContainers.Components;

partial class Build
{
    Target Test => _ => _
        .Description("Run every test project; the counts go to artifacts/test-results/summary.txt")
        .DependsOn(Compile)
        .DependsOn<ILocalEnvironment>(x => x.LocalEnvironment)
        .Executes(async ct =>
        {
            if (Directory.Exists(TestResultsDirectory)) Directory.Delete(TestResultsDirectory, recursive: true);
            var arguments = new List<string> { "test", Solution, "--no-build", "-c", Configuration,
                "--logger", "trx", "--logger", "console;verbosity=normal", "--results-directory", TestResultsDirectory };
            if (TestFilter is not null) arguments.AddRange(["--filter", TestFilter]);
            try
            {
                await DotNet(ct, [.. arguments]);
            }
            finally
            {
                WriteTestCounts();
            }
        });

    /// Sums the TRX files into one line in the plain 'N passed, N failed' form that CI reads.
    void WriteTestCounts()
    {
        var counters = Directory.Exists(TestResultsDirectory)
            ? Directory.EnumerateFiles(TestResultsDirectory, "*.trx").Select(f => XDocument.Load(f).Descendants().First(e => e.Name.LocalName == "Counters")).ToList()
            : [];
        int Sum(string name) => counters.Sum(c => int.Parse(c.Attribute(name)?.Value ?? "0"));
        var line = $"Tests: {Sum("passed")} passed, {Sum("failed")} failed, {Sum("notExecuted")} skipped";
        Directory.CreateDirectory(TestResultsDirectory);
        File.WriteAllText(TestResultsDirectory / "summary.txt", line + "\n");
        Log.Write(Verbosity.Quiet, line);
    }
}
