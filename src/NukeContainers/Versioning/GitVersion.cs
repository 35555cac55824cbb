using System.Text;
using CliWrap;
using CliWrap.Buffered;
using Semver;

namespace NukeContainers.Versioning;

/// <summary>How the version is read from git tags: MinVer's options.</summary>
public sealed record VersionOptions
{
    /// <summary>A prefix that version tags carry, such as <c>v</c> (matched case-insensitively).</summary>
    public string TagPrefix { get; init; } = "";

    /// <summary>The lowest major.minor to report, such as <c>2.0</c>; a tagged commit keeps its own version.</summary>
    public string? MinimumMajorMinor { get; init; }

    /// <summary>The pre-release identifiers of versions after a release tag.</summary>
    public string DefaultPreRelease { get; init; } = "alpha.0";
}

/// <summary>A version read from git, and how it was found.</summary>
/// <param name="Version">The version.</param>
/// <param name="Commit">The commit it is for (HEAD), when there is one.</param>
/// <param name="Tag">The version tag it was counted from, when there is one.</param>
/// <param name="Height">Commits from that tag (or the root) to HEAD; null without git history.</param>
/// <param name="Warnings">What the reader assumed, for the log: no git, no commits, a shallow clone.</param>
public sealed record GitVersionResult(SemVersion Version, string? Commit, string? Tag, int? Height, IReadOnlyList<string> Warnings)
{
    /// <summary>True when HEAD carries the version's own tag (a release of that commit).</summary>
    public bool OnTag => Tag is not null && Height == 0;

    /// <summary>
    /// The version to tag images with. One read from a tag on HEAD is that commit's; a height version
    /// (<c>0.0.0-alpha.0.124</c>: MinVer's, for commits after a tag) is the same for every commit at that height, on any
    /// branch or clone, so two branches would push one version for two images: it gets the commit's 7 hex as its last
    /// identifier (<c>0.0.0-alpha.0.124.g92a86e2</c>, as <c>git describe</c> writes them), which keeps the order by height.
    /// </summary>
    public SemVersion UniqueVersion =>
        OnTag || Commit is not { Length: >= 7 } commit || Version.IsRelease ? Version
        : Version.WithPrerelease([.. Version.PrereleaseIdentifiers.Select(i => i.Value), "g" + commit[..7]]);
}

/// <summary>
/// The version of a commit from git tags by MinVer's rules (github.com/adamralph/minver, Versioner.cs): the tag on
/// HEAD as it is; otherwise the highest version tag reachable from HEAD and the height: a release tag gets its patch
/// incremented and the pre-release identifiers <c>alpha.0</c>, then the height; a pre-release tag keeps its identifiers
/// and gets the height. Tags that are not SemVer 2.0 (after the prefix) are ignored. Git is the real git.
/// </summary>
public static partial class GitVersion
{
    /// <summary>The version of HEAD in the repository at (or above) <paramref name="directory"/>.</summary>
    public static async Task<GitVersionResult> ReadAsync(string directory, VersionOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new VersionOptions();
        var defaultPreRelease = options.DefaultPreRelease.Split('.');
        var warnings = new List<string>();
        var fallback = SemVersion.ParsedFrom(0, 0, 0, options.DefaultPreRelease);

        var log = await GitAsync(directory, ["log", "--pretty=format:%H %P"], cancellationToken);
        if (log is null || log.Length == 0)
        {
            warnings.Add(log is null
                ? $"{directory} is not in a git repository (or git is not installed); the version is {fallback}."
                : $"The git repository at {directory} has no commits; the version is {fallback}.");
            return Apply(new GitVersionResult(fallback, null, null, null, warnings), options, defaultPreRelease);
        }
        if ((await GitAsync(directory, ["rev-parse", "--is-shallow-repository"], cancellationToken))?.Trim() == "true")
            warnings.Add("This is a shallow clone: tags and commits beyond its depth are missing, so the version may be too low. Fetch the whole history (fetch-depth: 0).");
        var tagRefs = await GitAsync(directory, ["show-ref", "--tags", "--dereference"], cancellationToken) ?? "";
        return Compute(log, tagRefs, options, warnings);
    }

