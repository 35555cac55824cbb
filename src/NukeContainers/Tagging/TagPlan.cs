using Semver;
using NukeContainers.Images;

namespace NukeContainers.Tagging;

/// <summary>
/// Which tags an image gets, with docker/metadata-action's rules: the version; for a stable version also
/// <c>major.minor</c>, <c>major</c> (not when it is 0) and <c>latest</c>; <c>sha-</c> and 7 hex of the commit; the branch
/// for builds not on a version tag; the environment (as given: <see cref="EnvironmentName"/>). A tree with uncommitted
/// changes gets <c>sha-XXXXXXX-dirty</c> and the environment only. The version and the branch are sanitised to Docker's tag grammar.
/// </summary>
public sealed record TagPlan
{
    /// <summary>The version, if the image is versioned.</summary>
    public SemVersion? Version { get; init; }

    /// <summary>The commit, for the <c>sha-</c> tag.</summary>
    public string? Commit { get; init; }

    /// <summary>The branch, tagged only when the build is not on a version tag.</summary>
    public string? Branch { get; init; }

    /// <summary>True when HEAD carries the version's tag (then no branch tag).</summary>
    public bool OnVersionTag { get; init; }

    /// <summary>The environment: dev, staging, production.</summary>
    public string? Environment { get => _environment; init => _environment = value is null ? null : EnvironmentName.Parse(value).Value; }

    private readonly string? _environment;

    /// <summary>
    /// True for a build of a tree with uncommitted changes: it is not the commit, so it gets no version or branch tag,
    /// and its <c>sha-</c> tag says <c>-dirty</c>.
    /// </summary>
    public bool Dirty { get; init; }

    /// <summary>Tags given as they are.</summary>
    public IReadOnlyList<string> Extra { get; init; } = [];

    /// <summary>The version's own tag: the one tag that must never move to another image once pushed.</summary>
    public string? VersionTag => Version is null || Dirty ? null : TagSet.Sanitize(Version.ToString());

    /// <summary>A plan for a version.</summary>
    public TagPlan SemVer(SemVersion version, bool onVersionTag = true) => this with { Version = version, OnVersionTag = onVersionTag };

    /// <summary>A plan with the commit's <c>sha-</c> tag.</summary>
    public TagPlan Sha(string commit) => this with { Commit = commit };

    /// <summary>A plan for a tree with uncommitted changes (<see cref="Dirty"/>).</summary>
    public TagPlan WithUncommittedChanges() => this with { Dirty = true };

    /// <summary>A plan with the branch (tagged when not on a version tag).</summary>
    public TagPlan OnBranch(string branch) => this with { Branch = branch };

    /// <summary>A plan with the environment's tag; <see cref="FormatException"/> for a name that is not a tag or looks like a version (<see cref="EnvironmentName"/>).</summary>
    public TagPlan InEnvironment(string environment) => this with { Environment = environment };

    /// <summary>A plan with more tags, as given.</summary>
    public TagPlan Also(params string[] tags) => this with { Extra = [.. Extra, .. tags] };

    /// <summary>The tags, in this order: version, major.minor, major, latest, sha, branch, environment, extra.</summary>
    public TagSet Resolve()
    {
        var tags = new List<string?>();
        if (Version is { } v && !Dirty)
        {
            tags.Add(VersionTag);
            if (v.IsRelease)
            {
                tags.Add($"{v.Major}.{v.Minor}");
                if (v.Major > 0) tags.Add($"{v.Major}");
                tags.Add("latest");
            }
        }
        if (Commit is { Length: >= 7 }) tags.Add($"sha-{Commit[..7]}{(Dirty ? "-dirty" : "")}");
        if (Branch is not null && !OnVersionTag && !Dirty) tags.Add(TagSet.Sanitize(Branch));
        if (Environment is not null) tags.Add(Environment);
        return TagSet.Of(tags.Concat(Extra).OfType<string>());
    }
}
