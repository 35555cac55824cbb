using System.Text;

namespace NukeContainers.Dockerfiles;

/// <summary>
/// A RUN instruction's shell script as the lint reads it: the simple commands it runs (in lists, pipelines,
/// subshells, <c>$(...)</c>, <c>if</c>/<c>for</c>/<c>while</c> bodies), each with its name and arguments, quotes
/// removed and expansions kept as written (<c>${VAR}</c>); variable assignments before a command and redirections are
/// left out. Flags as hadolint reads them: <c>--name[=value]</c> is the flag <c>name</c>, <c>-abc</c> the flags a, b, c.
/// </summary>
public sealed class ShellScript
{
    private static readonly HashSet<string> Reserved = ["if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "until", "case", "esac", "!", "{", "}", "function"];

    private ShellScript(IReadOnlyList<ShellCommand> commands, bool hasPipe)
    {
        Commands = commands;
        HasPipe = hasPipe;
    }

    /// <summary>The simple commands, in the order they appear.</summary>
    public IReadOnlyList<ShellCommand> Commands { get; }

    /// <summary>Whether a pipeline (<c>a | b</c>) is in it.</summary>
    public bool HasPipe { get; }

    /// <summary>Whether a command of that name runs.</summary>
    public bool Uses(string name) => Commands.Any(c => c.Name == name);

    /// <summary>Reads a script. Never fails: what it cannot read it takes as words.</summary>
    public static ShellScript Parse(string script)
    {
        var commands = new List<ShellCommand>();
        var hasPipe = false;
        Read(script, commands, ref hasPipe);
        return new ShellScript(commands, hasPipe);
    }

    private static void Read(string script, List<ShellCommand> commands, ref bool hasPipe)
    {
        var words = new List<string>();
        var text = script.Replace("\\\r\n", "").Replace("\\\n", "");
        var i = 0;
        void End()
        {
            // Leading assignments (A=b cmd) are not the command; a reserved word starts the next one.
            var start = 0;
            while (start < words.Count && (Reserved.Contains(words[start]) || IsAssignment(words[start]))) start++;
            if (start < words.Count) commands.Add(new ShellCommand(words[start], words.Skip(start + 1).Where(w => !Reserved.Contains(w) || w == "!").ToList()));
            words.Clear();
        }
        while (i < text.Length)
        {
            var c = text[i];
            if (c is ' ' or '\t') { i++; continue; }
            if (c == '#' && (i == 0 || char.IsWhiteSpace(text[i - 1])))
            {
                while (i < text.Length && text[i] != '\n') i++;
                continue;
            }
            if (c is '\n' or ';' or '&' or '(' or ')' or '`')
            {
                if (c == '`')
                {
                    var close = text.IndexOf('`', i + 1);
                    if (close < 0) close = text.Length;
                    Read(text[(i + 1)..close], commands, ref hasPipe);
                    i = close + 1;
                    continue;
                }
                End();
                i += c == '&' && i + 1 < text.Length && text[i + 1] == '&' ? 2 : c == ';' && i + 1 < text.Length && text[i + 1] == ';' ? 2 : 1;
                continue;
            }
            if (c == '|')
            {
                if (i + 1 < text.Length && text[i + 1] == '|') i += 2;
                else { hasPipe = true; i++; }
                End();
                continue;
            }
            if (c is '>' or '<' || (char.IsDigit(c) && i + 1 < text.Length && text[i + 1] is '>' or '<'))
            {
                // A redirection and its target.
                while (i < text.Length && (char.IsDigit(text[i]) || text[i] is '>' or '<' or '&')) i++;
                while (i < text.Length && text[i] is ' ' or '\t') i++;
                ReadWord(text, ref i, commands, ref hasPipe);
                continue;
            }
            if (c is '{' or '}' && (i + 1 >= text.Length || char.IsWhiteSpace(text[i + 1]) || text[i + 1] == ';'))
            {
                End();
                i++;
                continue;
            }
            var word = ReadWord(text, ref i, commands, ref hasPipe);
            if (Reserved.Contains(word) && word is not ("{" or "}") && words.Count == 0) { if (word is "for" or "case") SkipHeader(text, ref i); continue; }
            if (word is "then" or "do" or "else" or "elif") { End(); continue; }
            words.Add(word);
        }
        End();
    }

    /// "for x in a b c; do" and "case $x in": the header is no command.
    private static void SkipHeader(string text, ref int i)
    {
        var end = text.IndexOfAny([';', '\n'], i);
        i = end < 0 ? text.Length : end;
    }

    private static bool IsAssignment(string word)
    {
        var equals = word.IndexOf('=');
        return equals > 0 && word[..equals].All(ch => char.IsLetterOrDigit(ch) || ch == '_') && !char.IsDigit(word[0]);
    }

    /// One word: quotes removed, expansions kept as written ($(...) as ${...}, its commands read too).
    private static string ReadWord(string text, ref int i, List<ShellCommand> commands, ref bool hasPipe)
    {
        var word = new StringBuilder();
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c) || c is ';' or '&' or '|' or '(' or ')' or '<' or '>' or '`') break;
            if (c == '\\' && i + 1 < text.Length) { word.Append(text[i + 1]); i += 2; continue; }
            if (c == '\'')
            {
                var close = text.IndexOf('\'', i + 1);
                if (close < 0) close = text.Length;
                word.Append(text.AsSpan(i + 1, close - i - 1));
                i = Math.Min(close + 1, text.Length);
                continue;
            }
            if (c == '"')
            {
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) { word.Append(text[i + 1]); i += 2; continue; }
                    if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '(') { word.Append(Substitution(text, ref i, commands, ref hasPipe)); continue; }
                    word.Append(text[i++]);
                }
                i++;
                continue;
            }
            if (c == '$' && i + 1 < text.Length && text[i + 1] == '(') { word.Append(Substitution(text, ref i, commands, ref hasPipe)); continue; }
            if (c == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = text.IndexOf('}', i);
                if (close < 0) close = text.Length - 1;
                word.Append(text.AsSpan(i, close - i + 1));
                i = close + 1;
                continue;
            }
            word.Append(c);
            i++;
        }
        return word.ToString();
    }

    /// $(...) or $((...)): the commands inside are read; the word keeps ${...}.
    private static string Substitution(string text, ref int i, List<ShellCommand> commands, ref bool hasPipe)
    {
        var depth = 0;
        var start = i + 2;
        var j = i + 1;
        for (; j < text.Length; j++)
        {
            if (text[j] == '(') depth++;
            else if (text[j] == ')' && --depth == 0) break;
        }
        var inner = text[start..Math.Min(j, text.Length)];
        if (!inner.StartsWith('(')) Read(inner, commands, ref hasPipe);
        i = Math.Min(j + 1, text.Length);
        return "${VAR}";
    }
}

