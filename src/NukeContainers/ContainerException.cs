namespace NukeContainers;

/// <summary>A pipeline step could not do its work; the message says what failed and what to do.</summary>
public class ContainerException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>
    /// A message's first line, for one-line summaries; a first line that only announces what follows
    /// (<c>kubectl ... failed:</c>) takes the next line with it, so the line still names the cause.
    /// </summary>
    public static string Headline(string message)
    {
        var lines = message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var headline = lines.Count == 0 ? "no reason given" : lines[0];
        for (var i = 1; headline.EndsWith(':') && i < lines.Count; i++) headline += " " + lines[i];
        return headline;
    }
}
