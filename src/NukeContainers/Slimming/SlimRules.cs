using NukeContainers.Building;

namespace NukeContainers.Slimming;

/// <summary>The kinds of files the practices say should not ship in an image.</summary>
[Flags]
public enum SlimCategories
{
    /// <summary>None: only the user's own patterns.</summary>
    None = 0,
    /// <summary>Package manager caches and lists: apt, apk, yum and dnf, debconf's old copies.</summary>
    PackageManagerCaches = 1,
    /// <summary>Docs, man and info pages (a package's copyright file stays: it is its licence), .NET IntelliSense XML, Markdown in node_modules.</summary>
    Docs = 2,
    /// <summary>Locales other than the kept languages: <c>/usr/share/locale</c>, <c>/usr/share/i18n</c>, .NET satellite resource assemblies.</summary>
    Locales = 4,
    /// <summary>Python bytecode: <c>__pycache__</c> and <c>.pyc</c>.</summary>
    PythonBytecode = 8,
    /// <summary>Language package caches: npm, yarn, pip, NuGet, the Go build cache, any <c>.cache</c> folder.</summary>
    LanguageCaches = 16,
    /// <summary>Temporary files and logs: <c>/tmp</c>, <c>/var/tmp</c>, <c>/var/log</c>.</summary>
    TemporaryFiles = 32,
    /// <summary>Every kind above.</summary>
    All = PackageManagerCaches | Docs | Locales | PythonBytecode | LanguageCaches | TemporaryFiles,
}

/// <summary>
/// What slimming removes: the categories' patterns, then the user's patterns to remove, then the user's patterns to
/// keep, in <c>.dockerignore</c> syntax over the image's paths (no leading <c>/</c>); the last that matches a path or
/// one of its folders decides. Only files, links and devices are removed: folders stay, so nothing that expects a
/// folder (apt's <c>partial</c>, <c>/tmp</c>) breaks.
/// </summary>
public sealed class SlimRules
{
    /// <summary>.NET's satellite-assembly cultures, as the SDK and NuGet packages ship them.</summary>
    private static readonly string[] Cultures = ["cs", "de", "es", "fr", "it", "ja", "ko", "pl", "pt", "pt-BR", "ru", "tr", "zh-Hans", "zh-Hant", "ar", "he", "hu", "nl", "sv", "uk", "da", "fi", "nb", "el", "ro", "th", "id", "vi", "hi", "ca", "eu", "gl", "sk", "sl", "hr", "bg", "et", "lt", "lv", "sr", "ms"];

    private readonly DockerIgnore _matcher;

    private SlimRules(DockerIgnore matcher, IReadOnlyList<string> lines)
    {
        _matcher = matcher;
        Lines = lines;
    }

    /// <summary>The patterns in force, in order (exceptions with <c>!</c>).</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>The rules for these categories, languages and patterns.</summary>
    /// <param name="categories">The kinds of files to remove.</param>
    /// <param name="keepLanguages">The languages whose locales stay, such as <c>en</c> (it keeps <c>en_US</c>, <c>en-GB</c>...).</param>
    /// <param name="remove">More patterns to remove.</param>
    /// <param name="keep">Patterns to keep, whatever else matches them.</param>
    public static SlimRules Create(SlimCategories categories, IReadOnlyCollection<string> keepLanguages, IEnumerable<string> remove, IEnumerable<string> keep)
    {
        var lines = new List<string>();
        if (categories.HasFlag(SlimCategories.PackageManagerCaches))
            lines.AddRange(["var/cache/apt", "var/lib/apt/lists", "var/cache/apk", "var/cache/yum", "var/cache/dnf", "var/cache/debconf/*-old", "var/lib/dpkg/*-old"]);
        if (categories.HasFlag(SlimCategories.Docs))
            lines.AddRange(["usr/share/doc", "usr/local/share/doc", "!usr/share/doc/*/copyright", "usr/share/man", "usr/local/share/man", "usr/share/info", "usr/share/groff", "usr/share/lintian", "usr/share/linda",
                "**/packs/*/*/ref/**/*.xml", "**/node_modules/**/*.md", "**/node_modules/**/*.markdown"]);
        if (categories.HasFlag(SlimCategories.Locales))
        {
            lines.AddRange(["usr/share/locale/*", "!usr/share/locale/locale.alias", "usr/share/i18n/locales/*", "usr/share/i18n/charmaps/*"]);
            foreach (var language in keepLanguages)
                lines.AddRange([$"!usr/share/locale/{language}", $"!usr/share/locale/{language}_*", $"!usr/share/locale/{language}@*", $"!usr/share/locale/{language}.*",
                    $"!usr/share/i18n/locales/{language}_*", $"!usr/share/i18n/locales/{language}", "!usr/share/i18n/locales/C", "!usr/share/i18n/locales/POSIX", "!usr/share/i18n/locales/translit_*", "!usr/share/i18n/locales/i18n*", "!usr/share/i18n/locales/iso14651_t1*", "!usr/share/i18n/charmaps/UTF-8*"]);
            foreach (var culture in Cultures.Where(c => !keepLanguages.Any(l => c == l || c.StartsWith(l + "-", StringComparison.Ordinal))))
                lines.Add($"**/{culture}/*.resources.dll");
        }
        if (categories.HasFlag(SlimCategories.PythonBytecode))
            lines.AddRange(["**/__pycache__", "**/*.pyc", "**/*.pyo"]);
        if (categories.HasFlag(SlimCategories.LanguageCaches))
            lines.AddRange(["**/.npm", "**/.cache", "**/.yarn-cache", "usr/local/share/.cache", "**/.nuget/packages", "**/.nuget/v3-cache", "**/.local/share/NuGet", "**/.pip-cache", "root/go/pkg/mod/cache", "go/pkg/mod/cache"]);
        if (categories.HasFlag(SlimCategories.TemporaryFiles))
            lines.AddRange(["tmp/*", "var/tmp/*", "var/log/**/*.log", "var/log/*log", "var/log/apt", "var/log/journal"]);
        lines.AddRange(remove);
        lines.AddRange(keep.Select(k => "!" + k.TrimStart('!')));
        return new SlimRules(DockerIgnore.Parse(string.Join('\n', lines), "the slim patterns"), lines);
    }

    /// <summary>True when the entry is removed by these rules (folders and whiteouts never are).</summary>
    public bool Removes(LayerEntry entry) =>
        entry.Kind is not (EntryKind.Directory or EntryKind.Whiteout or EntryKind.OpaqueWhiteout) && _matcher.IsExcluded(entry.Path);
}
