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
        var lines = Lines(text);
        var (directives, first) = ReadDirectives(lines, path);
        syntax ??= DockerfileSyntax.Current;
        var instructions = ReadInstructions(lines, first, Escape(directives), path, syntax.Heredocs);
        var dockerfile = Assemble(instructions, directives, path, buildArgs ?? new Dictionary<string, string>(), unsetBaseAllowed);
        syntax.Validate(dockerfile);
        return dockerfile;
    }

    /// The parser directives at the top, as BuildKit reads them: syntax, escape and check, in any case; the first line
    /// that is none of them (another <c># name=value</c> too) ends them. A first line that is a shebang (<c>#!</c>) ends
    /// the directives the parser takes (escape), but BuildKit still finds <c># syntax=</c> and <c># check=</c> right below
    /// it; a byte order mark before the first is skipped; a syntax's image is its first word (<c>// ...</c> after it is
    /// its options).
    private static (Dictionary<string, string> Directives, int FirstLine) ReadDirectives(string[] lines, string path)
    {
        var directives = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (lines.Length > 0) lines[0] = lines[0].TrimStart('\uFEFF');
        var shebang = lines.Length > 0 && lines[0].StartsWith("#!", StringComparison.Ordinal);
        var i = shebang ? 1 : 0;
        for (; i < lines.Length; i++)
        {
            var match = Directive().Match(lines[i]);
            var name = match.Groups[1].Value.ToLowerInvariant();
            if (!match.Success || name is not ("syntax" or "escape" or "check")) break;
            if (shebang && name is "escape") continue;
            var value = name == "syntax" ? match.Groups[2].Value.Split(' ')[0] : match.Groups[2].Value;
            if (!directives.TryAdd(name, value))
                throw new DockerfileException(path, i + 1, $"only one {name} parser directive can be used.");
        }
        if (directives.TryGetValue("escape", out var escape) && escape is not ("\\" or "`"))
            throw new DockerfileException(path, 1, $"the escape directive must be \\ or `, not '{escape}'.");
        return (directives, i);
    }

    /// <summary>
    /// The instructions of a Dockerfile as BuildKit's parser reads them, before the rules of stages and of each
    /// instruction's arguments (<see cref="Parse(string, string, IReadOnlyDictionary{string, string}?, DockerfileSyntax?)"/>
    /// applies those): lines joined at the escape character, comments and blank lines inside a continuation dropped,
    /// here-documents read when <paramref name="heredocs"/> (today's frontends).
    /// </summary>
    public static IReadOnlyList<Instruction> ReadInstructions(string text, string path = "Dockerfile", bool heredocs = true)
    {
        var lines = Lines(text);
        var (directives, first) = ReadDirectives(lines, path);
        return ReadInstructions(lines, first, Escape(directives), path, heredocs);
    }

    /// The lines of a text as BuildKit's scanner gives them: a last newline ends the last line rather than starting
    /// an empty one.
    private static string[] Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    private static char Escape(Dictionary<string, string> directives) => directives.TryGetValue("escape", out var e) ? e[0] : '\\';

    private static List<Instruction> ReadInstructions(string[] lines, int start, char escape, string path, bool readHeredocs)
    {
        // BuildKit's lineContinuationRegex: the escape character, then only blanks, not after another escape character.
        var continuation = new Regex($@"([^\{escape}])\{escape}[ \t]*$|^\{escape}[ \t]*$");
        (string Text, bool Ends) TrimContinuation(string line) =>
            continuation.IsMatch(line) ? (continuation.Replace(line, "$1"), false) : (line, true);
        static bool IsComment(string line) => line.TrimStart().StartsWith('#');

        var instructions = new List<Instruction>();
        for (var i = start; i < lines.Length; i++)
        {
            var startLine = i + 1;
            var first = lines[i].TrimStart();
            if (IsComment(first)) continue;
            var (text, ends) = TrimContinuation(first);
            if (ends && text.Length == 0) continue;
            var logical = new StringBuilder(text);
            while (!ends && i + 1 < lines.Length)
            {
                var next = lines[++i];
                if (IsComment(next) || next.Trim().Length == 0) continue;   // comments and blank lines inside a continuation are dropped
                (text, ends) = TrimContinuation(next);
                logical.Append(text);
            }

            var content = logical.ToString();
            InstructionNode node;
            try
            {
                node = InstructionNode.Parse(content, escape);
            }
            catch (FormatException e)
            {
                throw new DockerfileException(path, startLine, e.Message + ".");
            }
            var trimmed = content.Trim();
            var split = trimmed.IndexOfAny([' ', '\t']);
            var arguments = split < 0 ? "" : trimmed[(split + 1)..].Trim();

            var heredocs = new List<Heredoc>();
            if (readHeredocs && CanContainHeredoc(node) && content.Contains("<<", StringComparison.Ordinal))
                foreach (var heredoc in HeredocsFromLine(content, path, startLine))
                    heredocs.Add(ReadHeredoc(lines, ref i, heredoc, path, startLine));
            instructions.Add(new Instruction(node.Command.ToUpperInvariant(), arguments, startLine, i + 1, heredocs) { Node = node });
        }
        return instructions;
    }

    /// RUN, COPY and ADD in the shell form carry here-documents, in an ONBUILD too (BuildKit's canContainHeredoc).
    private static bool CanContainHeredoc(InstructionNode node) =>
        (node.Trigger ?? node) is { Json: false } n && n.Command.ToUpperInvariant() is "RUN" or "COPY" or "ADD";

    private static Heredoc ReadHeredoc(string[] lines, ref int i, Heredoc heredoc, string path, int startLine)
    {
        var body = new StringBuilder();
        while (++i < lines.Length)
        {
            var line = heredoc.Chomp ? lines[i].TrimStart('\t') : lines[i];
            if (line.TrimEnd('\r') == heredoc.Name) return heredoc with { Content = body.ToString() };
            body.Append(lines[i]).Append('\n');
        }
        throw new DockerfileException(path, startLine, $"the here-document <<{heredoc.Name} never ends: add a line that is exactly '{heredoc.Name}'.");
    }

    /// <summary>The error for an instruction no frontend knows (BuildKit's parser reads it; its instruction stage refuses it).</summary>
    internal static DockerfileException? Unknown(Instruction instruction, string path) =>
        Keywords.Contains(instruction.Keyword) ? null
            : new DockerfileException(path, instruction.Line, $"unknown instruction: {instruction.Node.Command} (instructions are {string.Join(", ", Keywords.Order())}).");

    private static Dockerfile Assemble(List<Instruction> instructions, Dictionary<string, string> directives, string path, IReadOnlyDictionary<string, string> buildArgs, bool unsetBaseAllowed)
    {
        var globalArgs = instructions.TakeWhile(i => i.Keyword == "ARG").ToList();
        if (instructions.Count == globalArgs.Count)
            throw new DockerfileException(path, instructions.Count > 0 ? instructions[^1].Line : null, "has no FROM instruction: a Dockerfile must start with FROM (ARGs may come before it).");
        var firstOther = instructions[globalArgs.Count];
        if (Unknown(firstOther, path) is { } unknown) throw unknown;
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
        var rest = from.Node.Values;
        string? name = null;
        if (rest.Count == 3 && rest[1].Equals("AS", StringComparison.OrdinalIgnoreCase)) name = rest[2];
        else if (rest.Count != 1)
            throw new DockerfileException(path, from.Line, $"FROM takes an image and an optional 'AS name', as in 'FROM golang:1.22 AS build'; got 'FROM {from.Arguments}'.");
        if (name is not null && !StageName().IsMatch(name))
            throw new DockerfileException(path, from.Line, $"'{name}' is not a valid stage name: use letters, digits, '.', '_' and '-', starting with a letter.");

        var image = Expand(rest[0], variables);
        if (image.Length == 0 && unsetBaseAllowed) image = rest[0];
        if (image.Length == 0)
            throw new DockerfileException(path, from.Line, $"'FROM {rest[0]}' expands to an empty image name; give the ARG a default or pass it as a build arg.");
        var platform = from.Flags.GetValueOrDefault("platform");
        return new Stage(earlier.Count, name, image, platform is null ? null : Expand(platform, variables), from, body);
    }

    private static Dictionary<string, string> ArgDefaults(List<Instruction> globalArgs, IReadOnlyDictionary<string, string> buildArgs)
    {
        var values = new Dictionary<string, string>();
        foreach (var parts in globalArgs.SelectMany(arg => arg.Node.Values).Select(word => word.Split('=', 2)))
        {
            var name = parts[0];
            if (buildArgs.TryGetValue(name, out var given)) values[name] = given;
            else if (parts.Length == 2) values[name] = Expand(parts[1].Trim('"'), values);
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

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9._-]*$")]
    private static partial Regex StageName();

    [GeneratedRegex(@"\$(?:\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:?[-+])(?<word>[^}]*))?\}|(?<bare>[A-Za-z_][A-Za-z0-9_]*))")]
    private static partial Regex Variable();
}
