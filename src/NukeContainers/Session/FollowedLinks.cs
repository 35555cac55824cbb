namespace NukeContainers.Session;

/// <summary>
/// The paths a build's COPY names and the links on them, as fsutil's FollowLinks resolves them for the engine's
/// followpaths: a symbolic link on a named path (or on a folder of it) brings its target too, and its target's links
/// in turn, so that <c>COPY assets-link /assets/</c> gets the folder the link names. A target is taken inside the
/// context (an absolute one from its root, a relative one from the link's folder, never above the root), as the
/// engine reads it. The result goes into the include patterns of the context's walk.
/// </summary>
internal static class FollowedLinks
{
    /// <summary>The paths, and every link target on the way to each, relative to the context (<c>/assets</c>).</summary>
    public static IReadOnlyList<string> Resolve(string root, IEnumerable<string> paths)
    {
        var resolved = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths) Append(root, path, resolved, depth: 0);
        return [.. resolved.Order(StringComparer.Ordinal)];
    }

    private static void Append(string root, string path, HashSet<string> resolved, int depth)
    {
        if (depth > 255) return;   // a loop of links: as far as it goes
        var current = ".";
        var rest = path;
        while (true)
        {
            var parts = rest.Split('/', 2);
            current = Join(current, parts[0]);
            var targets = ReadLink(root, current, allowWildcard: true);
            rest = parts.Length == 2 ? parts[1] : "";
            if ((rest == "" || targets is not null) && resolved.Contains(current)) return;
            if (targets is not null)
            {
                resolved.Add(current);
                foreach (var target in targets) Append(root, Join(target, rest), resolved, depth + 1);
                return;
            }
            if (rest == "")
            {
                resolved.Add(current);
                return;
            }
        }
    }

    /// The targets of the link at a path (of each link a wildcard last part matches); null when it is no link.
    private static List<string>? ReadLink(string root, string path, bool allowWildcard)
    {
        var real = Path.Join(root, path);
        var name = path.Contains('/') ? path[(path.LastIndexOf('/') + 1)..] : path;
        if (allowWildcard && name.IndexOfAny(['*', '?', '[']) >= 0)
        {
            var folder = Path.GetDirectoryName(real)!;
            if (!Directory.Exists(folder)) return null;
            var parent = path.Contains('/') ? path[..path.LastIndexOf('/')] : ".";
            List<string>? found = null;
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).OfType<string>())
                if (System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(name, entry, ignoreCase: false) && ReadLink(root, Join(parent, entry), false) is { } more)
                    (found ??= []).AddRange(more);
            return found;
        }
        if (new FileInfo(real).LinkTarget is not { } link) return null;
        link = Join(link.StartsWith('/') ? "/" : "", link);
        var folderOfLink = path.Contains('/') ? path[..path.LastIndexOf('/')] : ".";
        return [link.StartsWith('/') ? link : Join("/", Join(folderOfLink, link))];
    }

    /// Go's filepath.Join with '/': the parts joined and cleaned (no '.', '..' resolved, above the root dropped).
    private static string Join(string first, string second)
    {
        var joined = second.Length == 0 ? first : first.Length == 0 ? second : first + "/" + second;
        var rooted = joined.StartsWith('/');
        var parts = new List<string>();
        foreach (var part in joined.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == ".." && parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
            else if (part == ".." && rooted) continue;
            else parts.Add(part);
        }
        var clean = string.Join('/', parts);
        return rooted ? "/" + clean : clean.Length == 0 ? "." : clean;
    }
}
