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

    /// <summary>The settings hook: each image's pipeline passes through it (<c>p.Name</c> says which image).</summary>
    Configure<ImagePipeline> TagImagesSettings => _ => _;

    /// <summary>Tags each image in report.json.</summary>
    Target TagImages => _ => _
        .Description("Tag the built images (report.json) with the version from git or --version, sha-, the branch and --environment")
        .After<IBuildImages>(x => x.BuildImages)
        .After<ISlimImages>(x => x.SlimImages)
        .Executes(async ct =>
        {
            var (version, onTag, commit, branch) = await VersionAsync(ct);
            using var engine = await ContainerEngine.ConnectAsync(cancellationToken: ct);
            var results = await RunImagesAsync(SelectedImages().Select(image =>
            {
                var built = BuiltImage(image.Name);
                return TagImagesSettings(PipelineFor(image).FromImage(built.ImageId, built.SizeBytes)
                    .Tag(plan => PlanFor(plan.SemVer(version, onTag), commit, branch)));
            }).ToList(), engine, ct);
            Note($"{version}: {string.Join(" ", (IEnumerable<string>?)results.FirstOrDefault()?.Image.Tags ?? [])}");
        });

    /// <summary>The OCI labels' values for the images: version, revision, created (never the clock), source.</summary>
    async Task<(string Version, string? Revision, DateTimeOffset? Created, string? Source)> OciValuesAsync(CancellationToken cancellationToken)
    {
        var (version, _, commit, _) = await VersionAsync(cancellationToken);
        return (version.ToString(), commit, await GitVersion.CreatedAsync(RootDirectory, cancellationToken), await GitVersion.SourceAsync(RootDirectory, cancellationToken));
    }

    /// <summary>The tags besides the version's: sha-, the branch (off a version tag), the environment.</summary>
    Tagging.TagPlan PlanFor(Tagging.TagPlan plan, string? commit, string? branch)
    {
        if (commit is not null) plan = plan.Sha(commit);
        if (branch is not null) plan = plan.OnBranch(branch);
        if (branch is not null && this is IRestoreCache) plan = plan.Also(Caching.RestoreCacheSettings.CacheTag(branch)); // PushImages moves it
        return Environment is null ? plan : plan.InEnvironment(Environment.Value);
    }

    /// <summary>The version (given or from git), whether HEAD carries its tag, the commit and the branch.</summary>
    async Task<(SemVersion Version, bool OnTag, string? Commit, string? Branch)> VersionAsync(CancellationToken cancellationToken)
    {
        var read = await GitVersion.ReadAsync(RootDirectory, new VersionOptions { TagPrefix = TagPrefix, MinimumMajorMinor = MinimumMajorMinor }, cancellationToken);
        foreach (var warning in read.Warnings) Log.Warn(warning);
        var branch = await GitVersion.BranchAsync(RootDirectory, cancellationToken);
        if (Version is { } given)
            return SemVersion.TryParse(given, SemVersionStyles.AllowV, out var parsed)
                ? (parsed, true, read.Commit, branch)
                : throw new ParameterException($"--version got '{given}', which is not a semantic version; give one such as 1.2.3 or 1.2.3-rc.1.");
        Log.Info($"Version {read.Version} from git ({(read.Tag is null ? "no version tag" : $"tag {read.Tag}")}, height {read.Height})");
        return (read.Version, read.Tag is not null && read.Height == 0, read.Commit, branch);
    }

    /// <summary>The image BuildImages left in report.json, or an error that says to build first.</summary>
    Reporting.ImageReport BuiltImage(string name) => ReadReport().Find(name)
        ?? throw new ContainerException($"report.json has no image '{name}': run BuildImages first (./build.sh BuildImages {(this is ITagImages ? "TagImages" : "")}).");
}
