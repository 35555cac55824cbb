using NukeContainers.Build;
using NukeContainers.Engine;
using NukeContainers.Versioning;
using Semver;

namespace NukeContainers.Components;

/// <summary>
/// Tags the images BuildImages built (read from report.json) with the version from git tags (MinVer's rules) or
/// <c>--version</c>, the commit, the branch and <c>--environment</c>, and puts the OCI labels' values in the log.
/// </summary>
public interface ITagImages : IContainerImages
{
    /// <summary>The version; from git tags when not given.</summary>
    [Parameter("The version to tag with (semver); read from git tags by MinVer's rules when not given")]
    string? Version => TryGetValue(() => Version);

    /// <summary>The environment tag: dev, staging, production (a tag, as given, that does not look like a version).</summary>
    [Parameter("The environment the images are for, tagged as such: dev, staging, production (a tag that does not look like a version)")]
    Tagging.EnvironmentName? Environment => TryGetValue(() => Environment);

    /// <summary>The prefix of version tags in git.</summary>
    [Parameter("The prefix of version tags in git, such as v")]
    string TagPrefix => TryGetValue(() => TagPrefix) ?? "";

    /// <summary>The lowest major.minor the version from git may be, such as 2.0 (a tagged commit keeps its own).</summary>
    [Parameter("The lowest major.minor a version read from git may be, such as 2.0 (a tagged commit keeps its own)")]
    string? MinimumMajorMinor => TryGetValue(() => MinimumMajorMinor);

    /// <summary>Publish or tag a tree with uncommitted changes, as <c>sha-XXXXXXX-dirty</c> (no version or branch tag), labelled dirty.</summary>
    [Parameter("Publish or tag a tree with uncommitted changes: it is tagged sha-XXXXXXX-dirty (never the commit's version, sha- or branch tag) and labelled and attested as dirty")]
    bool AllowDirty => TryGetValue<bool?>(() => AllowDirty) ?? false;

    /// <summary>
    /// A tree with uncommitted changes is not the commit, so its images must not be pushed under the commit's tags:
    /// without --allow-dirty, a target that tags refuses it before anything runs, naming the changed files.
    /// </summary>
    void CheckCommittedTree()
    {
        if (AllowDirty) return;
        var changes = Versioning.GitVersion.ChangesAsync(RootDirectory).GetAwaiter().GetResult();
        if (changes.Count == 0) return;
        throw new ParameterException(
            $"{RootDirectory} has uncommitted changes ({string.Join(", ", changes.Take(5))}{(changes.Count > 5 ? $" and {changes.Count - 5} more" : "")}): " +
            "what would be built is not the commit, so it must not get the commit's version or sha- tags. Commit them (or add them to .gitignore), " +
            "or give --allow-dirty to tag it sha-XXXXXXX-dirty.");
    }

    /// <summary>The settings hook: each image's pipeline passes through it (<c>p.Name</c> says which image).</summary>
    Configure<ImagePipeline> TagImagesSettings => _ => _;

    /// <summary>Tags each image in report.json.</summary>
    Target TagImages => _ => _
        .Description("Tag the built images (report.json) with the version from git or --version, sha-, the branch and --environment")
        .After<IBuildImages>(x => x.BuildImages)
        .After<ISlimImages>(x => x.SlimImages)
        .Validates(CheckImageParameters)
        .Validates(() => GivenVersion())
        .Validates(CheckCommittedTree)
        .Executes(async ct =>
        {
            var facts = await RunFactsAsync(ct);
            using var engine = await ConnectEngineAsync(ct);
            var results = await RunImagesAsync(ResumedImages("TagImages").Select(resumed => TagImageStep.Add(resumed.Pipeline, new ImageStepContext(resumed.Image, facts))).ToList(), engine, ct);
            Note($"{facts.Version}: {string.Join(" ", (IEnumerable<string>?)results.FirstOrDefault()?.Image.Tags ?? [])}");
        });

    /// <summary>The version (given, or from git by MinVer's rules), said in the log, besides git's facts.</summary>
    async Task<RunFacts> IContainerImages.RunFactsAsync(CancellationToken cancellationToken)
    {
        var (facts, read) = await RunFacts.ReadAsync(RootDirectory, new VersionOptions { TagPrefix = TagPrefix, MinimumMajorMinor = MinimumMajorMinor }, cancellationToken);
        foreach (var warning in read.Warnings) Log.Warn(warning);
        // A given version is tagged as it is; the branch is tagged unless HEAD is on a version tag, as without one.
        if (GivenVersion() is { } given) return facts with { Version = given };
        Log.Info($"Version {facts.Version} from git ({(read.Tag is null ? "no version tag" : $"tag {read.Tag}")}, height {read.Height})" +
                 (facts.Dirty ? $"; the tree has uncommitted changes, so it is tagged sha-{facts.Commit?[..Math.Min(7, facts.Commit.Length)]}-dirty and no version" : ""));
        return facts;
    }

    /// <summary>--version as a semantic version (null when not given); one that is not is bad usage.</summary>
    SemVersion? GivenVersion() =>
        Version is not { } given ? null
        : SemVersion.TryParse(given, SemVersionStyles.AllowV, out var parsed) ? parsed
        : throw new ParameterException($"--version got '{given}', which is not a semantic version; give one such as 1.2.3 or 1.2.3-rc.1.");

    /// <summary>The version's tags, sha-, the branch (off a version tag), the cache's tags and the environment, then the settings hook.</summary>
    ImageStep TagImageStep => new(StepNames.Tag, (pipeline, context) =>
        TagImagesSettings(pipeline.Tag(plan => PlanFor(plan.SemVer(context.Facts.Version ?? throw new InvalidOperationException("RunFactsAsync reads the version"), context.Facts.OnVersionTag), context.Facts))));

    /// <summary>The tags besides the version's: sha-, the branch (off a version tag), the cache's, the environment.</summary>
    Tagging.TagPlan PlanFor(Tagging.TagPlan plan, RunFacts facts)
    {
        if (facts.Commit is not null) plan = plan.Sha(facts.Commit);
        if (facts.Dirty) plan = plan.WithUncommittedChanges();
        if (facts.Branch is not null) plan = plan.OnBranch(facts.Branch);
        plan = plan.Also([.. CacheTags(facts)]);   // PushImages moves them
        return Environment is null ? plan : plan.InEnvironment(Environment.Value);
    }
}
