using System.Collections;

namespace NukeContainers.Build;

/// <summary>Replaces every known secret value with <c>****</c>. Every log line passes through it.</summary>
public sealed class SecretMasker
{
    private readonly object _gate = new();
    private string[] _secrets = [];

    /// <summary>The text that stands in for a secret.</summary>
    public const string Mask = "****";

    /// <summary>Registers a secret: a string, or each string of a sequence. Null and empty values are ignored.</summary>
    public void Add(object? secret)
    {
        var values = secret switch
        {
            null => [],
            string text => [text],
            IEnumerable many => many.Cast<object?>().Select(v => v?.ToString()),
            _ => [secret.ToString()],
        };
        lock (_gate)
            _secrets = _secrets.Concat(values.OfType<string>().Where(v => v.Length > 0))
                .Distinct().OrderByDescending(v => v.Length).ToArray();
    }

    /// <summary>The text with every secret replaced by <see cref="Mask"/>.</summary>
    public string Apply(string text)
    {
        foreach (var secret in _secrets)
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return text;
    }
}
