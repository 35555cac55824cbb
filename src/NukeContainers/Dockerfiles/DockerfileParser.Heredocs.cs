using System.Text;
using System.Text.RegularExpressions;

namespace NukeContainers.Dockerfiles;

public static partial class DockerfileParser
{
    /// <summary>
    /// The here-documents an instruction's line starts, found as BuildKit finds them (parser.heredocsFromLine): the
    /// line split into shell words (quotes and escapes kept), each word that is <c>[n]&lt;&lt;[-]NAME</c> one, whose name
    /// is NAME as a shell reads it (<c>&lt;&lt;'EOF'</c> is EOF, not expanded; <c>&lt;&lt;file.txt</c> and
    /// <c>&lt;&lt;$EOF</c> are names as written). A <c>&lt;&lt;</c> inside quotes is text.
    /// </summary>
    internal static IEnumerable<Heredoc> HeredocsFromLine(string line, string path = "Dockerfile", int lineNumber = 1)
    {
        foreach (var word in ShellWords(line, rawQuotes: true, rawEscapes: true) ?? [])
        {
            Heredoc? heredoc;
            try
            {
                heredoc = ParseHeredoc(word);
            }
            catch (FormatException e)
            {
                throw new DockerfileException(path, lineNumber, e.Message);
            }
            if (heredoc is not null) yield return heredoc;
        }
    }

    /// <summary>
    /// BuildKit's ParseHeredoc: the here-document a word such as <c>&lt;&lt;-'EOF'</c> starts, or null when it starts
    /// none; a name whose quote is not closed is a <see cref="FormatException"/>.
    /// </summary>
    internal static Heredoc? ParseHeredoc(string word)
    {
        var match = HeredocWord().Match(word);
        if (!match.Success || match.Groups[3].Value.Length == 0) return null;
        var rest = match.Groups[3].Value;
        var names = ShellWords(rest, rawQuotes: false, rawEscapes: false)
            ?? throw new FormatException($"the here-document name {rest} has a quote that is not closed.");
        if (names.Count != 1) return null;
        var raw = ShellWords(rest, rawQuotes: true, rawEscapes: false)!;
        static int Quotes(string text) => text.Count(c => c is '\'' or '"');
        return new Heredoc(names[0], "", Chomp: match.Groups[2].Value == "-", Expand: Quotes(names[0]) == Quotes(raw[0]),
            FileDescriptor: match.Groups[1].Value.Length == 0 ? 0 : int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// BuildKit's shell lexer (shell.Lex.ProcessWords) with no variable set and unset ones kept as written: the words a
    /// shell splits a text into; <paramref name="rawQuotes"/> keeps the quotes, <paramref name="rawEscapes"/> the escape
    /// characters; <c>&lt;&lt;</c> and the blanks after it stay in the word that follows. Null when a quote or a
    /// <c>${</c> is not closed.
    /// </summary>
    private static List<string>? ShellWords(string text, bool rawQuotes, bool rawEscapes)
    {
        const char escape = '\\';
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        void AddChar(char c)
        {
            if (!char.IsWhiteSpace(c)) AddRaw(c.ToString());
            else if (inWord && word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
        }
        void AddRaw(string s)
        {
            word.Append(s);
            inWord = true;
        }

        var pos = 0;
        while (pos < text.Length)
        {
            var ch = text[pos];
            switch (ch)
            {
                case '$':
                    if (Dollar(text, ref pos) is not { } value) return null;
                    foreach (var c in value) AddChar(c);
                    break;
                case '<':
                    pos++;
                    if (pos < text.Length && text[pos] == '<')
                    {
                        var heredoc = new StringBuilder("<<");
                        for (pos++; pos < text.Length && text[pos] is ' ' or '\t' or '\r'; pos++) heredoc.Append(text[pos]);
                        AddRaw(heredoc.ToString());
                    }
                    else AddRaw("<");
                    break;
                case '\'':
                    var close = text.IndexOf('\'', pos + 1);
                    if (close < 0) return null;
                    AddRaw(rawQuotes ? text[pos..(close + 1)] : text[(pos + 1)..close]);
                    pos = close + 1;
                    break;
                case '"':
                    var quoted = new StringBuilder(rawQuotes ? "\"" : "");
                    for (pos++; ; )
                    {
                        if (pos >= text.Length) return null;
                        var c = text[pos];
                        if (c == '"')
                        {
                            pos++;
                            if (rawQuotes) quoted.Append('"');
                            break;
                        }
                        if (c == '$')
                        {
                            if (Dollar(text, ref pos) is not { } inner) return null;
                            quoted.Append(inner);
                            continue;
                        }
                        pos++;
                        if (c == escape)
                        {
                            if (rawEscapes) quoted.Append(c);
                            if (pos >= text.Length) continue;
                            if (text[pos] is '"' or '$' or escape) c = text[pos++];
                        }
                        quoted.Append(c);
                    }
                    AddRaw(quoted.ToString());
                    break;
                default:
                    pos++;
                    if (ch == escape)
                    {
                        if (rawEscapes) AddRaw(escape.ToString());
                        if (pos >= text.Length) return Done();
                        AddRaw(text[pos++].ToString());
                    }
                    else AddChar(ch);
                    break;
            }
        }
        return Done();

        List<string> Done()
        {
            if (word.Length > 0) words.Add(word.ToString());
            return words;
        }
    }

    /// A <c>$NAME</c>, <c>${...}</c> or lone <c>$</c> at <paramref name="pos"/>, kept as written (no variable is set);
    /// null when a <c>${</c> is not closed or is empty.
    private static string? Dollar(string text, ref int pos)
    {
        var start = pos++;
        if (pos < text.Length && text[pos] == '{')
        {
            var close = text.IndexOf('}', pos);
            if (close < 0 || close == pos + 1 || text[pos + 1] is '{' or ':') return null;
            pos = close + 1;
            return text[start..pos];
        }
        if (pos < text.Length && char.IsDigit(text[pos]))
            while (pos < text.Length && char.IsDigit(text[pos])) pos++;
        else if (pos < text.Length && text[pos] is '@' or '*' or '#' or '?' or '-' or '$' or '!' or '0') pos++;
        else
            while (pos < text.Length && (char.IsLetterOrDigit(text[pos]) || text[pos] == '_')) pos++;
        return text[start..pos];
    }

    [GeneratedRegex(@"^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$")]
    private static partial Regex HeredocWord();
}
