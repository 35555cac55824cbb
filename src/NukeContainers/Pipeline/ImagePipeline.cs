using System.Diagnostics.Contracts;
using NukeContainers.Building;

namespace NukeContainers;

/// <summary>
/// An image's pipeline, immutable: every method returns a new pipeline, so a half-configured one can be shared and
/// specialized. Steps run in a fixed order when <see cref="RunAsync"/> is called; this release has the build step.
/// </summary>
public sealed partial record ImagePipeline
{
    internal ImagePipeline(string repository)
    {
        Repository = repository;
        Name = repository[(repository.LastIndexOf('/') + 1)..];
    }

    /// <summary>The image repository, such as <c>127.0.0.1:5000/samples/go-api</c>.</summary>
    public string Repository { get; }

    /// <summary>The build step's settings.</summary>
    public BuildSettings Build { get; init; } = new();

    /// <summary>Extra tags the build puts on the image (full references, or tags of <see cref="Repository"/>).</summary>
    public IReadOnlyList<string> BuildTags { get; init; } = [];

    /// <summary>The name the report uses; the repository's last segment when not set.</summary>
    public string Name { get; init; }

    /// <summary>A Dockerfile (relative to the context) of the same app built without the optimisations, to measure against.</summary>
    public string? BaselineDockerfile { get; init; }

    /// <summary>Where progress lines go; the console when not set.</summary>
    public Action<string> Log { get; init; } = Console.WriteLine;

    /// <summary>Builds from a context folder; the Dockerfile is <c>Dockerfile</c> in it unless named.</summary>
    [Pure] public ImagePipeline FromDockerfile(string contextDirectory, string? dockerfile = null) =>
        this with { Build = Build with { ContextDirectory = contextDirectory, Dockerfile = dockerfile ?? Build.Dockerfile } };

    /// <summary>The Dockerfile, relative to the context folder.</summary>
    [Pure] public ImagePipeline Dockerfile(string dockerfile) => this with { Build = Build with { Dockerfile = dockerfile } };

    /// <summary>The multi-stage target to build.</summary>
    [Pure] public ImagePipeline Target(string stage) => this with { Build = Build with { Target = stage } };

    /// <summary>A value for one of the Dockerfile's ARGs.</summary>
    [Pure] public ImagePipeline BuildArg(string name, string value) =>
        this with { Build = Build with { BuildArgs = With(Build.BuildArgs, name, value) } };

    /// <summary>Values for several of the Dockerfile's ARGs, such as <c>LocalBaseImages.BuildArgs</c>.</summary>
    [Pure] public ImagePipeline BuildArgs(IReadOnlyDictionary<string, string> values) =>
        this with { Build = Build with { BuildArgs = values.Aggregate(new Dictionary<string, string>(Build.BuildArgs), (all, v) => { all[v.Key] = v.Value; return all; }) } };

    /// <summary>A label on the image.</summary>
    [Pure] public ImagePipeline Label(string name, string value) =>
        this with { Build = Build with { Labels = With(Build.Labels, name, value) } };

    /// <summary>The platform to build for, such as <c>linux/amd64</c>.</summary>
    [Pure] public ImagePipeline Platform(string platform) => this with { Build = Build with { Platform = platform } };

    /// <summary>Builds every step anew, ignoring the cache.</summary>
    [Pure] public ImagePipeline NoCache(bool noCache = true) => this with { Build = Build with { NoCache = noCache } };

    /// <summary>The network RUN steps get (host by default).</summary>
    [Pure] public ImagePipeline Network(NetworkMode mode) => this with { Build = Build with { Network = mode } };

    /// <summary>Which of the engine's builders to use (BuildKit by default).</summary>
    [Pure] public ImagePipeline UseBuilder(Builder builder) => this with { Build = Build with { Builder = builder } };

    /// <summary>
    /// Also builds the same context with another Dockerfile, the way the app was built before it was optimised,
    /// and reports both sizes: <c>.CompareWith("Dockerfile.naive")</c>.
    /// </summary>
    [Pure] public ImagePipeline CompareWith(string baselineDockerfile) => this with { BaselineDockerfile = baselineDockerfile };

    /// <summary>The name the report uses for this image.</summary>
    [Pure] public ImagePipeline Named(string name) => this with { Name = name };

    /// <summary>Tags the build also puts on the image.</summary>
    [Pure] public ImagePipeline WithBuildTags(params string[] tags) => this with { BuildTags = [.. BuildTags, .. tags] };

    /// <summary>Changes the build settings in one go.</summary>
    [Pure] public ImagePipeline ConfigureBuild(Func<BuildSettings, BuildSettings> configure) => this with { Build = configure(Build) };

    /// <summary>Sends progress lines somewhere else, such as the build log.</summary>
    [Pure] public ImagePipeline WithLog(Action<string> log) => this with { Log = log };

    private static Dictionary<string, string> With(IReadOnlyDictionary<string, string> values, string name, string value) =>
        new(values) { [name] = value };
}
