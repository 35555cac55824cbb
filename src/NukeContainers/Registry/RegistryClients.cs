using System.Collections.Concurrent;

namespace NukeContainers.Registry;

/// <summary>
/// The registry clients of a run: one a registry (and credentials), made when a step first needs it and reused by
/// every step after it (restore-cache, push, tags, attestations, signing, rollout's signature check), so that a
/// registry's token for a repository is asked for once a run, not once a step. A pipeline has its own unless given one
/// (<see cref="ImagePipeline.WithRegistries"/>: a build shares one among its images). The clients live as long as it.
/// </summary>
public sealed class RegistryClients
{
    private readonly ConcurrentDictionary<(string Registry, RegistryCredentials? Credentials, string? DockerConfig), Lazy<Task<RegistryClient>>> _clients = new();

    /// <summary>The client for the registry with these credentials (else the docker config's), made on first use.</summary>
    public async Task<RegistryClient> ConnectAsync(string registry, RegistryCredentials? credentials = null, string? dockerConfigPath = null,
        CancellationToken cancellationToken = default)
    {
        var key = (registry, credentials, dockerConfigPath);
        var made = _clients.GetOrAdd(key, _ => new Lazy<Task<RegistryClient>>(() => RegistryClient.ConnectAsync(registry, credentials, dockerConfigPath, CancellationToken.None)));
        try
        {
            return await made.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (made.Value.IsFaulted)
        {
            _clients.TryRemove(new KeyValuePair<(string, RegistryCredentials?, string?), Lazy<Task<RegistryClient>>>(key, made));   // asked again next time
            throw;
        }
    }

    /// <summary>How many clients it made (one a registry and credentials).</summary>
    public int Count => _clients.Count;
}
