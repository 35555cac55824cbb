using System.Globalization;

namespace NukeContainers.Scanning;

/// <summary>
/// Finding ids to ignore, in <c>.trivyignore</c>'s format: one id a line, <c>#</c> comments, and an optional
/// <c>exp:YYYY-MM-DD</c> after the id, from which day on the id counts again.
/// </summary>
public sealed class IgnoreFile
{
    private readonly Dictionary<string, DateOnly?> _ids;

    private IgnoreFile(Dictionary<string, DateOnly?> ids) => _ids = ids;

    /// <summary>Nothing ignored.</summary>
    public static IgnoreFile None { get; } = new(new Dictionary<string, DateOnly?>(StringComparer.OrdinalIgnoreCase));

    /// <summary>The ids, with their expiry dates.</summary>
    public IReadOnlyDictionary<string, DateOnly?> Ids => _ids;

    /// <summary>Reads a .trivyignore file; a bad <c>exp:</c> date is an error naming the file and line.</summary>
    public static IgnoreFile Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses the text of an ignore file.</summary>
    public static IgnoreFile Parse(string text, string path = ".trivyignore")
    {
        var ids = new Dictionary<string, DateOnly?>(StringComparer.OrdinalIgnoreCase);
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            DateOnly? expires = null;
            foreach (var option in parts.Skip(1))
            {
                if (!option.StartsWith("exp:", StringComparison.Ordinal)) continue;
                if (!DateOnly.TryParseExact(option[4..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    throw new ContainerException($"{path}:{number}: '{option}' is not a date in the form exp:2025-12-31.");
                expires = date;
            }
            ids[parts[0]] = expires;
        }
        return new IgnoreFile(ids);
    }

    /// <summary>True when one of the finding's ids is ignored and its expiry date, if any, has not come.</summary>
    public bool Ignores(Finding finding, DateOnly today) =>
        finding.Ids.Any(id => _ids.TryGetValue(id, out var expires) && (expires is null || today < expires.Value));
}
