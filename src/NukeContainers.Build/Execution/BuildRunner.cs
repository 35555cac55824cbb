using NukeContainers.Build.Cli;
using NukeContainers.Build.Parameters;
using NukeContainers.Build.Planning;
using NukeContainers.Build.Targets;

namespace NukeContainers.Build.Execution;

/// Where a build runs: its console, environment and working folder, and the two cancellation signals
/// (the first Ctrl+C, and the second one that also stops AssuredAfterFailure targets).
internal sealed record BuildInvocation(
    TextWriter Output, IReadOnlyDictionary<string, string> Environment, string WorkingDirectory,
    CancellationToken Cancel, CancellationToken Force);

internal sealed record BuildOutcome(int ExitCode, BuildSummary? Summary);

/// The command line's whole journey: parse, bind, discover, help or plan, execute, summarize.
internal static class BuildRunner
{
    public const int Success = 0, Failure = 1, Usage = 2, Cancelled = 130;

    /// The options every build has that take no value (HelpText.BuiltIns describes them all).
    private static readonly string[] BuiltInSwitches = ["plan", "help", "help-markdown", "generate-configuration", "continue"];

    public static async Task<BuildOutcome> RunAsync(BuildHost build, IReadOnlyList<string> args, IReadOnlyList<string> defaultTargets, BuildInvocation context)
    {
        var masker = new SecretMasker();
        try
        {
            var parameters = ParameterSet.Discover(build.GetType());
            var switches = parameters.Declared.Where(p => (Nullable.GetUnderlyingType(p.Type) ?? p.Type) == typeof(bool))
                .Select(p => NameStyle.Key(p.Name)).Concat(BuiltInSwitches).ToHashSet();
            var line = CommandLine.Parse(args, switches);
            var root = AbsolutePath.Create(line.Single("root") ?? FindRoot(context.WorkingDirectory));
            if (!Directory.Exists(root))
                throw new ParameterException($"--root '{line.Single("root")}' does not exist. Give the repository's folder, or leave --root out to use the folder with .git above this one.");
            if (line.Single("root") is not null && FindRoot(root) is var repository && repository != root.Value && IsRepository(repository))
                throw new ParameterException($"--root '{line.Single("root")}' is inside the repository at {repository}: give that folder (the build writes its artifacts there), or leave --root out.");
            RejectUnknownOptions(line, parameters);
            var unconverted = line.Has("help") ? new List<string>() : null;
            // The Markdown reference shows the declarations' own defaults: nothing from this command line or environment.
            var markdown = line.Has("help-markdown");
            parameters.Bind(build, markdown ? CommandLine.Parse([], switches) : line, markdown ? new Dictionary<string, string>() : context.Environment, root, masker, unconverted);
            var verbosity = line.Single("verbosity") is { } given ? ParseVerbosity(given, "--verbosity")
                : context.Environment.GetValueOrDefault("NUKE_VERBOSITY") is { Length: > 0 } set ? ParseVerbosity(set, "NUKE_VERBOSITY")
                : Verbosity.Normal;

            var generate = line.Has("generate-configuration");
            var writesLog = !line.Has("help") && !line.Has("plan") && !markdown && !generate;
            await using var runLock = writesLog ? await RunLock.AcquireAsync(root, string.Join(' ', args.Select(masker.Apply)), context.Output, context.Cancel) : null;
            using var log = new BuildLog(context.Output, verbosity, masker, writesLog ? (root / "artifacts/logs/build.log").Value : null)
            {
                Ci = new CI.CiOutput(context.Output, context.Environment),
            };
            // Every secret the build knows is also the CI platform's to mask (a tool's own output is not this log's).
            masker.Link(log.Ci.Mask, text => text);
            build.Start(root, log, parameters);

            var targets = TargetDiscovery.Discover(build);
            foreach (var target in targets) target.IsDefault = defaultTargets.Contains(target.Name);
            // The CI configuration the build's attributes describe: written on request, else checked against what is there.
            if (generate)
            {
                var files = CI.CiConfiguration.Generate(build.GetType(), targets);
                if (files.Count == 0)
                    throw new ParameterException("This build has no [GitHubActions] or [GitLab] attribute, so there is nothing to generate: add one to the build class (see docs/components.md).");
                foreach (var path in CI.CiConfiguration.Write(files, root)) log.Write(Verbosity.Quiet, $"Wrote {path}");
                return new BuildOutcome(Success, null);
            }
            if (!line.Has("help") && !line.Has("plan") && !markdown)
            {
                try
                {
                    foreach (var warning in CI.CiConfiguration.OutOfDate(CI.CiConfiguration.Generate(build.GetType(), targets), root)) log.Warn(warning);
                }
                catch (ParameterException e)
                {
                    log.Warn($"{e.Message} (./build.sh --generate-configuration would stop here.)");
                }
            }
            if (markdown)
            {
                context.Output.Write(HelpText.Markdown(targets, parameters, build));
                return new BuildOutcome(Success, null);
            }
            if (line.Has("help"))
            {
                // ./build.sh Publish --help: those targets (and what they depend on), and only the parameters they read.
                var focus = line.Targets.Count > 0 ? ExecutionPlan.Create(Resolve(line.Targets, targets)).Order : null;
                log.Write(Verbosity.Quiet, HelpText.Help(targets, parameters, build, focus));
                foreach (var problem in unconverted!) log.Warn(problem + " (A build would stop here.)");
                return new BuildOutcome(Success, null);
            }

            var invoked = line.Targets.Count > 0 ? Resolve(line.Targets, targets) : targets.Where(t => t.IsDefault).ToList();
            if (invoked.Count == 0) throw new ParameterException("No target given and the build has no default; name one: " + Available(targets));
            var plan = ExecutionPlan.Create(invoked);
            if (line.Has("plan"))
            {
                log.Write(Verbosity.Quiet, HelpText.Plan(plan));
                if (build is IDescribesPlan describes && await describes.DescribePlanAsync(plan.Order.Select(t => t.Name).ToList(), context.Cancel) is { } more)
                    log.Write(Verbosity.Quiet, more);
                return new BuildOutcome(Success, null);
            }

            var skip = line.Values("skip") is { } listed
                ? new SkipRequest(listed.Count == 0, Resolve(listed, targets).ToHashSet())
                : SkipRequest.None;
            var summary = await new BuildExecutor(log, parameters, build).RunAsync(plan, skip, line.Has("continue"), context.Cancel, context.Force);
            if (summary.Succeeded) WarnUnread(parameters, targets, log);
            log.Write(Verbosity.Minimal, "");
            log.Write(Verbosity.Minimal, SummaryTable.Render(summary));
            log.Write(Verbosity.Quiet, SummaryTable.Verdict(summary, log.LogFile is { } file ? Path.GetRelativePath(context.WorkingDirectory, file) : null));
            return new BuildOutcome(summary.Succeeded ? Success : summary.WasCancelled ? Cancelled : Failure, summary);
        }
        catch (OperationCanceledException) when (context.Cancel.IsCancellationRequested)
        {
            context.Output.WriteLine("Cancelled before the build started.");
            return new BuildOutcome(Cancelled, null);
        }
        catch (Exception e) when (e is ParameterException or BuildDefinitionException)
        {
            context.Output.WriteLine(masker.Apply("error: " + e.Message));
            return new BuildOutcome(Usage, null);
        }
        catch (Exception e)
        {
            // Not the user's doing: a bug in the host or in the build's own code outside a target.
            context.Output.WriteLine(masker.Apply($"error: the build could not run: {e.GetBaseException().Message}\n{e}"));
            return new BuildOutcome(Failure, null);
        }
    }

