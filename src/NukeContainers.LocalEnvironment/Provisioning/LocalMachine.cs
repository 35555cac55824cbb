using NukeContainers.Engine;
using NukeContainers.Provisioning;

namespace NukeContainers;

/// <summary>
/// What NukeContainers.LocalEnvironment does to a machine, reached by one short name (a build whose own targets are
/// called LocalEnvironment or BaseImages still reaches it): install and start the embedded engine and registry, make
/// the local base images. Nothing else in NukeContainers installs anything.
/// </summary>
public static class LocalMachine
{
    /// <summary>Finds an engine, or installs and starts the embedded one (root on Debian or Ubuntu): <see cref="EmbeddedEnvironment.EnsureEngineAsync"/>.</summary>
    public static Task<ProvisionedEngine> ProvisionEngineAsync(EmbeddedEnvironmentOptions? options = null, CancellationToken cancellationToken = default) =>
        EmbeddedEnvironment.EnsureEngineAsync(options, cancellationToken);

    /// <summary>Checks the registry at an address, and starts the embedded one there when it is a loopback address: <see cref="EmbeddedEnvironment.EnsureRegistryAsync"/>.</summary>
    public static Task<bool> ProvisionRegistryAsync(string address, EmbeddedEnvironmentOptions? options = null, CancellationToken cancellationToken = default) =>
        EmbeddedEnvironment.EnsureRegistryAsync(address, options, cancellationToken);

    /// <summary>The build arguments that point Dockerfiles at the local base images: <c>GO_IMAGE=local/golang:bookworm</c> ...</summary>
    public static IReadOnlyDictionary<string, string> LocalBaseImageArgs => LocalBaseImages.BuildArgs;

    /// <summary>Pushes the local base images to a registry and returns build arguments that name them there: <see cref="LocalBaseImages.PushAsync"/>.</summary>
    public static Task<IReadOnlyDictionary<string, string>> PushLocalBaseImagesAsync(ContainerEngine engine, string registry, Action<string> log, CancellationToken cancellationToken = default) =>
        LocalBaseImages.PushAsync(engine, registry, log, cancellationToken);

    /// <summary>Makes the local base images that are missing or out of date (all, or <paramref name="only"/> those and what they are built on), and returns their build arguments: <see cref="LocalBaseImages.EnsureAsync"/>.</summary>
    public static Task<IReadOnlyDictionary<string, string>> LocalBaseImagesAsync(ContainerEngine engine, Action<string> log,
        CancellationToken cancellationToken = default, Action<string>? buildLog = null, IReadOnlyCollection<string>? only = null) =>
        LocalBaseImages.EnsureAsync(engine, log, cancellationToken, buildLog, only);
}
