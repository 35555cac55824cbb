using Docker.DotNet;
using Docker.DotNet.Models;
using NukeContainers.Building;
using NukeContainers.Utils;

namespace NukeContainers.Engine;

/// <summary>
/// A Docker engine reached over its unix socket: Docker.DotNet for the typed API, and raw HTTP for the build
/// endpoint whose BuildKit progress Docker.DotNet cannot read.
/// </summary>
public sealed class ContainerEngine : IDisposable
{
    private ContainerEngine(string socketPath)
    {
        SocketPath = socketPath;
        Http = UnixHttp.Create(socketPath);
        Client = new DockerClientBuilder().WithEndpoint(new Uri("unix://" + socketPath)).Build();
    }

    /// <summary>The engine's socket.</summary>
    public string SocketPath { get; }

    /// <summary>The typed Engine API client, for what the pipeline does not cover.</summary>
    public IDockerClient Client { get; }

    internal HttpClient Http { get; }

    /// <summary>Connects to the engine at a unix socket.</summary>
    public static ContainerEngine Connect(string socketPath) => new(socketPath);

    /// <summary>Finds or starts the local environment (<see cref="LocalEnvironment.EnsureAsync"/>) and connects to its engine.</summary>
    public static async Task<ContainerEngine> ConnectLocalAsync(LocalEnvironmentOptions? options = null, CancellationToken cancellationToken = default) =>
        Connect((await LocalEnvironment.EnsureAsync(options, cancellationToken)).EngineSocket);

    /// <summary>
    /// Builds an image from a context; see <see cref="BuildSettings"/>. An engine without BuildKit gets the legacy builder.
    /// </summary>
    public async Task<BuildResult> BuildAsync(BuildContext context, BuildSettings settings, IReadOnlyList<string> tags, Action<string> log, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ImageBuilder.BuildAsync(Http, context, settings, tags, log, cancellationToken);
        }
        catch (BuildRefusedException refused) when (refused.BuildKitUnavailable)
        {
            log($"{refused.Message}; building with the legacy builder instead.");
            return await ImageBuilder.BuildAsync(Http, context, settings with { Builder = Builder.Legacy }, tags, log, cancellationToken);
        }
    }

    /// <summary>The image's metadata, or null when the engine has no such image.</summary>
    public async Task<ImageInspectResponse?> InspectImageAsync(string image, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Client.Images.InspectImageAsync(image, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Runs a command in a new container of the image, waits for it, and removes the container, also when cancelled.
    /// The container gets the host's network (apps listen on 127.0.0.1) or none.
    /// </summary>
    public async Task<ContainerRun> RunAsync(string image, IReadOnlyList<string>? command = null, bool hostNetwork = false, CancellationToken cancellationToken = default)
    {
        var created = await Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Cmd = command?.ToList() ?? [],
            HostConfig = new HostConfig { NetworkMode = hostNetwork ? "host" : "none" },
        }, cancellationToken);
        try
        {
            await Client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            var wait = await Client.Containers.WaitContainerAsync(created.ID, cancellationToken);
            using var logs = await Client.Containers.GetContainerLogsAsync(created.ID,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, cancellationToken);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(cancellationToken);
            return new ContainerRun(wait.StatusCode, stdout, stderr);
        }
        finally
        {
            await Client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
    }

    /// <summary>
    /// Starts a container of the image in the background on the host's network (its apps listen on 127.0.0.1);
    /// disposing the handle stops and removes it.
    /// </summary>
    public async Task<RunningContainer> StartAsync(string image, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var created = await Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Env = environment?.Select(e => $"{e.Key}={e.Value}").ToList() ?? [],
            HostConfig = new HostConfig { NetworkMode = "host" },
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

    /// <summary>Creates an image from a root file system tar (the engine's import), such as one debootstrap made.</summary>
    public async Task ImportAsync(Stream rootFileSystemTar, string repository, string tag, IReadOnlyList<string> changes, CancellationToken cancellationToken = default)
    {
        string? error = null;
        await Client.Images.CreateImageAsync(
            new ImagesCreateParameters { FromSrc = "-", Repo = repository, Tag = tag, Changes = changes.ToList() },
            rootFileSystemTar, new AuthConfig(), new SyncProgress<JSONMessage>(m => error ??= m.Error?.Message), cancellationToken);
        if (error is not null) throw new ContainerException($"Importing {repository}:{tag} failed: {error}");
    }

    /// <summary>The ids of every container the engine has, running or not.</summary>
    public async Task<IReadOnlyList<string>> ContainerIdsAsync(CancellationToken cancellationToken = default) =>
        (await Client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, cancellationToken)).Select(c => c.ID).ToList();

    /// <inheritdoc />
    public void Dispose()
    {
        Http.Dispose();
        Client.Dispose();
    }
}

/// <summary>A container started in the background; disposing it stops and removes it.</summary>
public sealed class RunningContainer(ContainerEngine engine, string id) : IAsyncDisposable
{
    /// <summary>The container's id.</summary>
    public string Id { get; } = id;

    /// <summary>What the container has printed so far.</summary>
    public async Task<string> LogsAsync(CancellationToken cancellationToken = default)
    {
        using var logs = await engine.Client.Containers.GetContainerLogsAsync(Id,
            new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, cancellationToken);
        var (stdout, stderr) = await logs.ReadOutputToEndAsync(cancellationToken);
        return stdout + stderr;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() =>
        await engine.Client.Containers.RemoveContainerAsync(Id, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
}

/// <summary>What a container run printed and how it exited.</summary>
public sealed record ContainerRun(long ExitCode, string StandardOutput, string StandardError);
