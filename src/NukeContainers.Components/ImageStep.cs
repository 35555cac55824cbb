using System.Reflection;

namespace NukeContainers.Components;

/// <summary>
/// A component's step(s) for an image's pipeline, declared as a property of type <see cref="ImageStep"/>: every one the
/// build takes (its components' and its own) joins Publish, and a single-step target applies its own by name
/// (<see cref="IContainerImages.WithSteps"/>). Where the step runs among the others is its
/// <see cref="IPipelineStep.After"/>, not the order they are gathered in. A team's own step is one property on its
/// Build class: <c>ImageStep Notify => new("notify", (pipeline, _) => pipeline.WithStep(new NotifyStep()));</c>.
/// </summary>
/// <param name="Name">Its name (a step's, <see cref="StepNames"/>), by which a target picks it; one of each is taken.</param>
/// <param name="Add">Adds the step(s) to a pipeline, with what the run knows of the image.</param>
public sealed record ImageStep(string Name, Func<ImagePipeline, ImageStepContext, ImagePipeline> Add)
{
    /// <summary>A pipeline with these steps added, each with the same context.</summary>
    public static ImagePipeline AddAll(IEnumerable<ImageStep> steps, ImagePipeline pipeline, ImageStepContext context) =>
        steps.Aggregate(pipeline, (p, step) => step.Add(p, context));

    /// <summary>
    /// The image steps of a build: each property of type <see cref="ImageStep"/> of the interfaces it takes (read
    /// through the interface, so that the build's own override is the one taken) and of its own class, the first of
    /// each name; the build step's first, since the others may configure the build.
    /// </summary>
    public static IReadOnlyList<ImageStep> Of(object build)
    {
        var type = build.GetType();
        var properties = type.GetInterfaces().SelectMany(i => i.GetProperties())
            .Concat(type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Where(p => !p.Name.Contains('.')))   // explicit implementations: reached through their interface
            .Where(p => p.PropertyType == typeof(ImageStep) && p.GetIndexParameters().Length == 0);
        var steps = new List<ImageStep>();
        foreach (var property in properties)
            if (property.GetValue(build) is ImageStep step && steps.All(s => s.Name != step.Name)) steps.Add(step);
        // The build's first: the others configure the build it adds (the restore's inline cache is a build argument).
        return [.. steps.OrderBy(s => s.Name == StepNames.Build ? 0 : 1)];
    }
}

/// <summary>What a run knows of the image whose pipeline an <see cref="ImageStep"/> adds to.</summary>
/// <param name="Image">The declared image.</param>
/// <param name="Facts">The run's commit, branch, version and changes.</param>
public sealed record ImageStepContext(ContainerImage Image, RunFacts Facts)
{
    /// <summary>The digests of the run's other images, to pin in applied manifests (the rollout's).</summary>
    public IReadOnlyDictionary<string, string> Pins { get; init; } = new Dictionary<string, string>();

    /// <summary>An SBOM written by an earlier scan, for the attestations (null: the push's own scan, or none).</summary>
    public string? SbomFile { get; init; }
}
