using NukeContainers.Build.Parameters;

namespace NukeContainers.Build.Cli;

/// "Did you mean" for a mistyped name: the known name nearest to it, when it is near enough to be a typo.
internal static class Suggestion
{
    /// The nearest of <paramref name="known"/> to <paramref name="typed"/> (case and '-' ignored), within an edit
    /// distance of a third of its length (at least 1, at most 3); null when none is that near.
    public static string? Nearest(string typed, IEnumerable<string> known)
    {
        var key = NameStyle.Key(typed);
        var best = known.Select(k => (Name: k, Distance: Distance(key, NameStyle.Key(k))))
            .OrderBy(k => k.Distance).ThenBy(k => k.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Clamp(key.Length / 3, 1, 3) ? best.Name : null;
    }

    /// ", did you mean X?" or nothing.
    public static string DidYouMean(string typed, IEnumerable<string> known, Func<string, string> show) =>
        Nearest(typed, known) is { } nearest ? $" Did you mean {show(nearest)}?" : "";

    /// Damerau–Levenshtein distance (optimal string alignment: insert, delete, substitute, swap two neighbours).
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
