using NukeContainers.Images;

namespace NukeContainers.Tagging;

/// <summary>
/// The tag step: the tags the image gets in its repository, given by the engine without a rebuild. An image of this
/// product that a tag moved away from, left with no tag, is removed (no <c>&lt;none&gt;</c> image stays behind).
/// </summary>
public sealed record TagSettings : IPipelineStep
{
    /// <summary>Which tags.</summary>
    public TagPlan Plan { get; init; } = new();

    string IPipelineStep.Name => StepNames.Tag;

    IReadOnlyList<string> IPipelineStep.After => [StepNames.Build, StepNames.Slim];

    void IPipelineStep.Check(ImagePipeline pipeline)
    {
        if (Plan.Resolve().Count == 0)
            throw new ContainerException($"The tag step of {pipeline.Repository} has no tags: give a version, an environment or tags.");
    }

    async Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var imageId = context.Image.RequireImageId("tag");
        var tags = Plan.Resolve();
        var moved = new HashSet<string>();
        foreach (var reference in tags.In(context.Image.Repository))
        {
            if ((await context.Engine.InspectImageAsync(reference.ToString(), cancellationToken))?.Id is { } previous && previous != imageId) moved.Add(previous);
            await context.Engine.TagAsync(imageId, reference, cancellationToken);
        }
        // An image of this product that a moved tag leaves with no tag and no container would stay as <none>: it goes.
        foreach (var previous in moved) await context.Engine.RemoveIfUnusedAsync(previous, cancellationToken: cancellationToken);
        context.Log($"Tagged {context.Image.Repository} {imageId[..19]}: {tags}");
        return new TagResult { Image = context.Image with { Tags = tags, VersionTag = Plan.VersionTag ?? context.Image.VersionTag }, Tags = tags, VersionTag = Plan.VersionTag };
    }
}

/// <summary>What the tag step did.</summary>
public sealed record TagResult : StepResult
{
    /// <summary>The tags given.</summary>
    public required TagSet Tags { get; init; }

    /// <summary>The version's own tag, which must not move once pushed.</summary>
    public string? VersionTag { get; init; }

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) =>
        [Reporting.ReportSections.Tags.With(Tags.ToArray()), Reporting.ReportSections.VersionTag.With(VersionTag)];
}
