namespace NukeContainers.Build.Parameters;

/// The command line split into the leading target names and the options with their values:
/// <c>Compile Test --skip Restore --configuration Debug</c>.
internal sealed class CommandLine
{
    public List<string> Targets { get; } = [];
    public Dictionary<string, Option> Options { get; } = new();

    public sealed record Option(string Written, List<string> Values);

    private static readonly HashSet<string> BooleanWords = ["true", "false", "yes", "no", "on", "off", "1", "0"];

    /// <param name="args">The command line.</param>
    /// <param name="switches">The keys of the options that are booleans (--plan, --continue, bool parameters): they take
    /// a following word only when it is a boolean, so <c>--continue Publish</c> runs Publish.</param>
    public static CommandLine Parse(IEnumerable<string> args, IReadOnlySet<string>? switches = null)
    {
        var line = new CommandLine();
        Option? current = null;
        var currentKey = "";
        foreach (var arg in args)
        {
            if (arg.StartsWith('-') && arg.Length > 1 && !double.TryParse(arg, out _))
            {
                var text = arg.TrimStart('-');
                var equals = text.IndexOf('=');
                var name = equals < 0 ? text : text[..equals];
                if (name is "h" or "?") name = "help";
                var key = NameStyle.Key(name);
                // Given again, an option adds its values to the first (--image a --image b); a single-valued
                // parameter then has two values, which reading it refuses by name.
                if (!line.Options.TryGetValue(key, out current))
                {
                    current = new Option(arg, []);
                    line.Options[key] = current;
                }
                currentKey = key;
                if (equals >= 0) current.Values.Add(text[(equals + 1)..]);
            }
            else if (current is null)
                line.Targets.Add(arg);
            else if (switches is not null && switches.Contains(currentKey) &&
                     (current.Values.Count > 0 || !BooleanWords.Contains(arg.ToLowerInvariant())))
            {
                line.Targets.Add(arg);
                current = null;
            }
            else
                current.Values.Add(arg);
        }
        return line;
    }

    public bool Has(string name) => Options.ContainsKey(NameStyle.Key(name));

    public IReadOnlyList<string>? Values(string name) =>
        Options.TryGetValue(NameStyle.Key(name), out var option) ? option.Values : null;

    public string? Single(string name) => Values(name) switch
    {
        null => null,
        [var one] => one,
        var many => throw new ParameterException($"--{name} takes one value but got {many.Count}: '{string.Join(' ', many)}'."),
    };
}
