using System.Text;

namespace NukeContainers.Build.Parameters;

/// Member names as users type them: KubeContext is --kube-context and KUBE_CONTEXT.
internal static class NameStyle
{
    public static string Kebab(string name)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var wordStart = char.IsUpper(c) && i > 0 &&
                (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])));
            if (wordStart) builder.Append('-');
            builder.Append(c == '_' ? '-' : char.ToLowerInvariant(c));
        }
        return builder.ToString().Trim('-');
    }

    public static string Snake(string kebab) => kebab.Replace('-', '_').ToUpperInvariant();

    /// Compares names the way users write them: case and dashes do not matter (build-images = BuildImages).
    public static string Key(string name) => name.Replace("-", "").Replace("_", "").ToLowerInvariant();
}
