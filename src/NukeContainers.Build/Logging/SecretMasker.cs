using System.Collections;

namespace NukeContainers.Build;

/// <summary>
/// Replaces every known secret value with <c>****</c>. Every log line passes through it. A component that has a masker
/// of its own (the container library's, which also knows build secrets and token patterns) links it with
/// <see cref="Link"/>, so that one set of secrets is masked everywhere.
/// </summary>
public sealed class SecretMasker
{
    private readonly object _gate = new();
    private string[] _secrets = [];
    private Linked[] _linked = [];

    private sealed record Linked(Action<string> Hide, Func<string, string> Mask);

    /// <summary>The text that stands in for a secret.</summary>
    public const string Mask = "****";

    /// <summary>Registers a secret: a string, or each string of a sequence. Null and empty values are ignored.</summary>
    public void Add(object? secret)
    {
        var values = (secret switch
        {
            null => [],
            string text => [text],
            IEnumerable many => many.Cast<object?>().Select(v => v?.ToString()),
            _ => [secret.ToString()],
        }).OfType<string>().Where(v => v.Length > 0).ToList();
        lock (_gate)
        {
            _secrets = _secrets.Concat(values).Distinct().OrderByDescending(v => v.Length).ToArray();
            foreach (var value in values)
                foreach (var linked in _linked) linked.Hide(value);
        }
    }

    /// <summary>
    /// Makes this masker and another one (or several: the container library's, the CI platform's) a single masker: every secret given to this one (now and before) is handed to
    /// <paramref name="hide"/>, and every line this one masks passes through <paramref name="mask"/> too. Then text the
    /// other masker guards (a library's messages and reports) hides the build's secret parameters, and the build log
    /// hides what only the other one knows.
    /// </summary>
    public void Link(Action<string> hide, Func<string, string> mask)
    {
        lock (_gate)
        {
            foreach (var value in _secrets) hide(value);
            _linked = [.. _linked, new Linked(hide, mask)];
        }
    }

    /// <summary>The text with every secret replaced by <see cref="Mask"/>.</summary>
    public string Apply(string text)
    {
        foreach (var secret in _secrets)
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return Volatile.Read(ref _linked).Aggregate(text, (masked, linked) => linked.Mask(masked));
    }
}
