using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using NukeContainers.Building;
using NukeContainers.Engine;
using NukeContainers.Images;
using NukeContainers.Provisioning;
using NukeContainers.Registry;
using NukeContainers.Reporting;
using NukeContainers.Utils;

namespace NukeContainers.Tests;

/// The BuildKit session on the real engine: what reaches the build through it (the context, the Dockerfile, secrets,
/// SSH agents, registry credentials), held against the docker 20.10 client's session where both can build.
[Collection(EngineCollection.Name)]
public sealed class SessionSpecs(EngineFixture fixture) : IDisposable
{
    private readonly TempFolder _context = new();
    private readonly List<string> _log = [];

    private ImagePipeline Pipeline(string name = "session-specs") =>
        EngineFixture.Pipeline(name).FromDockerfile(_context.Path).Network(NetworkMode.None).WithLog(_log.Add);

    /// Every file under /ctx with its type and content hash: what COPY . brought.
    private Task<string> CopiedFiles(string image) =>
        fixture.RunInImageAsync(image, "sh", "-c", "cd /ctx && find . | sort | while read f; do if [ -f \"$f\" ]; then echo \"$f $(sha256sum < \"$f\" | cut -c1-16)\"; elif [ -L \"$f\" ]; then echo \"$f -> $(readlink \"$f\")\"; else echo \"$f/\"; fi; done");

    private TempFolder MixedContext() => _context
        .Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY . /ctx\n")
        .Write(".dockerignore", "Dockerfile\n.dockerignore\n*.env\nlogs\n!logs/keep.log\nbuild/**\n!build/out/app.bin\n")
        .Write("keep.txt", "k").Write("secret.env", "TOKEN=x").Write("logs/a.log", "a").Write("logs/keep.log", "keep")
        .Write("build/tmp/x.o", "x").Write("build/out/app.bin", "app").Write("src/a b/c,d.txt", "comma and space")
        .Write("empty/.keep", "");

    [Fact]
    public async Task COPY_dot_holds_what_the_docker_2010_clients_session_sends_without_the_excluded_Dockerfile_and_dockerignore()
    {
        MixedContext();
        File.CreateSymbolicLink(Path.Combine(_context.Path, "link-to-keep"), "keep.txt");
        var cli = EngineFixture.Repository("session-cli") + ":1";

        var ours = await Pipeline().RunAsync(fixture.Engine);
        var docker = await Shell.RunAsync("/usr/bin/docker", ["build", "-q", "--network", "none", "--label", $"{ResourceLabels.Run}={ResourceLabels.RunId}", "-t", cli, _context.Path],
            CancellationToken.None, environment: new Dictionary<string, string?> { ["DOCKER_BUILDKIT"] = "1", ["DOCKER_HOST"] = fixture.Endpoint.Uri.ToString() });
        Assert.True(docker.ExitCode == 0, docker.StandardError);

        var expected = await CopiedFiles(cli);
        Assert.Equal(expected, await CopiedFiles(ours.ImageId));
        Assert.DoesNotContain("./Dockerfile", expected);
        Assert.DoesNotContain("./.dockerignore", expected);
        Assert.Contains("./build/out/app.bin", expected);
    }

