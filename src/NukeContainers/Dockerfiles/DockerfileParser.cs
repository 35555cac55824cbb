using System.Text;
using System.Text.RegularExpressions;

namespace NukeContainers.Dockerfiles;

/// <summary>
/// Parses Dockerfiles as the engine's frontend does: parser directives (<c># syntax=</c>, <c># escape=</c>),
/// comments, line continuations, heredocs, and ARG expansion in FROM.
/// </summary>
public static partial class DockerfileParser
{
    private static readonly HashSet<string> Keywords =
    [
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
        "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    ];

    /// <summary>
    /// Reads and parses a Dockerfile; build args override the defaults of ARGs before the first FROM. Without a
    /// <paramref name="syntax"/> it is read as some frontend reads it (<see cref="DockerfileSyntax.Any"/>): the build
    /// step checks it with its engine's (<see cref="DockerfileSyntax.ForEngine"/>).
    /// </summary>
    public static Dockerfile Load(string path, IReadOnlyDictionary<string, string>? buildArgs = null, DockerfileSyntax? syntax = null) =>
        File.Exists(path) ? Parse(File.ReadAllText(path), path, buildArgs, syntax ?? DockerfileSyntax.Any)
            : throw new ContainerException($"There is no Dockerfile at '{path}'.");

    /// <summary>
    /// Parses Dockerfile text; <paramref name="path"/> names it in errors. Here-documents are read when the
    /// <paramref name="syntax"/> has them (today's frontend, the default); an older frontend reads their lines as instructions.
    /// </summary>
    public static Dockerfile Parse(string text, string path = "Dockerfile", IReadOnlyDictionary<string, string>? buildArgs = null, DockerfileSyntax? syntax = null) =>
        Parse(text, path, buildArgs, syntax, unsetBaseAllowed: false);

    /// <summary>
    /// As <see cref="Parse(string, string, IReadOnlyDictionary{string, string}?, DockerfileSyntax?)"/>; with
    /// <paramref name="unsetBaseAllowed"/>, a FROM whose ARG has no value keeps its text (<c>${BASE}</c>): the lint reads
    /// a Dockerfile without the build's arguments.
    /// </summary>
    internal static Dockerfile Parse(string text, string path, IReadOnlyDictionary<string, string>? buildArgs, DockerfileSyntax? syntax, bool unsetBaseAllowed)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var (directives, first) = ReadDirectives(lines, path);
        var escape = directives.TryGetValue("escape", out var e) ? e[0] : '\\';
        syntax ??= DockerfileSyntax.Current;
        var instructions = ReadInstructions(lines, first, escape, path, syntax.Heredocs);
        var dockerfile = Assemble(instructions, directives, path, buildArgs ?? new Dictionary<string, string>(), unsetBaseAllowed);
        syntax.Validate(dockerfile);
        return dockerfile;
    }

    /// The parser directives at the top, as BuildKit reads them: a first line that is a shebang (<c>#!</c>) ends the
    /// directives the parser takes (escape), but BuildKit still finds <c># syntax=</c> and <c># check=</c> right below it;
    /// a byte order mark before the first is skipped; <c>// ...</c> after a syntax's image is its options, not its name.
    private static (Dictionary<string, string> Directives, int FirstLine) ReadDirectives(string[] lines, string path)
    {
        var directives = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (lines.Length > 0) lines[0] = lines[0].TrimStart('\uFEFF');
        var shebang = lines.Length > 0 && lines[0].StartsWith("#!", StringComparison.Ordinal);
        var i = shebang ? 1 : 0;
        for (; i < lines.Length; i++)
        {
            var match = Directive().Match(lines[i]);
            if (!match.Success) break;
            var name = match.Groups[1].Value.ToLowerInvariant();
            if (shebang && name is not ("syntax" or "check")) continue;
            var value = name == "syntax" && match.Groups[2].Value.IndexOf(" //", StringComparison.Ordinal) is var options and > 0
                ? match.Groups[2].Value[..options].TrimEnd() : match.Groups[2].Value;
            if (!directives.TryAdd(name, value))
                throw new DockerfileException(path, i + 1, $"the parser directive '{name}' is given twice.");
        }
        if (directives.TryGetValue("escape", out var escape) && escape is not ("\\" or "`"))
            throw new DockerfileException(path, 1, $"the escape directive must be \\ or `, not '{escape}'.");
        return (directives, i);
    }

