using System.Net;
using System.Net.Sockets;
using NukeContainers.Engine;
using NukeContainers.Provisioning;

namespace NukeContainers.Tests;

/// Finding an engine (a chain of providers that never installs anything) apart from provisioning one.
[Collection(EngineCollection.Name)]
public sealed class LocalEnvironmentSpecs(EngineFixture fixture)
{
    [Fact]
    public async Task A_running_environment_is_found_and_reused_and_answers()
    {
        var again = await EmbeddedEnvironment.EnsureEngineAsync(new EmbeddedEnvironmentOptions { Log = _ => { } });
        var registryStarted = await EmbeddedEnvironment.EnsureRegistryAsync(EngineFixture.RegistryAddress, new EmbeddedEnvironmentOptions { Log = _ => { } });

        Assert.False(again.Started);
        Assert.False(registryStarted);
        Assert.Equal(fixture.Endpoint, again.Endpoint);
        Assert.Equal(fixture.Endpoint, await EngineDiscovery.Default().FindAsync());
        var version = await fixture.Engine.Client.System.GetVersionAsync();
        Assert.False(string.IsNullOrEmpty(version.APIVersion));
        using var http = new HttpClient();
        using var catalog = await http.GetAsync($"http://{EngineFixture.RegistryAddress}/v2/_catalog");
        Assert.True(catalog.IsSuccessStatusCode, $"the registry at {EngineFixture.RegistryAddress} answered {(int)catalog.StatusCode}");
    }