    [Theory]
    [InlineData("COPY assets-link /assets/", "/assets")]               // a link to a folder of the context
    [InlineData("COPY file-link /copied/", "/copied")]                 // a link to a file
    [InlineData("COPY links/up-link /up/", "/up")]                     // a relative link that climbs to a folder
    [InlineData("COPY absolute-link /absolute/", "/absolute")]          // an absolute link: read from the context's root
    [InlineData("COPY assets-li* /globbed/", "/globbed")]              // a wildcard that matches the link
    [InlineData("COPY link-to-link/sub /chained/", "/chained")]        // a link to a link, and a path below it
    public async Task A_link_that_COPY_names_brings_its_target_as_the_docker_2010_clients_session_does(string copy, string destination)
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\n{copy}\n").Write("assets/a.txt", "a").Write("assets/sub/b.txt", "b")
            .Write("file.txt", "f").Write("links/.keep", "").Write("unrelated/c.txt", "c");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "assets-link"), "assets");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "file-link"), "file.txt");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "links", "up-link"), "../assets");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "absolute-link"), "/assets");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "link-to-link"), "assets-link");
        var cli = EngineFixture.Repository("session-links") + ":1";

        var docker = await Shell.RunAsync("/usr/bin/docker", ["build", "-q", "--network", "none", "--label", $"{ResourceLabels.Run}={ResourceLabels.RunId}", "-t", cli, _context.Path],
            CancellationToken.None, check: false, environment: new Dictionary<string, string?> { ["DOCKER_BUILDKIT"] = "1", ["DOCKER_HOST"] = fixture.Endpoint.Uri.ToString() });
        Assert.True(docker.ExitCode == 0, docker.StandardError);
        var ours = await Pipeline().RunAsync(fixture.Engine);

        Task<string> Listing(string image) => fixture.RunInImageAsync(image, "sh", "-c",
            $"find {destination} | sort | while read f; do if [ -f \"$f\" ]; then echo \"$f $(cat \"$f\")\"; else echo \"$f/\"; fi; done");
        var expected = await Listing(cli);
        Assert.Contains(destination + "/", expected);
        Assert.Equal(expected, await Listing(ours.ImageId));
    }

    [Fact]
    public async Task Where_the_engine_refuses_a_session_the_tar_builds_the_same_files_and_the_log_says_so()
    {
        MixedContext().Write(".dockerignore", "*.env\nlogs\n!logs/keep.log\nbuild/**\n!build/out/app.bin\n");
        await using var proxy = new CuttingProxy(fixture.Endpoint.SocketPath, marker: null) { RefuseSessions = true };
        using var refusing = ContainerEngine.Connect(proxy.Path);

        var throughSession = await Pipeline().RunAsync(fixture.Engine);
        if (await fixture.Engine.ImageStoreAsync() == NukeContainers.Engine.ImageStore.Containerd)
        {
            // Docker 26 with the containerd image store cannot read a tar context through BuildKit: no fallback there.
            var error = await Assert.ThrowsAsync<ContainerException>(() => Pipeline("session-refused").RunAsync(refusing));
            Assert.StartsWith($"The engine at {refusing.Endpoint} refused a BuildKit session (404 page not found), but the engine at {refusing.Endpoint} keeps its images in containerd", error.Message);
            return;
        }
        var throughTar = await Pipeline("session-refused").RunAsync(refusing);

        Assert.Equal(1, proxy.Sessions);
        Assert.Contains(_log, l => l.Contains("refused a BuildKit session (404 page not found): sending the whole context as a tar instead", StringComparison.Ordinal));
        Assert.Equal(await CopiedFiles(throughSession.ImageId), await CopiedFiles(throughTar.ImageId));
    }

    /// A secret is not part of the RUN's cache key (BuildKit's rule): a step before it that differs per run keeps an
    /// earlier run's layer, built with another value, from being taken. It must change a file: BuildKit 0.13 (Docker
    /// 26) finds an earlier layer by content too, and a RUN that only prints leaves the same content each run.
    [Fact]
    public async Task A_secret_reaches_the_RUN_and_no_layer_log_line_or_report()
    {
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        _context.Write("Dockerfile", $"""
            FROM {EngineFixture.BaseImage}
            RUN echo {Guid.NewGuid():N} > /run-id
            RUN --mount=type=secret,id=token,required=true sha256sum /run/secrets/token | cut -d' ' -f1 > /token.sha256 && echo "the token is $(cat /run/secrets/token)"
            """);

        var result = await Pipeline().Secret("token", BuildSecret.FromValue(secret)).RunAsync(fixture.Engine);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), (await fixture.RunInImageAsync(result.ImageId, "cat", "/token.sha256")).Trim());
        // Every byte the engine exports of the image (layers are uncompressed tars, the config is JSON) is searched.
        await using (var export = await fixture.Engine.ExportAsync(result.ImageId))
            Assert.False(await ContainsAsync(export, Encoding.UTF8.GetBytes(secret)), "the secret is in the image");
        Assert.Contains(_log, l => l.Contains("the token is ****", StringComparison.Ordinal));
        Assert.DoesNotContain(_log, l => l.Contains(secret, StringComparison.Ordinal));
        using var reports = new TempFolder();
        var json = await ContainerReport.From([result], _context.Path).WriteAsync(reports.Path);
        Assert.DoesNotContain(secret, await File.ReadAllTextAsync(json) + await File.ReadAllTextAsync(Path.Combine(reports.Path, "report.md")) + await File.ReadAllTextAsync(Path.Combine(reports.Path, "report.html")));
    }

    /// The pipeline's masker knows its build secrets (issue 27.5): a RUN that prints one and fails has it masked in the
    /// error too, and another pipeline, which was not given it, does not hide it.
    [Fact]
    public async Task A_failing_RUN_that_prints_the_secret_has_it_masked_in_the_error_by_its_own_pipelines_masker()
    {
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        _context.Write("Dockerfile", $"""
            FROM {EngineFixture.BaseImage}
            RUN --mount=type=secret,id=token,required=true echo "{Guid.NewGuid():N} the token is $(cat /run/secrets/token)" && exit 4
            """);
        var pipeline = Pipeline().Secret("token", BuildSecret.FromValue(secret));

        var error = await Assert.ThrowsAsync<Building.ImageBuildException>(() => pipeline.RunAsync(fixture.Engine));

        Assert.Contains("the token is ****", error.Message);
        Assert.DoesNotContain(secret, error.Message + string.Join("\n", error.LogTail) + string.Join("\n", _log));
        Assert.Equal(secret, Pipeline().Masker.Apply(secret));   // a pipeline that was not given it has nothing to hide
    }

    [Fact]
    public async Task A_secret_whose_source_is_missing_fails_before_the_engine_is_asked_naming_it()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc\n");
        var variable = "NUKECONTAINERS_TEST_UNSET_" + Guid.NewGuid().ToString("N");

        var error = await Assert.ThrowsAnyAsync<ContainerException>(() => Pipeline().Secret("npmrc", BuildSecret.FromEnvironment(variable)).RunAsync(fixture.Engine));

        Assert.Contains($"The build secret 'npmrc' comes from the environment variable {variable}, which is not there", error.Message);
    }

    [Fact]
    public async Task An_SSH_agent_socket_that_is_missing_or_not_a_socket_fails_before_the_engine_is_asked_naming_it()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N}\n");
        var missing = Path.Combine(_context.Path, "missing.sock");

        var gone = await Assert.ThrowsAnyAsync<ContainerException>(() => Pipeline().ForwardSsh("foo", missing).RunAsync(fixture.Engine));
        var file = await Assert.ThrowsAnyAsync<ContainerException>(() => Pipeline().ForwardSsh("foo", Path.Combine(_context.Path, "Dockerfile")).RunAsync(fixture.Engine));

        Assert.StartsWith($"The build forwards the SSH agent 'foo' at {missing}, which does not exist: give an agent's socket", gone.Message);
        Assert.Contains("Dockerfile, which is not a socket", file.Message);
    }

    [Fact]
    public async Task The_SSH_agent_is_forwarded_to_RUN_mount_type_ssh()
    {
        var bases = await LocalMachine.LocalBaseImagesAsync(fixture.Engine, fixture.Log.Add);
        using var keys = new TempFolder();
        var comment = "nukecontainers-" + Guid.NewGuid().ToString("N")[..12];
        var socket = Path.Combine(keys.Path, "agent.sock");
        var agent = Process.Start(new ProcessStartInfo("ssh-agent", ["-D", "-a", socket]) { RedirectStandardOutput = true })!;
        try
        {
            for (var i = 0; i < 50 && !File.Exists(socket); i++) await Task.Delay(100);
            await Shell.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", Path.Combine(keys.Path, "id")], CancellationToken.None);
            var added = await Shell.RunAsync("ssh-add", [Path.Combine(keys.Path, "id")], CancellationToken.None, environment: new Dictionary<string, string?> { ["SSH_AUTH_SOCK"] = socket });
            Assert.True(added.ExitCode == 0, added.StandardError);
            // The agent protocol's "list identities" (a 1-byte message, 11), answered with the key and its comment.
            _context.Write("Dockerfile", $$$"""
                FROM {{{bases["NODE_IMAGE"]}}}
                RUN echo {{{comment}}} > /run-id
                RUN --mount=type=ssh node -e "const s=require('net').connect(process.env.SSH_AUTH_SOCK);let r=Buffer.alloc(0);s.on('data',d=>{r=Buffer.concat([r,d]);if(r.length>=4&&r.length>=4+r.readUInt32BE(0)){require('fs').writeFileSync('/identities',r.toString('latin1'));s.end();}});s.write(Buffer.from([0,0,0,1,11]));"
                """);

            var result = await Pipeline().ForwardSsh(agentSocket: socket).RunAsync(fixture.Engine);

            Assert.Contains(comment, await fixture.RunInImageAsync(result.ImageId, "cat", "/identities"));
        }
        finally
        {
            agent.Kill();
            await agent.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task The_engine_pulls_FROM_a_registry_with_the_credentials_the_session_gives_and_fails_clearly_without_them()
    {
        await using var registry = await AuthRegistry.StartAsync();
        var credentials = new RegistryCredentials(AuthRegistry.User, registry.Password);
        var remote = ImageReference.Parse($"{registry.Address}/session-base-{Guid.NewGuid():N}:1");
        await fixture.Engine.Client.Images.TagImageAsync(EngineFixture.BaseImage, new() { RepositoryName = remote.Repository, Tag = remote.Tag });
        await fixture.Engine.PushAsync(remote, credentials, _ => { });
        await fixture.Engine.Client.Images.DeleteImageAsync(remote.ToString(), new() { NoPrune = true });
        _context.Write("Dockerfile", $"FROM {remote}\nRUN echo pulled\n");

        var refused = await Assert.ThrowsAnyAsync<ContainerException>(() => Pipeline().RunAsync(fixture.Engine));
        var result = await Pipeline().ConfigureBuild(b => b with { RegistryCredentials = new Dictionary<string, RegistryCredentials> { [registry.Address] = credentials } })
            .RunAsync(fixture.Engine);

        Assert.Contains("401 Unauthorized", refused.Message);
        Assert.Contains(_log, l => l.Contains($"The engine pulls from {registry.Address} as {AuthRegistry.User}.", StringComparison.Ordinal));
        Assert.NotNull(await fixture.Engine.InspectImageAsync(result.ImageId));
        Assert.DoesNotContain(_log, l => l.Contains(registry.Password, StringComparison.Ordinal));
        await fixture.Engine.Client.Images.DeleteImageAsync(remote.ToString(), new() { Force = true, NoPrune = true }).ContinueWith(_ => { });
    }

    [Fact]
    public async Task A_session_cut_mid_build_fails_saying_so_and_tags_nothing()
    {
        var data = new byte[32 * 1024 * 1024];
        Random.Shared.NextBytes(data);
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY big.bin /big.bin\n");
        await File.WriteAllBytesAsync(Path.Combine(_context.Path, "big.bin"), data);
        await using var proxy = new CuttingProxy(fixture.Endpoint.SocketPath, marker: null) { CutSessionAfter = 4 * 1024 * 1024 };
        using var cutting = ContainerEngine.Connect(proxy.Path);

        var error = await Assert.ThrowsAnyAsync<ContainerException>(() => Pipeline("session-cut").RunAsync(cutting).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.True(proxy.Cut, error.Message);
        Assert.Contains("The BuildKit session with the engine at ", error.Message);
        Assert.Contains("was cut during the build, so the engine could not read the context", error.Message);
        Assert.Null(await fixture.Engine.InspectImageAsync(EngineFixture.Repository("session-cut") + ":build"));
        var containers = await fixture.Engine.Client.Containers.ListContainersAsync(new() { All = true });
        Assert.DoesNotContain(containers, c => c.Labels is not null && c.Labels.TryGetValue(ResourceLabels.Run, out var run) && run == ResourceLabels.RunId);
    }

    /// Whether a stream holds the bytes, read in blocks that overlap by the needle's length.
    private static async Task<bool> ContainsAsync(Stream stream, byte[] needle)
    {
        var buffer = new byte[1024 * 1024 + needle.Length];
        var kept = 0;
        while (await stream.ReadAsync(buffer.AsMemory(kept, buffer.Length - kept)) is var read and > 0)
        {
            var filled = kept + read;
            if (buffer.AsSpan(0, filled).IndexOf(needle) >= 0) return true;
            kept = Math.Min(needle.Length - 1, filled);
            buffer.AsSpan(filled - kept, kept).CopyTo(buffer);
        }
        return false;
    }

    public void Dispose() => _context.Dispose();
}
