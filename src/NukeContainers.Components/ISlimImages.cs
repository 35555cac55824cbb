using NukeContainers.Build;
using NukeContainers.Engine;
using NukeContainers.Slimming;

namespace NukeContainers.Components;

/// <summary>
/// Slims the images BuildImages built (read from report.json), or any images named with <c>--image</c>: measures each
/// layer (dive's efficiency and wasted bytes), removes what should not ship from the image's own layers, optionally
/// squashes them, and checks dive's CI gates (parameters, or a <c>.dive-ci</c> file in the root).
/// </summary>
public interface ISlimImages : IContainerImages
{
    /// <summary>Squash each image's own layers into one.</summary>
    [Parameter("Squash each image's own layers (those above its base) into one")]
    bool Squash => TryGetValue<bool?>(() => Squash) ?? false;

    /// <summary>Remove from the base's layers too.</summary>
    [Parameter("Remove from the base image's layers too: the image no longer shares its base with others")]
    bool SlimBase => TryGetValue<bool?>(() => SlimBase) ?? false;

    /// <summary>List what would go, change nothing.</summary>
    [Parameter("Only list what slimming would remove; change nothing")]
    bool SlimDryRun => TryGetValue<bool?>(() => SlimDryRun) ?? false;

    /// <summary>More paths to remove.</summary>
    [Parameter("More paths to remove, in .dockerignore syntax over the image's paths (usr/share/fonts, **/*.a)")]
    string[] SlimRemove => TryGetValue(() => SlimRemove) ?? [];

    /// <summary>Paths to keep.</summary>
    [Parameter("Paths to keep whatever else matches them, in the same syntax")]
    string[] SlimKeep => TryGetValue(() => SlimKeep) ?? [];

    /// <summary>dive's lowestEfficiency.</summary>
    [Parameter("Fail when an image's efficiency is below this (0 to 1, dive's lowestEfficiency)")]
    string? LowestEfficiency => TryGetValue(() => LowestEfficiency);

    /// <summary>dive's highestWastedBytes.</summary>
    [Parameter("Fail when an image wastes more bytes than this, such as 20MB (dive's highestWastedBytes)")]
    string? HighestWastedBytes => TryGetValue(() => HighestWastedBytes);

    /// <summary>dive's highestUserWastedPercent.</summary>
    [Parameter("Fail when the wasted bytes are more than this share of the bytes above the first layer (0 to 1, dive's highestUserWastedPercent)")]
    string? HighestUserWastedPercent => TryGetValue(() => HighestUserWastedPercent);

    /// <summary>A .dive-ci file with the gates.</summary>
    [Parameter("A .dive-ci file with the gates (its rules: map); .dive-ci in the root when there is one and no gate parameter is given")]
    string? DiveCi => TryGetValue(() => DiveCi);

    /// <summary>The settings hook: the slim settings of each image pass through it.</summary>
    Configure<SlimSettings> SlimImagesSettings => _ => _;

    /// <summary>Slims each image.</summary>
    Target SlimImages => _ => _
        .Description("Measure each layer of the built images (or --image), remove what should not ship, optionally --squash, check dive's gates")
        .Validates(CheckImageParameters)
        .After<IBuildImages>(x => x.BuildImages)
        .Executes(async ct =>
        {
            var settings = SlimParameters();
            using var engine = await ConnectEngineAsync(ct);
            var pipelines = Image.Length > 0
                ? (await NamedImagesAsync(engine, ct)).Select(n => PipelineForNamed(n.Name, n.Reference, n.Image)
                    .Slim(_ => SlimImagesSettings(settings with { ResultTag = (n.Reference.Tag ?? "latest") + "-slim" })))
                // The built images, each with what it was built from (its base stays shared).
                : ResumedImages("SlimImages").Select(resumed => SlimImageStep.Add(resumed.Pipeline, new ImageStepContext(resumed.Image, new RunFacts())));
            await RunImagesAsync(pipelines, engine, ct, SlimmedOne, report: !SlimDryRun);
        });

    /// <summary>The slim step with the parameters' settings, through the settings hook.</summary>
    ImageStep SlimImageStep => new(StepNames.Slim, (pipeline, _) => pipeline.Slim(_ => SlimImagesSettings(SlimParameters())));

    /// <summary>The slim settings the parameters ask for; a pattern that is not one is an error naming its parameter.</summary>
    SlimSettings SlimParameters()
    {
        foreach (var (parameter, patterns) in new[] { ("--slim-remove", SlimRemove), ("--slim-keep", SlimKeep) })
            foreach (var pattern in patterns)
                if (Building.DockerIgnore.PatternProblem(pattern) is { } problem)
                    throw new ParameterException($"Parameter {parameter} got '{pattern}', which is not a pattern ({problem}). Patterns are .dockerignore's, over the image's paths: usr/share/fonts, **/*.a.");
        return new SlimSettings().RemoveAll().RemovePaths(SlimRemove).KeepPaths(SlimKeep) with
        {
            Squash = Squash, IncludeBase = SlimBase, DryRun = SlimDryRun, Gates = Gates(),
        };
    }

    /// <summary>Writes every removed path of a slimmed image to a file and notes the sizes.</summary>
    void SlimmedOne(ImageResult result)
    {
        var slim = ListRemovedPaths(result);
        Note(FormattableString.Invariant($"{result.Name} {Reporting.ContainerReport.Megabytes(slim.BeforeBytes)} -> {Reporting.ContainerReport.Megabytes(slim.AfterBytes)}, efficiency {100 * slim.After.Efficiency:0.0}%{(slim.DryRun ? $" (dry run: {slim.RemovedPaths.Count} paths would go)" : "")}"));
    }

    /// <summary>Writes every removed path of a slimmed image to a file (the log shows the folders and the first paths only).</summary>
    Slimming.SlimResult ListRemovedPaths(ImageResult result)
    {
        var slim = result.Slim!;
        var list = ContainerArtifacts / "slim" / $"{ArtifactName(result.Name)}.removed.txt";
        Directory.CreateDirectory(Path.GetDirectoryName(list)!);
        File.WriteAllLines(list, slim.RemovedPaths);
        if (slim.RemovedPaths.Count > 0) Log.Info($"[{result.Name}] {(slim.DryRun ? "What would be removed" : "What was removed")}, every path: {Path.GetRelativePath(RootDirectory, list)}");
        return slim;
    }

    /// <summary>The gates: the parameters when any is given, else the .dive-ci file.</summary>
    SlimGates Gates()
    {
        if (LowestEfficiency is not null || HighestWastedBytes is not null || HighestUserWastedPercent is not null)
            return SlimGates.Parse(LowestEfficiency, HighestWastedBytes, HighestUserWastedPercent, "the gate parameters");
        return OptionalFile(DiveCi, ".dive-ci", "--dive-ci") is { } file ? SlimGates.Load(file) : SlimGates.None;
    }
}
