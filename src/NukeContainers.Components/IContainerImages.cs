using NukeContainers.Build;
using NukeContainers.Images;
using NukeContainers.Reporting;

namespace NukeContainers.Components;

/// <summary>
/// What every container component shares: the images the build delivers (declared once), the registry they are named
/// for, and report.json, through which targets run in later processes continue from what earlier ones left.
/// </summary>
public interface IContainerImages : IBuild, IOnBuildInitialized
{
    /// <summary>
    /// One masker for the build: the library's (build secrets, registry passwords it was given, token patterns) and
    /// the build log's ([Secret] parameters) are linked, so each hides what the other knows.
    /// </summary>
    void IOnBuildInitialized.OnBuildInitialized() => Log.Masker.Link(ContainerMasker.Hide, ContainerMasker.Apply);

    /// <summary>
    /// The masker of this build's images: every pipeline the components start shares it (a build secret one image's
    /// build was given is masked in all), and it is linked with the build log's.
    /// </summary>
    Scanning.Masker ContainerMasker => Maskers.GetValue(this, _ => new Scanning.Masker());

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IContainerImages, Scanning.Masker> Maskers = new();

    /// <summary>The registry clients of this build's images: every pipeline and target of the build shares them (one token handshake a repository).</summary>
    Registry.RegistryClients ContainerRegistries => Registries.GetValue(this, _ => new Registry.RegistryClients());

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IContainerImages, Registry.RegistryClients> Registries = new();

    /// <summary>A registry user, when the docker config has none.</summary>
    [Parameter("The registry user, when the docker config (docker login) has none")]
    string? RegistryUsername => TryGetValue(() => RegistryUsername);

    /// <summary>The registry password or token; masked in every log line.</summary>
    [Parameter("The registry password or token, when the docker config has none"), Secret]
    string? RegistryPassword => TryGetValue(() => RegistryPassword);

    /// <summary>The credentials given as parameters, if both are.</summary>
    Registry.RegistryCredentials? GivenCredentials => RegistryUsername is { } user && RegistryPassword is { } password ? new Registry.RegistryCredentials(user, password) : null;

    /// <summary>The images this build delivers. A build declares them by overriding this property.</summary>
    IReadOnlyList<ContainerImage> Images { get; }

    /// <summary>The registry the images are named for and pushed to.</summary>
    [Parameter("The registry the images are named for and pushed to, such as 127.0.0.1:5000 or registry.example.com/team")]
    string Registry => TryGetValue(() => Registry) ?? "127.0.0.1:5000";

    /// <summary>The declared images to work on; all when not given.</summary>
    [Parameter("Only these images, by name (all declared images when not given)")]
    string[] ImageNames => TryGetValue(() => ImageNames) ?? [];

    /// <summary>Images the engine has to work on instead of the built ones (SlimImages, ScanImages).</summary>
    [Parameter("Work on this image the engine has (a name such as app:1.2, or an id) instead of the built ones (SlimImages, ScanImages). Repeatable")]
    string[] Image => TryGetValue(() => Image) ?? [];

    /// <summary>The images named with --image: each one's reference (a made-up <c>image:ID</c> for a bare id) and the engine's view of it.</summary>
    async Task<IReadOnlyList<(string Name, ImageReference Reference, Engine.EngineImage Image)>> NamedImagesAsync(
        Engine.ContainerEngine engine, CancellationToken cancellationToken)
    {
        var named = new List<(string, ImageReference, Engine.EngineImage)>();
        foreach (var name in Image)
        {
            var inspected = await engine.InspectImageAsync(name, cancellationToken)
                ?? throw new ParameterException($"--image {name}: the engine has no such image. Build or pull it first, or name one that `docker images` lists.");
            var reference = !name.StartsWith("sha256:", StringComparison.Ordinal) && ImageReference.TryParse(name, out var parsed, out _) && parsed.Digest is null
                ? parsed : ImageReference.Parse("image:" + inspected.Id["sha256:".Length..][..12]);
            named.Add((name, reference, inspected));
        }
        return named;
    }

