namespace NukeContainers.Dockerfiles;

/// <summary>A parsed Dockerfile: its parser directives, the ARGs before the first FROM, and its stages.</summary>
public sealed record Dockerfile(
    string Path,
    IReadOnlyDictionary<string, string> Directives,
    IReadOnlyList<Instruction> GlobalArgs,
    IReadOnlyList<Stage> Stages)
{
    /// <summary>Every instruction, in file order.</summary>
    public IEnumerable<Instruction> Instructions =>
        GlobalArgs.Concat(Stages.SelectMany(s => s.Instructions.Prepend(s.From))).OrderBy(i => i.Line);

    /// <summary>The names its ARG instructions declare, before the first FROM and in every stage (<c>ARG A=1 B</c> declares A and B).</summary>
    public IReadOnlySet<string> DeclaredArgs =>
        Instructions.Where(i => i.Keyword == "ARG")
            .SelectMany(i => i.Node.Values)
            .Select(word => word.Split('=', 2)[0])
            .Where(name => name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The stage a build target names: by its name (case-insensitive) or its index; null when there is none.</summary>
    public Stage? FindStage(string target) =>
        Stages.FirstOrDefault(s => string.Equals(s.Name, target, StringComparison.OrdinalIgnoreCase))
        ?? (int.TryParse(target, out var index) && index >= 0 && index < Stages.Count ? Stages[index] : null);

    /// <summary>
    /// The <c>COPY --from</c> values that name no earlier stage (by name or index): the engine takes each as an image
    /// to pull, so a mistyped stage name fails as a pull.
    /// </summary>
    public IEnumerable<(Instruction Copy, string From)> CopyFromImages() =>
        Stages.SelectMany(stage => stage.Instructions
            .Where(i => i.Keyword == "COPY")
            .Select(i => (Copy: i, From: i.Flags.GetValueOrDefault("from")!))
            .Where(c => c.From is not null && StageBefore(stage.Index, c.From) is null));

    /// <summary>The stage before stage <paramref name="index"/> that a FROM or COPY --from names (by its name, case-insensitive, or its index), if any.</summary>
    public Stage? StageBefore(int index, string name) =>
        Stages.Take(index).FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase) || s.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) == name);

    /// <summary>The stage names, or their indexes where they have none: <c>build, runtime</c>.</summary>
    public string StageNames => string.Join(", ", Stages.Select(s => s.Name ?? s.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The stage a build with this target produces, or a clear error that lists the stages there are.</summary>
    public Stage RequireStage(string? target)
    {
        if (target is null) return Stages[^1];
        return FindStage(target) ?? throw new DockerfileException(Path, null,
            $"has no stage '{target}'. Its stages are: {StageNames}. " +
            "Name one of them as the target, or leave the target out to build the last stage.");
    }
}

/// <summary>One instruction, with the lines it spans.</summary>
/// <param name="Keyword">The instruction in upper case: FROM, RUN, COPY ...</param>
/// <param name="Arguments">Everything after the keyword, continuation lines joined.</param>
/// <param name="Line">The 1-based line the instruction starts on.</param>
/// <param name="EndLine">The line it ends on (after continuations and heredocs).</param>
/// <param name="Heredocs">The here-documents it carries (RUN, COPY, ADD).</param>
public sealed record Instruction(string Keyword, string Arguments, int Line, int EndLine, IReadOnlyList<Heredoc> Heredocs)
{
    /// <summary>The line as BuildKit's parser splits it: flags, the arguments, the JSON form, an ONBUILD's trigger.</summary>
    public required InstructionNode Node { get; init; }

    /// <summary>The <c>--name=value</c> flags before the arguments (<c>--link</c> is "true"); the last of a flag given twice.</summary>
    public IReadOnlyDictionary<string, string> Flags =>
        Node.FlagValues.GroupBy(f => f.Name).ToDictionary(g => g.Key, g => g.Last().Value ?? "true");

    /// <inheritdoc />
    public override string ToString() => $"{Keyword} {Arguments}";
}

/// <summary>A here-document: <c>RUN &lt;&lt;EOF</c> ... <c>EOF</c>, as BuildKit's parser reads it.</summary>
/// <param name="Name">The word that ends it, quotes taken out (<c>&lt;&lt;'EOF'</c> is EOF).</param>
/// <param name="Content">Its lines as written, each with its newline (leading tabs too: see <see cref="Text"/>).</param>
/// <param name="Chomp">Whether it was <c>&lt;&lt;-</c>: leading tabs are taken off its lines and its end.</param>
/// <param name="Expand">Whether variables in it are expanded: its name was not quoted.</param>
/// <param name="FileDescriptor">The descriptor before <c>&lt;&lt;</c> (<c>3&lt;&lt;EOF</c>), 0 when none.</param>
public sealed record Heredoc(string Name, string Content, bool Chomp = false, bool Expand = true, int FileDescriptor = 0)
{
    /// <summary>The content as the build uses it: with <see cref="Chomp"/>, the tabs at the start of each line taken off.</summary>
    public string Text => Chomp ? string.Join('\n', Content.Split('\n').Select(l => l.TrimStart('\t'))) : Content;
}

/// <summary>A build stage: from one FROM to the next.</summary>
/// <param name="Index">Its position, from 0.</param>
/// <param name="Name">Its <c>AS</c> name, if it has one.</param>
/// <param name="BaseImage">The base image with ARGs expanded.</param>
/// <param name="Platform">The <c>--platform</c> flag's value, if any.</param>
/// <param name="From">The FROM instruction.</param>
/// <param name="Instructions">The instructions after FROM.</param>
public sealed record Stage(int Index, string? Name, string BaseImage, string? Platform, Instruction From, IReadOnlyList<Instruction> Instructions);

/// <summary>A Dockerfile that cannot be built as written; names the file and the line.</summary>
public sealed class DockerfileException(string path, int? line, string problem)
    : ContainerException(line is null ? $"{path} {problem}" : $"{path}:{line}: {problem}")
{
    /// <summary>The Dockerfile.</summary>
    public string FilePath { get; } = path;

    /// <summary>The 1-based line, when the problem has one.</summary>
    public int? Line { get; } = line;
}
