using System.Text;
using System.Text.RegularExpressions;

namespace NukeContainers.Building;

/// <summary>
/// The docker CLI's <c>.dockerignore</c> rules: one pattern a line, <c>#</c> comments, <c>*</c> and <c>?</c> within a
/// path segment, <c>**</c> across segments, <c>!</c> exceptions; the last pattern that matches a path (or one of its
/// parent folders) decides.
/// </summary>
public sealed class DockerIgnore
{
    private readonly IReadOnlyList<Pattern> _patterns;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool[]> _folders = new(StringComparer.Ordinal);

    private DockerIgnore(IReadOnlyList<Pattern> patterns) => _patterns = patterns;

    private sealed record Pattern(string Text, Regex Regex, bool IsException);

    /// <summary>An empty rule set: nothing is excluded.</summary>
    public static DockerIgnore None { get; } = new([]);

    /// <summary>True when some pattern re-includes paths, so an excluded folder may still hold included files.</summary>
    public bool HasExceptions => _patterns.Any(p => p.IsException);

    /// <summary>Reads <c>.dockerignore</c> in the context folder, if there is one.</summary>
    public static DockerIgnore Load(string contextDirectory)
    {
        var path = Path.Combine(contextDirectory, ".dockerignore");
        return File.Exists(path) ? Parse(File.ReadAllText(path), path) : None;
    }

