using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace NukeContainers.Dockerfiles;

/// <summary>
/// One instruction's line as BuildKit's parser reads it (frontend/dockerfile/parser: <c>splitCommand</c> and the line
/// parser of each command): the command as written, the <c>--flags</c> before its arguments (quotes and escapes taken
/// out, <c>--</c> ending them), its arguments as that command splits them, whether they were the JSON form, and an
/// ONBUILD's trigger. ENV and LABEL give name, value and separator (<c>=</c>, or empty for the old <c>ENV name value</c>)
/// for each pair; HEALTHCHECK its type (CMD, NONE) and then its command.
/// </summary>
public sealed partial record InstructionNode(string Command, IReadOnlyList<string> Flags, IReadOnlyList<string> Values, bool Json, InstructionNode? Trigger)
{
    /// <summary>
    /// Parses a logical line (continuations joined) with the Dockerfile's escape character; a line BuildKit's parser
    /// refuses (ENV without a value, a JSON array of other than strings) is a <see cref="FormatException"/> with
    /// BuildKit's words.
    /// </summary>
    public static InstructionNode Parse(string line, char escape = '\\')
    {
        var parts = Whitespace().Split(line.Trim(), 2);
        var command = parts[0];
        var (rest, flags) = parts.Length == 2 ? ExtractFlags(parts[1], escape) : ("", []);
        rest = rest.Trim();
        InstructionNode Node(IReadOnlyList<string> values, bool json = false) => new(command, flags, values, json, null);
        switch (command.ToLowerInvariant())
        {
            case "add" or "copy" or "volume":
                return ParseJson(rest) is { } list ? Node(list, json: true) : Node(SplitWhitespace(rest));
            case "cmd" or "entrypoint" or "run" or "shell":
                return rest.Length == 0 ? Node([]) : ParseJson(rest) is { } array ? Node(array, json: true) : Node([rest]);
            case "env" or "label":
                return Node(NameValues(rest, command.ToUpperInvariant(), escape));
            case "arg":
                return Node(Words(rest, escape));
            case "expose" or "from":
                return Node(SplitWhitespace(rest));
            case "maintainer" or "stopsignal" or "user" or "workdir":
                return Node(rest.Length == 0 ? [] : [rest]);
            case "healthcheck":
                return Healthcheck(rest, Node);
            case "onbuild":
                return rest.Length == 0 ? Node([]) : Node([]) with { Trigger = Parse(rest, escape) };
            default:
                return Node([""]);   // BuildKit's parseIgnore: the instruction stage refuses the unknown command
        }
    }

    private static InstructionNode Healthcheck(string rest, Func<IReadOnlyList<string>, bool, InstructionNode> node)
    {
        var separator = rest.TakeWhile(c => !char.IsWhiteSpace(c)).Count();
        if (separator == 0) return node([], false);
        var command = rest[separator..].TrimStart();
        var json = ParseJson(command);
        return node([rest[..separator], .. json ?? (command.Length == 0 ? [] : [command])], json is not null);
    }

