using Docker.DotNet.Models;

namespace NukeContainers.Engine;

/// Containers: run one to its end, or start one in the background; the run's own.
public sealed partial class ContainerEngine
{
    /// <summary>
    /// Runs a command in a new container of the image, waits for it, and removes the container, also when cancelled.
    /// The container gets the host's network (apps listen on 127.0.0.1) or none.
    /// </summary>
    public async Task<ContainerRun> RunAsync(string image, IReadOnlyList<string>? command = null, bool hostNetwork = false, CancellationToken cancellationToken = default)
    {
        await using var container = await CreateAndStartAsync(image, command, null, hostNetwork, cancellationToken);
        var wait = await Client.Containers.WaitContainerAsync(container.Id, cancellationToken);
        var (stdout, stderr) = await ReadLogsAsync(container.Id, cancellationToken);
        return new ContainerRun(wait.StatusCode, stdout, stderr);
    }

    /// <summary>
    /// Starts a container of the image in the background on the host's network (its apps listen on 127.0.0.1);
    /// disposing the handle stops and removes it.
    /// </summary>
    public Task<RunningContainer> StartAsync(string image, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? command = null, CancellationToken cancellationToken = default) =>
        CreateAndStartAsync(image, command, environment, hostNetwork: true, cancellationToken);

    private async Task<RunningContainer> CreateAndStartAsync(string image, IReadOnlyList<string>? command,
        IReadOnlyDictionary<string, string>? environment, bool hostNetwork, CancellationToken cancellationToken)
    {
        var created = await Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Cmd = command?.ToList() ?? [],
            Env = environment?.Select(e => $"{e.Key}={e.Value}").ToList() ?? [],
            HostConfig = new HostConfig { NetworkMode = hostNetwork ? "host" : "none" },
            Labels = new Dictionary<string, string> { [ResourceLabels.Run] = ResourceLabels.RunId },
        }, cancellationToken);
        var container = new RunningContainer(this, created.ID);
        try
        {
            await Client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            return container;
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }

    internal async Task<(string Stdout, string Stderr)> ReadLogsAsync(string containerId, CancellationToken cancellationToken)
    {
        using var logs = await Client.Containers.GetContainerLogsAsync(containerId,
            new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, cancellationToken);
        return await logs.ReadOutputToEndAsync(cancellationToken);
    }

    /// <summary>The ids of the containers this process's run made that still exist, running or not.</summary>
    public async Task<IReadOnlyList<string>> OwnContainerIdsAsync(CancellationToken cancellationToken = default) =>
        (await Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{ResourceLabels.Run}={ResourceLabels.RunId}"] = true } },
        }, cancellationToken)).Select(c => c.ID).ToList();
}

/// <summary>A container started in the background; disposing it stops and removes it.</summary>
public sealed class RunningContainer(ContainerEngine engine, string id) : IAsyncDisposable
{
    /// <summary>The container's id.</summary>
    public string Id { get; } = id;

    /// <summary>What the container has printed so far.</summary>
    public async Task<string> LogsAsync(CancellationToken cancellationToken = default)
    {
        var (stdout, stderr) = await engine.ReadLogsAsync(Id, cancellationToken);
        return stdout + stderr;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() =>
        await engine.Client.Containers.RemoveContainerAsync(Id, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
}

/// <summary>What a container run printed and how it exited.</summary>
public sealed record ContainerRun(long ExitCode, string StandardOutput, string StandardError);
