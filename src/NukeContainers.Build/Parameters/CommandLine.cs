namespace NukeContainers.Build.Parameters;

/// The command line split into the leading target names and the options with their values:
/// <c>Compile Test --skip Restore --configuration Debug</c>.
internal sealed class CommandLine
{
    public List<string> Targets { get; } = [];
    public Dictionary<string, Option> Options { get; } = new();

    public sealed record Option(string Written, List<string> Values);

    public static CommandLine Parse(IEnumerable<string> args)
    {
        var line = new CommandLine();
        Option? current = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith('-') && arg.Length > 1 && !double.TryParse(arg, out _))
            {
                var text = arg.TrimStart('-');
                var equals = text.IndexOf('=');
                var name = equals < 0 ? text : text[..equals];
                if (name is "h" or "?") name = "help";
                var key = NameStyle.Key(name);
                if (line.Options.ContainsKey(key))
                    throw new ParameterException($"'{arg}' is given twice; give each parameter once (an array takes several values after one flag).");
                current = new Option(arg, []);
                line.Options[key] = current;
                if (equals >= 0) current.Values.Add(text[(equals + 1)..]);
            }
            else if (current is null)
                line.Targets.Add(arg);
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
