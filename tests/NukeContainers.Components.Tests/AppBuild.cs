using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Engine;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// A team's build of one app that builds, slims and scans; its images carry this run's label.
public sealed class AppBuild(string appFolder, string repository) : BuildHost, IBuildImages, ISlimImages, IScanImages
{
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
        [new("app", AbsolutePath.Create(appFolder)) { Repository = EngineFixture.Repository(repository) }];

    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.Label(ResourceLabels.Run, ResourceLabels.RunId);
}

/// Specs that run an app's build through the driver, in a folder of their own.
public abstract class AppSpecs : IDisposable
{
    private protected BuildDriver Driver { get; } = new();
    private protected TempFolder App { get; } = new();

    public void Dispose()
    {
        Driver.Dispose();
        App.Dispose();
        GC.SuppressFinalize(this);
    }
}
