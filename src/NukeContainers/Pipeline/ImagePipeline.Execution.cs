using System.Diagnostics;
using NukeContainers.Engine;

namespace NukeContainers;

public sealed partial record ImagePipeline
{
    /// <summary>
    /// Checks every step's settings, then runs the steps in order, timing each and handing each the image as the step
    /// before left it. Cancelling the token stops the running step. Log lines pass with secrets masked.
    /// </summary>
    public Task<ImageResult> RunAsync(ContainerEngine engine, CancellationToken cancellationToken = default) => RunStepsAsync(engine, cancellationToken);

    /// <summary>
    /// Runs a pipeline whose steps need no container engine (a rollout of a pushed image, from a machine without
    /// Docker); a step that needs one is an error that says to pass it.
    /// </summary>
    public Task<ImageResult> RunAsync(CancellationToken cancellationToken = default) => RunStepsAsync(null, cancellationToken);

    /// Runs the steps; <paramref name="halted"/>, asked before each step after the first, stops the pipeline between
    /// steps (another image of a side-by-side run failed) with a <see cref="PipelineStoppedException"/>;
    /// <paramref name="stepDone"/> hears the result so far after each step (what a failed run still did).
    internal async Task<ImageResult> RunStepsAsync(ContainerEngine? engine, CancellationToken cancellationToken, Func<bool>? halted = null,
        Action<string>? stepStarted = null, Action<ImageResult>? stepDone = null)
    {
        if (Steps.Count == 0)
            throw new ContainerException($"The pipeline for {Repository} has no steps: call FromDockerfile(contextFolder) to build, or add another step.");
        if (engine is null && Steps.Where(s => s.NeedsEngine).Select(s => s.Name).ToList() is { Count: > 0 } needing)
            throw new ContainerException($"The {string.Join(", ", needing)} step{(needing.Count == 1 ? "" : "s")} of {Repository} need{(needing.Count == 1 ? "s" : "")} a container engine: run the pipeline with RunAsync(engine).");
        foreach (var step in Steps) step.Check(this);

        var image = StartImage ?? new PipelineImage(Repository);
        // A secret in a Dockerfile or a build's output (a key echoed by RUN) is masked before any log sees it.
        void Log(string line) => this.Log(Masker.Apply(line));
        var results = new List<StepResult>();
        var durations = new Dictionary<string, long>();
        foreach (var step in Steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (results.Count > 0 && halted?.Invoke() == true) throw new PipelineStoppedException(Name, durations.Keys.ToList(), step.Name);
            stepStarted?.Invoke(step.Name);
            var watch = Stopwatch.StartNew();
            StepResult result;
            try
            {
                result = await step.RunAsync(new StepContext(engine!, this, image, Log, results), cancellationToken);
            }
            catch (Exception e) when (e is IStepFailure { Result: var failed } && stepDone is not null)
            {
                // A step that failed after changing something (a rollout undone) says so in the report too.
                durations[step.Name] = watch.ElapsedMilliseconds;
                stepDone(new ImageResult { Name = Name, Image = image, Steps = [.. results, failed], DurationsMs = new Dictionary<string, long>(durations) });
                throw;
            }
            durations[step.Name] = watch.ElapsedMilliseconds;
            results.Add(result);
            image = result.Image;
            stepDone?.Invoke(new ImageResult { Name = Name, Image = image, Steps = [.. results], DurationsMs = new Dictionary<string, long>(durations) });
        }
        return new ImageResult { Name = Name, Image = image, Steps = results, DurationsMs = durations };
    }
}
