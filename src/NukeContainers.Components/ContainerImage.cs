using NukeContainers.Build;

namespace NukeContainers.Components;

/// <summary>An image the build delivers, declared once in <see cref="IContainerImages.Images"/>.</summary>
/// <param name="Name">Its short name: the report's key, <c>--image-names</c>'s value, and the repository's default path.</param>
/// <param name="Context">The build context folder.</param>
public sealed record ContainerImage(string Name, AbsolutePath Context)
{
    /// <summary>The Dockerfile, relative to the context; <c>Dockerfile</c> when not set.</summary>
    public string? Dockerfile { get; init; }

    /// <summary>The multi-stage target; the last stage when not set.</summary>
    public string? Target { get; init; }

    /// <summary>The repository path under the registry (<c>samples/go-api</c>); the name when not set.</summary>
    public string? Repository { get; init; }

    /// <summary>A Dockerfile of the same app without the optimisations, built to measure against (relative to the context).</summary>
    public string? Baseline { get; init; }

    /// <summary>The most the image may weigh as a share of its baseline (0.02 is 2%); its build step fails over it (BuildImages, Publish), so it is never pushed.</summary>
    public double? SizeBudget { get; init; }

    /// <summary>The Kubernetes deployment RolloutImages updates; the name when not set.</summary>
    public string? Deployment { get; init; }

    /// <summary>The container in that deployment; its only one, or the one running this repository, when not set.</summary>
    public string? Container { get; init; }
}
