namespace NukeContainers.Build;

/// <summary>
/// A build target, declared as a property: <c>Target Compile => _ => _.DependsOn(Restore).Executes(...);</c>.
/// The host names the target after the property.
/// </summary>
public delegate ITargetDefinition Target(ITargetDefinition definition);

/// <summary>A settings hook: a component's target passes its settings through it, and a build overrides it to change them.</summary>
/// <typeparam name="TSettings">The settings record that the hook may change.</typeparam>
public delegate TSettings Configure<TSettings>(TSettings settings);
