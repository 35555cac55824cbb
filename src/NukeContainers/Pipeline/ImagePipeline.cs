using System.Collections.Immutable;
using System.Diagnostics.Contracts;
using NukeContainers.Images;

namespace NukeContainers;

/// <summary>
/// An image's pipeline, immutable: every method returns a new pipeline, so a half-configured one can be shared and
/// specialised. It holds the settings of the steps asked for; <see cref="RunAsync(Engine.ContainerEngine, CancellationToken)"/> runs them in
/// <see cref="StepOrder"/>. The steps' verbs are in their folders (<c>Building/ImagePipeline.Build.cs</c> ...).
/// </summary>
public sealed partial record ImagePipeline
{
    internal ImagePipeline(ImageReference repository)
    {
        Repository = repository;
        Name = repository.Name;
    }

    /// <summary>The image repository, such as <c>127.0.0.1:5000/samples/go-api</c>.</summary>
    public ImageReference Repository { get; private init; }

    /// <summary>The name the report uses; the repository's last path component unless set.</summary>
    public string Name { get; private init; }

    /// <summary>Where progress lines go; the console unless set.</summary>
    public Action<string> Log { get; private init; } = Console.WriteLine;

    /// <summary>The steps asked for, in the order they run.</summary>
    public ImmutableList<IPipelineStep> Steps { get; private init; } = [];

    /// <summary>The image the first step starts from, when no step builds one (set by <see cref="FromImage"/>).</summary>
    public PipelineImage? StartImage { get; private init; }

    /// <summary>The name the report uses for this image.</summary>
    [Pure] public ImagePipeline WithName(string name) => this with { Name = name };

    /// <summary>Sends progress lines somewhere else, such as the build log.</summary>
    [Pure] public ImagePipeline WithLog(Action<string> log) => this with { Log = log };

    /// <summary>
    /// Starts from an image the engine already has (its id or a reference), for pipelines without a build step, such
    /// as tagging or pushing what an earlier run built; <paramref name="digest"/> is its registry digest once pushed
    /// (what a rollout deploys), <paramref name="build"/> what it was built from (for slim's base, the provenance, the
    /// cache export), <paramref name="versionTag"/> the tag among <paramref name="tags"/> that names its version.
    /// </summary>
    [Pure] public ImagePipeline FromImage(string imageId, long sizeBytes = 0, IEnumerable<string>? tags = null, string? digest = null,
        Building.BuildSettings? build = null, string? versionTag = null) =>
        this with
        {
            StartImage = new PipelineImage(Repository)
            {
                ImageId = imageId, SizeBytes = sizeBytes, Tags = Images.TagSet.Of(tags ?? []), Digest = digest, Build = build, VersionTag = versionTag,
            },
        };

    /// <summary>Adds a step, or replaces the step of the same name; steps run in their <see cref="IPipelineStep.Order"/>.</summary>
    [Pure] public ImagePipeline WithStep(IPipelineStep step) =>
        this with { Steps = [.. Steps.Where(s => s.Name != step.Name).Append(step).OrderBy(s => s.Order)] };

    /// <summary>The step of a type, if the pipeline has one.</summary>
    public T? Step<T>() where T : class, IPipelineStep => Steps.OfType<T>().FirstOrDefault();

    /// <summary>Changes a step's settings, starting from <paramref name="initial"/> when the pipeline does not have that step yet.</summary>
    [Pure] internal ImagePipeline Configure<T>(T initial, Func<T, T> change) where T : class, IPipelineStep =>
        WithStep(change(Step<T>() ?? initial));
}
