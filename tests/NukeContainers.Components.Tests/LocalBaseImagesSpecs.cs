using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Engine;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// A team's build where nothing can be pulled: it takes ILocalBaseImages, and its Dockerfile names the official base
/// in an ARG, as the samples do.
public sealed class AirGappedBuild(string appFolder) : BuildHost, IBuildImages, ILocalBaseImages
{
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
        [new("app", AbsolutePath.Create(appFolder)) { Repository = EngineFixture.Repository("air-gapped") }];

    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.Label(ResourceLabels.Run, ResourceLabels.RunId);
}

[Collection(EngineCollection.Name)]
public sealed class LocalBaseImagesSpecs(EngineFixture fixture) : AppSpecs
{
    private const string Dockerfile = "ARG STATIC_IMAGE=gcr.io/distroless/static-debian12:nonroot\nFROM ${STATIC_IMAGE}\nCOPY hello.txt /hello.txt\n";

    [Fact]
    public async Task A_team_build_that_takes_the_component_makes_the_local_bases_first_and_builds_on_them_without_a_pull()
    {
        App.Write("Dockerfile", Dockerfile).Write("hello.txt", Guid.NewGuid().ToString("N"));

        var run = await Driver.RunAsync(new AirGappedBuild(App.Path), "BuildImages");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(TargetStatus.Succeeded, run.StatusOf("LocalBaseImages"));
        Assert.True(run.Output.IndexOf("LocalBaseImages", StringComparison.Ordinal) < run.Output.IndexOf("═══ BuildImages", StringComparison.Ordinal), "the bases are made before the build");
        var built = Reporting.ContainerReport.Read(Path.Combine(Driver.Root, "artifacts/containers/report.json")).Find("app")!;
        var image = (await fixture.Engine.InspectImageAsync(built.ImageId))!;
        var local = (await fixture.Engine.InspectImageAsync(LocalMachine.LocalBaseImageArgs["STATIC_IMAGE"]))!;
        Assert.Equal(local.Layers![0], image.Layers![0]);   // built on local/static:nonroot, not gcr.io's
    }

    [Fact]
    public async Task A_platform_the_local_bases_are_not_made_for_is_bad_usage_naming_the_ones_there_are()
    {
        App.Write("Dockerfile", Dockerfile).Write("hello.txt", "hi");

        var run = await Driver.RunAsync(new AirGappedBuild(App.Path), "BuildImages", "--platform", "linux/riscv64", "--skip", "LocalEnvironment");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--platform linux/riscv64: the local base images are made for linux/amd64 and linux/arm64 only", run.Output);
        Assert.Contains("--base-images official", run.Output);
    }

    [Fact]
    public async Task With_official_base_images_the_component_makes_nothing_and_passes_no_arguments()
    {
        App.Write("Dockerfile", $"ARG STATIC_IMAGE\nFROM {EngineFixture.BaseImage}\nARG STATIC_IMAGE\nRUN test -z \"$STATIC_IMAGE\" && echo {Guid.NewGuid():N} > /id\n");

        var run = await Driver.RunAsync(new AirGappedBuild(App.Path), "BuildImages", "--base-images", "official");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(TargetStatus.Skipped, run.StatusOf("LocalBaseImages"));
    }
}
