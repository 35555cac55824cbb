using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace NukeContainers.Scanning;

/// <summary>An installed package, read from the image's files.</summary>
/// <param name="Ecosystem">OSV's ecosystem: <c>Debian:12</c>, <c>Alpine:v3.19</c>, <c>npm</c>, <c>NuGet</c>, <c>Go</c>, <c>PyPI</c>.</param>
/// <param name="Name">The package's name (for Go, the module path; <c>stdlib</c> for the toolchain).</param>
/// <param name="Version">The installed version.</param>
/// <param name="Path">The file it was read from, in the image.</param>
/// <param name="SourceName">The source package (Debian's <c>Source</c>, Alpine's origin), which advisories name.</param>
public sealed record Package(string Ecosystem, string Name, string Version, string Path, string? SourceName = null)
{
    /// <summary>The package URL (purl) that SBOMs and scanners use.</summary>
    public string Purl => PackageVersions.Family(Ecosystem) switch
    {
        "Debian" => $"pkg:deb/debian/{Escape(Name)}@{Escape(Version)}",
        "Alpine" => $"pkg:apk/alpine/{Escape(Name)}@{Escape(Version)}",
        "npm" => Name.StartsWith('@') ? $"pkg:npm/%40{Name[1..]}@{Escape(Version)}" : $"pkg:npm/{Name}@{Escape(Version)}",
        "NuGet" => $"pkg:nuget/{Name}@{Escape(Version)}",
        "Go" => $"pkg:golang/{Name}@{Escape(Version)}",
        "PyPI" => $"pkg:pypi/{Name.ToLowerInvariant()}@{Escape(Version)}",
        _ => $"pkg:generic/{Escape(Name)}@{Escape(Version)}",
    };

    private static string Escape(string text) => Uri.EscapeDataString(text);
}

/// <summary>Readers of the package databases and manifests images carry.</summary>
public static partial class Inventory
{
    /// <summary>Whether a path is a file the inventory reads (so the image reader keeps its contents).</summary>
    public static bool IsManifest(string path) =>
        path is "var/lib/dpkg/status" or "lib/apk/db/installed" or "etc/os-release" or "usr/lib/os-release" or "etc/debian_version" or "etc/alpine-release"
        || path.StartsWith("var/lib/dpkg/status.d/", StringComparison.Ordinal)
        || path.EndsWith(".deps.json", StringComparison.Ordinal)
        || NodeModule().IsMatch(path)
        || path.EndsWith(".dist-info/METADATA", StringComparison.Ordinal) || path.EndsWith(".egg-info/PKG-INFO", StringComparison.Ordinal);

    /// <summary>The packages of an image's files (path → contents; Go build info by the binary's path).</summary>
    public static IReadOnlyList<Package> Read(IReadOnlyDictionary<string, byte[]> files, IReadOnlyDictionary<string, GoBuildInfo> goBinaries)
    {
        var osRelease = files.TryGetValue("etc/os-release", out var os) || files.TryGetValue("usr/lib/os-release", out os) ? KeyValues(Encoding.UTF8.GetString(os)) : [];
        var id = osRelease.GetValueOrDefault("ID");
        var packages = new List<Package>();
        var debian = "Debian:" + (osRelease.GetValueOrDefault("VERSION_ID")
                                  ?? (files.TryGetValue("etc/debian_version", out var dv) ? Encoding.UTF8.GetString(dv).Trim().Split('.')[0] : ""));
        if (id is "ubuntu") debian = "Ubuntu:" + osRelease.GetValueOrDefault("VERSION_ID");
        foreach (var (path, content) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var text = Encoding.UTF8.GetString(content);
            if (path == "var/lib/dpkg/status" || path.StartsWith("var/lib/dpkg/status.d/", StringComparison.Ordinal))
                packages.AddRange(Dpkg(text, path, debian, requireInstalled: path == "var/lib/dpkg/status"));
            else if (path == "lib/apk/db/installed")
                packages.AddRange(Apk(text, path, "Alpine:v" + string.Join('.', (files.TryGetValue("etc/alpine-release", out var ar) ? Encoding.UTF8.GetString(ar).Trim() : "").Split('.').Take(2))));
            else if (path.EndsWith(".deps.json", StringComparison.Ordinal)) packages.AddRange(DotnetDeps(text, path));
            else if (NodeModule().IsMatch(path) && NpmPackage(text, path) is { } npm) packages.Add(npm);
            else if ((path.EndsWith("/METADATA", StringComparison.Ordinal) || path.EndsWith("/PKG-INFO", StringComparison.Ordinal)) && Python(text, path) is { } python) packages.Add(python);
        }
        foreach (var (path, info) in goBinaries.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            packages.Add(new Package("Go", "stdlib", info.GoVersion.TrimStart('g', 'o'), path));
            packages.AddRange(info.Modules.Select(m => new Package("Go", m.Path, m.Version, path)));
        }
        return packages;
    }

    /// <summary>dpkg's status file (or a distroless status.d file): each paragraph's Package, Version and Source.</summary>
    public static IEnumerable<Package> Dpkg(string text, string path, string ecosystem, bool requireInstalled = true)
    {
        foreach (var fields in Paragraphs(text, ':'))
        {
            if (!fields.TryGetValue("Package", out var name) || !fields.TryGetValue("Version", out var version)) continue;
            if (requireInstalled && fields.TryGetValue("Status", out var status) && !status.EndsWith(" installed", StringComparison.Ordinal)) continue;
            var source = fields.GetValueOrDefault("Source")?.Split(' ')[0];
            yield return new Package(ecosystem, name, version, path, source ?? name);
        }
    }

