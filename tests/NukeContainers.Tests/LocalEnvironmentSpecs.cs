using NukeContainers.Engine;

namespace NukeContainers.Tests;

[Collection(EngineCollection.Name)]
public sealed class LocalEnvironmentSpecs(EngineFixture fixture)
{
    [Fact]
    public async Task A_running_environment_is_reused_and_answers()
    {
        var again = await LocalEnvironment.EnsureAsync(new LocalEnvironmentOptions { Log = _ => { } });

        Assert.False(again.StartedEngine);
        Assert.False(again.StartedRegistry);
        Assert.Equal(fixture.Environment.EngineSocket, again.EngineSocket);
        var version = await fixture.Engine.Client.System.GetVersionAsync();
        Assert.False(string.IsNullOrEmpty(version.APIVersion));
        using var http = new HttpClient();
        using var catalog = await http.GetAsync($"http://{again.Registry}/v2/_catalog");
        Assert.True(catalog.IsSuccessStatusCode, $"the registry at {again.Registry} answered {(int)catalog.StatusCode}");
    }

    [Theory]
    [InlineData("unix:///nonexistent/docker.sock", "DOCKER_HOST=unix:///nonexistent/docker.sock does not answer. Start that engine, or unset DOCKER_HOST")]
    [InlineData("tcp://127.0.0.1:2375", "DOCKER_HOST=tcp://127.0.0.1:2375: only unix:// sockets are supported")]
    public async Task An_engine_named_by_DOCKER_HOST_must_answer_and_nothing_else_is_tried(string dockerHost, string message)
    {
        var error = await Assert.ThrowsAsync<ContainerException>(() =>
            LocalEnvironment.EnsureAsync(new LocalEnvironmentOptions { DockerHost = dockerHost, Log = _ => { } }));

        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public async Task When_it_may_not_start_anything_a_missing_component_is_an_error_that_says_what_to_do()
    {
        using var state = new TempFolder();

        var error = await Assert.ThrowsAsync<ContainerException>(() => LocalEnvironment.EnsureAsync(new LocalEnvironmentOptions
        {
            StateDirectory = state.Path, RegistryAddress = "127.0.0.1:5999", AllowStart = false, Log = _ => { },
        }));

        Assert.Contains("starting one is switched off", error.Message);
        Assert.Contains("set DOCKER_HOST=unix:///path/to/docker.sock", error.Message);
    }
}
