using System.Diagnostics.Contracts;
using NukeContainers.Building;

namespace NukeContainers.Slimming;

/// <summary>
/// The slim step: measures every layer of the image (dive's efficiency and wasted bytes), removes what should not ship
/// (<see cref="SlimCategories"/>, the user's patterns), optionally squashes the image's own layers into one on top of
/// its base (which stays shared), and gates on dive's CI rules. The whole config (entrypoint, cmd, env, user, workdir,
/// labels, ports, healthcheck, stop signal) is kept; the result is loaded into the engine under the working tag.
/// Slimming an image that has nothing left to remove changes nothing: it keeps its id.
/// </summary>
public sealed record SlimSettings : IPipelineStep
{
    /// <summary>The kinds of files to remove; none by default (<see cref="RemoveCaches"/>, <see cref="RemoveAll"/>).</summary>
    public SlimCategories Remove { get; init; }

    /// <summary>The languages whose locales stay.</summary>
    public IReadOnlyList<string> KeepLanguages { get; init; } = ["en"];

    /// <summary>More paths to remove, in <c>.dockerignore</c> syntax over the image's paths (<c>usr/share/fonts</c>, <c>**/*.a</c>).</summary>
    public IReadOnlyList<string> RemovePatterns { get; init; } = [];

    /// <summary>Paths to keep whatever else matches them, in the same syntax.</summary>
    public IReadOnlyList<string> KeepPatterns { get; init; } = [];

    /// <summary>Squash the image's own layers (those above its base) into one.</summary>
    public bool Squash { get; init; }

    /// <summary>
    /// Remove from the base image's layers too. The image then no longer shares its base with others; use it for
    /// images whose base is theirs alone (a toolchain image run as it is).
    /// </summary>
    public bool IncludeBase { get; init; }

    /// <summary>The base image, whose layers are left as they are; by default the build's target stage's FROM.</summary>
    public string? Base { get; init; }

    /// <summary>The tag the slimmed image gets in the repository; the working tag (<c>build</c>) by default.</summary>
    public string? ResultTag { get; init; }

    /// <summary>Only list what would be removed; change nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>dive's CI rules, checked on the image the step leaves.</summary>
    public SlimGates Gates { get; init; } = SlimGates.None;

    /// <summary>How many removed paths the log lists (a dry run lists them all).</summary>
    public int ListRemoved { get; init; } = 20;

    /// <summary>Removes package manager caches and lists, language caches, Python bytecode and temporary files.</summary>
    [Pure] public SlimSettings RemoveCaches() => this with { Remove = Remove | SlimCategories.PackageManagerCaches | SlimCategories.LanguageCaches | SlimCategories.PythonBytecode | SlimCategories.TemporaryFiles };

    /// <summary>Removes docs, man and info pages.</summary>
    [Pure] public SlimSettings RemoveDocs() => this with { Remove = Remove | SlimCategories.Docs };

    /// <summary>Removes the locales of other languages than these (English by default).</summary>
    [Pure] public SlimSettings RemoveLocales(params string[] keepLanguages) =>
        this with { Remove = Remove | SlimCategories.Locales, KeepLanguages = keepLanguages.Length > 0 ? keepLanguages : KeepLanguages };

    /// <summary>Removes every kind of file that should not ship.</summary>
    [Pure] public SlimSettings RemoveAll() => this with { Remove = SlimCategories.All };

    /// <summary>Also removes these paths.</summary>
    [Pure] public SlimSettings RemovePaths(params string[] patterns) => this with { RemovePatterns = [.. RemovePatterns, .. patterns] };

    /// <summary>Keeps these paths, whatever else matches them.</summary>
    [Pure] public SlimSettings KeepPaths(params string[] patterns) => this with { KeepPatterns = [.. KeepPatterns, .. patterns] };

    /// <summary>Squashes the image's own layers into one.</summary>
    [Pure] public SlimSettings SquashLayers() => this with { Squash = true };

    /// <summary>Gates on dive's CI rules.</summary>
    [Pure] public SlimSettings Gate(SlimGates gates) => this with { Gates = gates };

    /// <summary>The rules in force, or null when nothing is to be removed.</summary>
    public SlimRules? Rules() =>
        Remove == SlimCategories.None && RemovePatterns.Count == 0 ? null : SlimRules.Create(Remove, KeepLanguages, RemovePatterns, KeepPatterns);

    string IPipelineStep.Name => StepNames.Slim;

    IReadOnlyList<string> IPipelineStep.After => [StepNames.Build];

    void IPipelineStep.Check(ImagePipeline pipeline)
    {
        _ = Rules();   // a bad pattern fails before anything runs
        if (ListRemoved < 0) throw new ContainerException($"The slim step of {pipeline.Repository} lists a negative number of removed paths ({ListRemoved}).");
    }

    Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken) => SlimStep.RunAsync(this, context, cancellationToken);
}

/// <summary>What the slim step did.</summary>
public sealed record SlimResult : StepResult
{
    /// <summary>The image's size before, as the engine reports it.</summary>
    public required long BeforeBytes { get; init; }

    /// <summary>Its size after.</summary>
    public required long AfterBytes { get; init; }

    /// <summary>The layers and figures before.</summary>
    public required ImageAnalysis Before { get; init; }

    /// <summary>The layers and figures of the image the step left.</summary>
    public required ImageAnalysis After { get; init; }

    /// <summary>The paths removed (or, in a dry run, that would be).</summary>
    public required IReadOnlyList<string> RemovedPaths { get; init; }

    /// <summary>Their bytes.</summary>
    public required long RemovedBytes { get; init; }

    /// <summary>How many own layers were squashed into one (0 when none were).</summary>
    public int SquashedLayers { get; init; }

    /// <summary>How many layers are the base's.</summary>
    public int BaseLayers { get; init; }

    /// <summary>True for a dry run.</summary>
    public bool DryRun { get; init; }

    /// <summary>The gates checked, and what they said: <c>passed</c>, <c>failed</c> or <c>none</c>.</summary>
    public string Gate { get; init; } = "none";

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) =>
    [
        Reporting.ReportSections.Slim.With(new Reporting.SlimReport(BeforeBytes, AfterBytes, After.Efficiency, After.WastedBytes, RemovedPaths.Count)
        {
            UserWastedPercent = After.UserWastedPercent,
            RemovedBytes = RemovedBytes,
            EfficiencyBefore = Before.Efficiency,
            WastedBytesBefore = Before.WastedBytes,
            SquashedLayers = SquashedLayers,
            BaseLayers = BaseLayers,
            Layers = After.Layers.Count,
            LayerFigures = [.. After.Layers.Select(l => new Reporting.SlimLayerReport(l.Index, l.SizeBytes, l.HiddenBytes, l.Instruction, l.Index < BaseLayers))],
            DryRun = DryRun,
            Gate = Gate,
        }),
    ];
}
