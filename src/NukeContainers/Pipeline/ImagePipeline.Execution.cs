using NukeContainers.Building;
using NukeContainers.Dockerfiles;
using NukeContainers.Engine;

namespace NukeContainers;

public sealed partial record ImagePipeline
{
    /// <summary>
    /// Runs the pipeline's steps in order. The Dockerfile is parsed and the target stage checked before anything is
    /// sent to the engine, so a typo fails at once with the file, the line or the list of stages.
    /// </summary>
    public async Task<PipelineResult> RunAsync(ContainerEngine engine, CancellationToken cancellationToken = default)
    {
        if (Build.ContextDirectory is null)
            throw new ContainerException($"The pipeline for {Repository} has nothing to build: call FromDockerfile(contextFolder) first.");
        var context = BuildContext.Create(Build.ContextDirectory, Build.Dockerfile);
        var stage = DockerfileParser.Load(context.DockerfilePath, Build.BuildArgs).RequireStage(Build.Target);
        var baselineContext = BaselineDockerfile is null ? null : BuildContext.Create(Build.ContextDirectory, BaselineDockerfile);
        if (baselineContext is not null) DockerfileParser.Load(baselineContext.DockerfilePath, Build.BuildArgs);

        Log($"Building {Repository} from {context.DockerfilePath} (stage {stage.Name ?? stage.Index.ToString()}, {Build.Builder})");
        var tags = BuildTags.Select(t => t.Contains(':') || t.Contains('/') ? t : $"{Repository}:{t}").Prepend(Repository + ":build").ToList();
        var build = await engine.BuildAsync(context, Build, tags, Log, cancellationToken);
        var size = await SizeAsync(engine, build.ImageId, cancellationToken);
        Log($"Built {Repository} {build.ImageId[..19]}: {size / 1e6:0.0} MB, {build.StepsCached}/{build.StepsTotal} steps cached, {build.Duration.TotalSeconds:0.0}s");

        BaselineResult? baseline = null;
        if (baselineContext is not null)
        {
            Log($"Building the baseline {BaselineDockerfile} to compare with");
            var baselineBuild = await engine.BuildAsync(baselineContext, Build with { Target = null, Dockerfile = BaselineDockerfile }, [Repository + ":baseline"], Log, cancellationToken);
            baseline = new BaselineResult(baselineContext.DockerfilePath, baselineBuild.ImageId, await SizeAsync(engine, baselineBuild.ImageId, cancellationToken));
            Log($"Baseline {baseline.SizeBytes / 1e6:0.0} MB; the image is {100.0 * size / baseline.SizeBytes:0.0}% of it");
        }
        return new PipelineResult(new ImageResult(Name, Repository, context.DockerfilePath, stage.Name, build.ImageId, size, build, baseline));
    }

    private static async Task<long> SizeAsync(ContainerEngine engine, string imageId, CancellationToken cancellationToken) =>
        (await engine.InspectImageAsync(imageId, cancellationToken))?.Size
        ?? throw new ContainerException($"The engine built {imageId} but does not know it afterwards.");
}

/// <summary>What a pipeline run produced.</summary>
public sealed record PipelineResult(ImageResult Image);

/// <summary>The image a pipeline built.</summary>
/// <param name="Name">The name the report uses.</param>
/// <param name="Repository">Its repository.</param>
/// <param name="Dockerfile">The Dockerfile it was built from.</param>
/// <param name="Target">The stage built, when it has a name.</param>
/// <param name="ImageId">The image id (<c>sha256:...</c>).</param>
/// <param name="SizeBytes">Its size as the engine reports it.</param>
/// <param name="Build">The build step's result.</param>
/// <param name="Baseline">The unoptimised build it was compared with, if any.</param>
public sealed record ImageResult(string Name, string Repository, string Dockerfile, string? Target, string ImageId, long SizeBytes, BuildResult Build, BaselineResult? Baseline)
{
    /// <summary>This image's size as a share of the baseline's (0.02 is 2%), when there is a baseline.</summary>
    public double? SizeRatio => Baseline is { SizeBytes: > 0 } baseline ? (double)SizeBytes / baseline.SizeBytes : null;
}

/// <summary>The unoptimised image a pipeline measured against.</summary>
public sealed record BaselineResult(string Dockerfile, string ImageId, long SizeBytes);