    /// <summary>
    /// Parses the text of a .dockerignore file; a pattern that is not one (an unclosed '[', a reversed range) is a
    /// <see cref="ContainerException"/> naming <paramref name="path"/> and the line, as the docker CLI refuses it too.
    /// </summary>
    public static DockerIgnore Parse(string text, string path = ".dockerignore")
    {
        var patterns = new List<Pattern>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var isException = line.StartsWith('!');
            if (isException) line = line[1..].Trim();
            if (isException && line.Length == 0)
                throw new ContainerException($"{path}:{number}: '!' alone excludes nothing and re-includes nothing: give the path after it, or remove the line (the docker CLI refuses it too: illegal exclusion pattern).");
            var cleaned = Clean(line);
            if (cleaned.Length == 0) continue;
            var (regex, problem) = Compile(cleaned);
            if (problem is not null)
                throw new ContainerException($"{path}:{number}: the pattern '{raw.Trim()}' is not valid ({problem}). Fix or remove the line: the docker CLI refuses it too.");
            patterns.Add(new Pattern(cleaned, regex!, isException));
        }
        return new DockerIgnore(patterns);
    }

    /// <summary>What is wrong with one pattern (an unclosed '[', a reversed range), or null when it is one.</summary>
    public static string? PatternProblem(string pattern)
    {
        var cleaned = Clean(pattern.Trim().TrimStart('!').Trim());
        return cleaned.Length == 0 ? null : Compile(cleaned).Problem;
    }

    /// The pattern's regex, or what is wrong with it (as Go's filepath.Match finds it, which the docker CLI asks).
    private static (System.Text.RegularExpressions.Regex? Regex, string? Problem) Compile(string cleaned)
    {
        if (SyntaxProblem(cleaned) is { } problem) return (null, problem);
        try
        {
            return (ToRegex(cleaned), null);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message.Split(" at offset")[0].TrimEnd('.'));
        }
    }

    /// <summary>
    /// Whether a walk must go into an excluded folder because an exception may bring back something in it. As the
    /// docker CLI decides (moby's archive walk): only when an exception's text, read literally, starts with the folder's
    /// path. So <c>a/**</c> then <c>!a/b/**/keep.txt</c> brings back nothing under <c>a/b/c</c>: the walk never enters it.
    /// </summary>
    public bool MayReincludeBelow(string folder)
    {
        var prefix = Clean(folder) + "/";
        return _patterns.Any(p => p.IsException && (p.Text + "/").StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>True when the context-relative path (forward slashes) is left out of the build context.</summary>
    public bool IsExcluded(string relativePath)
    {
        var path = Clean(relativePath);
        var parent = path.Contains('/') ? path[..path.LastIndexOf('/')] : null;
        var matched = false;
        for (var index = 0; index < _patterns.Count; index++)
        {
            var pattern = _patterns[index];
            // An exclusion cannot change an excluded path, nor an exception an included one.
            if (pattern.IsException != matched) continue;
            var match = pattern.Regex.IsMatch(path) || (parent is not null && FolderMatches(parent)[index]);
            if (match) matched = !pattern.IsException;
        }
        return matched;
    }

    /// Which patterns match the folder or one of the folders above it; kept per folder, since every path in a folder
    /// asks the same (an image's hundred thousand files would otherwise cost millions of matches).
    private bool[] FolderMatches(string folder) => _folders.GetOrAdd(folder, f =>
    {
        var slash = f.LastIndexOf('/');
        var above = slash < 0 ? null : FolderMatches(f[..slash]);
        return [.. _patterns.Select((p, i) => (above?[i] ?? false) || p.Regex.IsMatch(f))];
    });

    /// <summary>
    /// What Go's filepath.Match says is wrong with a pattern (patternmatcher asks it of every pattern): a '\\' at the
    /// end, a '[' never closed, or a class with an empty part (<c>[]a]</c>, <c>[-x]</c>, <c>[x-]</c>, <c>[a-b-c]</c>);
    /// null when there is nothing wrong.
    /// </summary>
    private static string? SyntaxProblem(string pattern)
    {
        var i = 0;
        // A character of a class: not '-' or ']' unescaped; a '\\' escapes the next; something must follow.
        string? Escaped()
        {
            if (i >= pattern.Length || pattern[i] is '-' or ']') return "a character class with an empty part ('-' or ']' where a character belongs; escape it with '\\')";
            if (pattern[i] == '\\' && ++i >= pattern.Length) return "a '\\' at the end";
            i++;
            return i >= pattern.Length ? "a '[' that is never closed" : null;
        }
        while (i < pattern.Length)
        {
            switch (pattern[i])
            {
                case '\\':
                    if (i + 1 >= pattern.Length) return "a '\\' at the end escapes nothing";
                    i += 2;
                    break;
                case '[':
                    i++;
                    if (i < pattern.Length && pattern[i] == '^') i++;
                    for (var ranges = 0; ; ranges++)
                    {
                        if (i < pattern.Length && pattern[i] == ']' && ranges > 0)
                        {
                            i++;
                            break;
                        }
                        if (Escaped() is { } low) return low;
                        if (pattern[i] == '-')
                        {
                            i++;
                            if (Escaped() is { } high) return high;
                        }
                    }
                    break;
                default:
                    i++;
                    break;
            }
        }
        return null;
    }

    /// Go's filepath.Clean for the patterns people write: no leading "/" or "./", no trailing "/", no "//". A '\\' is
    /// no separator on Linux, where the docker CLI reads it as an escape (<c>[\\-x]</c>, <c>a\\*b</c>).
    private static string Clean(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == ".." && parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
            else parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private static Regex ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/') i++;     // "**/" is "**"
                regex.Append(i + 1 == pattern.Length ? ".*" : "(.*/)?");
            }
            else if (c == '*') regex.Append("[^/]*");
            else if (c == '?') regex.Append("[^/]");
            else if (c == '\\' && i + 1 < pattern.Length)
            {
                // Escaped, in a class or out of one: a letter or digit as it is (an escaped one means itself in Go, and
                // something else in .NET: \\d), any other character escaped.
                var next = pattern[++i];
                regex.Append(char.IsAsciiLetterOrDigit(next) ? next.ToString() : "\\" + next);
            }
            else if (c is '[' or ']' or '-' or '^') regex.Append(c);    // character classes pass through, as in Go
            else regex.Append(Regex.Escape(c.ToString()));
        }
        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
