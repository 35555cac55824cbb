using NukeContainers.Engine;
using NukeContainers.Images;

namespace NukeContainers;

/// <summary>
/// A pipeline step: a settings record that knows how to run itself. The pipeline keeps one of each (by
/// <see cref="Name"/>) and runs them in the order their <see cref="After"/> names declare (a graph, not numbers); each
/// gets the image as the step before left it. A step is added in its own folder: its settings (this interface), its
/// runner, its <see cref="StepResult"/> and its fluent verbs (a partial of <see cref="ImagePipeline"/>); its place is
/// the steps it names in <see cref="After"/> (<see cref="StepNames"/> has the built-in steps' names).
/// </summary>
public interface IPipelineStep
{
    /// <summary>The step's key in report.json's <c>durationsMs</c>: <c>restoreCache</c>, <c>build</c>, <c>slim</c> ...</summary>
    string Name { get; }

    /// <summary>
    /// The steps it runs after, by name (<see cref="StepNames"/>); one the pipeline does not have orders nothing. Steps
    /// that name none of each other run in the order they were added.
    /// </summary>
    IReadOnlyList<string> After { get; }

    /// <summary>The steps it runs before, by name: for a step of a team's own that must come before a built-in one (a policy check before the push).</summary>
    IReadOnlyList<string> Before => [];

    /// <summary>Whether the step uses the container engine; a pipeline of steps that do not runs without one.</summary>
    bool NeedsEngine => true;

    /// <summary>Checks the settings before any step runs, so that a mistake fails before the engine is asked.</summary>
    void Check(ImagePipeline pipeline) { }

    /// <summary>Does the step's work and says how it left the image.</summary>
    Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken);
}

/// <summary>
/// An exception of a step that failed after it changed something, with what it did (a rollout that was undone): the
/// report tells of it as of a step that ran.
/// </summary>
public interface IStepFailure
{
    /// <summary>What the step did before it failed.</summary>
    StepResult Result { get; }
}

/// <summary>The built-in steps' names, in the order they run when all are there.</summary>
public static class StepNames
{
    /// <summary>Restore the build cache.</summary>
    public const string RestoreCache = "restoreCache";
    /// <summary>Build the Dockerfile.</summary>
    public const string Build = "build";
    /// <summary>Slim the image.</summary>
    public const string Slim = "slim";
    /// <summary>Tag it.</summary>
    public const string Tag = "tag";
    /// <summary>Scan it.</summary>
    public const string Scan = "scan";
    /// <summary>Push its content under one tag.</summary>
    public const string Push = "push";
    /// <summary>Attach provenance and the SBOM to the pushed image.</summary>
    public const string Attest = "attest";
    /// <summary>Point the image's tags at what was pushed, version tags last (added with the push).</summary>
    public const string PushTags = "pushTags";
    /// <summary>Export the build cache of the earlier stages.</summary>
    public const string ExportCache = "exportCache";
    /// <summary>Sign the pushed digest.</summary>
    public const string Sign = "sign";
    /// <summary>Roll it out.</summary>
    public const string Rollout = "rollout";
}

/// <summary>
/// What a running step gets: the engine, the pipeline, the image as the step before left it, the log, and the results
/// of the steps that ran before it.
/// </summary>
public sealed record StepContext(ContainerEngine Engine, ImagePipeline Pipeline, PipelineImage Image, Action<string> Log, IReadOnlyList<StepResult> Results)
{
    /// <summary>The run's masker: a step that learns a secret value hides it here; what it writes passes through it.</summary>
    public Scanning.Masker Masker => Pipeline.Masker;

    /// <summary>The run's registry clients: a step that talks to a registry takes its client here.</summary>
    public Registry.RegistryClients Registries => Pipeline.Registries;
}

/// <summary>
/// What a step that runs before the build may hand it, through its result: images to take cached layers from, labels
/// to add, or an image to reuse instead of building (the inputs did not change).
/// </summary>
public interface IBuildContribution
{
    /// <summary>Image references BuildKit may import cached layers from.</summary>
    IReadOnlyList<string> CacheFrom { get; }

    /// <summary>Labels the built image gets.</summary>
    IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>An image (id) with the same inputs to use instead of building, when there is one.</summary>
    string? ReuseImageId { get; }
}

/// <summary>The image as it passes from step to step.</summary>
public sealed record PipelineImage
{
    /// <summary>An image of a repository that no step has made yet.</summary>
    public PipelineImage(ImageReference repository) => Repository = repository;

    /// <summary>The repository the pipeline delivers, such as <c>127.0.0.1:5000/samples/go-api</c>.</summary>
    public ImageReference Repository { get; init; }

    /// <summary>The image's id in the engine (<c>sha256:...</c>), once a step has made or found it.</summary>
    public string? ImageId { get; init; }

    /// <summary>Its size as the engine reports it.</summary>
    public long SizeBytes { get; init; }

    /// <summary>The tags it has been given in <see cref="Repository"/>.</summary>
    public TagSet Tags { get; init; } = TagSet.Empty;

    /// <summary>The tag that names its version (which a push never moves to another image), once tagged with one.</summary>
    public string? VersionTag { get; init; }

    /// <summary>The registry digest (<c>sha256:...</c>), once pushed.</summary>
    public string? Digest { get; init; }

    /// <summary>
    /// What the image was built from (the build step's settings as it ran them), for the steps after it that build
    /// again (the cache export) or tell of it (slim's base, the provenance, the lint); null when no step built it.
    /// </summary>
    public Building.BuildSettings? Build { get; init; }

    /// <summary>The image id, or an error naming the step that needs it.</summary>
    public string RequireImageId(string step) => ImageId
        ?? throw new ContainerException($"The {step} step of {Repository} needs an image, and no step before it made one: add FromDockerfile(...) or FromImage(...).");
}

/// <summary>
/// What a step did. Each step's result derives from this; <see cref="ReportFields"/> is its section of report.json.
/// </summary>
public abstract record StepResult
{
    /// <summary>The image as the step left it.</summary>
    public required PipelineImage Image { get; init; }

    /// <summary>
    /// The fields this step writes into its image's object in report.json (a step that did not run writes none).
    /// Paths are written relative to <paramref name="rootDirectory"/>; <paramref name="all"/> is the whole run, for a
    /// field that tells of other steps too.
    /// </summary>
    public virtual IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) => [];
}
