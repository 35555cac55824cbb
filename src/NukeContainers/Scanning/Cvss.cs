namespace NukeContainers.Scanning;

/// <summary>CVSS v3.x base scores from vector strings (<c>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</c>), as FIRST's specification computes them.</summary>
public static class Cvss
{
    /// <summary>The base score (0 to 10), or null when the vector is not a complete CVSS v3 vector.</summary>
    public static double? BaseScore(string vector)
    {
        if (!vector.StartsWith("CVSS:3.", StringComparison.Ordinal)) return null;
        var metrics = vector.Split('/').Skip(1).Select(m => m.Split(':')).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        double? Get(string key, IReadOnlyDictionary<string, double> values) =>
            metrics.TryGetValue(key, out var value) && values.TryGetValue(value, out var weight) ? weight : null;
        var changed = metrics.GetValueOrDefault("S") == "C";
        var av = Get("AV", new Dictionary<string, double> { ["N"] = 0.85, ["A"] = 0.62, ["L"] = 0.55, ["P"] = 0.2 });
        var ac = Get("AC", new Dictionary<string, double> { ["L"] = 0.77, ["H"] = 0.44 });
        var pr = Get("PR", new Dictionary<string, double> { ["N"] = 0.85, ["L"] = changed ? 0.68 : 0.62, ["H"] = changed ? 0.5 : 0.27 });
        var ui = Get("UI", new Dictionary<string, double> { ["N"] = 0.85, ["R"] = 0.62 });
        var cia = new Dictionary<string, double> { ["H"] = 0.56, ["L"] = 0.22, ["N"] = 0 };
        var (c, i, a) = (Get("C", cia), Get("I", cia), Get("A", cia));
        if (av is null || ac is null || pr is null || ui is null || c is null || i is null || a is null || !metrics.ContainsKey("S")) return null;
        var iss = 1 - (1 - c.Value) * (1 - i.Value) * (1 - a.Value);
        var impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.Pow(iss - 0.02, 15) : 6.42 * iss;
        var exploitability = 8.22 * av.Value * ac.Value * pr.Value * ui.Value;
        if (impact <= 0) return 0;
        return RoundUp(Math.Min(changed ? 1.08 * (impact + exploitability) : impact + exploitability, 10));
    }

    /// <summary>The severity band of a score: none and low below 4, medium below 7, high below 9, then critical.</summary>
    public static Severity SeverityOf(double score) =>
        score >= 9 ? Severity.Critical : score >= 7 ? Severity.High : score >= 4 ? Severity.Medium : score > 0 ? Severity.Low : Severity.Unknown;

    /// CVSS 3.1's Roundup: the smallest number with one decimal that is at least the input, free of floating-point noise.
    private static double RoundUp(double value)
    {
        var scaled = (long)Math.Round(value * 100000);
        return scaled % 10000 == 0 ? scaled / 100000.0 : (Math.Floor(scaled / 10000.0) + 1) / 10.0;
    }
}
