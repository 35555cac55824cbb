using Docker.DotNet;
using Docker.DotNet.Models;

namespace NukeContainers.Engine;

/// <summary>
/// Removes the containers and working images a run made (those labelled <see cref="ResourceLabels.Run"/>). Like
/// Testcontainers' reaper, but without a helper container: each run sweeps what runs on this machine left behind
/// when their process died, and its own at the end.
/// </summary>
public static class ResourceReaper
{
    /// <summary>Removes what this process's run made; returns how many containers and images went.</summary>
    public static Task<int> ReapOwnAsync(ContainerEngine engine, CancellationToken cancellationToken = default) =>
        ReapAsync(engine, run => run == ResourceLabels.RunId, cancellationToken);

    /// <summary>Removes what runs on this machine whose process has ended left behind.</summary>
    public static Task<int> ReapDeadRunsAsync(ContainerEngine engine, CancellationToken cancellationToken = default) =>
        ReapAsync(engine, ResourceLabels.IsDeadLocalRun, cancellationToken);

    private static async Task<int> ReapAsync(ContainerEngine engine, Func<string, bool> select, CancellationToken cancellationToken)
    {
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [ResourceLabels.Run] = true } };
        var removed = 0;
        var containers = await engine.Client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, cancellationToken);
        foreach (var container in containers.Where(c => select(c.Labels[ResourceLabels.Run])))
            removed += await IgnoreMissing(() => engine.Client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, cancellationToken));
        var images = await engine.Client.Images.ListImagesAsync(new ImagesListParameters { All = false, Filters = filter }, cancellationToken);
        foreach (var image in images.Where(i => select(i.Labels[ResourceLabels.Run])))
            removed += await IgnoreMissing(() => engine.Client.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters { Force = true }, cancellationToken));
        return removed;
    }

    /// Another run may remove the same thing at the same moment.
    private static async Task<int> IgnoreMissing(Func<Task> remove)
    {
        try
        {
            await remove();
            return 1;
        }
        catch (DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict)
        {
            return 0;
        }
    }
}
