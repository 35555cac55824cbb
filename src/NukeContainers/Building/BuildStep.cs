using NukeContainers.Engine;

namespace NukeContainers.Building;

/// <summary>
/// Runs the build step: builds the Dockerfile's target, tags it with the working tag <c>REPOSITORY:build</c> (the last
/// image this engine built for the repository: it keeps the image from being dangling, and later steps refer to it by
/// id), removes the image that tag pointed at before when nothing else uses it, and builds and measures the baseline
/// (also when it reuses an image), a working image that is removed once measured.
/// </summary>
internal static class BuildStep
{
    /// <summary>The working tag of the last build.</summary>
    public const string WorkingTag = "build";

    /// The image a failed BuildKit step was pulling: BuildKit 0.8 names the pull of a COPY --from image "FROM image",
    /// as if the Dockerfile had one; later ones fail it as "[internal] load metadata for image".
    internal static string? PulledImage(string? instruction) =>
        instruction is null ? null
        : instruction.StartsWith("FROM ", StringComparison.Ordinal) ? instruction[5..].Trim()
        : instruction.StartsWith("[internal] load metadata for ", StringComparison.Ordinal) ? instruction["[internal] load metadata for ".Length..].Trim()
        : null;

    /// The COPY --from of a Dockerfile that the failed pull stands for, and the image the engine took it for. Its own
    /// pull, unless a FROM names that image too; or, when the pull that failed is a FROM's base (Docker 26 once reported
    /// the base's lookup, cut off by the mistyped one's), a COPY --from that names no stage and looks like a stage's
    /// name (no registry, path or tag), which the engine cannot have pulled either.
    internal static (Dockerfiles.Instruction Copy, string From, string Image)? MistypedStage(Dockerfiles.Dockerfile dockerfile, string pulled)
    {
        static string? Full(string image) => Images.ImageReference.TryParse(image, out var reference, out _) ? reference.FullName : null;
        var bases = dockerfile.Stages.Select(s => Full(s.BaseImage)).ToHashSet();
        var copies = dockerfile.CopyFromImages().Where(c => !bases.Contains(Full(c.From))).ToList();
        if (!bases.Contains(pulled))
            return copies.Where(c => Full(c.From) == pulled).Select(c => ((Dockerfiles.Instruction, string, string)?)(c.Copy, c.From, pulled)).FirstOrDefault();
        return copies.Where(c => c.From.IndexOfAny(['/', ':', '@']) < 0 && Full(c.From) is not null)
            .Select(c => ((Dockerfiles.Instruction, string, string)?)(c.Copy, c.From, Full(c.From)!)).FirstOrDefault();
    }

    public static async Task<StepResult> RunAsync(BuildSettings settings, StepContext step, CancellationToken cancellationToken)
    {
        var (context, stage, baselineContext) = settings.Prepare();
        var (engine, log, repository) = (step.Engine, step.Log, step.Image.Repository);
        // Checked with the syntax of the frontend that will read it (Prepare read it as any frontend would): read again
        // only when that syntax is not the one it was read with.
        var apiVersion = await engine.ApiVersionAsync(cancellationToken);
        Dockerfiles.Dockerfile CheckForEngine(string path)
        {
            var lenient = Dockerfiles.DockerfileParser.Load(path, settings.BuildArgs);
            if (Dockerfiles.DockerfileSyntax.ForEngine(apiVersion, lenient) is var syntax && syntax != Dockerfiles.DockerfileSyntax.Any)
                Dockerfiles.DockerfileParser.Load(path, settings.BuildArgs, syntax);
            return lenient;
        }
        var dockerfile = CheckForEngine(context.DockerfilePath);
        if (baselineContext is not null) CheckForEngine(baselineContext.DockerfilePath);
        log($"Building {repository} from {context.DockerfilePath} (stage {stage.Name ?? stage.Index.ToString()}, {settings.Builder})");

        var working = repository.WithTag(WorkingTag);
        var previous = (await engine.InspectImageAsync(working, cancellationToken))?.Id;
        var contributions = step.Results.OfType<IBuildContribution>().ToList();
        if (contributions.Select(c => c.ReuseImageId).FirstOrDefault(id => id is not null) is { } reuse)
            return await ReuseAsync(reuse, settings, context, baselineContext, stage, step, previous, cancellationToken);
        var labels = new Dictionary<string, string>(settings.Labels) { [ResourceLabels.BuiltBy] = ResourceLabels.Product };
        foreach (var (name, value) in contributions.SelectMany(c => c.Labels)) labels[name] = value;
        settings = settings with { CacheFrom = [.. settings.CacheFrom, .. contributions.SelectMany(c => c.CacheFrom)] };
        // The build's secrets are masked wherever the run writes (a RUN that prints one, an error that quotes it).
        foreach (var (id, source) in settings.Secrets) step.Masker.Hide(System.Text.Encoding.UTF8.GetString(source.Read(id)));
        BuildOutput output;
        try
        {
            output = await engine.BuildAsync(context, settings with { Labels = labels }, [working], log, cancellationToken);
        }
        catch (EngineConnectionException e)
        {
            throw new ContainerException($"Building {repository} from {context.DockerfilePath}: {e.Message}", e);
        }
        catch (ImageBuildException e) when (PulledImage(e.Instruction) is { } pulled && MistypedStage(dockerfile, pulled) is { } copy)
        {
            throw new ContainerException(
                $"{context.DockerfilePath}:{copy.Copy.Line}: COPY --from={copy.From} names no stage before it, so the engine took '{copy.From}' for an image, " +
                $"{copy.Image}, and " + (copy.Image == pulled ? $"could not pull it: {e.Error}" : $"the build failed on the images' pulls ({pulled}: {e.Error})") +
                $". Name one of the stages ({dockerfile.StageNames}), or an image the engine can pull.", e);
        }
        catch (ImageBuildException e) when (e.MaskedWith(step.Masker) is { } masked && masked.Message != e.Message)
        {
            throw masked;
        }
        var size = await engine.SizeAsync(output.ImageId, cancellationToken);
        log($"Built {repository} {output.ImageId[..19]}: {size / 1e6:0.0} MB, {output.InstructionsCached}/{output.InstructionsTotal} instructions cached, {output.Duration.TotalSeconds:0.0}s");
        if (previous is not null && previous != output.ImageId) await engine.RemoveIfUnusedAsync(previous, cancellationToken: cancellationToken);

        var baseline = await MeasureBaselineAsync(settings, baselineContext, size, step, cancellationToken);

        return new BuildResult
        {
            Image = step.Image with { ImageId = output.ImageId, SizeBytes = size, Build = settings },
            Dockerfile = context.DockerfilePath,
            Target = stage.Name,
            Output = output,
            Baseline = baseline,
        };
    }