    /// <summary>A pipeline for an image named with --image: its repository, its name in the log and the report.</summary>
    ImagePipeline PipelineForNamed(string name, ImageReference reference, Engine.EngineImage image) =>
        Containers.Image(reference.Repository).WithName(name).WithMasker(ContainerMasker).WithRegistries(ContainerRegistries).WithLog(line => Log.Info($"[{name}] {line}")).FromImage(image.Id, image.Size);

    /// <summary>
    /// A configuration file a target reads when there is one: the file a parameter names (which must exist), else the
    /// one of that name in the root, else null.
    /// </summary>
    string? OptionalFile(string? given, string nameInRoot, string parameter)
    {
        var file = given is null ? (string)(RootDirectory / nameInRoot) : Path.GetFullPath(given, RootDirectory);
        if (File.Exists(file)) return file;
        return given is null ? null : throw new ParameterException($"{parameter} names {file}, which does not exist.");
    }

    /// <summary>How many images each step works on side by side.</summary>
    [Parameter("How many images each step works on side by side (the core count when not given); 1 works on them one after another")]
    int Parallel => TryGetValue<int?>(() => Parallel) ?? Environment.ProcessorCount;

    /// <summary>
    /// Runs the images' pipelines side by side (<see cref="Parallel"/> at once; <paramref name="engine"/> may be null when
    /// no step needs one). Each finished image is handed to <paramref name="finished"/> and (with <paramref name="report"/>)
    /// written to report.json, also when another image failed, as is what a failed image did (with an image to show).
    /// An image whose run failed or was cancelled keeps what earlier runs delivered in report.json, with the failed
    /// attempt beside it (<c>failedAttempt</c>). A failure then throws with every image's outcome.
    /// <paramref name="parallelism"/> overrides <see cref="Parallel"/>. See <see cref="Containers.RunAllAsync"/>.
    /// </summary>
    async Task<IReadOnlyList<ImageResult>> RunImagesAsync(IEnumerable<ImagePipeline> pipelines, Engine.ContainerEngine? engine, CancellationToken cancellationToken,
        Action<ImageResult>? finished = null, bool report = true, bool stopOnFailure = true, int? parallelism = null)
    {
        IReadOnlyList<ImageResult> results = [];
        IReadOnlyList<ImageResult> unfinished = [];
        IReadOnlyDictionary<string, string> failures = new Dictionary<string, string>();
        var list = pipelines.ToList();
        try
        {
            // report.json gets each image as it finishes (a run that is killed keeps those), and all again at the end.
            Func<ImageResult, Task>? record = report ? result => WriteReportAsync([result], new Dictionary<string, string>(), jobSummary: false) : null;
            return results = await Log.ShowProgressAsync(list.Select(p => p.Name).ToList(),
                progress => Containers.RunAllAsync(list, engine, parallelism ?? Parallel, cancellationToken, stopOnFailure, progress, record));
        }
        catch (ImagesFailedException failed)
        {
            results = failed.Results;
            unfinished = failed.Unfinished.Where(r => r.Image.ImageId is not null).ToList();
            failures = failed.Outcomes.Where(o => o.Result is null).ToDictionary(o => o.Name, o => ContainerMasker.Apply(o.ToString()[(o.Name.Length + 2)..]));
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            failures = list.ToDictionary(p => p.Name, _ => "cancelled");
            throw;
        }
        finally
        {
            foreach (var result in results) finished?.Invoke(result);
            if (report && results.Count + unfinished.Count + failures.Count > 0)
                await WriteReportAsync(results.Concat(unfinished), failures);
        }
    }