    /// BuildKit's parseJSON: the strings of a JSON array, or null when the text is no JSON array (then it is the shell
    /// form); an array holding anything but strings is an error, not the shell form.
    private static string[]? ParseJson(string rest)
    {
        rest = rest.TrimStart();
        if (!rest.StartsWith('[')) return null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(rest);
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array) return null;
            if (document.RootElement.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                throw new FormatException("when using JSON array syntax, arrays must be comprised of strings only");
            return [.. document.RootElement.EnumerateArray().Select(e => e.GetString()!)];
        }
    }

    /// BuildKit's parseStringsWhitespaceDelimited.
    private static string[] SplitWhitespace(string rest) => rest.Length == 0 ? [] : Whitespace().Split(rest);

    /// BuildKit's parseNameVal: <c>name value</c> (the old form, the rest of the line is the value) or
    /// <c>name=value ...</c>, as name, value and separator triples.
    private static List<string> NameValues(string rest, string command, char escape)
    {
        var words = Words(rest, escape);
        if (words.Count == 0) return [];
        if (!words[0].Contains('='))
        {
            var parts = Whitespace().Split(rest, 2);
            if (parts.Length < 2) throw new FormatException($"{command} must have two arguments");
            return [parts[0], parts[1], ""];
        }
        var values = new List<string>();
        foreach (var word in words)
        {
            var equals = word.IndexOf('=');
            if (equals < 0) throw new FormatException($"Syntax error - can't find = in \"{word}\". Must be of the form: name=value");
            values.AddRange([word[..equals], word[(equals + 1)..], "="]);
        }
        return values;
    }

    /// <summary>
    /// BuildKit's parseWords: words split at white space outside quotes; quotes and escapes are kept (the build takes
    /// them out later), an escape at the end of the text is dropped.
    /// </summary>
    public static List<string> Words(string rest, char escape = '\\')
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var blankOk = false;
        char? quote = null;
        for (var pos = 0; pos < rest.Length; pos++)
        {
            var ch = rest[pos];
            if (quote is null)
            {
                if (char.IsWhiteSpace(ch))
                {
                    if (inWord && (blankOk || word.Length > 0)) words.Add(word.ToString());
                    word.Clear();
                    inWord = blankOk = false;
                    continue;
                }
                inWord = true;
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                }
                else if (ch == escape)
                {
                    if (pos + 1 == rest.Length) continue;
                    word.Append(ch);
                    ch = rest[++pos];
                }
                word.Append(ch);
                continue;
            }
            if (ch == quote) quote = null;
            else if (ch == escape && quote != '\'')
            {
                if (pos + 1 == rest.Length)
                {
                    quote = null;
                    continue;
                }
                word.Append(ch);
                ch = rest[++pos];
            }
            word.Append(ch);
        }
        if (inWord && (blankOk || word.Length > 0)) words.Add(word.ToString());
        return words;
    }

    /// BuildKit's extractBuilderFlags: the <c>--name[=value]</c> words at the start, quotes and escapes taken out,
    /// a lone <c>--</c> ending them; the rest of the line after them.
    private static (string Remainder, List<string> Flags) ExtractFlags(string line, char escape)
    {
        var flags = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var blankOk = false;
        char? quote = null;
        for (var pos = 0; pos <= line.Length; pos++)
        {
            if (!inWord)
            {
                if (pos == line.Length) break;
                if (char.IsWhiteSpace(line[pos])) continue;
                if (line[pos] != '-' || pos + 1 == line.Length || line[pos + 1] != '-') return (line[pos..], flags);
                inWord = true;
            }
            if (pos == line.Length)
            {
                if (word.ToString() != "--" && (blankOk || word.Length > 0)) flags.Add(word.ToString());
                break;
            }
            var ch = line[pos];
            if (quote is null)
            {
                if (char.IsWhiteSpace(ch))
                {
                    var flag = word.ToString();
                    if (flag == "--") return (line[pos..], flags);
                    if (blankOk || flag.Length > 0) flags.Add(flag);
                    word.Clear();
                    inWord = blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    continue;
                }
            }
            else if (ch == quote)
            {
                quote = null;
                continue;
            }
            if (ch == escape)
            {
                if (pos + 1 == line.Length)
                {
                    quote = null;
                    continue;
                }
                ch = line[++pos];
            }
            word.Append(ch);
        }
        return ("", flags);
    }

    /// <summary>The flags as name and value (<c>--link</c> has none); a flag given twice is there twice.</summary>
    public IEnumerable<(string Name, string? Value)> FlagValues =>
        Flags.Select(f => f.TrimStart('-').Split('=', 2) is var p && p.Length == 2 ? (p[0], (string?)p[1]) : (p[0], null));

    [GeneratedRegex(@"[\t\v\f\r ]+")]
    private static partial Regex Whitespace();
}
