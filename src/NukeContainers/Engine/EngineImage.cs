namespace NukeContainers.Engine;

/// <summary>
/// An image as the engine describes it (the Engine API's image inspect), in the product's own terms: what the steps
/// and a team's code read of it, so that the public API carries no Engine API client's types.
/// </summary>
/// <param name="Id">The engine's id of it (<c>sha256:...</c>: the config's digest, or with the containerd store the manifest's).</param>
/// <param name="Size">Its size in bytes, as the engine counts it.</param>
/// <param name="Architecture">Its architecture (<c>amd64</c>, <c>arm64</c>).</param>
/// <param name="Os">Its operating system (<c>linux</c>).</param>
/// <param name="RepoTags">The tags the engine has for it.</param>
/// <param name="RepoDigests">The registry digests the engine knows it by (<c>repository@sha256:...</c>).</param>
/// <param name="Layers">Its layers' diff ids, bottom first.</param>
/// <param name="Labels">Its config's labels.</param>
/// <param name="User">The user its config runs as (<c>65532:65532</c>); empty for root.</param>
public sealed record EngineImage(string Id, long Size, string Architecture, string Os, IReadOnlyList<string> RepoTags, IReadOnlyList<string> RepoDigests,
    IReadOnlyList<string> Layers, IReadOnlyDictionary<string, string> Labels, string User)
{
    internal static EngineImage From(Docker.DotNet.Models.ImageInspectResponse image) => new(
        image.ID, image.Size, image.Architecture ?? "", image.Os ?? "", [.. image.RepoTags ?? []], [.. image.RepoDigests ?? []],
        [.. image.RootFS?.Layers ?? []], new Dictionary<string, string>(image.Config?.Labels ?? new Dictionary<string, string>()), image.Config?.User ?? "");
}
