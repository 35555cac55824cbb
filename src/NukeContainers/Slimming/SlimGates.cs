using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace NukeContainers.Slimming;

/// <summary>
/// dive's CI rules: the lowest efficiency, the highest wasted bytes and the highest user-wasted percent (a fraction,
/// 0 to 1) an image may have; null disables a rule. Read from parameters or a <c>.dive-ci</c> file, with dive's
/// syntax (<c>disabled</c>, byte sizes such as <c>20MB</c> or <c>20MiB</c>).
/// </summary>
public sealed record SlimGates(double? LowestEfficiency = null, long? HighestWastedBytes = null, double? HighestUserWastedPercent = null)
{
    /// <summary>No gate.</summary>
    public static SlimGates None { get; } = new();

    /// <summary>True when no rule is set.</summary>
    public bool IsEmpty => LowestEfficiency is null && HighestWastedBytes is null && HighestUserWastedPercent is null;

    /// <summary>The rules as parameters give them (each may be null, empty or <c>disabled</c>).</summary>
    public static SlimGates Parse(string? lowestEfficiency, string? highestWastedBytes, string? highestUserWastedPercent, string source = "the parameters") => new(
        Fraction("lowestEfficiency", lowestEfficiency, source),
        Bytes("highestWastedBytes", highestWastedBytes, source),
        Fraction("highestUserWastedPercent", highestUserWastedPercent, source));

    /// <summary>Reads a <c>.dive-ci</c> file (its <c>rules:</c> map); a bad value is an error naming the file, line and key.</summary>
    public static SlimGates Load(string path)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ContainerException($"{path}:{e.Start.Line}: not valid YAML ({e.Message}). Fix the file: dive reads the same format.");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("rules"), out var rulesNode)) return None;
        if (rulesNode is not YamlMappingNode rules)
            throw new ContainerException($"{path}:{rulesNode.Start.Line}: 'rules' must be a map of lowestEfficiency, highestWastedBytes and highestUserWastedPercent.");
        string? Value(string key) => rules.Children.TryGetValue(new YamlScalarNode(key), out var node) ? (node as YamlScalarNode)?.Value : null;
        long Line(string key) => rules.Children.Keys.FirstOrDefault(k => (k as YamlScalarNode)?.Value == key)?.Start.Line ?? rulesNode.Start.Line;
        return new SlimGates(
            Fraction("lowestEfficiency", Value("lowestEfficiency"), $"{path}:{Line("lowestEfficiency")}"),
            Bytes("highestWastedBytes", Value("highestWastedBytes"), $"{path}:{Line("highestWastedBytes")}"),
            Fraction("highestUserWastedPercent", Value("highestUserWastedPercent"), $"{path}:{Line("highestUserWastedPercent")}"));
    }

    /// <summary>The rules an analysis breaks, each naming the figure, its value and the threshold.</summary>
    public IReadOnlyList<string> Failures(ImageAnalysis analysis)
    {
        var failures = new List<string>();
        if (LowestEfficiency is { } efficiency && efficiency > analysis.Efficiency)
            failures.Add($"efficiency {analysis.Efficiency.ToString("0.####", CultureInfo.InvariantCulture)} is below the lowest allowed, {efficiency.ToString(CultureInfo.InvariantCulture)} (lowestEfficiency)");
        if (HighestWastedBytes is { } wasted && analysis.WastedBytes > wasted)
            failures.Add($"wasted bytes {analysis.WastedBytes} ({ImageAnalysis.Bytes(analysis.WastedBytes)}) are above the highest allowed, {wasted} ({ImageAnalysis.Bytes(wasted)}) (highestWastedBytes)");
        if (HighestUserWastedPercent is { } percent && analysis.UserWastedPercent > percent)
            failures.Add($"user-wasted percent {analysis.UserWastedPercent.ToString("0.####", CultureInfo.InvariantCulture)} is above the highest allowed, {percent.ToString(CultureInfo.InvariantCulture)} (highestUserWastedPercent)");
        return failures;
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsEmpty ? "none" : string.Join(", ", new[]
        {
            LowestEfficiency is { } e ? $"lowestEfficiency {e.ToString(CultureInfo.InvariantCulture)}" : null,
            HighestWastedBytes is { } w ? $"highestWastedBytes {w}" : null,
            HighestUserWastedPercent is { } p ? $"highestUserWastedPercent {p.ToString(CultureInfo.InvariantCulture)}" : null,
        }.OfType<string>());

    private static bool Disabled(string? value) => value?.Trim().ToLowerInvariant() is null or "" or "disabled" or "off" or "false";

    private static double? Fraction(string key, string? value, string source)
    {
        if (Disabled(value)) return null;
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) || fraction is < 0 or > 1)
            throw new ContainerException($"{source}: {key} '{value}' is not a fraction between 0 and 1 (such as 0.9), nor 'disabled'.");
        return fraction;
    }

    private static long? Bytes(string key, string? value, string source)
    {
        if (Disabled(value)) return null;
        var match = Regex.Match(value!.Trim(), @"^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?)(b?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        if (!match.Success)
            throw new ContainerException($"{source}: {key} '{value}' is not a size (such as 20MB, 20MiB or 20000000), nor 'disabled'.");
        var power = "kmgtp".IndexOf(char.ToLowerInvariant(match.Groups[2].Value.FirstOrDefault('-'))) + 1;
        var unit = Math.Pow(match.Groups[3].Length > 0 ? 1024 : 1000, power);
        return (long)(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * unit);
    }
}
