using NukeContainers;
using NukeContainers.Build;
using NukeContainers.Components;
using NukeContainers.Engine;

enum BaseImageSource { Local, Official }

/// The images this repository delivers: its samples, each measured against its naive Dockerfile and held to a budget.
partial class Build : IContainerPublish, IPromoteImages, IPruneImages
{
    [Parameter("Where the samples' base images come from: local (made on this machine, no pulls) or official (pulled)")]
    readonly BaseImageSource BaseImages = BaseImageSource.Local;

    AbsolutePath SamplesDirectory => RootDirectory / "samples";

    /// The most each sample's image may weigh against its naive build: the case studies' promise, checked on every build.
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
    [
        Sample("go-api", 0.02),
        Sample("node-web", 0.10),
        Sample("dotnet-api", 0.15),
    ];

    ContainerImage Sample(string name, double budget) => new(name, SamplesDirectory / name)
    {
        Repository = $"samples/{name}", Target = "runtime", Baseline = "Dockerfile.naive", SizeBudget = budget,
    };

    /// Nothing can be pulled here: the samples' Dockerfiles take the base images made on this machine instead.
    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline =>
        BaseImages == BaseImageSource.Local ? pipeline.BuildArgs(Containers.LocalBaseImageArgs) : pipeline;

    /// A platform the local base images are not made for would fail the build on a lookup at docker.io (nothing can
    /// be pulled here): said before anything runs, with the platforms there are.
    void CheckPlatformsHaveLocalBases()
    {
        if (((IBuildImages)this).Platform is not { } platform) return;
        var made = NukeContainers.Provisioning.LocalBaseImages.All.SelectMany(i => i.Platforms).Distinct().Order().ToList();
        var missing = platform.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(p => !made.Contains(p)).ToList();
        if (missing.Count > 0)
            throw new ParameterException($"--platform {string.Join(",", missing)}: the local base images are made for {string.Join(" and ", made)} only (nothing is pulled here). " +
                                         "Build for those, or give --base-images official where the official images can be pulled.");
    }

    Target LocalBaseImages => _ => _
        .Description("Make the base images the samples build on from Debian's packages, when missing or out of date (--base-images local)")
        .DependsOn<ILocalEnvironment>(x => x.LocalEnvironment)
        .DependentFor<IBuildImages>(x => x.BuildImages)
        .DependentFor<IContainerPublish>(x => x.Publish)
        .OnlyWhenStatic(() => BaseImages == BaseImageSource.Local)
        .Validates(CheckPlatformsHaveLocalBases)
        .Executes(async ct =>
        {
            using var engine = await ContainerEngine.ConnectAsync(cancellationToken: ct);
            await Containers.LocalBaseImagesAsync(engine, Log.Info, ct, buildLog: Log.Verbose);
        });
}
