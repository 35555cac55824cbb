using NukeContainers.Building;

namespace NukeContainers.Tests;

/// The engine's build output, as recorded from the real engine (testdata/engine/SOURCES.md), read without an engine.
public sealed class BuildOutputSpecs
{
    private readonly List<string> _log = [];

    private Task<(string ImageId, IReadOnlyList<BuildStep> Steps)> Read(string file, Builder builder)
    {
        var stream = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "testdata", "engine", file));
        return ImageBuilder.ReadOutputAsync(stream, builder, _log.Add, CancellationToken.None);
    }

    [Fact]
    public async Task A_BuildKit_failure_names_the_step_the_error_and_the_steps_output()
    {
        var error = await Assert.ThrowsAsync<ImageBuildException>(() => Read("buildkit-failing-run.jsonl", Builder.BuildKit));

        Assert.Equal("""[2/2] RUN echo compiling && echo "error: undefined: handler" && exit 2""", error.Step);
        Assert.EndsWith("exit code: 2", error.Error);
        Assert.Equal(["compiling", "error: undefined: handler"], error.LogTail);
        Assert.Contains("   error: undefined: handler", _log);
    }

    [Fact]
    public async Task A_legacy_failure_names_the_step_and_its_output()
    {
        var error = await Assert.ThrowsAsync<ImageBuildException>(() => Read("legacy-failing-run.jsonl", Builder.Legacy));

        Assert.Equal("""RUN echo compiling && echo "error: undefined: handler" && exit 2""", error.Step);
        Assert.EndsWith("returned a non-zero code: 2", error.Error);
        Assert.Contains("error: undefined: handler", error.LogTail);
    }

    [Fact]
    public async Task A_cached_BuildKit_rebuild_reports_every_step_cached_and_the_image_id()
    {
        var (imageId, steps) = await Read("buildkit-cached.jsonl", Builder.BuildKit);

        Assert.StartsWith("sha256:", imageId);
        Assert.Equal(["[2/3] COPY Dockerfile /d", "[3/3] RUN wc -c /d"], steps.Select(s => s.Name));
        Assert.All(steps, s => Assert.True(s.Cached));
        Assert.Contains("=> [3/3] RUN wc -c /d: CACHED", _log);
    }
}
