using NukeContainers.Engine;

namespace NukeContainers;

/// <summary>How one image of a side-by-side run ended.</summary>
/// <param name="Name">The image's name.</param>
/// <param name="Result">Its result, when every step ran.</param>
/// <param name="Error">Why it failed, when it failed.</param>
/// <param name="StoppedBefore">The step it did not start because another image failed, when it was stopped.</param>
public sealed record ImageOutcome(string Name, ImageResult? Result, Exception? Error, string? StoppedBefore)
{
    /// <summary>What an image that failed or was stopped did before: the steps that finished (none: null).</summary>
    public ImageResult? Done { get; init; }

    /// <summary>One line: <c>go-api: done</c>, <c>node-web: failed: ...</c>, <c>dotnet-api: stopped before push (another image failed)</c>.</summary>
    public override string ToString() =>
        Result is not null ? $"{Name}: done"
        : Error is not null ? $"{Name}: failed: {Error.Message}"
        : StoppedBefore is { } step ? $"{Name}: stopped before {step} (another image failed)"
        : $"{Name}: not started (another image failed)";
}

/// <summary>Some images of a side-by-side run failed; <see cref="Outcomes"/> says how each one ended.</summary>
public sealed class ImagesFailedException(IReadOnlyList<ImageOutcome> outcomes)
    : ContainerException($"{outcomes.Count(o => o.Error is not null)} of {outcomes.Count} images failed: " +
                         string.Join("; ", outcomes.Where(o => o.Error is not null).Select(o => $"{o.Name}: {ContainerException.Headline(o.Error!.Message)}")) +
                         "\n  " + string.Join("\n  ", outcomes))
{
    /// <summary>Every image's outcome, in the order the images were given.</summary>
    public IReadOnlyList<ImageOutcome> Outcomes { get; } = outcomes;

    /// <summary>The results of the images that finished.</summary>
    public IReadOnlyList<ImageResult> Results => Outcomes.Where(o => o.Result is not null).Select(o => o.Result!).ToList();

    /// <summary>What the images that failed or were stopped did before: the steps of each that finished.</summary>
    public IReadOnlyList<ImageResult> Unfinished => Outcomes.Where(o => o.Result is null && o.Done is not null).Select(o => o.Done!).ToList();
}

/// <summary>A pipeline stopped between two steps because another image of its run failed.</summary>
public sealed class PipelineStoppedException(string name, IReadOnlyList<string> done, string next)
    : ContainerException($"{name} stopped before its {next} step (after {(done.Count == 0 ? "nothing" : string.Join(", ", done))}): another image failed")
{
    /// <summary>The step it did not start.</summary>
    public string Next { get; } = next;
}

public static partial class Containers
{
    /// <summary>
    /// Runs several pipelines side by side, at most <paramref name="parallelism"/> at once (the core count when not
    /// given). When one fails, the others finish the step they are in and stop (with <paramref name="stopOnFailure"/>
    /// false they all run to the end: a scan gate that fails one image does not keep the others from being scanned);
    /// the run then throws <see cref="ImagesFailedException"/> with every image's outcome (and the results of those
    /// that finished).
    /// Cancelling stops them all. <paramref name="engine"/> may be null when no step needs one (sign, rollout). Each
    /// pipeline logs whole lines through its own log (prefix them with its name to tell them apart:
    /// <c>.WithLog(line => log($"[{name}] {line}"))</c>). <paramref name="progress"/> hears each
    /// image's state as it changes: <c>waiting</c>, the step it starts, <c>done</c>, <c>failed</c>, <c>stopped</c>.
    /// <paramref name="finished"/> gets each image's result as soon as its pipeline has ended (one at a time, in the order
    /// they end), before the others have: where a run records what it delivered, an interrupted run keeps what finished.
    /// </summary>
    public static async Task<IReadOnlyList<ImageResult>> RunAllAsync(IEnumerable<ImagePipeline> pipelines, ContainerEngine? engine,
        int? parallelism = null, CancellationToken cancellationToken = default, bool stopOnFailure = true, Action<string, string>? progress = null,
        Func<ImageResult, Task>? finished = null)
    {
        using var recording = new SemaphoreSlim(1);
        var list = pipelines.ToList();
        var width = parallelism ?? Environment.ProcessorCount;
        if (width < 1) throw new ContainerException($"The parallelism is {width}: give 1 or more (1 runs the images one after another).");
        using var slots = new SemaphoreSlim(width);
        var failed = 0;
        async Task<ImageOutcome> RunOneAsync(ImagePipeline pipeline)
        {
            progress?.Invoke(pipeline.Name, "waiting");
            ImageResult? done = null;
            await slots.WaitAsync(cancellationToken);
            try
            {
                bool Halted() => stopOnFailure && Volatile.Read(ref failed) != 0;
                if (Halted())
                {
                    progress?.Invoke(pipeline.Name, "not started");
                    return new ImageOutcome(pipeline.Name, null, null, null);
                }
                var result = await pipeline.RunStepsAsync(engine, cancellationToken, Halted, step => progress?.Invoke(pipeline.Name, step), soFar => done = soFar);
                if (finished is not null)
                {
                    await recording.WaitAsync(CancellationToken.None);
                    try { await finished(result); }
                    finally { recording.Release(); }
                }
                progress?.Invoke(pipeline.Name, "done");
                return new ImageOutcome(pipeline.Name, result, null, null);
            }
            catch (PipelineStoppedException stopped)
            {
                progress?.Invoke(pipeline.Name, "stopped");
                return new ImageOutcome(pipeline.Name, null, null, stopped.Next) { Done = done };
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Exchange(ref failed, 1);
                progress?.Invoke(pipeline.Name, "failed");
                return new ImageOutcome(pipeline.Name, null, e, null) { Done = done };
            }
            finally
            {
                slots.Release();
            }
        }
        var outcomes = await Task.WhenAll(list.Select(RunOneAsync));
        cancellationToken.ThrowIfCancellationRequested();
        return outcomes.All(o => o.Result is not null) ? outcomes.Select(o => o.Result!).ToList() : throw new ImagesFailedException(outcomes);
    }
}
