using NukeContainers.Build.Parameters;
using NukeContainers.Build.Targets;

namespace NukeContainers.Build.Planning;

/// The targets a build will consider, in the order they run.
internal sealed record ExecutionPlan(IReadOnlyList<ExecutableTarget> Order, IReadOnlyList<ExecutableTarget> Invoked)
{
    /// Schedules the invoked targets with their dependencies and triggers, and orders them so that every
    /// dependency, Before/After pair and trigger is honoured; ties go to declaration order.
    public static ExecutionPlan Create(IReadOnlyList<ExecutableTarget> invoked)
    {
        var scheduled = new HashSet<ExecutableTarget>();
        var pending = new Stack<ExecutableTarget>(invoked);
        while (pending.TryPop(out var target))
            if (scheduled.Add(target))
                foreach (var next in target.Dependencies.Concat(target.Triggers)) pending.Push(next);

        var successors = scheduled.ToDictionary(t => t, _ => new HashSet<ExecutableTarget>());
        foreach (var target in scheduled)
        {
            foreach (var dependency in target.Dependencies) successors[dependency].Add(target);
            foreach (var later in target.RunsBefore.Concat(target.Triggers).Where(scheduled.Contains)) successors[target].Add(later);
        }

        var incoming = scheduled.ToDictionary(t => t, t => successors.Count(s => s.Value.Contains(t)));
        var ready = new SortedSet<ExecutableTarget>(scheduled.Where(t => incoming[t] == 0), Comparer<ExecutableTarget>.Create((a, b) => a.Index.CompareTo(b.Index)));
        var order = new List<ExecutableTarget>();
        while (ready.Min is { } next)
        {
            ready.Remove(next);
            order.Add(next);
            foreach (var successor in successors[next])
                if (--incoming[successor] == 0) ready.Add(successor);
        }

        if (order.Count < scheduled.Count)
            throw new BuildDefinitionException("The targets' order has a cycle: " + FindCycle(scheduled.Except(order).ToHashSet(), successors) +
                " (A → B: A must run before B). Remove one of these DependsOn, Before, After or Triggers.");
        return new ExecutionPlan(order, invoked);
    }

    private static string FindCycle(HashSet<ExecutableTarget> remaining, Dictionary<ExecutableTarget, HashSet<ExecutableTarget>> successors)
    {
        // Every target left after the sort still has a predecessor left, so walking predecessors must close a loop.
        var path = new List<ExecutableTarget>();
        var current = remaining.OrderBy(t => t.Index).First();
        while (!path.Contains(current))
        {
            path.Add(current);
            current = remaining.Where(p => successors[p].Contains(current)).OrderBy(t => t.Index).First();
        }
        var loop = path.Skip(path.IndexOf(current)).Append(current).Reverse();
        return string.Join(" → ", loop.Select(t => t.Name));
    }
}
