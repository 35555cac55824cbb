using System.Text.Json.Nodes;
using NukeContainers.Engine;
using NukeContainers.Images;

namespace NukeContainers.Scanning;

/// <summary>
/// One analysis of the scan step: the built-in ones read the inventory, check the image, find secrets, match OSV
/// advisories, run Trivy and lint the Dockerfile (<see cref="ImageAnalysers.Defaults"/>); a team adds its own with
/// <see cref="ScanSettings.WithAnalyser"/>. Each gets the image as the scan read it (once), with the packages the
/// analysers before it found; its findings join the others (merged, ignored by the ignore file, gated, reported).
/// </summary>
public interface IImageAnalyser
{
    /// <summary>Its name in the log and in <see cref="ScanSettings.Analysers"/>: <c>inventory</c>, <c>checks</c> ...</summary>
    string Name { get; }

    /// <summary>Analyses the image.</summary>
    Task<ScanAnalysis> AnalyseAsync(ScanInput input, CancellationToken cancellationToken);
}

/// <summary>What an analyser gets: the engine, the image (its id, repository and config), the packages found so far, the scan's settings and the log.</summary>
public sealed record ScanInput
{
    /// <summary>The engine that has the image.</summary>
    public required ContainerEngine Engine { get; init; }

    /// <summary>The image's id.</summary>
    public required string ImageId { get; init; }

    /// <summary>Its repository.</summary>
    public required ImageReference Repository { get; init; }

    /// <summary>Its config, as the engine stores it.</summary>
    public required JsonObject Config { get; init; }

    /// <summary>The packages the analysers before this one found.</summary>
    public required IReadOnlyList<Package> Packages { get; init; }

    /// <summary>The scan step's settings.</summary>
    public required ScanSettings Settings { get; init; }

    /// <summary>What the image was built from (where the Dockerfile is), when a step built it.</summary>
    public Building.BuildSettings? Build { get; init; }

    /// <summary>Where progress lines go.</summary>
    public required Action<string> Log { get; init; }

    /// <summary>For an <see cref="IImageFileAnalyser"/>: the visitor it started for this image, after it saw the image's files.</summary>
    public IImageFileVisitor? Files { get; init; }

    /// What the scan read of the image's layers: package databases, Go binaries' build info, secrets, file checks.
    internal ImageContents Contents { get; init; } = null!;
}

/// <summary>What an analyser found: findings, and packages (for the SBOM and the analysers after it).</summary>
public sealed record ScanAnalysis(IReadOnlyList<Finding> Findings)
{
    /// <summary>Packages it read from the image.</summary>
    public IReadOnlyList<Package> Packages { get; init; } = [];
}

/// <summary>The built-in analysers, in the order they run.</summary>
public static class ImageAnalysers
{
    /// <summary>The packages (dpkg, apk, .NET deps.json, node_modules, Python dist-info, Go build info).</summary>
    public static IImageAnalyser Inventory { get; } = new Analyser("inventory", input =>
        Task.FromResult(new ScanAnalysis([]) { Packages = Scanning.Inventory.Read(input.Contents.Manifests, input.Contents.GoBinaries) }));

    /// <summary>The image checks (root, HEALTHCHECK, ADD, setuid/setgid files, credentials in ENV or in files).</summary>
    public static IImageAnalyser Checks { get; } = new Analyser("checks", input =>
        Task.FromResult(new ScanAnalysis([.. ImageChecks.Config(input.Config), .. input.Contents.FileChecks])));

    /// <summary>Secrets in every layer, masked.</summary>
    public static IImageAnalyser Secrets { get; } = new Analyser("secrets", input => Task.FromResult(new ScanAnalysis(input.Contents.Secrets)));

    /// <summary>OSV advisories for the packages: from the settings' folder and OSV's archives, when either is given.</summary>
    public static IImageAnalyser Osv { get; } = new Analyser("osv", async (input, cancellationToken) =>
    {
        var folders = new List<string>();
        if (input.Settings.AdvisoryFolder is { } folder) folders.Add(folder);
        if (input.Settings.OsvArchives is { } source)
            foreach (var ecosystem in input.Packages.Select(p => OsvArchives.ArchiveName(p.Ecosystem)).Distinct().Order(StringComparer.Ordinal))
                folders.Add(await OsvArchives.FetchAsync(source, ecosystem, input.Log, cancellationToken));
        if (folders.Count == 0) return new ScanAnalysis([]);
        var advisories = OsvDatabase.Load(folders);
        input.Log($"Matched {input.Packages.Count} packages with {advisories.Count} OSV advisories from {string.Join(", ", folders)}");
        return new ScanAnalysis([.. advisories.Match(input.Packages)]);
    });

    /// <summary>Trivy on the exported image, when the settings allow it and it is installed.</summary>
    public static IImageAnalyser Trivy { get; } = new Analyser("trivy", async (input, cancellationToken) =>
    {
        if (!input.Settings.UseTrivy || TrivyReport.Locate() is not { } trivy) return new ScanAnalysis([]);
        using var temporary = new Utils.TemporaryFolder("nukecontainers-scan-");
        var archive = Path.Combine(temporary.Path, "image.tar");
        await using (var export = await input.Engine.ExportAsync(input.ImageId, cancellationToken))
        await using (var file = File.Create(archive))
            await export.CopyToAsync(file, cancellationToken);
        var found = await TrivyReport.RunAsync(trivy, archive, cancellationToken);
        input.Log($"Trivy ({trivy}) found {found.Count}");
        return new ScanAnalysis(found);
    });

    /// <summary>The Dockerfile's lint (the settings' Dockerfile, else the build step's), with the engine's syntax.</summary>
    public static IImageAnalyser Lint { get; } = new Analyser("lint", async (input, cancellationToken) =>
    {
        var build = input.Build;
        var dockerfile = input.Settings.Dockerfile ?? build?.DockerfilePath;
        if (dockerfile is null || !File.Exists(dockerfile)) return new ScanAnalysis([]);
        var contextDirectory = input.Settings.ContextDirectory ?? build?.ContextDirectory ?? Path.GetDirectoryName(Path.GetFullPath(dockerfile))!;
        var config = new[] { Path.Combine(contextDirectory, ".hadolint.yaml"), Path.Combine(Directory.GetCurrentDirectory(), ".hadolint.yaml") }.FirstOrDefault(File.Exists);
        var lint = Dockerfiles.DockerfileLint.Lint(dockerfile, contextDirectory, config,
            Dockerfiles.DockerfileSyntax.ForEngine(await input.Engine.ApiVersionAsync(cancellationToken), Dockerfiles.DockerfileParser.Load(dockerfile)));
        input.Log($"Linted {Dockerfiles.DockerfileLint.Shown(dockerfile)}: {lint.Count} findings{(config is null ? "" : $" ({config})")}");
        return new ScanAnalysis(lint);
    });

    /// <summary>Every built-in analyser, in the order they run.</summary>
    public static IReadOnlyList<IImageAnalyser> Defaults { get; } = [Inventory, Checks, Secrets, Osv, Trivy, Lint];

    private sealed class Analyser(string name, Func<ScanInput, CancellationToken, Task<ScanAnalysis>> analyse) : IImageAnalyser
    {
        public Analyser(string name, Func<ScanInput, Task<ScanAnalysis>> analyse) : this(name, (input, _) => analyse(input)) { }

        public string Name => name;

        public Task<ScanAnalysis> AnalyseAsync(ScanInput input, CancellationToken cancellationToken) => analyse(input, cancellationToken);

        public override string ToString() => name;
    }
}
