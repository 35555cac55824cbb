using System.Linq.Expressions;
using System.Runtime.CompilerServices;

namespace NukeContainers.Build;

/// <summary>The fluent verbs that define a target. Every verb returns the same definition.</summary>
public interface ITargetDefinition
{
    /// <summary>A one-line description, shown by <c>--help</c>.</summary>
    ITargetDefinition Description(string description);

    /// <summary>These targets run before this one, and are scheduled when this one is.</summary>
    ITargetDefinition DependsOn(params Target[] targets);

    /// <summary>A component's target runs before this one: <c>DependsOn&lt;IPushImages&gt;(x => x.Push)</c>.</summary>
    ITargetDefinition DependsOn<TComponent>(params Expression<Func<TComponent, Target>>[] targets);

    /// <summary>This target runs before the given ones, and is scheduled when they are.</summary>
    ITargetDefinition DependentFor(params Target[] targets);

    /// <summary>This target runs before a component's target, and is scheduled when it is.</summary>
    ITargetDefinition DependentFor<TComponent>(params Expression<Func<TComponent, Target>>[] targets);

    /// <summary>When both are scheduled, this target runs before the given ones; schedules nothing.</summary>
    ITargetDefinition Before(params Target[] targets);

    /// <summary>When both are scheduled, this target runs after the given ones; schedules nothing.</summary>
    ITargetDefinition After(params Target[] targets);

    /// <summary>
    /// When both are scheduled, this target runs after a component's target; schedules nothing, and is ignored when
    /// the build does not take that component: <c>After&lt;IBuildImages&gt;(x => x.BuildImages)</c>.
    /// </summary>
    ITargetDefinition After<TComponent>(params Expression<Func<TComponent, Target>>[] targets);

    /// <summary>The given targets are scheduled to run after this one.</summary>
    ITargetDefinition Triggers(params Target[] targets);

    /// <summary>This target is scheduled to run after any of the given ones.</summary>
    ITargetDefinition TriggeredBy(params Target[] targets);

    /// <summary>
    /// Decided before anything runs: when false, the target is skipped, and so are the dependencies
    /// that only it needs. The condition's source text is the skip reason.
    /// </summary>
    ITargetDefinition OnlyWhenStatic(Func<bool> condition, [CallerArgumentExpression(nameof(condition))] string? reason = null);

    /// <summary>Decided just before the target would run: when false, the target alone is skipped.</summary>
    ITargetDefinition OnlyWhenDynamic(Func<bool> condition, [CallerArgumentExpression(nameof(condition))] string? reason = null);

    /// <summary>The parameter must have a value before the build starts: <c>Requires(() => Registry)</c>.</summary>
    ITargetDefinition Requires<T>(Expression<Func<T>> parameter);

    /// <summary>
    /// A check of the parameters this target reads, run for every target of the run before the first one starts (not
    /// for --help or --plan): a <see cref="ParameterException"/> (or <see cref="FormatException"/>) it throws is bad
    /// usage, exit 2, before anything is done: <c>Validates(() => { if (Parallel &lt; 1) throw new ParameterException(...); })</c>.
    /// </summary>
    ITargetDefinition Validates(Action check);

    /// <summary>When this target fails, the targets that do not depend on it still run.</summary>
    ITargetDefinition ProceedAfterFailure();

    /// <summary>This target runs even after an earlier target failed or the build was cancelled.</summary>
    ITargetDefinition AssuredAfterFailure();

    /// <summary>Hidden from <c>--help</c>; it still runs when invoked or needed.</summary>
    ITargetDefinition Unlisted();

    /// <summary>Runs the given actions, in order, when the target executes.</summary>
    ITargetDefinition Executes(params Action[] actions);

    /// <summary>Runs an asynchronous action that observes cancellation (Ctrl+C).</summary>
    ITargetDefinition Executes(Func<CancellationToken, Task> action);

    /// <summary>Runs an asynchronous action.</summary>
    ITargetDefinition Executes(Func<Task> action);

    /// <summary>
    /// Applies the definition of a component's own (default) implementation of a target, so an
    /// override can extend it: <c>Target IPushImages.Push => _ => _.Inherit&lt;IPushImages&gt;(x => x.Push).Executes(...)</c>.
    /// </summary>
    ITargetDefinition Inherit<TComponent>(Expression<Func<TComponent, Target>> target);
}
