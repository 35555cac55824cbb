using System.Diagnostics;
using NukeContainers.Build.Parameters;
using NukeContainers.Build.Planning;
using NukeContainers.Build.Targets;

namespace NukeContainers.Build.Execution;

/// Which targets the user skipped: all but the invoked ones (<c>--skip</c>), or the listed ones.
internal sealed record SkipRequest(bool AllButInvoked, IReadOnlySet<ExecutableTarget> Listed)
{
    public static readonly SkipRequest None = new(false, new HashSet<ExecutableTarget>());

    public bool Skips(ExecutableTarget target, ExecutionPlan plan) =>
        Listed.Contains(target) || (AllButInvoked && !plan.Invoked.Contains(target));
}

/// Runs a plan: skips, conditions, required parameters, failures, cancellation, and the summary rows.
internal sealed class BuildExecutor(BuildLog log, ParameterSet parameters, BuildHost build)
{
    public async Task<BuildSummary> RunAsync(ExecutionPlan plan, SkipRequest skip, bool continueOnFailure,
        CancellationToken cancel, CancellationToken force)
    {
        var results = new Dictionary<ExecutableTarget, TargetResult>();
        DecideStaticSkips(plan, skip, results);
        CheckRequiredParameters(plan, results);
        CheckParameterValues(plan, results);

        var stopped = false;
        foreach (var target in plan.Order)
        {
            if (results.ContainsKey(target)) continue;
            var cancelled = cancel.IsCancellationRequested;
            var blocker = target.Dependencies.FirstOrDefault(d => results.GetValueOrDefault(d)?.Status is TargetStatus.Failed or TargetStatus.NotRun or TargetStatus.Cancelled);
            if (!target.Definition.Assured && (cancelled || stopped || blocker is not null))
            {
                var why = cancelled ? "the build was cancelled" : stopped ? "an earlier target failed" : $"its dependency {blocker!.Name} did not succeed";
                results[target] = new TargetResult(target.Name, TargetStatus.NotRun, TimeSpan.Zero, why);
                continue;
            }
            if (target.Definition.DynamicConditions.FirstOrDefault(c => !c.Evaluate()) is { } condition)
            {
                results[target] = new TargetResult(target.Name, TargetStatus.Skipped, TimeSpan.Zero, "condition false: " + condition.Text);
                log.Info($"Skipping {target.Name}: {condition.Text} is false");
                continue;
            }
            var result = await RunTargetAsync(target, cancelled ? force : cancel);
            results[target] = result;
            if (result.Status == TargetStatus.Failed && !target.Definition.Proceeds && !continueOnFailure) stopped = true;
        }
        return new BuildSummary(plan.Order.Select(t => results[t]).ToList(), cancel.IsCancellationRequested);
    }

    private async Task<TargetResult> RunTargetAsync(ExecutableTarget target, CancellationToken token)
    {
        log.Ci.StartGroup(target.Name);
        log.Write(Verbosity.Minimal, $"═══ {target.Name} " + new string('═', Math.Max(3, 60 - target.Name.Length)));
        var watch = Stopwatch.StartNew();
        build.BeginNotes();
        try
        {
            foreach (var action in target.Definition.Actions)
            {
                token.ThrowIfCancellationRequested();
                await action(token);
            }
            return Result(TargetStatus.Succeeded, null);
        }
        catch (Exception e) when (e is OperationCanceledException && token.IsCancellationRequested)
        {
            log.Error($"{target.Name} was cancelled.");
            return Result(TargetStatus.Cancelled, "cancelled");
        }
        catch (Exception e)
        {
            log.Error($"Target {target.Name} failed: {e.Message}");
            log.Ci.Annotate(error: true, log.Masker.Apply($"{target.Name} failed: {FirstLine(e.Message)}"));
            log.Verbose(e.ToString());
            return Result(TargetStatus.Failed, FirstLine(e.Message));
        }

        // The target's own notes follow the outcome; all of it masked, as every line the build writes.
        TargetResult Result(TargetStatus status, string? outcome)
        {
            log.Ci.EndGroup();
            var notes = build.EndNotes().Prepend(outcome).OfType<string>().ToList();
            return new TargetResult(target.Name, status, watch.Elapsed, notes.Count == 0 ? null : log.Masker.Apply(string.Join("; ", notes)));
        }
    }

    /// --skip and OnlyWhenStatic are decided before anything runs. A target skipped by a static condition
    /// also skips the dependencies that nothing else scheduled needs.
    private void DecideStaticSkips(ExecutionPlan plan, SkipRequest skip, Dictionary<ExecutableTarget, TargetResult> results)
    {
        var staticallySkipped = new HashSet<ExecutableTarget>();
        foreach (var target in plan.Order)
        {
            if (skip.Skips(target, plan))
                results[target] = new TargetResult(target.Name, TargetStatus.Skipped, TimeSpan.Zero, "skipped by --skip");
            else if (target.Definition.StaticConditions.FirstOrDefault(c => !c.Evaluate()) is { } condition)
            {
                results[target] = new TargetResult(target.Name, TargetStatus.Skipped, TimeSpan.Zero, "condition false: " + condition.Text);
                staticallySkipped.Add(target);
            }
        }

        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var target in plan.Order.Where(t => !results.ContainsKey(t) && !plan.Invoked.Contains(t)))
            {
                var dependents = plan.Order.Where(d => d.Dependencies.Contains(target) || d.Triggers.Contains(target)).ToList();
                if (dependents.Count == 0 || !dependents.All(staticallySkipped.Contains)) continue;
                results[target] = new TargetResult(target.Name, TargetStatus.Skipped, TimeSpan.Zero, $"only needed by skipped {dependents[0].Name}");
                staticallySkipped.Add(target);
                changed = true;
            }
        }
    }

    private void CheckRequiredParameters(ExecutionPlan plan, Dictionary<ExecutableTarget, TargetResult> results)
    {
        var missing = plan.Order
            .Where(t => !results.ContainsKey(t))
            .SelectMany(t => t.Definition.RequiredParameters.Where(r => IsEmpty(r.Read())).Select(r => (Target: t, Parameter: r)))
            .Select(m => $"Target {m.Target.Name} requires {parameters.Find(m.Parameter.MemberName)?.Display ?? m.Parameter.MemberName}")
            .ToList();
        if (missing.Count > 0)
            throw new ParameterException(string.Join(Environment.NewLine, missing) +
                Environment.NewLine + "Set it on the command line or in the environment, or skip the target with --skip.");
    }

    /// The planned targets' checks of the parameters they read (Validates), before any target runs: a value that is
    /// not one is bad usage.
    private static void CheckParameterValues(ExecutionPlan plan, Dictionary<ExecutableTarget, TargetResult> results)
    {
        foreach (var check in plan.Order.Where(t => !results.ContainsKey(t)).SelectMany(t => t.Definition.Checks))
        {
            try
            {
                check();
            }
            catch (FormatException e)
            {
                throw new ParameterException(e.Message);
            }
        }
    }

    private static bool IsEmpty(object? value) => value switch
    {
        null => true,
        string text => text.Length == 0,
        Array array => array.Length == 0,
        _ => false,
    };

    /// The first line for the summary; one that only announces what follows ("... failed:") takes the next line too.
    internal static string FirstLine(string message)
    {
        var lines = message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var first = lines.Count == 0 ? "no reason given" : lines[0];
        for (var i = 1; first.EndsWith(':') && i < lines.Count; i++) first += " " + lines[i];
        return first;
    }
}
