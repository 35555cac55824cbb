using System.Diagnostics;
using NukeContainers.Provisioning;
using NukeContainers.Utils;

namespace NukeContainers.Tests;

/// A second real registry (Debian's docker-registry) on a port the system hands out, with htpasswd auth (or token auth
/// through a <see cref="TokenService"/>) and its own request log: started for a test, stopped and removed with it.
internal sealed class AuthRegistry : IAsyncDisposable
{
    public const string User = "ci-user";

    private readonly TempFolder _folder;
    private readonly Process _process;

    private AuthRegistry(TempFolder folder, string address, string password, Process process)
    {
        _folder = folder;
        Address = address;
        Password = password;
        _process = process;
    }

    public string Address { get; }
    public string Password { get; }

    /// What the registry logged: every request, with its method and path.
    public string Log => File.ReadAllText(Path.Combine(_folder.Path, "registry.log"));

    /// <param name="tokens">When given, the registry takes Bearer tokens from this service instead of htpasswd.</param>
    public static async Task<AuthRegistry> StartAsync(Func<string, string, TokenService>? tokens = null)
    {
        await DebianPackages.EnsureInstalledAsync(_ => { }, CancellationToken.None, "docker-registry", "apache2-utils");
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var folder = new TempFolder();
        var address = $"127.0.0.1:{EngineFixture.FreePort()}";
        folder.Write("htpasswd", (await Shell.RunAsync("htpasswd", ["-Bbn", User, password], CancellationToken.None)).StandardOutput);
        var tokenService = tokens?.Invoke(User, password);
        if (tokenService is not null) folder.Write("root.pem", tokenService.CertificatePem);
        var auth = tokenService is null
            ? $"  htpasswd:\n    realm: test\n    path: {Path.Combine(folder.Path, "htpasswd")}"
            : $"  token:\n    realm: {tokenService.Realm}\n    service: {TokenService.Service}\n    issuer: {TokenService.Issuer}\n    rootcertbundle: {Path.Combine(folder.Path, "root.pem")}";
        folder.Write("config.yml", $"""
            version: 0.1
            log:
              level: info
            storage:
              filesystem:
                rootdirectory: {Path.Combine(folder.Path, "data")}
              delete:
                enabled: true
            http:
              addr: {address}
            auth:
            {auth}
            """);
        var process = Process.Start(new ProcessStartInfo("bash",
            ["-c", $"exec docker-registry serve '{Path.Combine(folder.Path, "config.yml")}' > '{Path.Combine(folder.Path, "registry.log")}' 2>&1"]))!;
        var registry = new AuthRegistry(folder, address, password, process);
        using var http = new HttpClient();
        for (var i = 0; i < 100; i++, await Task.Delay(100))
        {
            try
            {
                using var response = await http.GetAsync($"http://{address}/v2/");
                if ((int)response.StatusCode == 401) return registry;
            }
            catch (HttpRequestException) { }
        }
        await registry.DisposeAsync();
        throw new InvalidOperationException($"docker-registry did not answer on {address}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _folder.Dispose();
    }
}
