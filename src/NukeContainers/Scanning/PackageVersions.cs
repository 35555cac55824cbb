using System.Globalization;
using Semver;

namespace NukeContainers.Scanning;

/// <summary>Version ordering by each ecosystem's own rules, as its package manager orders versions.</summary>
public static class PackageVersions
{
    /// <summary>Compares two versions of an ecosystem (<c>Debian</c>, <c>Alpine</c>, <c>npm</c>, <c>NuGet</c>, <c>Go</c>, <c>PyPI</c>).</summary>
    public static int Compare(string ecosystem, string a, string b) => Family(ecosystem) switch
    {
        "Debian" or "Ubuntu" => Debian(a, b),
        "Alpine" => Alpine(a, b),
        "Go" => SemanticVersion(a.TrimStart('v'), b.TrimStart('v')),
        "npm" => SemanticVersion(a, b),
        "NuGet" => NuGet(a, b),
        "PyPI" => Python(a, b),
        _ => Dotted(a, b),
    };

    /// <summary>NuGet's ordering (NuGet.Versioning, NuGet's own): four parts, pre-release labels without case, numeric labels by value; a version it cannot read compares as dotted numbers.</summary>
    public static int NuGet(string a, string b) =>
        global::NuGet.Versioning.NuGetVersion.TryParse(a, out var x) && global::NuGet.Versioning.NuGetVersion.TryParse(b, out var y)
            ? global::NuGet.Versioning.VersionComparer.Default.Compare(x, y)
            : Dotted(a, b);

    /// <summary>PEP 440's ordering (<see cref="Pep440Version"/>), as pip's; a version it refuses compares as dotted numbers.</summary>
    public static int Python(string a, string b) =>
        Pep440Version.TryParse(a, out var x) && Pep440Version.TryParse(b, out var y) ? x.CompareTo(y) : Dotted(a, b);

    /// <summary>The ecosystem without its release: <c>Debian:12</c> is <c>Debian</c>.</summary>
    public static string Family(string ecosystem) => ecosystem.Split(':')[0];

    /// <summary>
    /// dpkg's ordering (<c>dpkg --compare-versions</c>): epoch, then the upstream version, then the Debian revision, each
    /// compared as runs of non-digits (letters before other characters, <c>~</c> before everything, even the end) and
    /// runs of digits (by value).
    /// </summary>
    public static int Debian(string a, string b)
    {
        var (epochA, upstreamA, revisionA) = SplitDebian(a);
        var (epochB, upstreamB, revisionB) = SplitDebian(b);
        if (epochA != epochB) return epochA.CompareTo(epochB);
        var upstream = DpkgCompare(upstreamA, upstreamB);
        return upstream != 0 ? upstream : DpkgCompare(revisionA, revisionB);
    }

    private static (long Epoch, string Upstream, string Revision) SplitDebian(string version)
    {
        version = version.Trim();
        var colon = version.IndexOf(':');
        var epoch = colon > 0 && long.TryParse(version.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : 0;
        var rest = colon >= 0 ? version[(colon + 1)..] : version;
        var dash = rest.LastIndexOf('-');
        return dash >= 0 ? (epoch, rest[..dash], rest[(dash + 1)..]) : (epoch, rest, "");
    }

    private static int DpkgOrder(char c) => c == '~' ? -1 : char.IsAsciiDigit(c) ? 0 : char.IsAsciiLetter(c) ? c : c + 256;

    private static int DpkgCompare(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            var firstDifference = 0;
            while ((i < a.Length && !char.IsAsciiDigit(a[i])) || (j < b.Length && !char.IsAsciiDigit(b[j])))
            {
                var ac = i < a.Length ? DpkgOrder(a[i]) : 0;
                var bc = j < b.Length ? DpkgOrder(b[j]) : 0;
                if (ac != bc) return ac - bc;
                i++;
                j++;
            }
            while (i < a.Length && a[i] == '0') i++;
            while (j < b.Length && b[j] == '0') j++;
            while (i < a.Length && char.IsAsciiDigit(a[i]) && j < b.Length && char.IsAsciiDigit(b[j]))
            {
                if (firstDifference == 0) firstDifference = a[i] - b[j];
                i++;
                j++;
            }
            if (i < a.Length && char.IsAsciiDigit(a[i])) return 1;
            if (j < b.Length && char.IsAsciiDigit(b[j])) return -1;
            if (firstDifference != 0) return firstDifference;
        }
        return 0;
    }

