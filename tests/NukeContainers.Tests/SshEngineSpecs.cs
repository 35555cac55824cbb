using System.Diagnostics;
using NukeContainers.Engine;
using NukeContainers.Provisioning;
using NukeContainers.Utils;

namespace NukeContainers.Tests;

/// DOCKER_HOST=ssh://: the real engine reached through the ssh client and a real sshd (Debian's openssh-server) on a
/// port the system hands out, whose key for this test runs `docker system dial-stdio` against the engine's socket, as
/// a build host's sshd runs it for the docker CLI. The client's configuration comes through NUKECONTAINERS_SSH_COMMAND.
[Collection(EngineCollection.Name)]
public sealed class SshEngineSpecs(EngineFixture fixture) : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private readonly TempFolder _context = new();
    private Process? _sshd;

    private string Dir => _folder.Path;

    public async Task InitializeAsync()
    {
        await DebianPackages.EnsureInstalledAsync(_ => { }, CancellationToken.None, "openssh-server", "openssh-client");
        Directory.CreateDirectory("/run/sshd"); // sshd's privilege separation folder
        var port = EngineFixture.FreePort();
        foreach (var key in new[] { "hostkey", "id", "other" })
            await Shell.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", key, "-f", Path.Combine(Dir, key)], CancellationToken.None);
        var dialStdio = $"DOCKER_HOST=unix://{fixture.Endpoint.SocketPath} exec docker system dial-stdio";
        _folder.Write("authorized_keys", $"command=\"{dialStdio}\",no-pty,no-port-forwarding {await File.ReadAllTextAsync(Path.Combine(Dir, "id.pub"))}")
            .Write("known_hosts", $"[127.0.0.1]:{port} {await File.ReadAllTextAsync(Path.Combine(Dir, "hostkey.pub"))}")
            .Write("sshd_config", $"""
                Port {port}
                ListenAddress 127.0.0.1
                HostKey {Dir}/hostkey
                AuthorizedKeysFile {Dir}/authorized_keys
                PidFile {Dir}/sshd.pid
                UsePAM no
                StrictModes no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin prohibit-password
                """);
        foreach (var (name, key) in new[] { ("config", "id"), ("config-other", "other") })
            _folder.Write(name, $"""
                Host build-host
                  HostName 127.0.0.1
                  Port {port}
                  User {Environment.UserName}
                  IdentityFile {Dir}/{key}
                  IdentitiesOnly yes
                  UserKnownHostsFile {Dir}/known_hosts
                  StrictHostKeyChecking yes
                """);
        _sshd = Process.Start(new ProcessStartInfo("/usr/sbin/sshd", ["-D", "-e", "-f", Path.Combine(Dir, "sshd_config")]) { RedirectStandardError = true })!;
        for (var i = 0; i < 50; i++, await Task.Delay(100))
        {
            using var probe = new System.Net.Sockets.TcpClient();
            try
            {
                await probe.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (System.Net.Sockets.SocketException) { }
        }
        throw new InvalidOperationException($"sshd did not listen on {port}: {await _sshd.StandardError.ReadToEndAsync()}");
    }

    public async Task DisposeAsync()
    {
        if (_sshd is { HasExited: false }) _sshd.Kill();
        if (_sshd is not null) await _sshd.WaitForExitAsync();
        _folder.Dispose();
        _context.Dispose();
    }

    /// Runs with NUKECONTAINERS_SSH_COMMAND set to the config, and puts it back after.
    private async Task<T> WithSshConfig<T>(string config, Func<Task<T>> work)
    {
        var before = Environment.GetEnvironmentVariable("NUKECONTAINERS_SSH_COMMAND");
        Environment.SetEnvironmentVariable("NUKECONTAINERS_SSH_COMMAND", $"ssh -F {Path.Combine(Dir, config)}");
        try
        {
            return await work();
        }
        finally
        {
            Environment.SetEnvironmentVariable("NUKECONTAINERS_SSH_COMMAND", before);
        }
    }

    [Fact]
    public async Task A_BuildKit_build_with_its_session_runs_through_ssh_and_lands_in_the_engine_behind_it()
    {
        _context.Write("hello.txt", "hello over ssh\n").Write("Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\n");

        var (endpoint, result) = await WithSshConfig("config", async () =>
        {
            var found = await new DockerHostProvider("ssh://build-host").FindAsync(CancellationToken.None);
            using var engine = ContainerEngine.Connect(found!);
            return (found!, await EngineFixture.Pipeline("over-ssh").FromDockerfile(_context.Path).WithLog(_ => { }).RunAsync(engine));
        });

        Assert.Equal("ssh://build-host/", endpoint.Uri.ToString());
        Assert.Equal("hello over ssh\n", await ReadFileAsync(result.ImageId, "hello.txt"));
    }

    [Fact]
    public async Task A_key_the_host_does_not_take_fails_naming_the_endpoint_ssh_and_what_to_check()
    {
        var error = await WithSshConfig("config-other", () => Assert.ThrowsAsync<ContainerException>(() => new DockerHostProvider("ssh://build-host").FindAsync(CancellationToken.None)));

        Assert.Contains("The engine at ssh://build-host/ does not answer through ssh", error.Message);
        Assert.Contains("Permission denied (publickey)", error.Message);
        Assert.Contains("check that `ssh build-host docker version` works without a prompt", error.Message);
    }

    [Fact]
    public void An_ssh_address_with_a_path_is_refused_showing_the_form()
    {
        var error = Assert.Throws<ContainerException>(() => EngineEndpoint.ParseSsh("ssh://build-host/var/run/docker.sock", "DOCKER_HOST"));

        Assert.Contains("is not ssh://[USER@]HOST[:PORT]", error.Message);
    }

    /// A file of an image, read through the engine's export of it (the image has no shell to cat with).
    private async Task<string> ReadFileAsync(string image, string path)
    {
        var container = await fixture.Engine.Client.Containers.CreateContainerAsync(new() { Image = image, Cmd = ["none"], Labels = new Dictionary<string, string> { [ResourceLabels.Run] = ResourceLabels.RunId } });
        try
        {
            var archive = await fixture.Engine.Client.Containers.GetArchiveFromContainerAsync(container.ID, new() { Path = "/" + path }, statOnly: false);
            using var tar = new System.Formats.Tar.TarReader(archive.Stream!);
            var entry = await tar.GetNextEntryAsync();
            using var reader = new StreamReader(entry!.DataStream!);
            return await reader.ReadToEndAsync();
        }
        finally
        {
            await fixture.Engine.Client.Containers.RemoveContainerAsync(container.ID, new() { Force = true });
        }
    }
}
