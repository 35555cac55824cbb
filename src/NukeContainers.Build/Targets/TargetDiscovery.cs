using System.Reflection;

namespace NukeContainers.Build.Targets;

/// Finds the target properties of a build (its class and its component interfaces) and links them.
internal static class TargetDiscovery
{
    private const BindingFlags Members = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    public static IReadOnlyList<ExecutableTarget> Discover(object build)
    {
        var properties = TargetProperties(build.GetType());
        var targets = new List<ExecutableTarget>();
        var byMethod = new Dictionary<MethodInfo, ExecutableTarget>();
        foreach (var property in properties)
        {
            // Reading through the interface property dispatches to the build's override, if it has one.
            var target = (Target)property.GetValue(build)!;
            var definition = new TargetDefinition(TargetReference.ShortName(property), build);
            target(definition);
            var executable = new ExecutableTarget(definition, targets.Count, ComponentOf(property, build.GetType()));
            targets.Add(executable);
            byMethod.TryAdd(target.Method, executable);
        }

        var byName = targets.ToDictionary(t => t.Name);
        ExecutableTarget Resolve(ExecutableTarget owner, TargetReference reference) =>
            reference.Name is { } name
                ? byName.GetValueOrDefault(name) ?? throw new BuildDefinitionException($"Target '{owner.Name}' refers to '{name}', which is not a target of this build.")
                : byMethod.GetValueOrDefault(reference.Delegate!.Method) ?? throw new BuildDefinitionException($"Target '{owner.Name}' refers to a Target delegate that is not a target property of this build.");

        foreach (var target in targets)
        {
            var d = target.Definition;
            target.Dependencies.AddRange(d.DependsOnRefs.Select(r => Resolve(target, r)));
            // As with After: a component's target the build does not take needs nothing first.
            foreach (var dependent in d.DependentForRefs.Where(r => r.Name is null || byName.ContainsKey(r.Name)).Select(r => Resolve(target, r))) dependent.Dependencies.Add(target);
            target.RunsBefore.AddRange(d.BeforeRefs.Select(r => Resolve(target, r)));
            // An order-only reference to a component's target the build does not take orders nothing.
            foreach (var later in d.AfterRefs.Where(r => r.Name is null || byName.ContainsKey(r.Name)).Select(r => Resolve(target, r))) later.RunsBefore.Add(target);
            target.Triggers.AddRange(d.TriggersRefs.Select(r => Resolve(target, r)));
            foreach (var trigger in d.TriggeredByRefs.Select(r => Resolve(target, r))) trigger.Triggers.Add(target);
        }
        return targets;
    }

    /// The build class's own target properties first (explicit overrides of component targets among them),
    /// then the component interfaces' targets that the class does not override.
    /// The type a target belongs to: its declaring type, or for a build's override of a component's target (an explicit
    /// implementation, "Namespace.IComponent.Target") that component, whose parameters it reads.
    private static Type? ComponentOf(PropertyInfo property, Type buildType) =>
        property.Name.LastIndexOf('.') is var dot and > 0
            ? buildType.GetInterfaces().FirstOrDefault(i => i.FullName?.Replace('+', '.') == property.Name[..dot]) ?? property.DeclaringType
            : property.DeclaringType;

    private static List<PropertyInfo> TargetProperties(Type buildType)
    {
        var types = new List<Type>();
        for (var type = buildType; type is not null && type != typeof(object); type = type.BaseType) types.Add(type);
        types.AddRange(buildType.GetInterfaces());
        var seen = new HashSet<string>();
        return types
            .SelectMany(t => t.GetProperties(Members))
            .Where(p => p.PropertyType == typeof(Target) && p.GetMethod is not null)
            .Where(p => seen.Add(TargetReference.ShortName(p)))
            .ToList();
    }
}
