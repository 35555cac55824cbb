using System.Xml.Linq;
using NukeContainers.Build;
using NukeContainers.Components;

partial class Build
{
    Target Test => _ => _
        .Description("Run the unit tier (no engine: the library's rules, the build host), then the engine tier (NukeContainers.Tests, the components' specs) and the engine specs again on Docker 26; --unit runs the unit tier alone. The counts go to artifacts/test-results/summary.txt")
        .DependsOn(Compile)
        .DependsOn<ILocalEnvironment>(x => x.LocalEnvironment)
        .Executes(async ct =>
        {
            if (Directory.Exists(TestResultsDirectory)) Directory.Delete(TestResultsDirectory, recursive: true);
            try
            {
                // The unit tier first: a broken rule fails in seconds, before any engine is asked.
                foreach (var project in UnitProjects) await TestProjectAsync(project, null, null, ct);
                if (Unit) return;
                // Every engine run runs, and the first failure is the target's.
                Exception? failed = null;
                foreach (var project in EngineProjects)
                    try { await TestProjectAsync(project, null, null, ct); }
                    catch (InvalidOperationException e) { failed ??= e; }
                if (ModernEngine)
                    try { await TestOnDocker26Async(ct); }
                    catch (InvalidOperationException e) { failed ??= e; }
                if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
            }
            finally
            {
                WriteTestCounts();
            }
        });

    [Parameter("Run only the unit tier of the tests: no engine, no registry, seconds (LocalEnvironment is not run)")]
    readonly bool Unit;

    /// The unit tier: no engine, no registry, no root.
    static readonly string[] UnitProjects = ["tests/NukeContainers.UnitTests/NukeContainers.UnitTests.csproj", "tests/NukeContainers.Build.Tests/NukeContainers.Build.Tests.csproj"];

    /// The engine tier: the library against the real engine, registry, git and kubectl; a team's build on the components.
    static readonly string[] EngineProjects = ["tests/NukeContainers.Tests/NukeContainers.Tests.csproj", "tests/NukeContainers.Components.Tests/NukeContainers.Components.Tests.csproj"];

    /// With --unit, nothing needs an engine: LocalEnvironment does not run.
    Target ILocalEnvironment.LocalEnvironment => _ => _
        .Inherit<ILocalEnvironment>(x => x.LocalEnvironment)
        .OnlyWhenStatic(() => !Unit);

    /// One test project, its TRX named after it (and the engine), with --test-filter and the extra filter.
    Task TestProjectAsync(string project, string? filter, IReadOnlyDictionary<string, string>? environment, CancellationToken ct, string? trx = null)
    {
        var filters = new[] { filter, TestFilter }.OfType<string>().ToList();
        string[] arguments = ["test", RootDirectory / project, "--no-build", "-c", Configuration,
            .. filters.Count == 0 ? Array.Empty<string>() : ["--filter", string.Join("&", filters.Select(f => $"({f})"))],
            "--logger", $"trx;LogFileName={trx ?? Path.GetFileNameWithoutExtension(project) + ".trx"}", "--logger", "console;verbosity=normal",
            "--results-directory", TestResultsDirectory];
        return environment is null ? DotNet(ct, arguments) : DotNet(environment, ct, arguments);
    }

    [Parameter("Also run the engine specs on Debian 13's Docker 26 engine with the containerd image store (started with its own state; default true)")]
    readonly bool ModernEngine = true;

