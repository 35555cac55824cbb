using NukeContainers.Build;
using NukeContainers.Provisioning;

namespace NukeContainers.Components;

/// <summary>
/// The one place that installs anything: finds the Docker engine or starts the embedded one, and checks the registry
/// that <c>--registry</c> names, starting the embedded one when that is a loopback address. Building needs only the engine.
/// </summary>
public interface ILocalEnvironment : IContainerImages
{
    /// <summary>Finds or provisions the engine, and checks (or provisions) the registry.</summary>
    Target LocalEnvironment => _ => _
        .Description("Find the Docker engine, or install and start Debian's (root on Debian); check the --registry, starting Debian's registry there when it is local")
        .Executes(async ct =>
        {
            var options = new EmbeddedEnvironmentOptions { Log = Log.Info };
            var engine = await Containers.ProvisionEngineAsync(options, ct);
            Log.Info($"Engine: {engine.Endpoint.Uri} ({engine.Endpoint.Source}{(engine.Started ? ", started now" : "")})");
            Note($"engine: {engine.Endpoint.Source}");
            try
            {
                var started = await Containers.ProvisionRegistryAsync(RegistryHost, options, ct);
                Log.Info($"Registry: {RegistryHost}{(started ? " (started now)" : "")}");
                Note($"registry: {RegistryHost}");
            }
            catch (ContainerException e)
            {
                Log.Warn($"{e.Message} Building works without it; pushing needs it.");
                Note($"registry {RegistryHost} not reachable");
            }
        });
}