    /// <summary>
    /// Adds what these images did (and the failures) to report.json, keeping what earlier runs delivered; with
    /// <paramref name="jobSummary"/> (when all have ended), report.md also goes to the CI job's summary.
    /// </summary>
    private async Task WriteReportAsync(IEnumerable<ImageResult> results, IReadOnlyDictionary<string, string> failures, bool jobSummary = true)
    {
        var report = ReadReport().With(results, RootDirectory).WithFailedAttempts(failures, DateTimeOffset.UtcNow);
        await report.WriteAsync(ContainerArtifacts, CancellationToken.None);
        if (jobSummary) Log.Ci.Summary(report.ToMarkdown());
    }

    /// <summary>
    /// Connects to the engine DOCKER_HOST, the docker context, the default socket or an embedded engine's socket offers
    /// (installing nothing), and says which it took.
    /// </summary>
    async Task<Engine.ContainerEngine> ConnectEngineAsync(CancellationToken cancellationToken)
    {
        var engine = await Engine.ContainerEngine.ConnectAsync(cancellationToken: cancellationToken);
        Log.Info($"Engine: {engine.Endpoint.Uri} ({engine.Endpoint.Source})");
        return engine;
    }

    /// <summary>Where report.json and report.md go.</summary>
    AbsolutePath ContainerArtifacts => RootDirectory / "artifacts" / "containers";

    /// <summary>
    /// The parameters every container target reads, checked before any target runs (a target's <c>Validates</c>):
    /// --parallel, --image-names and --registry.
    /// </summary>
    void CheckImageParameters()
    {
        if (Parallel < 1) throw new ParameterException($"--parallel got {Parallel}; give 1 or more (1 works on the images one after another).");
        foreach (var image in SelectedImages()) RepositoryOf(image);
    }

    /// <summary>The declared images that <see cref="ImageNames"/> selects; an unknown name is an error that lists the declared ones.</summary>
    IReadOnlyList<ContainerImage> SelectedImages()
    {
        var unknown = ImageNames.Where(n => Images.All(i => i.Name != n)).ToList();
        if (unknown.Count > 0)
            throw new ParameterException($"--image-names: there is no declared image {string.Join(", ", unknown.Select(n => $"'{n}'"))}. The images are: {string.Join(", ", Images.Select(i => i.Name))}.");
        return ImageNames.Length == 0 ? Images : Images.Where(i => ImageNames.Contains(i.Name)).ToList();
    }

    /// <summary>The image's repository under <see cref="Registry"/>; a registry value that cannot name one is an error naming --registry.</summary>
    ImageReference RepositoryOf(ContainerImage image)
    {
        var text = $"{Registry.TrimEnd('/')}/{image.Repository ?? image.Name}";
        return ImageReference.TryParse(text, out var reference, out var error) && reference.Tag is null && reference.Digest is null
            ? reference
            : throw new ParameterException($"--registry '{Registry}' does not make a valid repository for {image.Name} ('{text}'): {error} Give a registry host with an optional path, such as 127.0.0.1:5000 or registry.example.com/team.");
    }

    /// <summary>An image's pipeline as every component starts it: its repository, its name, and its lines in the log, prefixed with the name.</summary>
    ImagePipeline PipelineFor(ContainerImage image) =>
        Containers.Image(RepositoryOf(image)).WithName(image.Name).WithMasker(ContainerMasker).WithRegistries(ContainerRegistries).WithLog(line => Log.Info($"[{image.Name}] {line}"));

    /// <summary>An image's pipeline from the start: the restore-cache step (IRestoreCache), then its build (IBuildImages).</summary>
    ImagePipeline BuildingPipelineFor(ContainerImage image, RunFacts facts) =>
        WithSteps(PipelineFor(image), new ImageStepContext(image, facts), StepNames.RestoreCache, StepNames.Build);

    /// <summary>Every image step the build takes: its components' and its own (<see cref="ImageStep"/>).</summary>
    IReadOnlyList<ImageStep> ImageSteps => ImageStep.Of(this);

