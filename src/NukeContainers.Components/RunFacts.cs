using NukeContainers.Versioning;
using Semver;

namespace NukeContainers.Components;

/// <summary>
/// What every image's steps in one run share, read once before the first pipeline starts: where the source stands in
/// git, and the version when the build tags (<see cref="ITagImages"/> reads it).
/// </summary>
public sealed record RunFacts
{
    /// <summary>HEAD's commit, when the root is a git repository with commits.</summary>
    public string? Commit { get; init; }

    /// <summary>The branch (from CI's variables, else git), when there is one.</summary>
    public string? Branch { get; init; }

    /// <summary>The commit's time (SOURCE_DATE_EPOCH first): the images' created label, never the clock.</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>The repository's address (its origin), for the source label.</summary>
    public string? Source { get; init; }

    /// <summary>The version the images are tagged with; null when the build does not tag.</summary>
    public SemVersion? Version { get; init; }

    /// <summary>Whether HEAD carries the version's own tag (a release), so no branch tag is added.</summary>
    public bool OnVersionTag { get; init; }

    /// <summary>The files git says differ from HEAD (changed, added, removed, untracked and not ignored), as <c>git status --porcelain</c> lists them.</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];

    /// <summary>True when the tree has uncommitted changes: what is built is not the commit.</summary>
    public bool Dirty => Changes.Count > 0;

    /// <summary>Reads the facts of the repository at <paramref name="root"/>; the version only with <paramref name="version"/>'s options.</summary>
    public static async Task<(RunFacts Facts, GitVersionResult Read)> ReadAsync(string root, VersionOptions? version, CancellationToken cancellationToken)
    {
        var read = await GitVersion.ReadAsync(root, version, cancellationToken);
        var facts = new RunFacts
        {
            Commit = read.Commit, Branch = await GitVersion.BranchAsync(root, cancellationToken),
            Created = await GitVersion.CreatedAsync(root, cancellationToken), Source = await GitVersion.SourceAsync(root, cancellationToken),
            Version = version is null ? null : read.UniqueVersion, OnVersionTag = read.OnTag,
            Changes = await GitVersion.ChangesAsync(root, cancellationToken),
        };
        return (facts, read);
    }
}

/// <summary>A declared image as report.json has it: its entry, and a pipeline that starts from that image.</summary>
public sealed record ResumedImage(ContainerImage Image, Reporting.ImageReport Entry, ImagePipeline Pipeline);

/// <summary>How far an image must have got in report.json for a single step to start from it.</summary>
public enum ResumeFrom
{
    /// <summary>Built (BuildImages).</summary>
    Built,

    /// <summary>Tagged (TagImages).</summary>
    Tagged,

    /// <summary>Pushed (PushImages).</summary>
    Pushed,
}