    /// The specs that hold the product against the engine itself (building, the session, pushing, the Dockerfile
    /// frontend, slimming, scanning, images side by side, the step seam, the reaper, attestations, the Control API, multi-platform builds), run again on Docker 26: the
    /// modern engine, API 1.45, today's frontend, the containerd image store; and the three samples cross-built for
    /// arm64 (on their local bases, made there for them: minutes the first time on a machine). Not those that build on the local Node,
    /// Debian or distroless-style bases (the SSH agent's, the inventories'), which would be made on that engine first
    /// (minutes); nor the context specs, whose peer there is the 20.10 CLI, nor the cache specs' fresh engine (20.10).
    const string EngineSpecs = "(FullyQualifiedName~NukeContainers.Tests.BuildSpecs|FullyQualifiedName~NukeContainers.Tests.PushSpecs" +
                               "|FullyQualifiedName~NukeContainers.Tests.DockerfileFrontendSpecs|FullyQualifiedName~NukeContainers.Tests.SessionSpecs" +
                               "|FullyQualifiedName~NukeContainers.Tests.SlimSpecs|FullyQualifiedName~NukeContainers.Tests.ScanSpecs|FullyQualifiedName~NukeContainers.Tests.ImageReadCacheSpecs" +
                               "|FullyQualifiedName~NukeContainers.Tests.ParallelSpecs" +
                               "|FullyQualifiedName~NukeContainers.Tests.StepSeamSpecs|FullyQualifiedName~NukeContainers.Tests.ReaperSpecs|FullyQualifiedName~NukeContainers.Tests.AttestSpecs|FullyQualifiedName~NukeContainers.Tests.ControlApiSpecs" +
                               "|FullyQualifiedName~NukeContainers.Tests.MultiPlatformSpecs|FullyQualifiedName~Go_api_cross_builds_for_arm64|FullyQualifiedName~Node_web_cross_builds_for_arm64|FullyQualifiedName~Dotnet_api_cross_builds_for_arm64)" +
                               "&FullyQualifiedName!~The_SSH_agent_is_forwarded&FullyQualifiedName!~The_dpkg_inventory" +
                               "&FullyQualifiedName!~The_npm_Go_and_dotnet_inventories&FullyQualifiedName!~The_local_distroless_style_bases";

    /// The components' specs (a team's build: Publish, build, slim, scan, tag, push, sign, promote, prune, roll out)
    /// on Docker 26 too; not the adoption spec, which packs the packages and builds a new repository from the template.
    const string ComponentSpecs = "FullyQualifiedName!~NukeContainers.Components.Tests.AdoptionSpecs";

    async Task TestOnDocker26Async(CancellationToken ct)
    {
        var engine = await NukeContainers.Provisioning.EmbeddedEnvironment.EnsureEngineAsync(NukeContainers.Provisioning.EmbeddedEnvironmentOptions.Docker26(Log.Info), ct);
        Log.Info($"The engine specs and the components' specs again, on {engine.Endpoint.Source} ({engine.Endpoint.Uri})");
        var environment = new Dictionary<string, string> { ["DOCKER_HOST"] = engine.Endpoint.Uri.ToString() };
        // Both run, and the first failure is the target's.
        Exception? failed = null;
        foreach (var (project, filter, trx) in new[]
                 {
                     ("tests/NukeContainers.Tests/NukeContainers.Tests.csproj", EngineSpecs, "docker26.trx"),
                     ("tests/NukeContainers.Components.Tests/NukeContainers.Components.Tests.csproj", ComponentSpecs, "docker26-components.trx"),
                 })
            try
            {
                await TestProjectAsync(project, filter, environment, ct, trx);
            }
            catch (InvalidOperationException e)
            {
                failed ??= e;
            }
        if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
    }

    /// Sums the TRX files into one line in the plain 'N passed, N failed' form that CI reads.
    void WriteTestCounts()
    {
        var counters = Directory.Exists(TestResultsDirectory)
            ? Directory.EnumerateFiles(TestResultsDirectory, "*.trx").Select(f => XDocument.Load(f).Descendants().First(e => e.Name.LocalName == "Counters")).ToList()
            : [];
        int Sum(string name) => counters.Sum(c => int.Parse(c.Attribute(name)?.Value ?? "0"));
        // A skipped test (a spec of a feature the run's engine lacks) counts as not executed: total minus executed.
        var line = $"Tests: {Sum("passed")} passed, {Sum("failed")} failed, {Sum("total") - Sum("executed")} skipped";
        Directory.CreateDirectory(TestResultsDirectory);
        File.WriteAllText(TestResultsDirectory / "summary.txt", line + "\n");
        Log.Write(Verbosity.Quiet, line);
    }
}
