using NukeContainers.Build;
using NukeContainers.Provisioning;

namespace NukeContainers.Components;

/// <summary>
/// The one component that installs anything (NukeContainers.LocalEnvironment, opted into by a build that takes it):
/// finds the Docker engine or starts the embedded one, and checks the registry that <c>--registry</c> names, starting
/// the embedded one when that is a loopback address; it runs before BuildImages and Publish. The other components
/// only find an engine.
/// </summary>
public interface ILocalEnvironment : IContainerImages
{
    /// <summary>A port on 127.0.0.1 where the embedded engine also listens with TLS, for builds over TCP and TLS.</summary>
    [Parameter("Make the embedded engine also listen on 127.0.0.1:PORT with TLS (certificates made in its state folder; the docker CLI's port is 2376), restarting it if it runs without")]
    int? ExposeTls => TryGetValue<int?>(() => ExposeTls);

    /// <summary>The engine to start and use when DOCKER_HOST names none: Debian 12's (the default) or Debian 13's Docker 26.</summary>
    [Parameter("The embedded engine to use: debian12 (Debian 12's docker.io, Docker 20.10; the default) or docker26 (Debian 13's, Docker 26.1 with the containerd image store, unpacked in its own state folder, not installed); the rest of the run uses it")]
    EmbeddedEngine? EmbeddedEngine => TryGetValue<EmbeddedEngine?>(() => EmbeddedEngine);

    /// <summary>--embedded-engine docker26 with a DOCKER_HOST that names another engine than that one is bad usage.</summary>
    void CheckEmbeddedEngine()
    {
        if (EmbeddedEngineConflict(EmbeddedEngine, Environment.GetEnvironmentVariable("DOCKER_HOST")) is { } problem) throw new ParameterException(problem);
    }

    /// <summary>
    /// Why an embedded engine and a DOCKER_HOST cannot go together, or null: docker26 with a DOCKER_HOST that names
    /// another engine (the socket the tool itself tells users to export is that engine, so it passes).
    /// </summary>
    static string? EmbeddedEngineConflict(EmbeddedEngine? engine, string? dockerHost)
    {
        if (engine != Provisioning.EmbeddedEngine.Docker26 || dockerHost is not { Length: > 0 }) return null;
        var docker26 = "unix://" + EmbeddedEnvironmentOptions.Docker26(_ => { }).EngineSocket;
        return dockerHost.TrimEnd('/') == docker26 ? null
            : $"--embedded-engine docker26, but DOCKER_HOST={dockerHost} names another engine (the Docker 26 engine is {docker26}): leave one of them out.";
    }

    /// <summary>Finds or provisions the engine, and checks (or provisions) the registry.</summary>
    Target LocalEnvironment => _ => _
        .Description("Find the Docker engine, or install and start Debian's (root on Debian); check the --registry, starting Debian's registry there when it is local")
        .DependentFor<IBuildImages>(x => x.BuildImages)
        .DependentFor<IContainerPublish>(x => x.Publish)
        .Validates(CheckEmbeddedEngine)
        .Executes(async ct =>
        {
            var options = new EmbeddedEnvironmentOptions { Log = Log.Info };
            if (EmbeddedEngine == Provisioning.EmbeddedEngine.Docker26) options = EmbeddedEnvironmentOptions.Docker26(Log.Info);
            var engine = await LocalMachine.ProvisionEngineAsync(options, ct);
            if (options.Engine == Provisioning.EmbeddedEngine.Docker26)
            {
                // Every later target of this run finds it through DOCKER_HOST, as a user's shell would.
                Environment.SetEnvironmentVariable("DOCKER_HOST", engine.Endpoint.Uri.ToString());
                Log.Info($"This run uses the Docker 26 engine; to use it yourself: export DOCKER_HOST={engine.Endpoint.Uri}");
            }
            Log.Info($"Engine: {engine.Endpoint.Uri} ({engine.Endpoint.Source}{(engine.Started ? ", started now" : "")})");
            Note($"engine: {engine.Endpoint.Source}");
            if (ExposeTls is { } port)
            {
                if (engine.Endpoint.SocketPath != options.EngineSocket)
                    throw new ParameterException($"--expose-tls {port}: this build uses {engine.Endpoint.Uri} ({engine.Endpoint.Source}), not the embedded engine; give that engine a TLS listener its own way (dockerd --tlsverify -H tcp://...).");
                var tls = await EmbeddedEnvironment.ExposeTlsAsync(port, options, ct);
                Log.Info($"The engine also answers on {tls.Uri} with TLS. To use it: export DOCKER_HOST={tls.Uri} DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={Path.GetDirectoryName(tls.Tls!.CaCertificate)}");
                Note($"engine over TLS: {tls.Uri}");
            }
            // A registry that does not answer and was not started here fails the target: a later push would fail
            // anyway, after the build, and a build named for a registry that is not there is most often a typo.
            var started = await LocalMachine.ProvisionRegistryAsync(RegistryHost, options, ct);
            Log.Info($"Registry: {RegistryHost}{(started ? $" (started now, storing in {EmbeddedEnvironment.RegistryFolder(RegistryHost, options)})" : "")}");
            Note($"registry: {RegistryHost}");
        });
}
