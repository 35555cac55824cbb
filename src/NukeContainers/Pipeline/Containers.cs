using NukeContainers.Images;

namespace NukeContainers;

/// <summary>The entry point of the pipeline DSL: <c>Containers.Image("127.0.0.1:5000/samples/go-api").FromDockerfile(...)...RunAsync(engine, ct)</c>.</summary>
public static partial class Containers
{
    /// <summary>
    /// Starts a pipeline for an image repository, such as <c>127.0.0.1:5000/samples/go-api</c>; a name that breaks
    /// the distribution reference grammar, or that carries a tag or digest, is refused with the part that is wrong.
    /// </summary>
    public static ImagePipeline Image(string repository)
    {
        try
        {
            return new ImagePipeline(ImageReference.Repo(repository));
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, nameof(repository), e);
        }
    }

    /// <summary>Starts a pipeline for an image repository.</summary>
    public static ImagePipeline Image(ImageReference repository) => new(ImageReference.Repo(repository.Repository));
}