    /// A component's parameter given on the command line that no target of a successful run read changed nothing: say
    /// so, and which targets it is for (those its component declares), so that `PushImages --version 1.2.3` does not
    /// pass for a push of 1.2.3.
    private static void WarnUnread(ParameterSet parameters, IReadOnlyList<ExecutableTarget> targets, BuildLog log)
    {
        foreach (var parameter in parameters.GivenButUnread())
        {
            var readers = targets.Where(t => t.DeclaringType == parameter.Member.DeclaringType && !t.Definition.IsUnlisted).Select(t => t.Name).ToList();
            log.Warn($"{parameter.Flag} was given, and no target of this run read it, so it changed nothing" + (readers.Count == 0 ? "." :
                $": it is for {string.Join(" and ", readers)}. Run {(readers.Count == 1 ? "that target" : "one of them")} too, or leave {parameter.Flag} out."));
        }
    }

    private static List<ExecutableTarget> Resolve(IEnumerable<string> names, IReadOnlyList<ExecutableTarget> targets) =>
        names.Select(name => targets.FirstOrDefault(t => NameStyle.Key(t.Name) == NameStyle.Key(name))
            ?? throw new ParameterException($"There is no target '{name}'.{Cli.Suggestion.DidYouMean(name, targets.Select(t => t.Name), t => t)} The targets are: {Available(targets)}.")).ToList();

    private static string Available(IReadOnlyList<ExecutableTarget> targets) =>
        string.Join(", ", targets.Where(t => !t.Definition.IsUnlisted).Select(t => t.Name));

    private static void RejectUnknownOptions(CommandLine line, ParameterSet parameters)
    {
        var names = parameters.Declared.Select(p => NameStyle.Kebab(p.Name)).Concat(BuiltInSwitches).Concat(["skip", "verbosity", "root"]).ToList();
        var known = names.Select(NameStyle.Key).ToHashSet();
        var unknown = line.Options.Where(o => !known.Contains(o.Key)).Select(o => o.Value.Written).ToList();
        if (unknown.Count > 0)
            throw new ParameterException($"Unknown parameter {string.Join(", ", unknown)}." +
                                         string.Concat(unknown.Select(u => Cli.Suggestion.DidYouMean(u.TrimStart('-', '/'), names, n => "--" + n))) +
                                         " Run with --help to see the parameters.");
    }

    private static Verbosity ParseVerbosity(string value, string source) =>
        Enum.TryParse<Verbosity>(value, ignoreCase: true, out var verbosity) ? verbosity
        : throw new ParameterException($"{source} got '{value}'; use quiet, minimal, normal or verbose.");

    private static bool IsRepository(string folder) =>
        Directory.Exists(Path.Combine(folder, ".git")) || File.Exists(Path.Combine(folder, ".git"));

    /// The nearest folder at or above the working folder that holds .git; else the working folder.
    private static string FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (IsRepository(dir.FullName))
                return dir.FullName;
        return start;
    }
}
