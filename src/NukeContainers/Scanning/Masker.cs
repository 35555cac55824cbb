namespace NukeContainers.Scanning;

/// <summary>
/// What a run masks in its log lines, messages and reports: the values it was told are secret (build secrets, a
/// registry password), and whatever the secret rules find (<see cref="Secrets.MaskPatterns"/>). One instance goes with
/// a run: a pipeline's (<see cref="ImagePipeline.Masker"/>, which its steps read from their context), shared by the
/// pipelines of one build; two runs in one process know only their own values.
/// </summary>
public sealed class Masker
{
    private readonly object _gate = new();
    private string[] _values = [];

    /// <summary>The text that stands in for a hidden value.</summary>
    public const string Mask = "****";

    /// <summary>
    /// A value masked from now on wherever it appears, whatever it looks like: the whole value, and each of its lines.
    /// Values shorter than 4 characters are not hidden: masking them would garble ordinary text without protecting anything.
    /// </summary>
    public void Hide(string value)
    {
        var parts = value.Split('\n').Select(l => l.Trim()).Append(value.Trim()).Where(p => p.Length >= 4).ToList();
        if (parts.Count == 0) return;
        lock (_gate) _values = _values.Concat(parts).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length).ToArray();
    }

    /// <summary>The text with every hidden value replaced by <see cref="Mask"/> and every secret the rules find masked.</summary>
    public string Apply(string text)
    {
        foreach (var value in Volatile.Read(ref _values))
            if (text.Contains(value, StringComparison.Ordinal)) text = text.Replace(value, Mask, StringComparison.Ordinal);
        return Secrets.MaskPatterns(text);
    }
}
