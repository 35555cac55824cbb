using System.Text.Json;
using NukeContainers.Reporting;

namespace NukeContainers.Tests;

/// A step added through the seam alone: its settings, its result and its report fields, defined here, nothing else.
[Collection(EngineCollection.Name)]
public sealed class StepSeamSpecs(EngineFixture fixture) : IDisposable
{
    private readonly TempFolder _root = new();

    private sealed record StampStep(string StepName, List<string> Seen, string[]? AfterSteps = null, string[]? BeforeSteps = null) : IPipelineStep
    {
        public string Name => StepName;
        public IReadOnlyList<string> After => AfterSteps ?? [];
        public IReadOnlyList<string> Before => BeforeSteps ?? [];

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
            .WithStep(new StampStep("afterTag", seen, AfterSteps: [StepNames.Tag, StepNames.Build]))   // added first, runs last
            .WithStep(new StampStep("beforeBuild", seen, BeforeSteps: [StepNames.Build]))
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

    /// The order the steps' names declare, without an engine (issue 27.1).
    [Fact]
    public void Steps_run_after_the_steps_they_name_ties_in_the_order_added_and_a_cycle_is_an_error_naming_it()
    {
        var seen = new List<string>();
        var pipeline = Containers.Image("127.0.0.1:5000/team/app")
            .WithStep(new StampStep("notify", seen, AfterSteps: [StepNames.PushTags]))     // a team's step once the tags are pushed
            .WithStep(new StampStep("policy", seen, AfterSteps: [StepNames.Scan], BeforeSteps: [StepNames.Push]))   // and one between scan and push
            .FromDockerfile("app").Tag(t => t.Sha("abc1234")).Scan().Push().Sign(s => s with { Key = "env://KEY" })
            .RestoreCache().ExportCache("main");

        Assert.Equal(["restoreCache", "build", "tag", "scan", "policy", "push", "pushTags", "notify", "sign", "exportCache"],
            pipeline.Steps.Select(s => s.Name));
        Assert.Contains("push (after tag, scan, policy)", pipeline.StepGraph());
        Assert.Equal(pipeline.Steps.Select(s => s.Name), pipeline.Scan(s => s with { FailOn = Scanning.Severity.High }).Steps.Select(s => s.Name));   // replaced in its place
        var cycle = Assert.Throws<ContainerException>(() => pipeline.WithStep(new StampStep("loop", seen, AfterSteps: [StepNames.Push], BeforeSteps: [StepNames.Tag])));
        Assert.Contains("cannot be ordered", cycle.Message);
        Assert.Contains("loop runs after push", cycle.Message);
    }

    /// RestoreCache only restores; ExportCache writes what a later restore reads (issue 27.1).
    [Fact]
    public void RestoreCache_adds_only_its_step_and_ExportCache_the_inline_cache_the_cache_tag_and_the_export()
    {
        var restoring = Containers.Image("127.0.0.1:5000/team/app").FromDockerfile("app").RestoreCache(c => c with { Branch = "main" });
        var exporting = restoring.ExportCache("main");

        Assert.Equal(["restoreCache", "build"], restoring.Steps.Select(s => s.Name));
        Assert.False(restoring.Build!.BuildArgs.ContainsKey("BUILDKIT_INLINE_CACHE"));
        Assert.Equal(["restoreCache", "build", "tag", "exportCache"], exporting.Steps.Select(s => s.Name));
        Assert.Equal("1", exporting.Build!.BuildArgs["BUILDKIT_INLINE_CACHE"]);
        Assert.Contains("buildcache-main", exporting.Step<Tagging.TagSettings>()!.Plan.Extra);
    }

    public void Dispose() => _root.Dispose();
}