    /// <summary>
    /// MinVer's rules over a history as git prints it: <paramref name="log"/> is <c>git log --pretty=format:"%H %P"</c>
    /// (HEAD first, each commit with its parents), <paramref name="tagRefs"/> is <c>git show-ref --tags --dereference</c>.
    /// </summary>
    internal static GitVersionResult Compute(string log, string tagRefs, VersionOptions options, IReadOnlyList<string> warnings)
    {
        var defaultPreRelease = options.DefaultPreRelease.Split('.');
        var parents = new Dictionary<string, string[]>();
        string? head = null;
        foreach (var line in log.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var shas = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            head ??= shas[0];
            parents[shas[0]] = shas[1..];
        }

        var tags = tagRefs
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Trim().Split(' ', 2))
            .Select(t => (Name: t[1]["refs/tags/".Length..].Replace("^{}", ""), Sha: t[0]))
            .Select(t => (t.Name, t.Sha, Version: Parse(t.Name, options.TagPrefix)))
            .Where(t => t.Version is not null)
            .ToList();

        // MinVer's walk: depth first from HEAD, first parent first; a tagged commit ends its path.
        var candidates = new List<(SemVersion Version, int Height, string? Tag, int Index)>();
        var pending = new Stack<(string Sha, int Height)>([(head!, 0)]);
        var seen = new HashSet<string>();
        while (pending.TryPop(out var item))
        {
            if (!seen.Add(item.Sha)) continue;
            var here = tags.Where(t => t.Sha == item.Sha).ToList();
            if (here.Count > 0)
            {
                foreach (var tag in here) candidates.Add((tag.Version!, item.Height, tag.Name, candidates.Count));
                continue;
            }
            var commitParents = parents.GetValueOrDefault(item.Sha) ?? [];
            if (commitParents.Length == 0)
            {
                candidates.Add((SemVersion.ParsedFrom(0, 0, 0, options.DefaultPreRelease), item.Height, null, candidates.Count));
                continue;
            }
            foreach (var parent in commitParents.Reverse()) pending.Push((parent, item.Height + 1));
        }

