namespace NukeContainers.Engine;

/// <summary>Where an engine keeps its images, which decides what its BuildKit can do (an index of several platforms, a registry cache export).</summary>
public enum ImageStore
{
    /// <summary>The graph driver's store (overlay2): one platform an image (Docker 20.10, and later engines without the containerd store).</summary>
    GraphDriver,
    /// <summary>The containerd image store (Docker 24 and later when turned on, Docker 29's default): indexes, attestations, registry cache exports.</summary>
    Containerd,
}
