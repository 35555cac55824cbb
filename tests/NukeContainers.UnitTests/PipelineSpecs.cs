using NukeContainers.Building;
using NukeContainers.Engine;

namespace NukeContainers.Tests;

public sealed class PipelineSpecs
{
    [Fact]
    public void Every_call_returns_a_new_pipeline_and_leaves_the_original_as_it_was()
    {
        var shared = Containers.Image("127.0.0.1:5000/samples/go-api").FromDockerfile("samples/go-api").BuildArg("GO_VERSION", "1.22");

        var staging = shared.Target("runtime").BuildArg("GO_VERSION", "1.23").Label("env", "staging").UseBuilder(Builder.Legacy);

        Assert.Null(shared.Build!.Target);
        Assert.Equal("1.22", shared.Build!.BuildArgs["GO_VERSION"]);
        Assert.Empty(shared.Build!.Labels);
        Assert.Equal(Builder.BuildKit, shared.Build!.Builder);
        Assert.Equal("runtime", staging.Build!.Target);
        Assert.Equal("1.23", staging.Build!.BuildArgs["GO_VERSION"]);
        Assert.Equal("staging", staging.Build!.Labels["env"]);
        Assert.Equal(Builder.Legacy, staging.Build!.Builder);
    }

    [Fact]
    public void Build_args_from_a_dictionary_are_merged_with_the_ones_given_before()
    {
        var pipeline = Containers.Image("app").BuildArg("A", "1").BuildArgs(new Dictionary<string, string> { ["B"] = "2", ["A"] = "3" });

        Assert.Equal(new Dictionary<string, string> { ["A"] = "3", ["B"] = "2" }, pipeline.Build!.BuildArgs);
    }

    [Fact]
    public void The_report_name_is_the_repositorys_last_segment_unless_named()
    {
        Assert.Equal("go-api", Containers.Image("127.0.0.1:5000/samples/go-api").Name);
        Assert.Equal("api", Containers.Image("127.0.0.1:5000/samples/go-api").WithName("api").Name);
    }

    [Theory]
    [InlineData("", "An image reference cannot be empty")]
    [InlineData("127.0.0.1:5000/Samples/GoApi", "'127.0.0.1:5000/Samples/GoApi' is not a valid image reference: the repository name must be lower case.")]
    [InlineData("my app", "'my app' is not a valid image reference: the path component 'my app' is not valid")]
    [InlineData("127.0.0.1:5000/app:1.0", "'127.0.0.1:5000/app:1.0' names a tag; give the repository alone, such as 127.0.0.1:5000/app.")]
    public void A_repository_that_is_not_a_valid_reference_is_refused_at_once_naming_the_bad_part(string repository, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => Containers.Image(repository));

        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public async Task Running_a_pipeline_with_nothing_to_do_says_what_to_call()
    {
        using var unreachable = ContainerEngine.Connect("/nonexistent/docker.sock");

        var empty = await Assert.ThrowsAsync<ContainerException>(() => Containers.Image("app").RunAsync(unreachable));
        var noContext = await Assert.ThrowsAsync<ContainerException>(() => Containers.Image("app").Target("runtime").RunAsync(unreachable));

        Assert.Equal("The pipeline for app has no steps: call FromDockerfile(contextFolder) to build, or add another step.", empty.Message);
        Assert.Equal("The build step has no context folder: call FromDockerfile(contextFolder).", noContext.Message);
    }
}
