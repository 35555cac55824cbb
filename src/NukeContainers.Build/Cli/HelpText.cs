using System.Text;
using NukeContainers.Build.Parameters;
using NukeContainers.Build.Planning;
using NukeContainers.Build.Targets;

namespace NukeContainers.Build.Cli;

/// --help and --plan, written from the same declarations the build runs, so they cannot drift.
internal static class HelpText
{
    public static readonly (string Flag, string Description)[] BuiltIns =
    [
        ("--skip [targets]", "skip the listed targets, or every target not named on the command line"),
        ("--plan", "print the execution order and the graph, run nothing"),
        ("--help, -h", "print this help"),
        ("--help-markdown", "print the targets and parameters as a Markdown reference"),
        ("--generate-configuration", "write the CI configuration the build class's [GitHubActions] and [GitLab] attributes describe"),
        ("--verbosity <quiet|minimal|normal|verbose>", "how much to print (the log file gets everything)"),
        ("--root <path>", "the repository root (default: the folder with .git above the current one)"),
        ("--continue", "keep running independent targets after a failure"),
    ];

    /// <summary>
    /// The targets and parameters; with <paramref name="focus"/> (the targets named with --help and what they depend on),
    /// only those targets and the parameters they read: a component's target reads its component's parameters and
    /// those of the components it extends, a target of the build's own class that class's.
    /// </summary>
    public static string Help(IReadOnlyList<ExecutableTarget> targets, ParameterSet parameters, object build, IReadOnlyList<ExecutableTarget>? focus = null)
    {
        var text = new StringBuilder("Usage: ./build.sh [targets] [--parameter value ...]\n\n" + (focus is null ? "Targets:\n" : $"Targets ({string.Join(", ", focus.Select(t => t.Name))}; ./build.sh --help lists all):\n"));
        var listed = (focus ?? targets).Where(t => !t.Definition.IsUnlisted).ToList();
        if (listed.Count == 0) text.Append("  (none: this build lists no targets)\n");
        var width = listed.Select(t => t.Name.Length + (t.IsDefault ? 10 : 0)).DefaultIfEmpty(0).Max();
        foreach (var target in listed)
        {
            var name = target.Name + (target.IsDefault ? " (default)" : "");
            var dependencies = target.Dependencies.Count > 0 ? $"  [depends on {string.Join(", ", target.Dependencies.Select(d => d.Name))}]" : "";
            text.Append($"  {name.PadRight(width)}  {target.Definition.DescriptionText}{dependencies}\n");
        }

        text.Append("\nParameters (command line, then environment variable, then default):\n");
        var rows = parameters.Declared.Where(p => focus is null || focus.Any(t => Reads(t, p))).Select(p => (
            Flag: $"{p.Flag} <{ValueConverter.Describe(p.Type)}>",
            Text: $"{p.Attribute.Description} [env {p.EnvironmentNames[0]}{Default(p, parameters, build)}]")).ToList();
        rows.AddRange(BuiltIns.Select(b => (b.Flag, b.Description)));
        var flagWidth = rows.Max(r => r.Flag.Length);
        foreach (var (flag, description) in rows) text.Append($"  {flag.PadRight(flagWidth)}  {description}\n");
        return text.ToString();
    }

    /// A component's target reads its component's parameters and those of the components it extends; a target of the
    /// build's own class, that class's.
    private static bool Reads(ExecutableTarget target, DeclaredParameter parameter) =>
        target.DeclaringType is { IsInterface: true } component ? parameter.Member.DeclaringType!.IsAssignableFrom(component) : parameter.Member.DeclaringType == target.DeclaringType;

    /// <summary>
    /// --help-markdown: the same targets and parameters as a Markdown reference (a repository checks its copy in, and its
    /// CI compares the two). Defaults are the declarations' own, read with nothing bound, so the page does not depend on
    /// the environment it was written in.
    /// </summary>
    public static string Markdown(IReadOnlyList<ExecutableTarget> targets, ParameterSet parameters, object build)
    {
        static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
        static string Code(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"`{n}`"));
        var text = new StringBuilder("""
            # Targets and parameters

            Written by `./build.sh --help-markdown` from the build's own declarations; CI checks that this page matches.
            `./build.sh TARGET --help` prints one target's part.

            ## Targets

            | target | what it does | depends on | parameters it reads |
            | --- | --- | --- | --- |

            """);
        foreach (var target in targets.Where(t => !t.Definition.IsUnlisted))
            text.Append($"| `{target.Name}`{(target.IsDefault ? " (default)" : "")} | {Cell(target.Definition.DescriptionText ?? "")} | {Code(target.Dependencies.Select(d => d.Name))} | " +
                        $"{(target.DeclaringType is { IsInterface: true } ? Code(parameters.Declared.Where(p => Reads(target, p)).Select(p => p.Flag)) : "the build class's own")} |\n");
        text.Append("""

            ## Parameters

            Each is read from the command line, then the environment variable (also with a `NUKE_` prefix), then its default.

            | parameter | value | environment variable | default | what it sets |
            | --- | --- | --- | --- | --- |

            """);
        foreach (var parameter in parameters.Declared)
            text.Append($"| `{parameter.Flag}` | {Cell(ValueConverter.Describe(parameter.Type))} | `{parameter.EnvironmentNames[0]}` | " +
                        $"{Cell(Default(parameter, parameters, build).TrimStart(',', ' ').Replace("default ", ""))} | {Cell(parameter.Attribute.Description ?? "")} |\n");
        text.Append("""

            ## Options of every build

            | option | what it does |
            | --- | --- |

            """);
        foreach (var (flag, description) in BuiltIns) text.Append($"| `{Cell(flag)}` | {Cell(description)} |\n");
        return text.ToString();
    }

    public static string Plan(ExecutionPlan plan)
    {
        var text = new StringBuilder($"Execution plan for {string.Join(", ", plan.Invoked.Select(t => t.Name))}:\n");
        for (var i = 0; i < plan.Order.Count; i++) text.Append($"  {i + 1}. {plan.Order[i].Name}\n");
        text.Append("\nGraph (each target, then what it waits for):\n");
        foreach (var target in plan.Order)
        {
            var edges = target.Dependencies.Select(d => $"depends on {d.Name}")
                .Concat(plan.Order.Where(o => o.RunsBefore.Contains(target)).Select(o => $"after {o.Name}"))
                .Concat(plan.Order.Where(o => o.Triggers.Contains(target)).Select(o => $"triggered by {o.Name}"));
            text.Append($"  {target.Name}{(edges.Any() ? " ← " + string.Join(", ", edges) : "")}\n");
        }
        return text.ToString();
    }

    private static string Default(DeclaredParameter parameter, ParameterSet parameters, object build)
    {
        if (parameter.IsSecret) return ", secret";
        return parameters.CurrentValue(build, parameter) switch
        {
            null => "",
            bool value => value ? ", default true" : ", default false",
            Array array => array.Length == 0 ? "" : $", default {string.Join(' ', array.Cast<object>())}",
            var value => $", default {value}",
        };
    }
}
