using NukeContainers.Engine;
using NukeContainers.Provisioning;
using NukeContainers.Utils;

namespace NukeContainers.Tests;

/// `./build.sh LocalEnvironment --expose-tls PORT` on an embedded engine of its own state folder (the shared one is
/// left alone): the real engine answers over TLS with the certificates made for it, a second call restarts nothing, and
/// a later start of that engine listens there again.
public sealed class ExposeTlsSpecs : IAsyncLifetime
{
    private readonly EmbeddedEnvironmentOptions _options = new() { StateDirectory = Path.Combine("/var/tmp", $"nc-expose-{Guid.NewGuid():N}"[..22]), Log = _ => { } };

    public Task InitializeAsync() => Task.CompletedTask;

    /// Stopped and removed as a temporary engine is (its mounts too).
    public async Task DisposeAsync() => await new TemporaryEngine(new EngineEndpoint(_options.EngineSocket, "test"), _options.StateDirectory).DisposeAsync();

    private string Pid => File.ReadAllText(Path.Combine(_options.StateDirectory, "docker.pid")).Trim();

    [Fact]
    public async Task The_embedded_engine_answers_over_TLS_the_docker_CLI_takes_the_same_files_and_the_listener_outlives_a_restart()
    {
        var port = EngineFixture.FreePort();

        var endpoint = await EmbeddedEnvironment.ExposeTlsAsync(port, _options);
        var pid = Pid;
        var again = await EmbeddedEnvironment.ExposeTlsAsync(port, _options);

        Assert.Equal($"tcp://127.0.0.1:{port}/ (TLS)", endpoint.ToString());
        Assert.Equal(pid, Pid); // the second call found the listener and restarted nothing
        Assert.Equal(endpoint, again);
        var folder = Path.GetDirectoryName(endpoint.Tls!.CaCertificate)!;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "key.pem")));
        var cli = await Shell.RunAsync("docker", ["version", "--format", "{{.Server.Version}}"], CancellationToken.None, check: false,
            environment: new Dictionary<string, string?> { ["DOCKER_HOST"] = $"tcp://127.0.0.1:{port}", ["DOCKER_TLS_VERIFY"] = "1", ["DOCKER_CERT_PATH"] = folder });
        Assert.True(cli.ExitCode == 0, cli.StandardError);
        Assert.StartsWith("20.10", cli.StandardOutput.Trim());
        var plain = await Shell.RunAsync("docker", ["version", "--format", "{{.Server.Version}}"], CancellationToken.None, check: false,
            environment: new Dictionary<string, string?> { ["DOCKER_HOST"] = $"tcp://127.0.0.1:{port}", ["DOCKER_TLS_VERIFY"] = null });
        Assert.NotEqual(0, plain.ExitCode); // it wants TLS and a client certificate

        await EmbeddedEnvironment.StopEngineAsync(_options.StateDirectory);
        var restarted = await EmbeddedEnvironment.EnsureEngineAsync(_options with { Discovery = new EngineDiscovery([new SocketProvider(_options.EngineSocket, "the embedded engine")]) });

        Assert.True(restarted.Started);
        Assert.NotEqual(pid, Pid);
        using var overTls = ContainerEngine.Connect(endpoint);
        await overTls.PingAsync();
    }

    [Fact]
    public async Task A_port_that_is_not_one_is_refused_naming_it()
    {
        var error = await Assert.ThrowsAsync<ContainerException>(() => EmbeddedEnvironment.ExposeTlsAsync(70000, _options));

        Assert.Contains("--expose-tls 70000: a TCP port is 1 to 65535", error.Message);
    }
}
