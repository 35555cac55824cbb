using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using NukeContainers.Images;

namespace NukeContainers.Tagging;

/// <summary>
/// The name of an environment an image is tagged for (dev, staging, production): one rule for the tag step, the
/// parameter and the DSL. It is a tag as it is (never rewritten: what is pushed is what was asked for) and it does not
/// look like a version, because a version tag never moves while an environment's moves on every delivery.
/// </summary>
public sealed partial record EnvironmentName : IParsable<EnvironmentName>
{
    private EnvironmentName(string value) => Value = value;

    /// <summary>The name, which is also its tag.</summary>
    public string Value { get; }

    /// <summary>The name, or <see cref="FormatException"/> saying what is wrong with it and what to give instead.</summary>
    public static EnvironmentName Parse(string s, IFormatProvider? provider = null) =>
        Problem(s) is { } problem ? throw new FormatException(problem) : new EnvironmentName(s);

    /// <inheritdoc />
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, [MaybeNullWhen(false)] out EnvironmentName result)
    {
        result = s is not null && Problem(s) is null ? new EnvironmentName(s) : null;
        return result is not null;
    }

    /// <summary>What is wrong with the name as an environment, or null when nothing is.</summary>
    public static string? Problem(string name)
    {
        if (!TagSet.IsValidTag(name))
            return $"'{name}' is not a valid environment name: it becomes the images' tag, and {TagSet.TagRule}" +
                   (TagSet.Sanitize(name.ToLowerInvariant()) is { } like ? $" Give, say, '{like}'." : "");
        if (LooksLikeVersion(name))
            return $"'{name}' looks like a version, and version tags never move, while an environment's tag moves on every delivery. " +
                   "Give the version with --version and the environment a name such as staging.";
        return null;
    }

    /// <summary>True for a tag that reads as a version: 1, 1.2, 1.2.3, v1.2.3, 1.2.3-rc.1, 1.2.3+build.</summary>
    public static bool LooksLikeVersion(string tag) => VersionLike().IsMatch(tag);

    /// <inheritdoc />
    public override string ToString() => Value;

    // 1, 1.2, 1.2.3 (with or without v), and a full version with a pre-release or build part; v2-preview is a name.
    [GeneratedRegex(@"^[vV]?[0-9]+(\.[0-9]+){0,2}$|^[vV]?[0-9]+\.[0-9]+\.[0-9]+[-+][0-9A-Za-z.+-]+$")]
    private static partial Regex VersionLike();
}
