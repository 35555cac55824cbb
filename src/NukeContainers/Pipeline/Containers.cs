namespace NukeContainers;

/// <summary>The entry point of the pipeline DSL: <c>Containers.Image("127.0.0.1:5000/samples/go-api").FromDockerfile(...)...RunAsync(engine, ct)</c>.</summary>
public static class Containers
{
    /// <summary>Starts a pipeline for an image repository, such as <c>127.0.0.1:5000/samples/go-api</c>.</summary>
    public static ImagePipeline Image(string repository) =>
        string.IsNullOrWhiteSpace(repository) || repository.Any(char.IsUpper) || repository.Contains(' ')
            ? throw new ArgumentException($"'{repository}' is not an image repository: use lower case, as in 127.0.0.1:5000/team/app.", nameof(repository))
            : new ImagePipeline(repository);
}
