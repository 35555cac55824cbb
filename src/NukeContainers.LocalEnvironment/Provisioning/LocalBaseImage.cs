namespace NukeContainers.Provisioning;

/// <summary>A base image made on this machine, standing in for an official one that cannot be pulled here.</summary>
/// <param name="Name">Its short name, which also names its Dockerfile (<c>Provisioning/Dockerfiles/NAME.Dockerfile</c>).</param>
/// <param name="Reference">The image reference it is tagged with, such as <c>local/golang:bookworm</c>.</param>
/// <param name="BuildArg">The build argument through which Dockerfiles take it instead of the official image.</param>
/// <param name="StandsFor">The official image it replaces.</param>
/// <param name="Context">What its build context is.</param>
public sealed record LocalBaseImage(string Name, string Reference, string BuildArg, string StandsFor, BaseImageContext Context)
{
    /// <summary>
    /// The platforms it is made for where the engine keeps its images in containerd (one image each under one index,
    /// so that a multi-platform build finds its platform's); elsewhere, and when empty, the engine's own.
    /// </summary>
    public IReadOnlyList<string> Platforms { get; init; } = [];
}

/// <summary>Where a base image's files come from.</summary>
public enum BaseImageContext
{
    /// <summary>Nothing but the Dockerfile: everything comes from Debian's packages.</summary>
    None,
    /// <summary>A Debian root file system made with debootstrap.</summary>
    Debootstrap,
    /// <summary>This machine's whole .NET folder (the SDK).</summary>
    DotNetSdk,
}
