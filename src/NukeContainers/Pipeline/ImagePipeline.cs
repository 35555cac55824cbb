using System.Collections.Immutable;
using System.Diagnostics.Contracts;
using NukeContainers.Images;

namespace NukeContainers;

/// <summary>
/// An image's pipeline, immutable: every method returns a new pipeline, so a half-configured one can be shared and
/// specialised. It holds the settings of the steps asked for; <see cref="RunAsync(Engine.ContainerEngine, CancellationToken)"/> runs them in
/// the order their names declare (<see cref="IPipelineStep.After"/>). The steps' verbs are in their folders (<c>Building/ImagePipeline.Build.cs</c> ...).
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

    /// <summary>
    /// What the run masks in its log lines, messages and reports: the values it was told are secret (its build
    /// secrets, a registry password) and what the secret rules find. A pipeline has its own unless given one
    /// (<see cref="WithMasker"/>: a build shares one among its images and with its log).
    /// </summary>
    public Scanning.Masker Masker { get; private init; } = new();

    /// <summary>
    /// The registry clients its steps share (one a registry: one token handshake a repository a run). A pipeline has
    /// its own unless given some (<see cref="WithRegistries"/>: a build shares them among its images).
    /// </summary>
    public Registry.RegistryClients Registries { get; private init; } = new();

    /// <summary>The steps asked for, in the order they run: each after the steps its <see cref="IPipelineStep.After"/> names.</summary>
    public ImmutableList<IPipelineStep> Steps { get; private init; } = [];

    /// <summary>The steps in the order they were added, which orders the steps that name none of each other.</summary>
    private ImmutableList<IPipelineStep> Added { get; init; } = [];

    /// <summary>The image the first step starts from, when no step builds one (set by <see cref="FromImage"/>).</summary>
    public PipelineImage? StartImage { get; private init; }

    /// <summary>The name the report uses for this image.</summary>
    [Pure] public ImagePipeline WithName(string name) => this with { Name = name };

    /// <summary>Sends progress lines somewhere else, such as the build log.</summary>
    [Pure] public ImagePipeline WithLog(Action<string> log) => this with { Log = log };

    /// <summary>Masks with this masker (shared with other pipelines, or a build log's) instead of the pipeline's own.</summary>
    [Pure] public ImagePipeline WithMasker(Scanning.Masker masker) => this with { Masker = masker };

    /// <summary>Shares these registry clients (with the other images of a build) instead of the pipeline's own.</summary>
    [Pure] public ImagePipeline WithRegistries(Registry.RegistryClients registries) => this with { Registries = registries };

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

    /// <summary>
    /// Adds a step, or replaces the step of the same name (in its place); the steps run in the order their
    /// <see cref="IPipelineStep.After"/> and <see cref="IPipelineStep.Before"/> names declare. Steps that must run
    /// after each other both ways are an error that names them.
    /// </summary>
    [Pure] public ImagePipeline WithStep(IPipelineStep step)
    {
        var added = Added.FindIndex(s => s.Name == step.Name) is var index and >= 0 ? Added.SetItem(index, step) : Added.Add(step);
        return this with { Added = added, Steps = Ordered(added) };
    }

    /// The steps in an order where each runs after what it names (Kahn's algorithm): of the steps whose
    /// predecessors have all run, the one added first.
    private ImmutableList<IPipelineStep> Ordered(ImmutableList<IPipelineStep> added)
    {
        var before = Predecessors(added);
        var ordered = ImmutableList.CreateBuilder<IPipelineStep>();
        var placed = new HashSet<string>();
        while (ordered.Count < added.Count)
        {
            var next = added.FirstOrDefault(s => !placed.Contains(s.Name) && before[s.Name].All(placed.Contains))
                ?? throw new ContainerException($"The steps of {Repository} cannot be ordered: {string.Join(", ", added.Where(s => !placed.Contains(s.Name)).Select(s => $"{s.Name} runs after {string.Join(" and ", before[s.Name].Where(n => !placed.Contains(n)))}"))}. " +
                                                "Change the After (or Before) of the step of your own so that it names no step that runs after it.");
            ordered.Add(next);
            placed.Add(next.Name);
        }
        return ordered.ToImmutable();
    }

    /// <summary>The steps in the order they run, each with what it runs after: <c>push (after tag, scan)</c>, one a line.</summary>
    public string StepGraph()
    {
        var before = Predecessors(Steps);
        return string.Join("\n", Steps.Select(s => before[s.Name].Count == 0 ? s.Name : $"{s.Name} (after {string.Join(", ", before[s.Name])})"));
    }

    /// Each step's predecessors among these steps: what its After names, then the steps whose Before names it.
    private static Dictionary<string, List<string>> Predecessors(IReadOnlyList<IPipelineStep> steps)
    {
        var names = steps.Select(s => s.Name).ToHashSet();
        var before = steps.ToDictionary(s => s.Name, s => s.After.Where(names.Contains).Distinct().ToList());
        foreach (var step in steps)
            foreach (var later in step.Before.Where(names.Contains))
                if (!before[later].Contains(step.Name)) before[later].Add(step.Name);
        return before;
    }

    /// <summary>The step of a type, if the pipeline has one.</summary>
    public T? Step<T>() where T : class, IPipelineStep => Steps.OfType<T>().FirstOrDefault();

    /// <summary>Changes a step's settings, starting from <paramref name="initial"/> when the pipeline does not have that step yet.</summary>
    [Pure] internal ImagePipeline Configure<T>(T initial, Func<T, T> change) where T : class, IPipelineStep =>
        WithStep(change(Step<T>() ?? initial));
}
