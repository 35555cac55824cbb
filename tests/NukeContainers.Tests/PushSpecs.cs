using NukeContainers.Registry;
using NukeContainers.Reporting;
using Semver;

namespace NukeContainers.Tests;

/// Tag and push against the real local registry, and a second one with htpasswd auth.
[Collection(EngineCollection.Name)]
public sealed class PushSpecs(EngineFixture fixture) : IAsyncLifetime
{
    private readonly TempFolder _context = new();
    private readonly List<string> _log = [];
    private readonly List<(string Registry, RegistryCredentials? Credentials, string Repository, string Digest)> _pushed = [];

    private ImagePipeline Image(string registry, string name, string content)
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {content} > /content\n");
        return Containers.Image($"{registry}/{EngineFixture.Repository(name)}").Label(Engine.ResourceLabels.Run, Engine.ResourceLabels.RunId)
            .FromDockerfile(_context.Path).WithLog(_log.Add);
    }

    private async Task<ImageResult> RunAsync(ImagePipeline pipeline, RegistryCredentials? credentials = null)
    {
        var result = await pipeline.RunAsync(fixture.Engine);
        if (result.Image.Digest is { } digest) _pushed.Add((result.Image.Repository.Registry, credentials, result.Image.Repository.Path, digest));
        return result;
    }

    [Fact]
    public async Task Every_tag_is_pushed_and_resolves_to_the_same_digest_which_the_report_holds()
    {
        var pipeline = Image(EngineFixture.RegistryAddress, "push", Guid.NewGuid().ToString("N"))
            .Tag(t => t.SemVer(SemVersion.Parse("1.2.3", SemVersionStyles.Strict)).Sha("0123456789abcdef").InEnvironment("dev")).Push();

        var result = await RunAsync(pipeline);

        Assert.Equal(["1.2.3", "1.2", "1", "latest", "sha-0123456", "dev"], result.Image.Tags);
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        foreach (var tag in result.Image.Tags)
            Assert.Equal(result.Image.Digest, await registry.DigestAsync(result.Image.Repository.Path, tag));
        var report = ContainerReport.From([result], _context.Path).Images[0];
        Assert.Equal(result.Image.Digest, report.Digest());
        Assert.Equal(result.Image.Tags, report.Tags());
        Assert.Equal(["build", "tag", "push", "pushTags"], result.DurationsMs.Keys);
    }

    [Fact]
    public async Task A_version_that_exists_for_another_image_is_refused_unless_forced_and_other_tags_move()
    {
        var version = SemVersion.Parse("2.0.0-rc.1", SemVersionStyles.Strict);
        var first = await RunAsync(Image(EngineFixture.RegistryAddress, "immutable", "first " + Guid.NewGuid()).Tag(t => t.SemVer(version).InEnvironment("staging")).Push());
        var again = await RunAsync(Image(EngineFixture.RegistryAddress, "immutable", "first " + Guid.NewGuid()).Tag(t => t.InEnvironment("staging")).Push());

        var refused = await Assert.ThrowsAsync<ContainerException>(() =>
            RunAsync(Image(EngineFixture.RegistryAddress, "immutable", "second " + Guid.NewGuid()).Tag(t => t.SemVer(version)).Push()));
        var forced = await RunAsync(Image(EngineFixture.RegistryAddress, "immutable", "third " + Guid.NewGuid()).Tag(t => t.SemVer(version)).Push(p => p with { Force = true }));

        Assert.Contains(":2.0.0-rc.1 already exists in 127.0.0.1:5000 for another image", refused.Message);
        Assert.Contains("versions are immutable", refused.Message);
        Assert.NotEqual(first.Image.Digest, again.Image.Digest); // the environment tag moved
        Assert.NotEqual(first.Image.Digest, forced.Image.Digest);
    }

    [Fact]
    public async Task A_version_is_not_replaced_by_another_image_even_of_the_same_commit_and_the_refusal_names_the_commit()
    {
        var version = SemVersion.Parse("3.1.0", SemVersionStyles.Strict);
        ImagePipeline Build(string content, string revision) =>
            Image(EngineFixture.RegistryAddress, "rerun", content + Guid.NewGuid()).OciLabels(version.ToString(), revision, null, null, null).Tag(t => t.SemVer(version)).Push();
        var first = await RunAsync(Build("first", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));

        var rerun = await Assert.ThrowsAsync<ContainerException>(() => RunAsync(Build("rerun", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")));
        var other = await Assert.ThrowsAsync<ContainerException>(() => RunAsync(Build("other", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")));

        foreach (var refused in new[] { rerun, other })
        {
            Assert.Contains("for another image (sha256:", refused.Message);
            Assert.Contains("built from commit aaaaaaaaaaaa): versions are immutable", refused.Message);
        }
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        Assert.Equal(first.Image.Digest, await registry.DigestAsync(first.Image.Repository.Path, "3.1.0")); // the refused pushes moved nothing
    }

    [Fact]
    public async Task Two_runs_pushing_one_version_at_once_leave_every_release_tag_on_one_image_and_the_loser_names_the_winner()
    {
        var version = SemVersion.Parse("2.0.0", SemVersionStyles.Strict);
        var repository = $"{EngineFixture.RegistryAddress}/{EngineFixture.Repository("race")}";
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        for (var round = 0; round < 3; round++)
        {
            // Two commits' images (built first, apart), pushed at the same moment under the same version.
            var pipelines = new List<ImagePipeline>();
            foreach (var commit in new[] { "a", "b" })
            {
                using var context = new TempFolder().Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {commit} {Guid.NewGuid():N} > /content\n");
                // Each built in a repository of its own: a build moves its repository's working tag and removes the image before.
                var built = await Containers.Image($"{repository}-build-{commit}").Label(Engine.ResourceLabels.Run, Engine.ResourceLabels.RunId).FromDockerfile(context.Path).RunAsync(fixture.Engine);
                pipelines.Add(Containers.Image(repository).FromImage(built.ImageId, built.SizeBytes).WithLog(_log.Add)
                    .Tag(t => t.SemVer(version).Sha(new string(commit[0], 40)).InEnvironment("dev")).Push());
            }
            var runs = pipelines.Select(p => Task.Run(() => p.RunAsync(fixture.Engine))).ToList();
            try
            {
                await Task.WhenAll(runs);
            }
            catch (ContainerException)
            {
                // Looked at below, run by run.
            }
            foreach (var carrier in new[] { "sha-aaaaaaa", "sha-bbbbbbb", "2.0.0" })
                if (await registry.DigestAsync(EngineFixture.Repository("race"), carrier) is { } pushed) _pushed.Add((EngineFixture.RegistryAddress, null, EngineFixture.Repository("race"), pushed));

            var winner = await registry.DigestAsync(EngineFixture.Repository("race"), "2.0.0");
            Assert.NotNull(winner);
            Assert.Contains(runs, r => r.IsCompletedSuccessfully && r.Result.Image.Digest == winner);
            var outcomes = string.Join("\n", runs.Select(r => r.IsCompletedSuccessfully ? $"ok {r.Result.Image.Digest}" : $"failed: {r.Exception!.InnerException!.Message}"));
            foreach (var tag in new[] { "2.0", "2", "latest" })
                Assert.True(winner == await registry.DigestAsync(EngineFixture.Repository("race"), tag), $"round {round}: {tag} is not on {winner}:\n{outcomes}\n{string.Join("\n", _log.Where(l => l.Contains(" name ")))}");
            foreach (var lost in runs.Where(r => r.IsFaulted))
                Assert.Contains(winner![..19], lost.Exception!.InnerException!.Message);
            // The next round's images are new: the version is taken by this round's winner, so it must go.
            foreach (var digest in _pushed.Select(p => p.Digest).Distinct().ToList()) await registry.DeleteManifestAsync(EngineFixture.Repository("race"), digest);
            _pushed.Clear();
        }
    }

    [Fact]
    public async Task A_registry_that_fails_every_upload_stops_the_push_once_it_stalls_naming_the_status_and_the_registrys_error()
    {
        await using var failing = new FailingRegistry();
        var pipeline = Image(failing.Address, "failing", Guid.NewGuid().ToString("N")).Tag("dev").Push(p => p with { StallTimeout = TimeSpan.FromSeconds(10) });

        var error = await Assert.ThrowsAsync<ContainerException>(() => RunAsync(pipeline));

        Assert.True(failing.Failed > 0, "the registry failed no upload");
        // Docker 20.10 retries a failed layer for about 50 s, and the push is tried up to 4 times: the stall stops them
        // all. Docker 26 gives up on a layer at once, and the 4 attempts end first.
        Assert.Matches($@"/nukecontainers-test/failing-{EngineFixture.RunSuffix}:dev to {failing.Address} (made no progress for 10 s|failed after 4 attempts)", error.Message);
        Assert.Contains($"The registry {failing.Address} answers an upload with 500 Internal Server Error: {FailingRegistry.Failure} (UNKNOWN).", error.Message);
        Assert.Equal(TimeSpan.FromSeconds(60), new Pushing.PushSettings().StallTimeout);
    }

    [Fact]
    public async Task With_the_right_credentials_the_push_works_and_with_wrong_ones_it_fails_clearly_and_never_shows_the_password()
    {
        await using var registry = await AuthRegistry.StartAsync();
        var content = Guid.NewGuid().ToString("N");
        var wrong = new RegistryCredentials(AuthRegistry.User, "wrong-" + registry.Password);

        var error = await Assert.ThrowsAsync<ContainerException>(() =>
            RunAsync(Image(registry.Address, "auth", content).Tag("1.0.0").Push(p => p with { Credentials = wrong })));
        var right = new RegistryCredentials(AuthRegistry.User, registry.Password);
        var result = await RunAsync(Image(registry.Address, "auth", content).Tag("1.0.0").Push(p => p with { Credentials = right }), right);

        Assert.Contains($"Pushing {registry.Address}/{EngineFixture.Repository("auth")}:1.0.0 to {registry.Address} failed:", error.Message);
        Assert.Contains($"Check the credentials for {registry.Address}", error.Message);
        Assert.DoesNotContain(_log, l => l.StartsWith("Push failed", StringComparison.Ordinal)); // not retried: a 401 never is
        Assert.StartsWith("sha256:", result.Image.Digest);
        var everything = string.Join("\n", _log) + error + right + wrong;
        Assert.DoesNotContain(registry.Password, everything);
    }

    [Fact]
    public async Task A_credential_helper_named_by_the_docker_config_is_asked_and_its_secret_is_used_and_never_printed()
    {
        await using var registry = await AuthRegistry.StartAsync();
        using var home = new TempFolder();
        var asked = Path.Combine(home.Path, "asked");
        home.Write("bin/docker-credential-testhelper", $$"""
            #!/bin/sh
            read server
            echo "$1 $server" >> '{{asked}}'
            printf '{"ServerURL":"%s","Username":"{{AuthRegistry.User}}","Secret":"{{registry.Password}}"}' "$server"
            """);
        File.SetUnixFileMode(Path.Combine(home.Path, "bin/docker-credential-testhelper"), (UnixFileMode)0b111_101_101);
        home.Write("config.json", """{ "credsStore": "testhelper" }""");
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", $"{Path.Combine(home.Path, "bin")}:{path}");
        try
        {
            var result = await RunAsync(Image(registry.Address, "helper", Guid.NewGuid().ToString("N")).Tag("1.0.0")
                .Push(p => p with { DockerConfigPath = Path.Combine(home.Path, "config.json") }), new RegistryCredentials(AuthRegistry.User, registry.Password));

            Assert.StartsWith("sha256:", result.Image.Digest);
            Assert.Equal($"get {registry.Address}\n", await File.ReadAllTextAsync(asked));
            Assert.DoesNotContain(registry.Password, string.Join("\n", _log));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }

    [Theory]
    [InlineData("auths")]
    [InlineData("credHelpers")]
    public async Task Credentials_come_from_the_docker_configs_auths_or_the_helper_it_names_for_the_registry(string kind)
    {
        await using var registry = await AuthRegistry.StartAsync();
        using var home = new TempFolder();
        home.Write("bin/docker-credential-forthis", $$"""
            #!/bin/sh
            read server
            printf '{"ServerURL":"%s","Username":"{{AuthRegistry.User}}","Secret":"{{registry.Password}}"}' "$server"
            """);
        File.SetUnixFileMode(Path.Combine(home.Path, "bin/docker-credential-forthis"), (UnixFileMode)0b111_101_101);
        var auth = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{AuthRegistry.User}:{registry.Password}"));
        home.Write("config.json", kind == "auths"
            ? $$"""{ "auths": { "other.example.com": { "auth": "eDp5" }, "{{registry.Address}}": { "auth": "{{auth}}" } } }"""
            : $$"""{ "credsStore": "missing-store", "credHelpers": { "{{registry.Address}}": "forthis" } }""");
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", $"{Path.Combine(home.Path, "bin")}:{path}");
        try
        {
            var credentials = await DockerConfig.FindAsync(registry.Address, Path.Combine(home.Path, "config.json"));
            var result = await RunAsync(Image(registry.Address, "config-" + kind.ToLowerInvariant(), Guid.NewGuid().ToString("N")).Tag("1.0.0")
                .Push(p => p with { DockerConfigPath = Path.Combine(home.Path, "config.json") }), credentials);

            Assert.Equal(new RegistryCredentials(AuthRegistry.User, registry.Password), credentials);
            Assert.StartsWith("sha256:", result.Image.Digest);
            Assert.DoesNotContain(registry.Password, credentials!.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }

    [Fact]
    public async Task A_registry_with_token_auth_is_answered_with_a_bearer_token_for_pushing_and_promoting()
    {
        TokenService? tokens = null;
        await using var registry = await AuthRegistry.StartAsync((user, password) => tokens = new TokenService(user, password));
        using var _ = tokens;
        var credentials = new RegistryCredentials(AuthRegistry.User, registry.Password);
        var version = SemVersion.Parse("1.0.0", SemVersionStyles.Strict);

        var pushed = await RunAsync(Image(registry.Address, "token", Guid.NewGuid().ToString("N"))
            .Tag(t => t.SemVer(version).InEnvironment("staging")).Push(p => p with { Credentials = credentials }), credentials);
        var issuedForPush = tokens!.Issued;
        var repository = pushed.Image.Repository;
        var promoted = await Promotion.PromoteAsync(repository.WithTag("staging"), repository.WithTag("production"), credentials);
        var wrong = await Assert.ThrowsAsync<ContainerException>(() =>
            Promotion.PromoteAsync(repository.WithTag("staging"), repository.WithTag("qa"), new RegistryCredentials(AuthRegistry.User, "wrong")));

        Assert.Equal(pushed.Image.Digest, promoted.Digest);
        Assert.True(issuedForPush > 0 && tokens.Issued > issuedForPush, $"tokens issued: {issuedForPush} for the push, {tokens.Issued} in all");
        Assert.Contains($"The registry {registry.Address} refused to get a token from {tokens.Realm} (401)", wrong.Message);
        Assert.DoesNotContain(registry.Password, string.Join("\n", _log) + wrong.Message);
    }

    /// One registry client a run (issue 27.4): the push, the tags and the attestations take the pipeline's client for the
    /// registry, which asks the token service once for each access it needs (pull, push), not once a step.
    [Fact]
    public async Task The_steps_of_a_run_share_one_registry_client_which_asks_for_a_token_once_per_access()
    {
        TokenService? tokens = null;
        await using var registry = await AuthRegistry.StartAsync((user, password) => tokens = new TokenService(user, password));
        using var _ = tokens;
        var credentials = new RegistryCredentials(AuthRegistry.User, registry.Password);
        var pipeline = Image(registry.Address, "one-client", Guid.NewGuid().ToString("N"))
            .Tag(t => t.SemVer(SemVersion.Parse("1.0.0", SemVersionStyles.Strict)).InEnvironment("staging"))
            .Push(p => p with { Credentials = credentials }).Attest(a => a with { Sbom = false, Credentials = credentials });

        var pushed = await RunAsync(pipeline, credentials);
        var client = await pipeline.Registries.ConnectAsync(registry.Address, credentials);

        Assert.NotNull(pushed.Image.Digest);
        Assert.Equal(1, pipeline.Registries.Count);
        Assert.InRange(client.Challenges, 1, 2);   // a pull token and a push token for the repository, whatever the steps
    }

    [Fact]
    public async Task Promoting_into_another_repository_mounts_the_blobs_and_keeps_the_digest()
    {
        var pushed = await RunAsync(Image(EngineFixture.RegistryAddress, "promote-from", Guid.NewGuid().ToString("N")).Tag("candidate").Push());
        var target = Images.ImageReference.Parse($"{EngineFixture.RegistryAddress}/{EngineFixture.Repository("promote-to")}:release");

        var promoted = await Promotion.PromoteAsync(pushed.Image.Repository.WithTag("candidate"), target, log: _log.Add);
        _pushed.Add((EngineFixture.RegistryAddress, null, target.Path, promoted.Digest));

        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        Assert.Equal(pushed.Image.Digest, promoted.Digest);
        Assert.Equal(pushed.Image.Digest, await registry.DigestAsync(target.Path, "release"));
        Assert.True(promoted.MountedBlobs >= 2, $"mounted {promoted.MountedBlobs} blobs (a config and at least one layer)");
        Assert.Contains(_log, l => l.StartsWith($"Promoted {pushed.Image.Repository}:candidate to {target}: {promoted.Digest} (", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Promoting_onto_a_version_tag_that_names_another_image_is_refused_unless_forced_and_a_missing_source_is_named()
    {
        var release = await RunAsync(Image(EngineFixture.RegistryAddress, "promote-version", Guid.NewGuid().ToString("N")).Tag("1.4.0").Push());
        var candidate = await RunAsync(Image(EngineFixture.RegistryAddress, "promote-version", Guid.NewGuid().ToString("N")).Tag("candidate").Push());
        var repository = release.Image.Repository;

        var refused = await Assert.ThrowsAsync<ContainerException>(() => Promotion.PromoteAsync(repository.WithTag("candidate"), repository.WithTag("1.4.0")));
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        var unmoved = await registry.DigestAsync(repository.Path, "1.4.0");
        var missing = await Assert.ThrowsAsync<ContainerException>(() => Promotion.PromoteAsync(repository.WithTag("nosuch"), repository.WithTag("production")));
        var forced = await Promotion.PromoteAsync(repository.WithTag("candidate"), repository.WithTag("1.4.0"), force: true);

        Assert.Equal($"{repository}:1.4.0 already names another image ({release.Image.Digest![..19]}), and version tags are immutable: " +
                     "promote to an environment's tag (such as production), or pass --force-tags to replace it.", refused.Message);
        Assert.Equal(release.Image.Digest, unmoved);
        Assert.Equal($"{repository}:nosuch does not exist: {repository.Registry}/{repository.Path} has no tag 'nosuch' (its tags: 1.4.0, candidate). Check --from.", missing.Message);
        Assert.DoesNotContain("{", missing.Message);
        Assert.Equal(candidate.Image.Digest, forced.Digest);
    }

    [Theory]
    [InlineData("""{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nosuch"}}]}""", "manifest unknown (MANIFEST_UNKNOWN)")]
    [InlineData("""{"errors":[{"code":"DENIED"},{"code":"UNAUTHORIZED","message":"authentication required"}]}""", "DENIED; authentication required (UNAUTHORIZED)")]
    [InlineData("  404 page not found\n", "404 page not found")]
    [InlineData("", "no reason given")]
    public void A_registry_error_body_is_read_as_its_reasons(string body, string reason) =>
        Assert.Equal(reason, RegistryClient.Reason(body));

    [Fact]
    public async Task A_registry_that_does_not_answer_gets_a_bounded_number_of_tries_and_then_a_clear_failure()
    {
        var address = $"127.0.0.1:{EngineFixture.FreePort()}";

        var error = await Assert.ThrowsAsync<ContainerException>(() =>
            RunAsync(Image(address, "stopped", Guid.NewGuid().ToString("N")).Tag("1.0.0")
                .Push(p => p with { MaxAttempts = 3, FirstRetryDelay = TimeSpan.FromMilliseconds(50) })));

        Assert.StartsWith($"Pushing {address}/{EngineFixture.Repository("stopped")}:1.0.0 to {address} failed after 3 attempts:", error.Message);
        Assert.Matches($@"The registry {System.Text.RegularExpressions.Regex.Escape(address)} cannot be asked \(.+\): check that it runs and that this machine reaches it\.$", error.Message);
        Assert.Equal(2, _log.Count(l => l.StartsWith("Push failed", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task While_the_engine_retries_a_layer_the_registry_failed_the_log_says_so_at_once()
    {
        // A registry that answers /v2/ and fails every upload with 500: the engine retries each layer for ~50 s.
        // The containerd image store's pusher (Docker 26's) does not retry: there the push fails at once, and our
        // retry says so in the log before it tries again.
        var port = EngineFixture.FreePort();
        using var failing = new System.Net.HttpListener { Prefixes = { $"http://127.0.0.1:{port}/" } };
        failing.Start();
        _ = Task.Run(async () =>
        {
            while (failing.IsListening)
            {
                var call = await failing.GetContextAsync();
                call.Response.StatusCode = call.Request.Url!.AbsolutePath == "/v2/" ? 200 : call.Request.HttpMethod == "HEAD" ? 404 : 500;
                call.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
                call.Response.Close();
            }
        });
        if (await fixture.Engine.ImageStoreAsync() == NukeContainers.Engine.ImageStore.Containerd)
        {
            var failed = await Assert.ThrowsAsync<ContainerException>(() => RunAsync(Image($"127.0.0.1:{port}", "retrying", Guid.NewGuid().ToString("N")).Tag("1.0.0")
                .Push(p => p with { MaxAttempts = 2, FirstRetryDelay = TimeSpan.FromMilliseconds(50) })));
            Assert.Contains("failed after 2 attempts: ", failed.Message);
            Assert.Single(_log, l => l.StartsWith("Push failed (", StringComparison.Ordinal) && l.Contains("500 Internal Server Error); trying again in ", StringComparison.Ordinal));
            return;
        }
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var started = DateTime.UtcNow;
        var said = TimeSpan.Zero;
        var pipeline = Image($"127.0.0.1:{port}", "retrying", Guid.NewGuid().ToString("N")).Tag("1.0.0").Push(p => p with { MaxAttempts = 1 })
            .WithLog(line =>
            {
                _log.Add(line);
                if (!line.Contains("the engine sends it again", StringComparison.Ordinal) || said > TimeSpan.Zero) return;
                said = DateTime.UtcNow - started;
                cancel.CancelAfter(TimeSpan.FromSeconds(3));   // through the countdown's next ticks, not the engine's whole 50 s
            });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipeline.RunAsync(fixture.Engine, cancel.Token));

        Assert.Contains(_log, l => l.Contains(": the registry failed this layer; the engine sends it again (retrying in ", StringComparison.Ordinal));
        Assert.True(said > TimeSpan.Zero && said < TimeSpan.FromSeconds(20), $"said after {said}");
        var layer = _log.First(l => l.Contains("sends it again", StringComparison.Ordinal)).Split(':')[0];
        Assert.Equal(1, _log.Count(l => l.StartsWith(layer + ":", StringComparison.Ordinal) && l.Contains("sends it again", StringComparison.Ordinal)));   // once a round, not once a second
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// What the tests pushed to the shared registry goes again.
    public async Task DisposeAsync()
    {
        foreach (var (registry, credentials, repository, digest) in _pushed.Where(p => p.Registry == EngineFixture.RegistryAddress))
        {
            using var client = new RegistryClient(registry, credentials);
            await client.DeleteManifestAsync(repository, digest);
        }
        _context.Dispose();
    }
}