    /// Builds the baseline, measures it and removes it (its layers stay in the builder's cache, so measuring it again on
    /// this engine is a cached build). A baseline measured before from the same inputs (its input digest) on an engine
    /// with the same image store is not built again. Null without a baseline.
    private static async Task<BaselineResult?> MeasureBaselineAsync(BuildSettings settings, BuildContext? baselineContext, long size,
        StepContext step, CancellationToken cancellationToken)
    {
        if (baselineContext is null) return null;
        // Measured once: for the first platform of a multi-platform build (the naive Dockerfile seldom cross-builds).
        var naive = settings with { Target = null, Dockerfile = settings.BaselineDockerfile, Platform = settings.Platforms.Count > 1 ? settings.Platforms[0] : settings.Platform };
        var inputs = await Caching.InputDigest.ComputeAsync(baselineContext, naive, step.Engine, cancellationToken, step.Registries);
        var key = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{inputs} {(await step.Engine.ImageStoreAsync(cancellationToken)).ToString().ToLowerInvariant()}")));   // containerd or graphdriver, as before the enum
        if (await Caching.ImageReadCache.TryGetAsync<BaselineResult>("baseline", key, cancellationToken) is { } known)
        {
            step.Log($"Baseline {known.SizeBytes / 1e6:0.0} MB, measured before from the same inputs ({inputs[..19]}); the image is {100.0 * size / known.SizeBytes:0.0}% of it");
            return known with { Dockerfile = baselineContext.DockerfilePath };   // the same inputs in another folder: this one's
        }
        step.Log($"Building the baseline {settings.BaselineDockerfile} to compare with");
        var labels = new Dictionary<string, string>(settings.Labels) { [ResourceLabels.Run] = ResourceLabels.RunId };
        var built = await step.Engine.BuildAsync(baselineContext, naive with { Labels = labels }, [], step.Log, cancellationToken);
        BaselineResult baseline;
        try
        {
            baseline = new BaselineResult(baselineContext.DockerfilePath, built.ImageId, await step.Engine.SizeAsync(built.ImageId, cancellationToken));
        }
        finally
        {
            await step.Engine.RemoveIfUnusedAsync(built.ImageId, cancellationToken: CancellationToken.None);
        }
        await Caching.ImageReadCache.SetAsync("baseline", key, baseline, cancellationToken);
        step.Log($"Baseline {baseline.SizeBytes / 1e6:0.0} MB; the image is {100.0 * size / baseline.SizeBytes:0.0}% of it");
        return baseline;
    }

    /// An image with the same inputs exists: it gets the working tag instead of a build. The baseline is still measured:
    /// report.json holds it for every image that has one, even when no earlier report (a new clone) said it.
    private static async Task<StepResult> ReuseAsync(string imageId, BuildSettings settings, BuildContext context, BuildContext? baselineContext,
        Dockerfiles.Stage stage, StepContext step, string? previous, CancellationToken cancellationToken)
    {
        var working = step.Image.Repository.WithTag(WorkingTag);
        await step.Engine.TagAsync(imageId, working, cancellationToken);
        if (previous is not null && previous != imageId) await step.Engine.RemoveIfUnusedAsync(previous, cancellationToken: cancellationToken);
        var size = await step.Engine.SizeAsync(imageId, cancellationToken);
        step.Log($"Not building {step.Image.Repository}: its inputs are unchanged; reusing {imageId[..19]} ({size / 1e6:0.0} MB)");
        return new BuildResult
        {
            Image = step.Image with { ImageId = imageId, SizeBytes = size, Build = settings },
            Dockerfile = context.DockerfilePath,
            Target = stage.Name,
            Output = new BuildOutput(imageId, [], settings.Builder, TimeSpan.Zero),
            Reused = true,
            Baseline = await MeasureBaselineAsync(settings, baselineContext, size, step, cancellationToken),
        };
    }
}