    [Theory]
    [InlineData("unix:///nonexistent/docker.sock", "DOCKER_HOST=unix:///nonexistent/docker.sock does not answer. Start that engine, or unset DOCKER_HOST")]
    [InlineData("tcp://127.0.0.1:1", "The engine at tcp://127.0.0.1:1/ does not answer (")]
    [InlineData("ssh://build@127.0.0.1:1", "The engine at ssh://build@127.0.0.1:1/ does not answer through ssh (ssh exited with code 255: ")]
    [InlineData("npipe:////./pipe/docker_engine", "DOCKER_HOST=npipe:////./pipe/docker_engine: give unix:///path/to/docker.sock, tcp://HOST:PORT (with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH for TLS) or ssh://[USER@]HOST[:PORT]")]
    public async Task An_engine_named_by_DOCKER_HOST_must_answer_and_nothing_else_is_tried(string dockerHost, string message)
    {
        var discovery = new EngineDiscovery([new DockerHostProvider(dockerHost), new SocketProvider(fixture.Endpoint.SocketPath, "the test's engine")]);

        var error = await Assert.ThrowsAsync<ContainerException>(() => discovery.FindAsync());

        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public async Task Discovery_asks_each_provider_in_turn_and_says_where_it_looked_when_none_answers()
    {
        var found = await new EngineDiscovery([new DockerHostProvider(null), new SocketProvider("/nonexistent/a.sock", "first"), new SocketProvider(fixture.Endpoint.SocketPath, "second")]).FindAsync();
        var error = await Assert.ThrowsAsync<ContainerException>(() => new EngineDiscovery([new DockerHostProvider(null), new SocketProvider("/nonexistent/a.sock", "first")]).RequireAsync());

        Assert.Equal(new EngineEndpoint(fixture.Endpoint.SocketPath, "second"), found);
        Assert.StartsWith("No Docker engine answers. Looked at: DOCKER_HOST (not set); /nonexistent/a.sock (first). Start one (./build.sh LocalEnvironment", error.Message);
    }

    [Fact]
    public async Task A_machine_with_an_engine_and_no_registry_finds_its_engine_and_says_what_the_registry_lacks()
    {
        var options = new EmbeddedEnvironmentOptions { AllowStart = false, Log = _ => { } };
        var address = $"127.0.0.1:{EngineFixture.FreePort()}";

        var engine = await EmbeddedEnvironment.EnsureEngineAsync(options);
        var error = await Assert.ThrowsAsync<ContainerException>(() => EmbeddedEnvironment.EnsureRegistryAsync(address, options));

        Assert.Equal(fixture.Endpoint, engine.Endpoint);
        Assert.StartsWith($"No registry answers at http://{address}/v2/, and starting one is switched off.", error.Message);
    }

    [Fact]
    public async Task A_registry_that_cannot_be_the_embedded_one_is_named_when_it_does_not_answer_and_never_started()
    {
        // The engine takes plain HTTP only from 127.0.0.0/8 registries, so the embedded one lives there; [::1] is not that.
        var address = $"[::1]:{EngineFixture.FreePort()}";

        var error = await Assert.ThrowsAsync<ContainerException>(() => EmbeddedEnvironment.EnsureRegistryAsync(address));

        Assert.StartsWith($"The registry {address} does not answer at http(s)://{address}/v2/. Check the --registry value", error.Message);
    }

    [Fact]
    public async Task A_registry_started_at_another_loopback_port_has_storage_of_its_own_and_leaves_the_first_alone()
    {
        // The machine's own state folder, as LocalEnvironment uses it: a second address must not share the first's.
        var options = new EmbeddedEnvironmentOptions { Log = _ => { } };
        var address = $"127.0.0.1:{EngineFixture.FreePort()}";
        var folder = EmbeddedEnvironment.RegistryFolder(address, options);
        var firstCatalog = await CatalogAsync(EngineFixture.RegistryAddress);
        try
        {
            var started = await EmbeddedEnvironment.EnsureRegistryAsync(address, options);

            Assert.True(started);
            Assert.Equal("[]", await CatalogAsync(address));                    // none of the first registry's images
            Assert.Equal(firstCatalog, await CatalogAsync(EngineFixture.RegistryAddress));
            Assert.NotEqual(EmbeddedEnvironment.RegistryFolder(EngineFixture.RegistryAddress, options), folder);
            Assert.Contains($"addr: {address}", await File.ReadAllTextAsync(Path.Combine(folder, "config.yml")));
        }
        finally
        {
            await Utils.Shell.RunAsync("pkill", ["-f", Path.Combine(folder, "config.yml")], CancellationToken.None, check: false);
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<string> CatalogAsync(string address)
    {
        using var http = new HttpClient();
        using var document = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://{address}/v2/_catalog"));
        return document.RootElement.GetProperty("repositories").GetRawText();
    }

    [Fact]
    public async Task The_Docker_26_engine_runs_from_Debian_13s_packages_in_its_own_state_folder_with_the_containerd_image_store()
    {
        var options = EmbeddedEnvironmentOptions.Docker26(_ => { });

        var provisioned = await EmbeddedEnvironment.EnsureEngineAsync(options);
        using var engine = ContainerEngine.Connect(provisioned.Endpoint);
        var again = await EmbeddedEnvironment.EnsureEngineAsync(options);

        Assert.Equal(Path.Combine(options.StateDirectory, "docker.sock"), provisioned.Endpoint.SocketPath);
        Assert.NotEqual(fixture.Endpoint.SocketPath, provisioned.Endpoint.SocketPath);
        Assert.False(again.Started);
        Assert.Equal("1.45", await engine.ApiVersionAsync());
        Assert.Equal(NukeContainers.Engine.ImageStore.Containerd, await engine.ImageStoreAsync());
        Assert.Equal(NukeContainers.Engine.ImageStore.GraphDriver, await fixture.Engine.ImageStoreAsync());
        // Unpacked, not installed: the system's docker.io is still Debian 12's.
        var installed = await Utils.Shell.RunAsync("dpkg-query", ["-W", "-f=${Version}", "docker.io"], CancellationToken.None);
        Assert.StartsWith("20.10", installed.StandardOutput);
    }

    [Fact]
    public async Task When_it_may_not_start_anything_a_missing_engine_is_an_error_that_says_what_to_do()
    {
        using var state = new TempFolder();
        var options = new EmbeddedEnvironmentOptions
        {
            StateDirectory = state.Path, AllowStart = false, Log = _ => { },
            Discovery = new EngineDiscovery([new SocketProvider(Path.Combine(state.Path, "docker.sock"), "the embedded engine")]),
        };

        var error = await Assert.ThrowsAsync<ContainerException>(() => EmbeddedEnvironment.EnsureEngineAsync(options));

        Assert.Contains("starting one is switched off", error.Message);
        Assert.Contains("set DOCKER_HOST=unix:///path/to/docker.sock", error.Message);
    }

}
