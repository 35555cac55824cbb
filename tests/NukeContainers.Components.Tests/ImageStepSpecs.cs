using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Engine;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// A team's policy check: between the scan and the push, it refuses an image with a label it does not allow.
public sealed record PolicyCheck(List<string> Checked) : IPipelineStep
{
    public string Name => "policy";
    public IReadOnlyList<string> After => [StepNames.Scan];
    public IReadOnlyList<string> Before => [StepNames.Push];

    public async Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var labels = (await context.Engine.InspectImageAsync(context.Image.RequireImageId(Name), cancellationToken))!.Labels ?? new Dictionary<string, string>();
        if (labels.ContainsKey("com.example.forbidden")) throw new ContainerException($"The policy refuses {context.Image.Repository}: it has the label com.example.forbidden.");
        Checked.Add(context.Image.Digest is null ? "not pushed yet" : "pushed");
        return new PolicyResult { Image = context.Image };
    }
}

public sealed record PolicyResult : StepResult;

/// A team's build that takes Publish and adds its own step with one property, nothing else overridden.
public sealed class PolicyBuild(string appFolder) : BuildHost, IContainerPublish
{
    public List<string> Checked { get; } = [];

    IReadOnlyList<ContainerImage> IContainerImages.Images =>
        [new("app", AbsolutePath.Create(appFolder)) { Repository = EngineFixture.Repository("policy") }];

    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.Label(ResourceLabels.Run, ResourceLabels.RunId);

    public ImageStep Policy => new("policy", (pipeline, _) => pipeline.WithStep(new PolicyCheck(Checked)));
}

[Collection(EngineCollection.Name)]
public sealed class ImageStepSpecs : AppSpecs
{
    [Fact]
    public async Task A_teams_own_step_joins_Publish_in_its_declared_place_and_its_refusal_stops_the_push()
    {
        App.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var build = new PolicyBuild(App.Path);

        var published = await Driver.RunAsync(build, "Publish", "--registry", EngineFixture.RegistryAddress, "--version", "7.0.0");

        Assert.True(published.ExitCode == 0, published.Output);
        Assert.Equal(["not pushed yet"], build.Checked);   // after the scan, before the push
        var entry = Reporting.ContainerReport.Read(Path.Combine(Driver.Root, "artifacts/containers/report.json")).Find("app")!;
        Assert.Equal(["restoreCache", "build", "slim", "tag", "scan", "policy", "push", "attest", "pushTags"], entry.DurationsMs.Keys.Where(k => k != "exportCache"));

        App.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nLABEL com.example.forbidden=yes\nRUN echo {Guid.NewGuid():N} > /id\n");
        var refused = await Driver.RunAsync(new PolicyBuild(App.Path), "Publish", "--registry", EngineFixture.RegistryAddress, "--version", "7.0.1");

        Assert.Equal(TargetStatus.Failed, refused.StatusOf("Publish"));
        Assert.Contains("The policy refuses", refused.Output);
        using var registry = new Registry.RegistryClient(EngineFixture.RegistryAddress, null);
        Assert.Null(await registry.DigestAsync(EngineFixture.Repository("policy"), "7.0.1"));
    }

    [Fact]
    public async Task Publish_plan_prints_each_images_step_graph_with_the_teams_step_in_it()
    {
        App.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\n");

        var plan = await Driver.RunAsync(new PolicyBuild(App.Path), "Publish", "--plan");

        Assert.Equal(0, plan.ExitCode);
        Assert.Contains("Publish's steps for each image", plan.Output);
        Assert.Contains("  app:\n    restoreCache\n    build (after restoreCache)\n", plan.Output);
        Assert.Contains("    policy (after scan)\n    push (after tag, scan, policy)\n", plan.Output);
    }
}
