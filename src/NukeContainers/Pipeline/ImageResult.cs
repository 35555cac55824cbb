namespace NukeContainers;

/// <summary>What a pipeline did to one image: the image as the last step left it, each step's result, and their durations.</summary>
public sealed partial record ImageResult
{
    /// <summary>The name the report uses.</summary>
    public required string Name { get; init; }

    /// <summary>The image as the last step left it.</summary>
    public required PipelineImage Image { get; init; }

    /// <summary>The result of each step that ran, in the order they ran.</summary>
    public required IReadOnlyList<StepResult> Steps { get; init; }

    /// <summary>How long each step that ran took, by its name (<c>build</c>, <c>tag</c> ...), in milliseconds.</summary>
    public required IReadOnlyDictionary<string, long> DurationsMs { get; init; }

    /// <summary>The image id the pipeline ended with.</summary>
    public string ImageId => Image.RequireImageId("report");

    /// <summary>The image's size as the engine reports it.</summary>
    public long SizeBytes => Image.SizeBytes;

    /// <summary>The result of a step, or null when that step did not run: <c>result.Step&lt;BuildResult&gt;()</c>.</summary>
    public T? Step<T>() where T : StepResult => Steps.OfType<T>().LastOrDefault();
}
