using System.Linq.Expressions;
using System.Reflection;

namespace NukeContainers.Build.Targets;

/// A reference to a target as written in a definition: a delegate (<c>DependsOn(Compile)</c>) or a
/// member picked by an expression (<c>DependsOn&lt;IPush&gt;(x => x.Push)</c>). Resolved once all targets are known.
internal readonly record struct TargetReference(Target? Delegate, string? Name)
{
    public static TargetReference Of(Target target) => new(target, null);

    public static TargetReference Of<TComponent>(Expression<Func<TComponent, Target>> selector) =>
        new(null, MemberName(selector.Body));

    public static string MemberName(Expression body) => body switch
    {
        MemberExpression member => ShortName(member.Member),
        UnaryExpression { Operand: var operand } => MemberName(operand),
        _ => throw new BuildDefinitionException($"'{body}' does not pick a member; write it as x => x.TargetName."),
    };

    /// Explicit interface implementations are named "Namespace.IComponent.Push"; the target is "Push".
    public static string ShortName(MemberInfo member) =>
        member.Name[(member.Name.LastIndexOf('.') + 1)..];
}
