using System.Diagnostics.Contracts;
using NukeContainers.Tagging;

namespace NukeContainers;

/// The tag step's verbs.
public sealed partial record ImagePipeline
{
    /// <summary>Tags the image: <c>.Tag(t => t.SemVer(version).Sha(commit).InEnvironment("staging"))</c>.</summary>
    [Pure] public ImagePipeline Tag(Func<TagPlan, TagPlan> plan) => Configure(new TagSettings(), t => t with { Plan = plan(t.Plan) });

    /// <summary>Tags the image with these tags, as given.</summary>
    [Pure] public ImagePipeline Tag(params string[] tags) => Tag(plan => plan.Also(tags));

    /// <summary>The OCI label that names the commit an image was built from.</summary>
    public const string RevisionLabel = "org.opencontainers.image.revision";

    /// <summary>
    /// The label of an image built from a tree with uncommitted changes: its revision label names the commit, and this
    /// says the tree was not that commit. It counts in the input digest, so a clean commit never reuses a dirty build.
    /// </summary>
    public const string DirtyLabel = "org.nukecontainers.dirty";

    /// <summary>The OCI label that names the version an image was built as.</summary>
    public const string VersionLabel = "org.opencontainers.image.version";

    /// <summary>The OCI label that says when (the commit's time) an image was built.</summary>
    public const string CreatedLabel = "org.opencontainers.image.created";

    /// <summary>
    /// The OCI labels on the image (set at build time, so they are part of its config):
    /// <c>org.opencontainers.image.version</c>, <c>revision</c>, <c>created</c>, <c>source</c> and <c>title</c>. Give
    /// <paramref name="created"/> from SOURCE_DATE_EPOCH or the commit's time, never the clock, so that a cached rebuild
    /// of the same commit keeps its image id.
    /// </summary>
    [Pure] public ImagePipeline OciLabels(string? version, string? revision, DateTimeOffset? created, string? source, string? title)
    {
        var labels = new Dictionary<string, string?>
        {
            [VersionLabel] = version,
            [RevisionLabel] = revision,
            [CreatedLabel] = created?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["org.opencontainers.image.source"] = source,
            ["org.opencontainers.image.title"] = title,
        };
        return labels.Where(l => l.Value is not null).Aggregate(this, (pipeline, label) => pipeline.Label(label.Key, label.Value!));
    }
}
