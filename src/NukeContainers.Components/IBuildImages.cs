using NukeContainers.Build;
using NukeContainers.Engine;

namespace NukeContainers.Components;

/// <summary>Builds the declared images, writes report.json, and holds each image to its size budget (its build fails over it).</summary>
public interface IBuildImages : IContainerImages
{
    /// <summary>
    /// Build arguments a component gives every build before the settings hook (the local base images' names, from
    /// NukeContainers.LocalEnvironment's ILocalBaseImages); none unless a component the build takes says otherwise.
    /// </summary>
    IReadOnlyDictionary<string, string> ComponentBuildArgs => new Dictionary<string, string>();

    /// <summary>The settings hook: each image's pipeline passes through it before it runs (<c>p.Name</c> says which image).</summary>
    Configure<ImagePipeline> BuildImagesSettings => _ => _;

    /// <summary>Secrets for the builds' <c>RUN --mount=type=secret</c>: <c>ID=env:VARIABLE</c> or <c>ID=file:PATH</c>.</summary>
    [Parameter("A secret for RUN --mount=type=secret,id=ID: ID=env:VARIABLE or ID=file:PATH (repeatable). It reaches the RUN through the BuildKit session, never a layer or a log")]
    string[] BuildSecret => TryGetValue(() => BuildSecret) ?? [];

    /// <summary>SSH agents for the builds' <c>RUN --mount=type=ssh</c>: <c>default</c> (SSH_AUTH_SOCK's) or <c>ID=SOCKET</c>.</summary>
    [Parameter("Forward an SSH agent to RUN --mount=type=ssh: default (SSH_AUTH_SOCK's agent) or ID=SOCKET (repeatable)")]
    string[] Ssh => TryGetValue(() => Ssh) ?? [];

    /// <summary>The platforms to build for: one, or several comma-separated for an OCI index of them.</summary>
    [Parameter("The platforms to build for, such as linux/arm64, or several comma-separated (linux/amd64,linux/arm64: one image each under one OCI index, pushed as one; needs the containerd image store, --embedded-engine docker26). The Dockerfiles cross-compile (FROM --platform=$BUILDPLATFORM, TARGETARCH)")]
    string? Platform => TryGetValue(() => Platform);

    /// <summary>Builds each selected image.</summary>
    Target BuildImages => _ => _
        .Description("Build the declared images (with their baselines), write artifacts/containers/report.json, check the size budgets")
        .Validates(CheckImageParameters)
        .Validates(CheckBuildParameters)
        .Executes(async ct =>
        {
            ReadReport();   // a report.json that cannot be read fails here, before anything is built
            var facts = await RunFactsAsync(ct);
            using var engine = await ConnectEngineAsync(ct);
            var pipelines = SelectedImages().Select(image => BuildingPipelineFor(image, facts)).ToList();
            try
            {
                await RunImagesAsync(pipelines, engine, ct);
            }
            finally
            {
                var report = ReadReport();
                Log.Write(Verbosity.Minimal, report.ToMarkdown());
                NoteSizes(report);
            }
        });

    /// <summary>The parameters a build reads besides every image target's, checked before any target runs: --platform and --build-secret.</summary>
    void CheckBuildParameters()
    {
        foreach (var platform in Platform?.Split(',', StringSplitOptions.TrimEntries) ?? [])
            if (!System.Text.RegularExpressions.Regex.IsMatch(platform, "^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$"))
                throw new ParameterException($"--platform got '{platform}', which is not a platform: give OS/ARCHITECTURE[/VARIANT], such as linux/amd64 or linux/arm64, or several comma-separated.");
        _ = BuildSecrets().ToList();
    }

    /// <summary>The image's Dockerfile, target, baseline, secrets and SSH agents, its OCI labels (when the build tags), then the settings hook.</summary>
    /// <summary>The build step of each image (<see cref="AddBuild"/>).</summary>
    ImageStep BuildImageStep => new(StepNames.Build, (pipeline, context) => AddBuild(pipeline, context.Image, context.Facts));

