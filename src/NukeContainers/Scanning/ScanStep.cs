namespace NukeContainers.Scanning;

/// <summary>Runs the scan step: reads the image once, runs the analyses, merges and gates the findings, writes the reports.</summary>
internal static class ScanStep
{
    public static async Task<StepResult> RunAsync(ScanSettings settings, StepContext context, CancellationToken cancellationToken)
    {
        var (engine, log, image) = (context.Engine, context.Log, context.Image);
        var imageId = image.RequireImageId("scan");
        // Secrets are searched for only when the secrets analyser runs; analysers that read the files get a visitor each.
        var findSecrets = settings.Analysers.Any(a => a.Name == ImageAnalysers.Secrets.Name);
        var visitors = settings.Analysers.OfType<IImageFileAnalyser>().ToDictionary(a => (IImageAnalyser)a, a => a.StartImage(imageId));
        // An image id names its content: what an earlier scan read of it holds (the analysers run again on it). Visitors
        // see the files themselves, so with any the layers are read again.
        var contents = visitors.Count > 0
            ? await ImageContents.ReadAsync(engine, imageId, findSecrets, [.. visitors.Values], cancellationToken)
            : await Caching.ImageReadCache.GetOrReadAsync(findSecrets ? "scan" : "scan-no-secrets", imageId, () => ImageContents.ReadAsync(engine, imageId, findSecrets, [], cancellationToken),
                () => log($"{image.Repository} {imageId[..19]} was read before (the same image id): its files as read then, from {Caching.ImageReadCache.Folder}"), cancellationToken);
        if (!findSecrets) log("Secrets: not searched for (the secrets analyser is not among the scan's analysers)");
        // The analysers in their order, each with the packages the ones before it found.
        var packages = new List<Package>();
        var findings = new List<Finding>();
        foreach (var analyser in settings.Analysers)
        {
            var analysis = await analyser.AnalyseAsync(new ScanInput
            {
                Engine = engine, ImageId = imageId, Repository = image.Repository, Config = contents.Config, Packages = packages.ToList(),
                Settings = settings, Build = image.Build, Log = log, Contents = contents, Files = visitors.GetValueOrDefault(analyser),
            }, cancellationToken);
            findings.AddRange(analysis.Findings);
            packages.AddRange(analysis.Packages);
        }
        var dockerfile = settings.Dockerfile ?? image.Build?.DockerfilePath;

        var ignore = settings.IgnoreFile is { } path ? IgnoreFile.Load(path) : IgnoreFile.None;
        var today = settings.Today ?? DateOnly.FromDateTime(DateTime.UtcNow);
        var merged = Merge(findings);
        var ignored = merged.Where(f => ignore.Ignores(f, today)).ToList();
        var kept = merged.Except(ignored).OrderByDescending(f => f.Severity).ThenBy(f => f.Kind).ThenBy(f => f.Id, StringComparer.Ordinal).ThenBy(f => f.Target, StringComparer.Ordinal).ToList();
        var failing = kept.Where(f => f.Severity >= settings.FailOn).ToList();
        var gate = failing.Count == 0 ? "passed" : "failed";

        var output = Path.GetFullPath(settings.OutputFolder ?? Path.Combine("artifacts", "containers", "scan", context.Pipeline.Name));
        Directory.CreateDirectory(output);
        var name = $"{image.Repository} {imageId[..19]}";
        await File.WriteAllTextAsync(Path.Combine(output, "scan.json"), ScanReports.Json(name, kept, packages), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(output, "scan.md"), ScanReports.Markdown(name, kept, gate), cancellationToken);
        var sarif = Path.Combine(output, "scan.sarif");
        await File.WriteAllTextAsync(sarif, ScanReports.Sarif(name, kept, dockerfile is null ? null : Dockerfiles.DockerfileLint.Shown(dockerfile)), cancellationToken);
        var sbom = Path.Combine(output, "sbom.cdx.json");
        await File.WriteAllTextAsync(sbom, ScanReports.CycloneDx(image.Repository.ToString(), imageId, packages), cancellationToken);

        log($"Scanned {name}: {packages.Count} packages; " +
            string.Join(", ", Enum.GetValues<Severity>().Reverse().Select(s => $"{kept.Count(f => f.Severity == s)} {s.ToString().ToLowerInvariant()}")) +
            (ignored.Count > 0 ? $"; {ignored.Count} ignored" : "") + $"; reports in {output}");
        foreach (var f in kept.Take(30))
            log($"  {f.Severity.ToString().ToUpperInvariant(),-8} {f.Id,-22} {f.Target}{(f.FixedVersion is null ? "" : $" (fixed in {f.FixedVersion})")}: {f.Title}");
        if (kept.Count > 30) log($"  ... and {kept.Count - 30} more in {Path.Combine(output, "scan.md")}");
        if (failing.Count > 0)
        {
            var worst = failing[0];
            throw new ContainerException(
                $"The scan gate failed for {image.Repository}: {failing.Count} finding{(failing.Count == 1 ? "" : "s")} at {settings.FailOn.ToString().ToLowerInvariant()} or above. " +
                $"The worst: {worst.Id} ({worst.Severity.ToString().ToUpperInvariant()}) in {worst.Target}{(worst.FixedVersion is null ? "" : $", fixed in {worst.FixedVersion}")}: {worst.Title}. " +
                $"Fix it, or ignore the id in a .trivyignore file (with exp:YYYY-MM-DD). Reports: {output}");
        }
        return new ScanResult
        {
            Image = image, Findings = kept, Ignored = ignored, Packages = packages, Gate = gate, FailOn = settings.FailOn, Sbom = sbom, Sarif = sarif,
        };
    }

    /// One finding per advisory and package, whichever source found it (ids or aliases shared): the worse severity, a fixed version if any knows one.
    internal static List<Finding> Merge(IEnumerable<Finding> findings)
    {
        // What a finding is about: a vulnerability's package and version (sources name its file differently), else its target.
        static string Subject(Finding f) => f.Kind == FindingKind.Vulnerability ? f.Target.Split(' ')[0] + " " + f.InstalledVersion : f.Target;
        var merged = new List<Finding>();
        foreach (var finding in findings)
        {
            var index = merged.FindIndex(m => m.Kind == finding.Kind && Subject(m) == Subject(finding)
                                              && m.Ids.Intersect(finding.Ids, StringComparer.OrdinalIgnoreCase).Any());
            if (index < 0) { merged.Add(finding); continue; }
            var existing = merged[index];
            merged[index] = existing with
            {
                Severity = (Severity)Math.Max((int)existing.Severity, (int)finding.Severity),
                FixedVersion = existing.FixedVersion ?? finding.FixedVersion,
                Aliases = existing.Ids.Concat(finding.Ids).Distinct(StringComparer.OrdinalIgnoreCase).Where(i => i != existing.Id).ToList(),
                Source = existing.Source == finding.Source ? existing.Source : $"{existing.Source}+{finding.Source}",
            };
        }
        return merged;
    }
}
