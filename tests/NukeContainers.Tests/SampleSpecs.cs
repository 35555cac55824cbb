namespace NukeContainers.Tests;

/// The case studies: each sample builds optimised and naive on the base images made here, runs, and answers HTTP.
[Collection(EngineCollection.Name)]
public sealed class SampleSpecs(EngineFixture fixture)
{
    /// Port 0: the app reads $PORT, and gets one from the system. node-web's nginx listens on 8082 as configured.
    public static TheoryData<string, int, string, string, double> Samples => new()
    {
        { "go-api", 0, "/api/greeting?name=ci", "hello, ci from go-api", 0.02 },
        { "node-web", 8082, "/about", "<h1>About</h1>", 0.10 },
        { "dotnet-api", 0, "/api/greeting?name=ci", "hello, ci from dotnet-api", 0.15 },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task A_sample_builds_both_ways_runs_and_answers_HTTP_within_its_size_budget(string name, int port, string path, string expected, double budget)
    {
        var baseImages = await Containers.LocalBaseImagesAsync(fixture.Engine, fixture.Log.Add);
        var log = new List<string>();

        var result = await EngineFixture.Pipeline($"samples-{name}")
            .FromDockerfile(Path.Combine(EngineFixture.RepositoryRoot(), "samples", name)).Target("runtime").CompareWith("Dockerfile.naive")
            .BuildArgs(baseImages).WithLog(log.Add)
            .RunAsync(fixture.Engine);

        var baseline = result.Build!.Baseline;
        Assert.NotNull(baseline);
        await AssertAnswersAsync(result.ImageId, port, path, expected);
        Assert.Null(await fixture.Engine.InspectImageAsync(baseline.ImageId)); // a working image: removed once measured
        var naive = await EngineFixture.Pipeline($"samples-{name}-naive")
            .FromDockerfile(Path.Combine(EngineFixture.RepositoryRoot(), "samples", name), "Dockerfile.naive").BuildArgs(baseImages).WithLog(log.Add)
            .RunAsync(fixture.Engine);
        await AssertAnswersAsync(naive.ImageId, port, path, expected);
        // The naive image slimmed as it is: no base is known, so every layer, the toolchain's too, loses what should not ship.
        var slimmed = await Containers.Image(EngineFixture.Repository($"samples-{name}-naive")).FromImage(naive.ImageId, naive.SizeBytes)
            .Slim(s => s.RemoveAll()).WithLog(log.Add).RunAsync(fixture.Engine);
        await AssertAnswersAsync(slimmed.ImageId, port, path, expected);
        var slim = slimmed.Slim!;
        Assert.True(slim.AfterBytes <= 0.75 * slim.BeforeBytes,
            $"{name}: slimming the naive image took it from {slim.BeforeBytes:N0} to {slim.AfterBytes:N0} bytes, less than 25% off");
        Assert.True(result.SizeRatio <= budget,
            $"{name}: {result.SizeBytes:N0} bytes is {result.SizeRatio:P1} of the naive {baseline.SizeBytes:N0}, over {budget:P0}");
        var config = (await fixture.Engine.InspectImageAsync(result.ImageId))!.Config!;
        Assert.Equal("65532:65532", config.User); // set by the sample, or inherited from the local base image
    }

    [Fact]
    public async Task A_sample_with_cache_mounts_still_builds_with_the_legacy_builder_and_answers()
    {
        var baseImages = await Containers.LocalBaseImagesAsync(fixture.Engine, fixture.Log.Add);
        var log = new List<string>();

        var result = await EngineFixture.Pipeline("samples-go-api-legacy").FromDockerfile(Path.Combine(EngineFixture.RepositoryRoot(), "samples", "go-api"))
            .Target("runtime").BuildArgs(baseImages).UseBuilder(Building.Builder.Legacy).WithLog(log.Add).RunAsync(fixture.Engine);

        await AssertAnswersAsync(result.ImageId, 0, "/api/greeting?name=ci", "hello, ci from go-api");
        Assert.Contains(log, l => l.StartsWith("The legacy builder has no RUN --mount", StringComparison.Ordinal));
    }

    /// Starts the image and asks it until its answer holds the expected text (30 s at most). A fixed port is held
    /// under a machine-wide lock while the container runs, so test runs that share the machine take turns with it.
    private async Task AssertAnswersAsync(string image, int fixedPort, string path, string expected)
    {
        var port = fixedPort == 0 ? EngineFixture.FreePort() : fixedPort;
        await using var portLock = fixedPort == 0 ? null
            : await Utils.FileLock.AcquireAsync(Path.Combine(Path.GetTempPath(), $"nukecontainers-port-{fixedPort}.lock"), CancellationToken.None);
        await using var container = await fixture.Engine.StartAsync(image, new Dictionary<string, string> { ["PORT"] = port.ToString() });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var last = "";
        for (var attempt = 0; attempt < 60; attempt++, await Task.Delay(500))
        {
            try
            {
                last = await http.GetStringAsync($"http://127.0.0.1:{port}{path}");
                if (last.Contains(expected)) return;
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
        }
        Assert.Fail($"no answer with '{expected}' from {image} on port {port}: {last}\nThe container's output:\n{await container.LogsAsync()}");
    }

}
