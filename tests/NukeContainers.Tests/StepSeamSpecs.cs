using System.Text.Json;
using NukeContainers.Reporting;

namespace NukeContainers.Tests;

/// A step added through the seam alone: its settings, its result and its report fields, defined here, nothing else.
[Collection(EngineCollection.Name)]
public sealed class StepSeamSpecs(EngineFixture fixture) : IDisposable
{
    private readonly TempFolder _root = new();

    private sealed record StampStep(string StepName, int StepOrder, List<string> Seen) : IPipelineStep
    {
        public string Name => StepName;
        public int Order => StepOrder;

        public async Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
        {
            Seen.Add($"{Name} saw {context.Image.ImageId ?? "no image"}");
            var inside = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(20, cancellationToken);
            return new StampResult { Image = context.Image with { Tags = context.Image.Tags.Add(Name) }, Stamp = Name, InsideMs = inside.ElapsedMilliseconds };
        }
    }

    private sealed record StampResult : StepResult
    {
        public required string Stamp { get; init; }

        /// What the step measured of itself: the runner's duration, taken around the step, cannot be less.
        public long InsideMs { get; init; }

        public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) => [new(Stamp, new { Stamped = true })];
    }

    [Fact]
    public async Task A_step_of_a_teams_own_runs_in_its_place_gets_the_image_as_the_step_before_left_it_is_timed_and_reported()
    {
        _root.Write("app/Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var seen = new List<string>();

        var result = await EngineFixture.Pipeline("seam").FromDockerfile(Path.Combine(_root.Path, "app")).WithLog(_ => { })
            .WithStep(new StampStep("afterTag", StepOrder.Tag + 1, seen))          // added first, runs last
            .WithStep(new StampStep("beforeBuild", StepOrder.RestoreCache + 1, seen))
            .RunAsync(fixture.Engine);
        var path = await ContainerReport.From([result], _root.Path).WriteAsync(Path.Combine(_root.Path, "artifacts"));

        Assert.Equal(["beforeBuild", "build", "afterTag"], result.DurationsMs.Keys);
        Assert.Equal(["beforeBuild saw no image", $"afterTag saw {result.ImageId}"], seen);
        Assert.Equal(["beforeBuild", "afterTag"], result.Image.Tags);   // the build passed on what the step before it left
        var inside = result.Steps.OfType<StampResult>().Single(s => s.Stamp == "afterTag").InsideMs;
        Assert.True(result.DurationsMs["afterTag"] >= inside && inside > 0, $"the step measured {inside} ms of itself, the runner {result.DurationsMs["afterTag"]} ms");
        Assert.Equal(["beforeBuild", "afterTag"], result.Steps.OfType<StampResult>().Select(s => s.Stamp));
        Assert.Equal(result.ImageId, result.Build?.Image.ImageId);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        var image = json.RootElement.GetProperty("images")[0];
        Assert.True(image.GetProperty("afterTag").GetProperty("stamped").GetBoolean());
        Assert.True(image.GetProperty("beforeBuild").GetProperty("stamped").GetBoolean());
        Assert.True(image.GetProperty("durationsMs").TryGetProperty("afterTag", out _));
        Assert.Equal("app/Dockerfile", image.GetProperty("dockerfile").GetString());
    }

    public void Dispose() => _root.Dispose();
}
