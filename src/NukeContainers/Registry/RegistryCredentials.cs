using System.Text;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;

namespace NukeContainers.Registry;

/// <summary>A user name and password (or token) for a registry. <see cref="ToString"/> never shows the password.</summary>
public sealed record RegistryCredentials(string Username, string Password)
{
    /// <summary>The user name only: a secret must not reach a log by accident.</summary>
    public override string ToString() => $"{Username} (password hidden)";

    /// <summary>The engine's X-Registry-Auth header value for a registry.</summary>
    internal string EngineAuthHeader(string registry) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["username"] = Username, ["password"] = Password, ["serveraddress"] = registry,
        })).Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// The credentials the docker CLI would use for a registry, from its config.json (<c>$DOCKER_CONFIG</c> or
/// <c>~/.docker</c>): a <c>credHelpers</c> entry for the registry, else the <c>credsStore</c>, else <c>auths</c>. Helpers
/// are the <c>docker-credential-NAME</c> programs, asked with their JSON protocol (<c>get</c>, the server on stdin).
/// </summary>
public static class DockerConfig
{
    /// <summary>The config.json the docker CLI reads.</summary>
    public static string DefaultPath =>
        Path.Combine(Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } folder ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker"), "config.json");

    /// <summary>The credentials for a registry (<c>host[:port]</c>), or null when the config has none for it.</summary>
    public static async Task<RegistryCredentials?> FindAsync(string registry, string? configPath = null, CancellationToken cancellationToken = default)
    {
        configPath ??= DefaultPath;
        if (!File.Exists(configPath)) return null;
        JsonDocument config;
        try
        {
            config = JsonDocument.Parse(await File.ReadAllTextAsync(configPath, cancellationToken));
        }
        catch (JsonException e)
        {
            throw new ContainerException($"{configPath} is not valid JSON ({e.Message}); fix it or point DOCKER_CONFIG elsewhere.");
        }
        using var _ = config;
        var root = config.RootElement;
        if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
            foreach (var helper in helpers.EnumerateObject().Where(h => SameRegistry(h.Name, registry)))
                return await FromHelperAsync(helper.Value.GetString()!, registry, cancellationToken);
        if (root.TryGetProperty("credsStore", out var store) && store.GetString() is { Length: > 0 } storeName)
            return await FromHelperAsync(storeName, registry, cancellationToken);
        if (root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
            foreach (var entry in auths.EnumerateObject().Where(a => SameRegistry(a.Name, registry)))
                if (entry.Value.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
                {
                    var pair = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)).Split(':', 2);
                    if (pair.Length == 2) return new RegistryCredentials(pair[0], pair[1]);
                }
        return null;
    }

    /// Config keys are written as hosts or as URLs (https://index.docker.io/v1/ for Docker Hub).
    private static bool SameRegistry(string key, string registry)
    {
        var host = key.Contains("://") ? new Uri(key).Authority : key.Split('/')[0];
        return string.Equals(host, registry, StringComparison.OrdinalIgnoreCase)
               || (registry == "docker.io" && host is "index.docker.io" or "registry-1.docker.io");
    }

    /// Asks docker-credential-NAME for the registry; its answer is never logged.
    private static async Task<RegistryCredentials?> FromHelperAsync(string name, string registry, CancellationToken cancellationToken)
    {
        var program = $"docker-credential-{name}";
        BufferedCommandResult result;
        try
        {
            result = await Cli.Wrap(program).WithArguments("get").WithStandardInputPipe(PipeSource.FromString(registry))
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(Encoding.UTF8, cancellationToken);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ContainerException($"The docker config names the credential helper '{name}', but {program} is not on PATH. Install it, or remove it from {DefaultPath}.");
        }
        if (result.ExitCode != 0)
        {
            if (result.StandardOutput.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
            throw new ContainerException($"{program} get failed for {registry} (exit code {result.ExitCode}). Run 'echo {registry} | {program} get' to see why.");
        }
        try
        {
            using var answer = JsonDocument.Parse(result.StandardOutput);
            return new RegistryCredentials(answer.RootElement.GetProperty("Username").GetString() ?? "", answer.RootElement.GetProperty("Secret").GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ContainerException($"{program} get answered for {registry} with something that is not its JSON (Username, Secret); its output is not shown, as it may hold a secret.");
        }
    }
}