    /// <summary>apk's installed database: each paragraph's P (name), V (version) and o (origin).</summary>
    public static IEnumerable<Package> Apk(string text, string path, string ecosystem)
    {
        foreach (var fields in Paragraphs(text, ':', singleLetterKeys: true))
            if (fields.TryGetValue("P", out var name) && fields.TryGetValue("V", out var version))
                yield return new Package(ecosystem, name, version, path, fields.GetValueOrDefault("o") ?? name);
    }

    /// <summary>A .NET app's deps.json: its libraries of type package (NuGet) and runtimepack.</summary>
    public static IEnumerable<Package> DotnetDeps(string text, string path)
    {
        using var json = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        if (!json.RootElement.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object) return [];
        return libraries.EnumerateObject()
            .Where(l => l.Value.TryGetProperty("type", out var type) && type.GetString() is "package" or "runtimepack")
            .Select(l => l.Name.Split('/', 2)).Where(p => p.Length == 2)
            .Select(p => new Package("NuGet", p[0].StartsWith("runtimepack.", StringComparison.Ordinal) ? p[0]["runtimepack.".Length..] : p[0], p[1], path)).ToList();
    }

    /// <summary>A module's package.json in node_modules: its name and version.</summary>
    public static Package? NpmPackage(string text, string path)
    {
        try
        {
            using var json = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true });
            return json.RootElement.ValueKind == JsonValueKind.Object
                   && json.RootElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                   && json.RootElement.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String
                ? new Package("npm", name.GetString()!, version.GetString()!, path)
                : null;
        }
        catch (JsonException)
        {
            return null;   // a fixture or a template under node_modules, not a module's manifest
        }
    }

    /// <summary>A Python distribution's METADATA (or PKG-INFO): Name and Version.</summary>
    public static Package? Python(string text, string path)
    {
        var headers = KeyValues(text.Split("\n\n")[0], ':');
        return headers.TryGetValue("Name", out var name) && headers.TryGetValue("Version", out var version) ? new Package("PyPI", name, version, path) : null;
    }

    [GeneratedRegex(@"(^|/)node_modules/(@[^/]+/)?[^/@][^/]*/package\.json$")]
    private static partial Regex NodeModule();

    private static IEnumerable<Dictionary<string, string>> Paragraphs(string text, char separator, bool singleLetterKeys = false)
    {
        foreach (var paragraph in text.Replace("\r\n", "\n").Split("\n\n"))
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            string? last = null;
            foreach (var line in paragraph.Split('\n'))
            {
                if (line.Length == 0) continue;
                if (line[0] is ' ' or '\t') { if (last is not null) fields[last] += "\n" + line.Trim(); continue; }
                var colon = line.IndexOf(separator);
                if (colon <= 0 || (singleLetterKeys && colon != 1)) continue;
                last = line[..colon];
                fields[last] = line[(colon + 1)..].Trim();
            }
            if (fields.Count > 0) yield return fields;
        }
    }

    private static Dictionary<string, string> KeyValues(string text, char separator = '=')
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var at = line.IndexOf(separator);
            if (at <= 0 || line.StartsWith('#')) continue;
            values.TryAdd(line[..at].Trim(), line[(at + 1)..].Trim().Trim('"'));
        }
        return values;
    }
}

/// <summary>What a Go binary says about its build: the toolchain and the modules linked in.</summary>
public sealed record GoBuildInfo(string GoVersion, IReadOnlyList<(string Path, string Version)> Modules)
{
    /// <summary>The marker at the start of a Go binary's build info section.</summary>
    public static ReadOnlySpan<byte> Magic => [0xFF, (byte)' ', (byte)'G', (byte)'o', (byte)' ', (byte)'b', (byte)'u', (byte)'i', (byte)'l', (byte)'d', (byte)'i', (byte)'n', (byte)'f', (byte)':'];

    /// <summary>
    /// Reads the build info that starts at the magic (Go 1.18 and later keep its strings inline: a varint length, then
    /// the version; a varint length, then the module info between 16-byte sentinels); null for older binaries.
    /// </summary>
    public static GoBuildInfo? Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 32 || !data.StartsWith(Magic) || (data[15] & 2) == 0) return null;
        var position = 32;
        (int Start, int Length)? Next(ReadOnlySpan<byte> d)
        {
            ulong length = 0;
            var shift = 0;
            while (position < d.Length)
            {
                var b = d[position++];
                length |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) break;
                shift += 7;
            }
            if (length > (ulong)(d.Length - position)) return null;
            var start = position;
            position += (int)length;
            return (start, (int)length);
        }
        if (Next(data) is not var (versionStart, versionLength)) return null;
        var version = Encoding.UTF8.GetString(data.Slice(versionStart, versionLength));
        var modules = new List<(string, string)>();
        if (Next(data) is var (infoStart, infoLength) && infoLength > 32)
            foreach (var line in Encoding.UTF8.GetString(data.Slice(infoStart + 16, infoLength - 32)).Split('\n'))
            {
                var parts = line.Split('\t');
                if (parts.Length >= 3 && parts[0] is "mod" or "dep" && parts[2] != "(devel)") modules.Add((parts[1], parts[2]));
            }
        return new GoBuildInfo(version, modules);
    }
}
