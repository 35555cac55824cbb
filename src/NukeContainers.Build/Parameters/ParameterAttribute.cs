namespace NukeContainers.Build;

/// <summary>
/// Marks a field or property as a build parameter, bound from <c>--kebab-case</c> on the command line,
/// then the environment (<c>UPPER_SNAKE</c> or <c>NUKE_UPPER_SNAKE</c>), then its default.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ParameterAttribute(string? description = null) : Attribute
{
    /// <summary>What the parameter is for, shown by <c>--help</c>.</summary>
    public string? Description { get; } = description;

    /// <summary>Overrides the name derived from the member (the member name in kebab case).</summary>
    public string? Name { get; init; }
}

/// <summary>The parameter's value is masked (<c>****</c>) in every log line, report and error message.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;