    private static List<Instruction> ReadInstructions(string[] lines, int start, char escape, string path, bool readHeredocs)
    {
        var instructions = new List<Instruction>();
        for (var i = start; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) continue;

            var startLine = i + 1;
            var logical = new StringBuilder();
            var line = lines[i].TrimEnd();
            // A line continues when it ends with the escape character, not with an escaped one (the engine reads
            // "echo a \\\\" as ending there).
            bool Continues(string text) => text.EndsWith(escape) && !(text.Length >= 2 && text[^2] == escape);
            while (Continues(line) && i + 1 < lines.Length)
            {
                logical.Append(line[..^1]);
                do i++; while (i + 1 < lines.Length && lines[i].TrimStart() is "" or ['#', ..]); // comments and blank lines inside a continuation are dropped
                line = lines[i].TrimEnd();
            }
            logical.Append(Continues(line) ? line[..^1] : line);

            var content = logical.ToString().Trim();
            var split = content.IndexOfAny([' ', '\t']);
            var keyword = (split < 0 ? content : content[..split]).ToUpperInvariant();
            var arguments = split < 0 ? "" : content[(split + 1)..].Trim();
            if (!Keywords.Contains(keyword))
                throw new DockerfileException(path, startLine, $"unknown instruction '{(split < 0 ? content : content[..split])}'. Instructions are {string.Join(", ", Keywords.Order())}.");

            var heredocs = new List<Heredoc>();
            if (readHeredocs && keyword is "RUN" or "COPY" or "ADD")
                foreach (var match in UnquotedHeredocStarts(arguments))
                    heredocs.Add(ReadHeredoc(lines, ref i, match, path, startLine));
            instructions.Add(new Instruction(keyword, arguments, startLine, i + 1, heredocs));
        }
        return instructions;
    }

    /// The here-document starts of an instruction's arguments as a shell reads them: a <c>&lt;&lt;</c> inside quotes,
    /// or in the JSON form, is text, not a here-document.
    private static IEnumerable<Match> UnquotedHeredocStarts(string arguments)
    {
        if (arguments.TrimStart().StartsWith('[')) yield break;
        foreach (Match match in HeredocStart().Matches(arguments))
        {
            char? quote = null;
            for (var k = 0; k < match.Index; k++)
            {
                var c = arguments[k];
                if (quote is null && c == '\\') k++;
                else if (quote is null && c is '\'' or '"') quote = c;
                else if (c == quote) quote = null;
            }
            if (quote is null) yield return match;
        }
    }

    private static Heredoc ReadHeredoc(string[] lines, ref int i, Match start, string path, int startLine)
    {
        var stripTabs = start.Groups[1].Value == "-";
        var name = start.Groups[3].Value;
        var body = new StringBuilder();
        while (++i < lines.Length)
        {
            var line = stripTabs ? lines[i].TrimStart('\t') : lines[i];
            if (line == name) return new Heredoc(name, body.ToString(), stripTabs);
            body.Append(line).Append('\n');
        }
        throw new DockerfileException(path, startLine, $"the here-document <<{name} never ends: add a line that is exactly '{name}'.");
    }

    private static Dockerfile Assemble(List<Instruction> instructions, Dictionary<string, string> directives, string path, IReadOnlyDictionary<string, string> buildArgs, bool unsetBaseAllowed)
    {
        var globalArgs = instructions.TakeWhile(i => i.Keyword == "ARG").ToList();
        if (instructions.Count == globalArgs.Count)
            throw new DockerfileException(path, instructions.Count > 0 ? instructions[^1].Line : null, "has no FROM instruction: a Dockerfile must start with FROM (ARGs may come before it).");
        var firstOther = instructions[globalArgs.Count];
        if (firstOther.Keyword != "FROM")
            throw new DockerfileException(path, firstOther.Line, $"the first instruction must be FROM (ARGs may come before it), not {firstOther.Keyword}.");

        var variables = ArgDefaults(globalArgs, buildArgs);
        var stages = new List<Stage>();
        var rest = instructions.Skip(globalArgs.Count).ToList();
        for (var i = 0; i < rest.Count; i++)
        {
            var from = rest[i];
            var body = rest.Skip(i + 1).TakeWhile(x => x.Keyword != "FROM").ToList();
            i += body.Count;
            stages.Add(ParseFrom(from, body, stages, variables, path, unsetBaseAllowed));
        }
        return new Dockerfile(path, directives, globalArgs, stages);
    }

    private static Stage ParseFrom(Instruction from, List<Instruction> body, List<Stage> earlier, Dictionary<string, string> variables, string path, bool unsetBaseAllowed)
    {
        var words = from.Arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var flags = words.TakeWhile(w => w.StartsWith("--", StringComparison.Ordinal)).ToList();
        var rest = words.Skip(flags.Count).ToArray();
        string? name = null;
        if (rest.Length == 3 && rest[1].Equals("AS", StringComparison.OrdinalIgnoreCase)) name = rest[2];
        else if (rest.Length != 1)
            throw new DockerfileException(path, from.Line, $"FROM takes an image and an optional 'AS name', as in 'FROM golang:1.22 AS build'; got 'FROM {from.Arguments}'.");
        if (name is not null && !StageName().IsMatch(name))
            throw new DockerfileException(path, from.Line, $"'{name}' is not a valid stage name: use letters, digits, '.', '_' and '-', starting with a letter.");

        var image = Expand(rest[0], variables);
        if (image.Length == 0 && unsetBaseAllowed) image = rest[0];
        if (image.Length == 0)
            throw new DockerfileException(path, from.Line, $"'FROM {rest[0]}' expands to an empty image name; give the ARG a default or pass it as a build arg.");
        var platform = flags.FirstOrDefault(f => f.StartsWith("--platform=", StringComparison.Ordinal))?["--platform=".Length..];
        return new Stage(earlier.Count, name, image, platform is null ? null : Expand(platform, variables), from, body);
    }

    private static Dictionary<string, string> ArgDefaults(List<Instruction> globalArgs, IReadOnlyDictionary<string, string> buildArgs)
    {
        var values = new Dictionary<string, string>();
        foreach (var arg in globalArgs)
        {
            var parts = arg.Arguments.Split('=', 2);
            var name = parts[0].Trim();
            if (buildArgs.TryGetValue(name, out var given)) values[name] = given;
            else if (parts.Length == 2) values[name] = Expand(parts[1].Trim().Trim('"'), values);
        }
        return values;
    }

    /// <summary>Expands $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:+alt} and ${NAME+alt}; unset names are empty.</summary>
    public static string Expand(string text, IReadOnlyDictionary<string, string> variables) =>
        Variable().Replace(text, match =>
        {
            var name = match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["bare"].Value;
            var isSet = variables.TryGetValue(name, out var value);
            var op = match.Groups["op"].Value;
            var word = match.Groups["word"].Value;
            return op switch
            {
                ":-" => isSet && value!.Length > 0 ? value : word,
                "-" => isSet ? value! : word,
                ":+" => isSet && value!.Length > 0 ? word : "",
                "+" => isSet ? word : "",
                _ => value ?? "",
            };
        });

    [GeneratedRegex(@"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")]
    private static partial Regex Directive();

    [GeneratedRegex(@"<<(-?)(['""]?)([A-Za-z_][A-Za-z0-9_]*)\2")]
    private static partial Regex HeredocStart();

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9._-]*$")]
    private static partial Regex StageName();

    [GeneratedRegex(@"\$(?:\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:?[-+])(?<word>[^}]*))?\}|(?<bare>[A-Za-z_][A-Za-z0-9_]*))")]
    private static partial Regex Variable();
}
