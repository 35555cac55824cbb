using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace NukeContainers.Scanning;

/// <summary>
/// A Python package version by PEP 440, ordered as pip and pypa/packaging order them: the epoch, the release (trailing
/// zeros do not count), then a dev release before its pre-releases, pre-releases (a &lt; b &lt; rc) before the release,
/// post-releases after it, and a local version (<c>+ubuntu1</c>) after the same public one. Alternative spellings
/// (<c>1.0-ALPHA.1</c>, <c>1.0c1</c>, <c>1.0-5</c>, <c>v1.0</c>) are read as their normal forms.
/// </summary>
public sealed partial record Pep440Version : IComparable<Pep440Version>
{
    private Pep440Version(long epoch, long[] release, (int Rank, long Number)? pre, long? post, long? dev, string[]? local) =>
        (Epoch, Release, Pre, Post, Dev, Local) = (epoch, release, pre, post, dev, local);

    /// <summary>The epoch (<c>1!</c>), 0 when not given.</summary>
    public long Epoch { get; }

    /// <summary>The release numbers, trailing zeros left out (<c>1.0.0</c> is <c>1</c>).</summary>
    public long[] Release { get; }

    /// <summary>The pre-release: a (0), b (1) or rc (2), and its number.</summary>
    public (int Rank, long Number)? Pre { get; }

    /// <summary>The post-release number.</summary>
    public long? Post { get; }

    /// <summary>The dev-release number.</summary>
    public long? Dev { get; }

    /// <summary>The local version's segments, lower case.</summary>
    public string[]? Local { get; }

    /// <summary>Reads a version; false for one PEP 440 refuses.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out Pep440Version? version)
    {
        version = null;
        var match = Pattern().Match(text);
        if (!match.Success) return false;
        static long Number(Group group) => group.Success ? long.Parse(group.Value, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
        var release = match.Groups["release"].Value.Split('.').Select(n => long.Parse(n, NumberStyles.None, CultureInfo.InvariantCulture)).ToList();
        while (release.Count > 1 && release[^1] == 0) release.RemoveAt(release.Count - 1);
        (int, long)? pre = match.Groups["pre_l"].Success
            ? (match.Groups["pre_l"].Value.ToLowerInvariant() switch { "a" or "alpha" => 0, "b" or "beta" => 1, _ => 2 }, Number(match.Groups["pre_n"]))
            : null;
        long? post = match.Groups["post_n1"].Success ? Number(match.Groups["post_n1"]) : match.Groups["post_l"].Success ? Number(match.Groups["post_n2"]) : null;
        long? dev = match.Groups["dev_l"].Success ? Number(match.Groups["dev_n"]) : null;
        var local = match.Groups["local"].Success ? match.Groups["local"].Value.ToLowerInvariant().Split('-', '_', '.') : null;
        version = new Pep440Version(Number(match.Groups["epoch"]), [.. release], pre, post, dev, local);
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(Pep440Version? other)
    {
        if (other is null) return 1;
        var order = Epoch.CompareTo(other.Epoch);
        if (order != 0) return order;
        for (var i = 0; i < Math.Max(Release.Length, other.Release.Length); i++)
            if ((i < Release.Length ? Release[i] : 0).CompareTo(i < other.Release.Length ? other.Release[i] : 0) is var r and not 0) return r;
        return PreKey().CompareTo(other.PreKey()) is var p and not 0 ? p
            : (Post ?? -1).CompareTo(other.Post ?? -1) is var q and not 0 ? q
            : (Dev ?? long.MaxValue).CompareTo(other.Dev ?? long.MaxValue) is var d and not 0 ? d
            : CompareLocal(Local, other.Local);
    }

    /// A dev release of the release itself (1.0.dev0) comes before its pre-releases; no pre-release, after them all.
    private (int, long) PreKey() => Pre ?? (Post is null && Dev is not null ? (-1, 0) : (3, 0));

    /// No local version first; then segment by segment, a number above a word, numbers by value, words by text; a
    /// longer one after its own beginning.
    private static int CompareLocal(string[]? a, string[]? b)
    {
        if (a is null || b is null) return a is null ? (b is null ? 0 : -1) : 1;
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var (x, y) = (long.TryParse(a[i], NumberStyles.None, CultureInfo.InvariantCulture, out var m), long.TryParse(b[i], NumberStyles.None, CultureInfo.InvariantCulture, out var n));
            var order = x && y ? m.CompareTo(n) : x != y ? (x ? 1 : -1) : string.CompareOrdinal(a[i], b[i]);
            if (order != 0) return order;
        }
        return a.Length.CompareTo(b.Length);
    }

    // packaging's VERSION_PATTERN, with ASCII digits and letters only (\d and [a-z] with IgnoreCase would take others).
    [GeneratedRegex("""
        ^\s*[vV]?
        (?:(?<epoch>[0-9]+)!)?
        (?<release>[0-9]+(?:\.[0-9]+)*)
        (?:[-_.]?(?<pre_l>(?i:alpha|a|beta|b|preview|pre|c|rc))[-_.]?(?<pre_n>[0-9]+)?)?
        (?:-(?<post_n1>[0-9]+)|[-_.]?(?<post_l>(?i:post|rev|r))[-_.]?(?<post_n2>[0-9]+)?)?
        (?:[-_.]?(?<dev_l>(?i:dev))[-_.]?(?<dev_n>[0-9]+)?)?
        (?:\+(?<local>[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*))?
        \s*$
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
