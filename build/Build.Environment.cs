using NukeContainers.Build;
using NukeContainers.Engine;

partial class Build
{
    Target LocalEnvironment => _ => _
        .Description("Find the Docker engine and the registry on 127.0.0.1:5000, or install and start Debian's (root on Debian)")
        .Executes(async ct =>
        {
            var environment = await NukeContainers.Engine.LocalEnvironment.EnsureAsync(
                new LocalEnvironmentOptions { Log = Log.Info }, ct);
            Log.Info($"Engine: {environment.EngineEndpoint}{(environment.StartedEngine ? " (started)" : "")}; " +
                     $"registry: {environment.Registry}{(environment.StartedRegistry ? " (started)" : "")}");
        });
}