        var best = candidates.OrderBy(c => c.Version, SemVersion.PrecedenceComparer).ThenByDescending(c => c.Index).Last();
        var version = WithHeight(best.Version, best.Height, defaultPreRelease);
        var result = new GitVersionResult(version, head, best.Tag, best.Height, warnings);
        return best.Tag is not null && best.Height == 0 ? result : Apply(result, options, defaultPreRelease);
    }

    /// <summary>
    /// The paths that differ from HEAD, as <c>git status --porcelain</c> lists them (changed, staged, removed, and
    /// untracked files git does not ignore); none outside git.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ChangesAsync(string directory, CancellationToken cancellationToken = default) =>
        Changes(await GitAsync(directory, ["status", "--porcelain=v1", "--untracked-files=all"], cancellationToken));

    /// The paths of <c>git status --porcelain=v1</c>'s lines (two status letters, a space, the path); none for no output.
    internal static IReadOnlyList<string> Changes(string? porcelain) =>
        porcelain?.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).Where(l => l.Length > 3).Select(l => l[3..]).ToList() ?? [];

    /// <summary>The branch HEAD is on, or null when detached or outside git (CI's GITHUB_REF_NAME or CI_COMMIT_REF_NAME first).</summary>
    public static async Task<string?> BranchAsync(string directory, CancellationToken cancellationToken = default)
    {
        foreach (var variable in new[] { "GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME" })
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } name) return name;
        var branch = (await GitAsync(directory, ["rev-parse", "--abbrev-ref", "HEAD"], cancellationToken))?.Trim();
        return branch is null or "HEAD" ? null : branch;
    }

    /// <summary>
    /// When the image was made, for <c>org.opencontainers.image.created</c>: SOURCE_DATE_EPOCH when set, else the
    /// commit's time, never the clock, so that a cached rebuild of the same commit keeps its image id.
    /// </summary>
    public static async Task<DateTimeOffset?> CreatedAsync(string directory, CancellationToken cancellationToken = default)
    {
        var epoch = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        return Created(epoch, epoch is { Length: > 0 } ? null : await GitAsync(directory, ["log", "-1", "--format=%ct"], cancellationToken));
    }

    /// SOURCE_DATE_EPOCH when set (seconds since 1970, else an error that names it), else the commit time git printed.
    internal static DateTimeOffset? Created(string? sourceDateEpoch, string? commitTime)
    {
        if (sourceDateEpoch is { Length: > 0 } epoch)
            return long.TryParse(epoch, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : throw new ContainerException($"SOURCE_DATE_EPOCH='{epoch}' is not a number of seconds since 1970.");
        return long.TryParse(commitTime?.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var time)
            ? DateTimeOffset.FromUnixTimeSeconds(time) : null;
    }

    /// <summary>The origin remote's web address (<see cref="SourceUrl"/>), for <c>org.opencontainers.image.source</c>; null when it has none.</summary>
    public static async Task<string?> SourceAsync(string directory, CancellationToken cancellationToken = default) =>
        SourceUrl((await GitAsync(directory, ["config", "--get", "remote.origin.url"], cancellationToken))?.Trim());

    /// <summary>
    /// The web address of a git remote, for <c>org.opencontainers.image.source</c> (a URL, by the OCI spec): https and
    /// http without credentials, port kept, <c>.git</c> dropped; <c>git@host:org/repo.git</c> and <c>ssh://git@host/org/repo.git</c> as
    /// <c>https://host/org/repo</c>; null for a local path, <c>file://</c> or anything else that is no address on the web.
    /// </summary>
    public static string? SourceUrl(string? remote)
    {
        if (string.IsNullOrWhiteSpace(remote)) return null;
        string? host = null, path = null;
        if (Uri.TryCreate(remote, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "ssh" or "git" && uri.Host.Length > 0)
        {
            (host, path) = uri.Scheme is "https" or "http"
                ? ($"{uri.Scheme}://{uri.Host}{(uri.IsDefaultPort ? "" : $":{uri.Port}")}", uri.AbsolutePath)
                : ($"https://{uri.Host}", uri.AbsolutePath);
        }
        else if (ScpLike().Match(remote) is { Success: true } scp)
            (host, path) = ($"https://{scp.Groups["host"].Value}", scp.Groups["path"].Value);
        if (host is null || path is null) return null;
        path = path.Trim('/');
        if (path.EndsWith(".git", StringComparison.Ordinal)) path = path[..^4];
        return path.Length == 0 ? null : $"{host}/{path}";
    }

    // user@host:path, git's scp-like syntax (a ':' before any '/', and not a Windows drive letter).
    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:[^@/:]+@)?(?<host>[A-Za-z0-9.-]{2,}):(?<path>[^/].*)$")]
    private static partial System.Text.RegularExpressions.Regex ScpLike();

    private static SemVersion? Parse(string tag, string prefix) =>
        tag.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && SemVersion.TryParse(tag[prefix.Length..], SemVersionStyles.Strict, out var version)
            ? version : null;

    /// A release gets the next patch and the default identifiers, then the height; a pre-release keeps its identifiers.
    private static SemVersion WithHeight(SemVersion version, int height, string[] defaultPreRelease)
    {
        if (height == 0) return version;
        return version.IsRelease
            ? new SemVersion(version.Major, version.Minor, version.Patch + 1, [.. defaultPreRelease, height.ToString()])
            : new SemVersion(version.Major, version.Minor, version.Patch, [.. version.PrereleaseIdentifiers.Select(i => i.Value), height.ToString()]);
    }

    /// The minimum major.minor, for versions not read straight from a tag on HEAD.
    private static GitVersionResult Apply(GitVersionResult result, VersionOptions options, string[] defaultPreRelease)
    {
        if (options.MinimumMajorMinor is null) return result;
        var parts = options.MinimumMajorMinor.Split('.');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var major) || !int.TryParse(parts[1], out var minor))
            throw new ContainerException($"The minimum major.minor '{options.MinimumMajorMinor}' is not MAJOR.MINOR, such as 2.0.");
        var v = result.Version;
        if (major < v.Major || (major == v.Major && minor <= v.Minor)) return result;
        var height = result.Height is > 0 ? [result.Height.Value.ToString()] : Array.Empty<string>();
        return result with { Version = new SemVersion(major, minor, 0, [.. defaultPreRelease, .. height]) };
    }

    /// Runs git; null when it fails (not a repository, no git).
    private static async Task<string?> GitAsync(string directory, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            var result = await Cli.Wrap("git").WithArguments(arguments).WithWorkingDirectory(directory)
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(Encoding.UTF8, cancellationToken);
            return result.ExitCode == 0 ? result.StandardOutput : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
