using System.Linq.Expressions;
using System.Reflection;
using System.Reflection.Emit;

namespace NukeContainers.Build.Targets;

/// What a target property declared, collected by running its delegate once.
internal sealed class TargetDefinition(string name, object build) : ITargetDefinition
{
    public string Name { get; } = name;
    public string? DescriptionText { get; private set; }
    public List<TargetReference> DependsOnRefs { get; } = [];
    public List<TargetReference> DependentForRefs { get; } = [];
    public List<TargetReference> BeforeRefs { get; } = [];
    public List<TargetReference> AfterRefs { get; } = [];
    public List<TargetReference> TriggersRefs { get; } = [];
    public List<TargetReference> TriggeredByRefs { get; } = [];
    public List<Condition> StaticConditions { get; } = [];
    public List<Condition> DynamicConditions { get; } = [];
    public List<RequiredParameter> RequiredParameters { get; } = [];
    public List<Action> Checks { get; } = [];
    public List<Func<CancellationToken, Task>> Actions { get; } = [];
    public bool Proceeds { get; private set; }
    public bool Assured { get; private set; }
    public bool IsUnlisted { get; private set; }

    public ITargetDefinition Description(string description) => Do(() => DescriptionText = description);
    public ITargetDefinition DependsOn(params Target[] targets) => Add(DependsOnRefs, targets);
    public ITargetDefinition DependsOn<T>(params Expression<Func<T, Target>>[] targets) => Add(DependsOnRefs, targets);
    public ITargetDefinition DependentFor(params Target[] targets) => Add(DependentForRefs, targets);
    public ITargetDefinition DependentFor<T>(params Expression<Func<T, Target>>[] targets) => Add(DependentForRefs, targets);
    public ITargetDefinition Before(params Target[] targets) => Add(BeforeRefs, targets);
    public ITargetDefinition After(params Target[] targets) => Add(AfterRefs, targets);
    public ITargetDefinition After<T>(params Expression<Func<T, Target>>[] targets) => Add(AfterRefs, targets);
    public ITargetDefinition Triggers(params Target[] targets) => Add(TriggersRefs, targets);
    public ITargetDefinition TriggeredBy(params Target[] targets) => Add(TriggeredByRefs, targets);

    public ITargetDefinition OnlyWhenStatic(Func<bool> condition, string? reason = null) =>
        Do(() => StaticConditions.Add(new Condition(condition, reason ?? "a static condition")));

    public ITargetDefinition OnlyWhenDynamic(Func<bool> condition, string? reason = null) =>
        Do(() => DynamicConditions.Add(new Condition(condition, reason ?? "a dynamic condition")));

    public ITargetDefinition Requires<T>(Expression<Func<T>> parameter)
    {
        var read = parameter.Compile();
        RequiredParameters.Add(new RequiredParameter(TargetReference.MemberName(parameter.Body), () => read()));
        return this;
    }

    public ITargetDefinition Validates(Action check) => Do(() => Checks.Add(check));
    public ITargetDefinition ProceedAfterFailure() => Do(() => Proceeds = true);
    public ITargetDefinition AssuredAfterFailure() => Do(() => Assured = true);
    public ITargetDefinition Unlisted() => Do(() => IsUnlisted = true);

    public ITargetDefinition Executes(params Action[] actions)
    {
        foreach (var action in actions)
            Actions.Add(_ => { action(); return Task.CompletedTask; });
        return this;
    }

    public ITargetDefinition Executes(Func<CancellationToken, Task> action) => Do(() => Actions.Add(action));
    public ITargetDefinition Executes(Func<Task> action) => Do(() => Actions.Add(_ => action()));

    public ITargetDefinition Inherit<T>(Expression<Func<T, Target>> target)
    {
        if (target.Body is not MemberExpression { Member: PropertyInfo property })
            throw new BuildDefinitionException($"Inherit<{typeof(T).Name}> needs a target property, as in x => x.Push; got '{target}'.");
        return CallNonVirtual(property.GetMethod!)(this);
    }

    /// Calls the component's own getter, not the override on the build: C# has no base(IComponent) call,
    /// so this emits the IL 'call' (non-virtual) that such a call would compile to.
    private Target CallNonVirtual(MethodInfo getter)
    {
        if (getter.IsAbstract)
            throw new BuildDefinitionException($"{getter.DeclaringType?.Name}.{Name} has no default implementation to inherit.");
        var method = new DynamicMethod($"Inherit_{Name}", typeof(Target), [typeof(object)], typeof(TargetDefinition).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Castclass, getter.DeclaringType!);
        il.Emit(OpCodes.Call, getter);
        il.Emit(OpCodes.Ret);
        return ((Func<object, Target>)method.CreateDelegate(typeof(Func<object, Target>)))(build);
    }

    private TargetDefinition Add(List<TargetReference> list, Target[] targets)
    {
        list.AddRange(targets.Select(TargetReference.Of));
        return this;
    }

    private TargetDefinition Add<T>(List<TargetReference> list, Expression<Func<T, Target>>[] targets)
    {
        list.AddRange(targets.Select(TargetReference.Of));
        return this;
    }

    private TargetDefinition Do(Action change)
    {
        change();
        return this;
    }
}

/// A condition of OnlyWhenStatic / OnlyWhenDynamic, with its source text as the skip reason.
internal sealed record Condition(Func<bool> Evaluate, string Text);

/// A parameter named by Requires(() => X), with a way to read its current value.
internal sealed record RequiredParameter(string MemberName, Func<object?> Read);