    /// <summary>
    /// apk's ordering: dot-separated numbers (after the first, one with a leading zero compares as a fraction), an
    /// optional letter, suffixes (<c>_alpha</c> &lt; <c>_beta</c> &lt; <c>_pre</c> &lt; <c>_rc</c> &lt; none &lt;
    /// <c>_cvs</c> &lt; <c>_svn</c> &lt; <c>_git</c> &lt; <c>_hg</c> &lt; <c>_p</c>), each with a number, then <c>-rN</c>.
    /// </summary>
    public static int Alpine(string a, string b)
    {
        var x = ApkVersion.Parse(a);
        var y = ApkVersion.Parse(b);
        for (var k = 0; k < Math.Max(x.Numbers.Count, y.Numbers.Count); k++)
        {
            if (k >= x.Numbers.Count) return -1;
            if (k >= y.Numbers.Count) return 1;
            var c = k > 0 && (x.Numbers[k].StartsWith('0') || y.Numbers[k].StartsWith('0'))
                ? string.CompareOrdinal(x.Numbers[k].TrimEnd('0'), y.Numbers[k].TrimEnd('0'))
                : BigNumber(x.Numbers[k]).CompareTo(BigNumber(y.Numbers[k]));
            if (c != 0) return Math.Sign(c);
        }
        if (x.Letter != y.Letter) return x.Letter.CompareTo(y.Letter);
        for (var k = 0; k < Math.Max(x.Suffixes.Count, y.Suffixes.Count); k++)
        {
            var sx = k < x.Suffixes.Count ? x.Suffixes[k] : (Rank: ApkVersion.NoSuffix, Number: 0L);
            var sy = k < y.Suffixes.Count ? y.Suffixes[k] : (Rank: ApkVersion.NoSuffix, Number: 0L);
            if (sx.Rank != sy.Rank) return sx.Rank.CompareTo(sy.Rank);
            if (sx.Number != sy.Number) return sx.Number.CompareTo(sy.Number);
        }
        return x.Revision.CompareTo(y.Revision);
    }

    private static System.Numerics.BigInteger BigNumber(string digits) =>
        System.Numerics.BigInteger.Parse(digits.Length == 0 ? "0" : digits, CultureInfo.InvariantCulture);

    private sealed record ApkVersion(List<string> Numbers, char Letter, List<(int Rank, long Number)> Suffixes, long Revision)
    {
        public const int NoSuffix = 4;
        private static readonly string[] SuffixNames = ["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"];

        public static ApkVersion Parse(string text)
        {
            var revision = 0L;
            var dash = text.LastIndexOf("-r", StringComparison.Ordinal);
            if (dash >= 0 && long.TryParse(text.AsSpan(dash + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var r)) { revision = r; text = text[..dash]; }
            var parts = text.Split('_');
            var main = parts[0];
            var letter = main.Length > 0 && char.IsAsciiLetterLower(main[^1]) ? main[^1] : '\0';
            if (letter != '\0') main = main[..^1];
            var numbers = main.Split('.').ToList();
            var suffixes = parts.Skip(1).Select(p =>
            {
                var name = new string(p.TakeWhile(char.IsAsciiLetter).ToArray());
                var rank = Array.IndexOf(SuffixNames, name);
                return (rank < 0 ? NoSuffix : rank, long.TryParse(p.AsSpan(name.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0L);
            }).ToList();
            return new ApkVersion(numbers, letter, suffixes, revision);
        }
    }

    /// <summary>Semantic versions (npm, Go): precedence, build metadata ignored; a version that is not one compares as dotted numbers.</summary>
    public static int SemanticVersion(string a, string b) =>
        SemVersion.TryParse(a, SemVersionStyles.Any, out var x) && SemVersion.TryParse(b, SemVersionStyles.Any, out var y)
            ? x.ComparePrecedenceTo(y)
            : Dotted(a, b);

    /// <summary>
    /// Dotted numbers with an optional pre-release after <c>-</c> (what an ecosystem without rules of its own has): each
    /// number by value, missing ones as 0, a pre-release before the release, pre-releases compared without case.
    /// </summary>
    public static int Dotted(string a, string b)
    {
        static (string[] Numbers, string? Pre) Split(string v)
        {
            v = v.Split('+')[0];
            var dash = v.IndexOf('-');
            return (dash < 0 ? v : v[..dash]).Split('.') is var n ? (n, dash < 0 ? null : v[(dash + 1)..]) : default;
        }
        var (na, pa) = Split(a);
        var (nb, pb) = Split(b);
        for (var k = 0; k < Math.Max(na.Length, nb.Length); k++)
        {
            var x = k < na.Length && long.TryParse(na[k], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0;
            var y = k < nb.Length && long.TryParse(nb[k], NumberStyles.None, CultureInfo.InvariantCulture, out var q) ? q : 0;
            if (x != y) return x.CompareTo(y);
        }
        if (pa is null || pb is null) return pa is null ? (pb is null ? 0 : 1) : -1;
        return string.Compare(pa, pb, StringComparison.OrdinalIgnoreCase);
    }
}
