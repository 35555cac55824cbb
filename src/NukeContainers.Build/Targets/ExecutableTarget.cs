namespace NukeContainers.Build.Targets;

/// A target with its references resolved to other targets: the node of the build graph.
internal sealed class ExecutableTarget(TargetDefinition definition, int index, Type? declaringType = null)
{
    public TargetDefinition Definition { get; } = definition;

    /// The class or component interface that declares the target property.
    public Type? DeclaringType { get; } = declaringType;
    public string Name => Definition.Name;
    public int Index { get; } = index;
    public bool IsDefault { get; set; }

    /// DependsOn, plus the targets that declared DependentFor this one.
    public List<ExecutableTarget> Dependencies { get; } = [];

    /// Before this one's list, plus the targets that declared After this one: these run later when scheduled.
    public List<ExecutableTarget> RunsBefore { get; } = [];

    /// Triggers, plus the targets that declared TriggeredBy this one.
    public List<ExecutableTarget> Triggers { get; } = [];

    public override string ToString() => Name;
}