    /// <summary>The build: the image's Dockerfile, target, baseline, secrets, OCI labels, then <see cref="BuildImagesSettings"/>.</summary>
    ImagePipeline AddBuild(ImagePipeline pipeline, ContainerImage image, RunFacts facts)
    {
        // A build that tags its images labels them with what the tags say (OCI labels are part of the config).
        var built = FromDockerfileOf(pipeline, image);
        if (facts.Version is { } version) built = built.OciLabels(version.ToString(), facts.Commit, facts.Created, facts.Source, image.Name);
        if (facts.Version is not null && facts.Dirty) built = built.Label(ImagePipeline.DirtyLabel, "true");
        // The commit's time is the image's (its created, and its files' where the engine rewrites them): the same commit, the same digest.
        if (facts.Created is { } created) built = built.SourceDateEpoch(created);
        return BuildImagesSettings(built);
    }

    /// <summary>What the image is built from: its Dockerfile and the settings hook's changes.</summary>
    Building.BuildSettings? IContainerImages.RecipeOf(ContainerImage image) => BuildImagesSettings(FromDockerfileOf(PipelineFor(image), image)).Build;

    /// <summary>
    /// Notes each image's size (against its baseline) in the summary, from the report, so that an image reused
    /// unchanged shows the baseline measured when it was built.
    /// </summary>
    void NoteSizes(Reporting.ContainerReport report)
    {
        foreach (var (image, entry) in SelectedImages().Select(i => (i, report.Find(i.Name))))
            if (entry is not null)
                Note($"{image.Name} {(entry.Cache()?.Skipped == true ? "unchanged, not built: " : "")}{Reporting.ContainerReport.Megabytes(entry.SizeBytes)}" +
                     (entry.ShareOfBaseline() is { } r ? FormattableString.Invariant($" ({100 * r:0.0}% of {image.Baseline})") : ""));
    }

    /// <summary>The build of one declared image before the settings hook: its Dockerfile, target, baseline, secrets and SSH agents.</summary>
    ImagePipeline FromDockerfileOf(ImagePipeline pipeline, ContainerImage image)
    {
        pipeline = pipeline.FromDockerfile(image.Context, image.Dockerfile);
        // The components' arguments first (the local base images'): the settings hook can still change them.
        if (ComponentBuildArgs.Count > 0) pipeline = pipeline.BuildArgs(ComponentBuildArgs);
        if (Platform is { } platform) pipeline = pipeline.Platform(platform);
        if (image.Target is not null) pipeline = pipeline.Target(image.Target);
        // Over its budget, an image fails its build step: nothing later tags or pushes it.
        if (image.Baseline is not null) pipeline = pipeline.CompareWith(image.Baseline, image.SizeBudget);
        foreach (var (id, secret) in BuildSecrets()) pipeline = pipeline.Secret(id, secret);
        foreach (var value in Ssh)
        {
            var (id, socket) = value.Split('=', 2) is [var name, var path] ? (name, path) : (value, null);
            pipeline = pipeline.ForwardSsh(id, socket is null ? null : Path.GetFullPath(socket, RootDirectory));
        }
        return pipeline;
    }

    /// <summary>The --build-secret values, each an id and its source; a value that is not one is an error that shows the forms.</summary>
    IEnumerable<(string Id, Building.BuildSecret Secret)> BuildSecrets()
    {
        foreach (var value in BuildSecret)
        {
            var parts = value.Split('=', 2);
            var source = parts.Length == 2 ? parts[1].Split(':', 2) : [];
            yield return (parts[0], source switch
            {
                ["env", { Length: > 0 } variable] => Building.BuildSecret.FromEnvironment(variable),
                ["file", { Length: > 0 } file] => Building.BuildSecret.FromFile(Path.GetFullPath(file.StartsWith("~/") ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), file[2..]) : file, RootDirectory)),
                _ => throw new ParameterException($"--build-secret {parts[0]}=...: give ID=env:VARIABLE or ID=file:PATH (such as npmrc=file:~/.npmrc or nuget_token=env:NUGET_TOKEN)."),
            });
        }
    }
}
