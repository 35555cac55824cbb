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
        var dockerfile = DockerfileParser.Load(context.DockerfilePath, Build.BuildArgs);
        var stage = dockerfile.RequireStage(Build.Target);

        Log($"Building {Repository} from {context.DockerfilePath} (stage {stage.Name ?? stage.Index.ToString()}, {Build.Builder})");
        var tags = BuildTags.Select(t => t.Contains(':') || t.Contains('/') ? t : $"{Repository}:{t}").Prepend(Repository + ":build").ToList();
        var build = await engine.BuildAsync(context, Build, tags, Log, cancellationToken);
        var image = await engine.InspectImageAsync(build.ImageId, cancellationToken)
            ?? throw new ContainerException($"The engine built {build.ImageId} but does not know it afterwards.");
        Log($"Built {Repository} {build.ImageId[..19]}: {image.Size / 1e6:0.0} MB, {build.StepsCached}/{build.StepsTotal} steps cached, {build.Duration.TotalSeconds:0.0}s");
        return new PipelineResult(new ImageResult(Repository, context.DockerfilePath, stage.Name, build.ImageId, image.Size, build));
    }

    /// <summary>Tags the build also puts on the image.</summary>
    public ImagePipeline WithBuildTags(params string[] tags) => this with { BuildTags = [.. BuildTags, .. tags] };
}

/// <summary>What a pipeline run produced.</summary>
public sealed record PipelineResult(ImageResult Image);

/// <summary>The image a pipeline built.</summary>
/// <param name="Repository">Its repository.</param>
/// <param name="Dockerfile">The Dockerfile it was built from.</param>
/// <param name="Target">The stage built, when it has a name.</param>
/// <param name="ImageId">The image id (<c>sha256:...</c>).</param>
/// <param name="SizeBytes">Its size as the engine reports it.</param>
/// <param name="Build">The build step's result.</param>
public sealed record ImageResult(string Repository, string Dockerfile, string? Target, string ImageId, long SizeBytes, BuildResult Build);
