namespace NukeContainers.Tests;

/// Several images side by side (Containers.RunAllAsync): a failure stops the others between steps, every outcome is
/// reported, at most the parallelism runs at once, and cancelling stops them all.
[Collection(EngineCollection.Name)]
public sealed class ParallelSpecs(EngineFixture fixture) : IDisposable
{
    private readonly List<TempFolder> _contexts = [];
    private readonly List<string> _log = [];

    /// A pipeline that builds a Dockerfile of one RUN and then tags the image; its log lines carry its name.
    private ImagePipeline Image(string name, string run)
    {
        var context = new TempFolder().Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN {run}\n");
        _contexts.Add(context);
        return EngineFixture.Pipeline($"parallel-{name}").WithName(name).FromDockerfile(context.Path).Network(Building.NetworkMode.None)
            .Tag(t => t.Also("parallel"))
            .WithLog(line => { lock (_log) _log.Add($"[{name}] {line}"); });
    }

    [Fact]
    public async Task When_one_image_fails_the_others_finish_the_step_they_are_in_stop_and_every_outcome_is_reported()
    {
        var slow = Image("slow", $"sleep 3 && echo {Guid.NewGuid():N}");
        var broken = Image("broken", $"echo {Guid.NewGuid():N} && exit 3");
        var waiting = Image("waiting", $"echo {Guid.NewGuid():N}");

        var error = await Assert.ThrowsAsync<ImagesFailedException>(() => Containers.RunAllAsync([slow, broken, waiting], fixture.Engine, parallelism: 2));

        Assert.Equal(["slow", "broken", "waiting"], error.Outcomes.Select(o => o.Name));
        Assert.Equal("tag", error.Outcomes[0].StoppedBefore);             // its build ran to the end; its tag never started
        Assert.Contains("exit 3", error.Outcomes[1].Error!.Message);
        Assert.Null(error.Outcomes[2].Result);                             // its slot came after the failure: not started
        Assert.Null(error.Outcomes[2].StoppedBefore);
        Assert.StartsWith("1 of 3 images failed: broken: The build instruction ", error.Message);   // the first line names the cause
        Assert.Contains("exit 3", error.Message.Split('\n')[0]);
        Assert.Contains("\n  slow: stopped before tag (another image failed)\n  broken: failed: ", error.Message);
        Assert.Contains("\n  waiting: not started (another image failed)", error.Message);
        Assert.Contains(_log, l => l.StartsWith("[slow] ", StringComparison.Ordinal) && l.Contains("sleep 3"));
    }

    [Fact]
    public async Task Images_that_all_succeed_come_back_in_order_and_no_more_than_the_parallelism_ran_at_once()
    {
        var pipelines = Enumerable.Range(1, 3).Select(i => Image($"ok{i}", $"sleep 1 && echo {Guid.NewGuid():N}")).ToList();

        var results = await Containers.RunAllAsync(pipelines, fixture.Engine, parallelism: 1);

        Assert.Equal(["ok1", "ok2", "ok3"], results.Select(r => r.Name));
        // One at a time: each image's build starts after the one before it has finished.
        var starts = pipelines.Select(p => _log.FindIndex(l => l.StartsWith($"[{p.Name}] Building ", StringComparison.Ordinal))).ToList();
        var ends = pipelines.Select(p => _log.FindIndex(l => l.StartsWith($"[{p.Name}] Built ", StringComparison.Ordinal))).ToList();
        Assert.True(starts[1] > ends[0] && starts[2] > ends[1], string.Join("\n", _log));
    }

    [Fact]
    public async Task Cancelling_stops_every_image_and_leaves_nothing_running()
    {
        var marker = Random.Shared.Next(100_000, 999_999);
        using var cancel = new CancellationTokenSource();
        var pipelines = new[] { Image("first", $"sleep {marker}"), Image("second", $"sleep {marker + 1}") };

        // Cancelled once both images' RUN steps run (their sleeps are processes on this machine), not after a guess.
        var run = Containers.RunAllAsync(pipelines, fixture.Engine, parallelism: 2, cancel.Token);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await EngineFixture.SleepIsRunning(marker) && await EngineFixture.SleepIsRunning(marker + 1)) && !run.IsCompleted && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(await EngineFixture.SleepIsRunning(marker) && await EngineFixture.SleepIsRunning(marker + 1), "both RUN steps should have started within 60 s");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(90)));

        async Task<bool> Sleeping() => await EngineFixture.SleepIsRunning(marker) || await EngineFixture.SleepIsRunning(marker + 1);
        for (var i = 0; i < 60 && await Sleeping(); i++) await Task.Delay(500);
        Assert.False(await Sleeping(), "a RUN of the cancelled images still sleeps");
    }

    public void Dispose()
    {
        foreach (var context in _contexts) context.Dispose();
    }
}