/// <summary>A simple command: its name and arguments (flags among them).</summary>
public sealed record ShellCommand(string Name, IReadOnlyList<string> Arguments)
{
    /// <summary>Whether any of the arguments is one of these.</summary>
    public bool HasArgument(params string[] arguments) => Arguments.Any(arguments.Contains);

    /// <summary>Whether the command is <paramref name="name"/> with one of <paramref name="arguments"/>.</summary>
    public bool Is(string name, params string[] arguments) => Name == name && (arguments.Length == 0 || HasArgument(arguments));

    /// <summary>The flags, as hadolint reads them: <c>--name=value</c> is <c>name</c>, <c>-abc</c> is a, b and c.</summary>
    public IEnumerable<string> Flags => Arguments.SelectMany(FlagsOf);

    private static IEnumerable<string> FlagsOf(string argument) =>
        argument is "-" or "--" ? []
        : argument.StartsWith("--", StringComparison.Ordinal) ? [argument[2..].Split('=')[0]]
        : argument.StartsWith('-') ? argument[1..].Select(c => c.ToString())
        : [];

    /// <summary>Whether one of the flags is given.</summary>
    public bool HasFlag(params string[] flags) => Flags.Any(flags.Contains);

    /// <summary>
    /// The arguments that are not flags, leaving out the value after each of <paramref name="valueFlags"/> (a flag that
    /// takes the next word, unless it has <c>=value</c>).
    /// </summary>
    public IReadOnlyList<string> ArgumentsWithoutFlags(params string[] valueFlags)
    {
        var kept = new List<string>();
        for (var i = 0; i < Arguments.Count; i++)
        {
            var argument = Arguments[i];
            if (argument is "-" or "--" || !argument.StartsWith('-')) { kept.Add(argument); continue; }
            if (!argument.Contains('=') && FlagsOf(argument).Any(valueFlags.Contains)) i++;
        }
        return kept;
    }
}