    /// <summary>Adds the build's image steps of those names to a pipeline (all of them when none is named); a name the build has no step of adds nothing.</summary>
    ImagePipeline WithSteps(ImagePipeline pipeline, ImageStepContext context, params string[] names) =>
        ImageStep.AddAll(ImageSteps.Where(s => names.Length == 0 || names.Contains(s.Name)), pipeline, context);

    /// <summary>An image's name as a file's or folder's in the artifacts: letters, digits, '-', '.' and '_' kept, the rest '_'.</summary>
    string ArtifactName(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'));

    /// <summary>A key's location as a parameter gives it: <c>env://NAME</c> as it is, a path against the root.</summary>
    string KeyLocation(string location) => location.StartsWith("env://", StringComparison.Ordinal) ? location : Path.GetFullPath(location, RootDirectory);

    /// <summary>
    /// The selected images as earlier targets left them in report.json (read once): each one's entry, and its pipeline
    /// started from it (its id, size, tags, version tag and pushed digest, and what <see cref="RecipeOf"/> says it is
    /// built from) for a single step. An image that has not got as far as <paramref name="needs"/> is an error that
    /// names the target to run before <paramref name="target"/>.
    /// </summary>
    IReadOnlyList<ResumedImage> ResumedImages(string target, ResumeFrom needs = ResumeFrom.Built)
    {
        var report = ReadReport();
        return SelectedImages().Select(image => Resumed(report.Find(image.Name), image, target, needs)).ToList();
    }

    private ResumedImage Resumed(ImageReport? entry, ContainerImage image, string target, ResumeFrom needs)
    {
        var (missing, before) = needs switch
        {
            _ when entry is null => ("no image", "BuildImages"),
            ResumeFrom.Tagged when entry.Tags() is not { Count: > 0 } => ("no tags for", "TagImages"),
            ResumeFrom.Pushed when entry.Digest() is null => ("no digest for", "PushImages"),
            _ => (null, null),
        };
        if (missing is not null)
            throw new ContainerException($"report.json has {missing} '{image.Name}': run {before} first (./build.sh {before} {target}).");
        return new ResumedImage(image, entry!, PipelineFor(image).FromImage(entry!.ImageId, entry.SizeBytes, entry.Tags(), entry.Digest(), RecipeOf(image), entry.VersionTag()));
    }

    // The seams that are not steps. Each component adds its step(s) to an image's pipeline through an ImageStep property
    // of its own (ImageSteps gathers them); Publish takes them all, a single-step target its own on the image as
    // report.json has it (ResumedImages). A build overrides a component's ImageStep, or its settings hook, to change what
    // that step does in every target that runs it, and adds an ImageStep property to add a step of its own.

    /// <summary>What the run's steps share, read once: git's commit, branch, time and remote (ITagImages adds the version).</summary>
    async Task<RunFacts> RunFactsAsync(CancellationToken cancellationToken) => (await RunFacts.ReadAsync(RootDirectory, null, cancellationToken)).Facts;

    /// <summary>What an image is built from, for steps in a later process (slim's base, the provenance, the cache export); null without IBuildImages.</summary>
    Building.BuildSettings? RecipeOf(ContainerImage image) => null;

    /// <summary>Tags that keep the build cache of the branch, which the tag step adds and the push moves (IRestoreCache).</summary>
    IEnumerable<string> CacheTags(RunFacts facts) => [];

    /// <summary>The registry's host (and port) alone, as the engine and the registry API address it.</summary>
    string RegistryHost => ImageReference.TryParse($"{Registry.TrimEnd('/')}/probe", out var reference, out var error) ? reference.Registry
        : throw new ParameterException($"--registry '{Registry}' is not a registry: {error}");

    /// <summary>report.json as earlier targets left it (empty when there is none).</summary>
    ContainerReport ReadReport() => ContainerReport.ReadOrEmpty(ContainerArtifacts / "report.json");
}
