using System.Diagnostics;
using NukeContainers.Engine;
using NukeContainers.Provisioning;

namespace NukeContainers.Tests;

/// An engine over TCP with TLS, as CI runners and remote build hosts have them: a temporary engine of Debian's
/// docker.io started with --tlsverify and certificates made for it, reached through DOCKER_HOST=tcp://.
public sealed class RemoteEngineSpecs : IAsyncLifetime
{
    private readonly TempFolder _context = new();
    private TemporaryEngine _engine = null!;

    public async Task InitializeAsync() =>
        _engine = await EmbeddedEnvironment.StartTemporaryEngineAsync(Path.Combine("/var/tmp", $"nc-tls-{Guid.NewGuid():N}"[..20]), EngineFixture.FreePort());

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        _context.Dispose();
    }

    private EngineEndpoint Tls => _engine.TlsEndpoint!;

    [Fact]
    public async Task A_build_runs_over_TCP_with_TLS_found_through_DOCKER_HOST_and_the_docker_CLI_takes_the_same_files()
    {
        var provider = new DockerHostProvider($"tcp://127.0.0.1:{Tls.TcpPort}", Tls.Tls);
        var endpoint = await provider.FindAsync(CancellationToken.None);
        _context.Write("hello.txt", "hello over TLS\n").Write("Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\n");

        using var engine = ContainerEngine.Connect(endpoint!);
        var result = await Containers.Image("nukecontainers-test/over-tls").FromDockerfile(_context.Path).WithLog(_ => { }).RunAsync(engine);

        Assert.Equal($"tcp://127.0.0.1:{Tls.TcpPort}/ (TLS)", endpoint!.ToString());
        Assert.NotNull(await engine.InspectImageAsync(result.ImageId));
        // The docker CLI, given the same folder the way it reads one, reaches the same engine.
        var start = new ProcessStartInfo("docker", ["image", "inspect", "--format", "{{.Id}}", result.ImageId]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOCKER_HOST"] = $"tcp://127.0.0.1:{Tls.TcpPort}";
        start.Environment["DOCKER_TLS_VERIFY"] = "1";
        start.Environment["DOCKER_CERT_PATH"] = Path.GetDirectoryName(Tls.Tls!.CaCertificate);
        using var cli = Process.Start(start)!;
        var output = await cli.StandardOutput.ReadToEndAsync();
        await cli.WaitForExitAsync();
        Assert.True(cli.ExitCode == 0, await cli.StandardError.ReadToEndAsync());
        Assert.Equal(result.ImageId, output.Trim());
    }

    [Fact]
    public async Task A_docker_context_that_the_docker_CLI_made_for_the_TLS_engine_is_found_and_used_and_a_missing_one_is_named()
    {
        var config = Path.Combine(_context.Path, "docker-config");
        var folder = Path.GetDirectoryName(Tls.Tls!.CaCertificate)!;
        var start = new ProcessStartInfo("docker", ["context", "create", "build-host", "--docker",
            $"host=tcp://127.0.0.1:{Tls.TcpPort},ca={folder}/ca.pem,cert={folder}/cert.pem,key={folder}/key.pem"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOCKER_CONFIG"] = config;
        using (var cli = Process.Start(start)!)
        {
            await cli.WaitForExitAsync();
            Assert.True(cli.ExitCode == 0, await cli.StandardError.ReadToEndAsync());
        }
        File.WriteAllText(Path.Combine(config, "config.json"), """{ "currentContext": "build-host" }""");
        _context.Write("hello.txt", "hello through a context\n").Write("Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\n");

        var endpoint = await new DockerContextProvider(configFolder: config).FindAsync(CancellationToken.None);
        using var engine = ContainerEngine.Connect(endpoint!);
        var result = await Containers.Image("nukecontainers-test/through-context").FromDockerfile(_context.Path).WithLog(_ => { }).RunAsync(engine);
        var missing = await Assert.ThrowsAsync<ContainerException>(() => new DockerContextProvider("nowhere", config).FindAsync(CancellationToken.None));

        Assert.Equal(("docker context build-host", Tls.TcpPort, true), (endpoint!.Source, endpoint.TcpPort, endpoint.Tls is not null));
        Assert.NotNull(await engine.InspectImageAsync(result.ImageId));
        Assert.StartsWith("The docker context 'nowhere' does not exist (", missing.Message);
        Assert.Null(await new DockerContextProvider("default", config).FindAsync(CancellationToken.None));   // the CLI's default: the next provider looks
    }

    [Fact]
    public async Task A_wrong_CA_or_no_TLS_where_the_engine_wants_it_fails_naming_the_endpoint_and_what_to_check()
    {
        var other = EngineTls.InFolder(Path.Combine(_context.Path, "other"));
        EngineCertificates.Create(Path.GetDirectoryName(other.CaCertificate)!, TimeSpan.FromDays(1));
        var wrongCa = Tls with { Tls = Tls.Tls! with { CaCertificate = other.CaCertificate } };
        var plain = Tls with { Tls = null };

        using var withWrongCa = ContainerEngine.Connect(wrongCa);
        using var withoutTls = ContainerEngine.Connect(plain);
        var handshake = await Assert.ThrowsAsync<ContainerException>(() => withWrongCa.PingAsync());
        var noTls = await Assert.ThrowsAsync<ContainerException>(() => withoutTls.PingAsync());

        Assert.StartsWith($"The TLS handshake with the engine at tcp://127.0.0.1:{Tls.TcpPort}/ (TLS) failed", handshake.Message);
        Assert.Contains("check that DOCKER_CERT_PATH's ca.pem signed the engine's certificate", handshake.Message);
        Assert.Equal($"The engine at tcp://127.0.0.1:{Tls.TcpPort}/ wants TLS (it answered a plain request with 400): set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem.", noTls.Message);
    }
}
