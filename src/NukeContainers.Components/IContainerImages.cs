using NukeContainers.Build;
using NukeContainers.Images;
using NukeContainers.Reporting;

namespace NukeContainers.Components;

/// <summary>
/// What every container component shares: the images the build delivers (declared once), the registry they are named
/// for, and report.json, through which targets run in later processes continue from what earlier ones left.
/// </summary>
public interface IContainerImages : IBuild
{
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
    async Task<IReadOnlyList<(string Name, ImageReference Reference, Docker.DotNet.Models.ImageInspectResponse Image)>> NamedImagesAsync(
        Engine.ContainerEngine engine, CancellationToken cancellationToken)
    {
        var named = new List<(string, ImageReference, Docker.DotNet.Models.ImageInspectResponse)>();
        foreach (var name in Image)
        {
            var inspected = await engine.InspectImageAsync(name, cancellationToken)
                ?? throw new ParameterException($"--image {name}: the engine has no such image. Build or pull it first, or name one that `docker images` lists.");
            var reference = !name.StartsWith("sha256:", StringComparison.Ordinal) && ImageReference.TryParse(name, out var parsed, out _) && parsed.Digest is null
                ? parsed : ImageReference.Parse("image:" + inspected.ID["sha256:".Length..][..12]);
            named.Add((name, reference, inspected));
        }
        return named;
    }

    /// <summary>A pipeline for an image named with --image: its repository, its name in the log and the report.</summary>
    ImagePipeline PipelineForNamed(string name, ImageReference reference, Docker.DotNet.Models.ImageInspectResponse image) =>
        Containers.Image(reference.Repository).WithName(name).WithLog(line => Log.Info($"[{name}] {line}")).FromImage(image.ID, image.Size);

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
    /// Runs the images' pipelines side by side (<see cref="Parallel"/> at once). Each finished image is handed to
    /// <paramref name="finished"/> and (with <paramref name="report"/>) written to report.json, also when another image
    /// failed; a failure then throws with every image's outcome. See <see cref="Containers.RunAllAsync"/>.
    /// </summary>
    async Task<IReadOnlyList<ImageResult>> RunImagesAsync(IEnumerable<ImagePipeline> pipelines, Engine.ContainerEngine engine, CancellationToken cancellationToken,
        Action<ImageResult>? finished = null, bool report = true, bool stopOnFailure = true)
    {
        IReadOnlyList<ImageResult> results = [];
        var list = pipelines.ToList();
        try
        {
            return results = await Log.ShowProgressAsync(list.Select(p => p.Name).ToList(),
                progress => Containers.RunAllAsync(list, engine, Parallel, cancellationToken, stopOnFailure, progress));
        }
        catch (ImagesFailedException failed)
        {
            results = failed.Results;
            throw;
        }
        finally
        {
            foreach (var result in results) finished?.Invoke(result);
            if (report && results.Count > 0) await AddToReportAsync(results, CancellationToken.None);
        }
    }

    /// <summary>Where report.json and report.md go.</summary>
    AbsolutePath ContainerArtifacts => RootDirectory / "artifacts" / "containers";

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
        Containers.Image(RepositoryOf(image)).WithName(image.Name).WithLog(line => Log.Info($"[{image.Name}] {line}"));

    /// <summary>A key's location as a parameter gives it: <c>env://NAME</c> as it is, a path against the root.</summary>
    string KeyLocation(string location) => location.StartsWith("env://", StringComparison.Ordinal) ? location : Path.GetFullPath(location, RootDirectory);

    /// <summary>
    /// The image as PushImages left it in report.json (its id, size, tags and pushed digest), as a pipeline for a step
    /// that works on the pushed digest; an image not pushed is an error that says to run PushImages before <paramref name="target"/>.
    /// </summary>
    ImagePipeline PushedPipelineFor(ContainerImage image, string target)
    {
        var pushed = ReadReport().Find(image.Name);
        return pushed?.Digest() is { } digest ? PipelineFor(image).FromImage(pushed.ImageId, pushed.SizeBytes, pushed.Tags(), digest)
            : throw new ContainerException($"report.json has no digest for '{image.Name}': push it first (./build.sh PushImages {target}).");
    }

    /// <summary>The registry's host (and port) alone, as the engine and the registry API address it.</summary>
    string RegistryHost => ImageReference.TryParse($"{Registry.TrimEnd('/')}/probe", out var reference, out var error) ? reference.Registry
        : throw new ParameterException($"--registry '{Registry}' is not a registry: {error}");

    /// <summary>report.json as earlier targets left it (empty when there is none).</summary>
    ContainerReport ReadReport() => ContainerReport.ReadOrEmpty(ContainerArtifacts / "report.json");

    /// <summary>Adds results to report.json (and report.md), keeping what earlier targets wrote for other images and steps.</summary>
    async Task<ContainerReport> AddToReportAsync(IEnumerable<ImageResult> results, CancellationToken cancellationToken)
    {
        var report = ReadReport().With(results, RootDirectory);
        await report.WriteAsync(ContainerArtifacts, cancellationToken);
        return report;
    }
}
