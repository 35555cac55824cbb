using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Building;
using NukeContainers.Components;
using NukeContainers.Engine;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

[Collection(EngineCollection.Name)]
public sealed class PruneSpecs(EngineFixture fixture) : IDisposable
{
    private readonly BuildDriver _driver = new();
    private readonly TempFolder _context = new();

    private sealed class PruningBuild : BuildHost, IPruneImages
    {
        IReadOnlyList<ContainerImage> IContainerImages.Images => [];
    }

    [Fact]
    public async Task Prune_removes_the_dangling_images_this_product_built_and_keeps_tagged_and_foreign_ones()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var ours = await fixture.Engine.BuildAsync(BuildContext.Create(_context.Path),
            new BuildSettings { Labels = new Dictionary<string, string> { [ResourceLabels.BuiltBy] = ResourceLabels.Product } }, [], _ => { });
        var working = await fixture.Engine.BuildAsync(BuildContext.Create(_context.Path),
            new BuildSettings { Labels = new Dictionary<string, string> { [ResourceLabels.BuiltBy] = ResourceLabels.Product, [ResourceLabels.Run] = ResourceLabels.RunId } }, [], _ => { });

        BuildDriver.Run run;
        bool oursLeft;
        try
        {
            // Keep the shared engine's build cache: this test is about images.
            run = await _driver.RunAsync(new PruningBuild(), "Prune", "--keep-build-cache", "1000GB");
            oursLeft = await fixture.Engine.InspectImageAsync(ours.ImageId) is not null;
        }
        finally
        {
            await fixture.Engine.RemoveIfUnusedAsync(ours.ImageId); // gone already when Prune worked
        }

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.False(oursLeft, "Prune left the dangling image this product built");
        Assert.NotNull(await fixture.Engine.InspectImageAsync(working.ImageId)); // a live run's working image is its own to remove
        Assert.NotNull(await fixture.Engine.InspectImageAsync(EngineFixture.BaseImage));
        Assert.Matches(@"^freed \d+\.\d MB of build cache; \d+ dangling images, \d+ leftovers removed$", run.NoteOf("Prune"));
    }

    [Theory]
    [InlineData("10GB", 10_000_000_000)]
    [InlineData("500mb", 500_000_000)]
    [InlineData("1.5GB", 1_500_000_000)]
    [InlineData("4096", 4096)]
    public void Sizes_are_read_in_decimal_units(string text, long bytes) => Assert.Equal(bytes, IPruneImages.ParseSize(text));

    [Fact]
    public async Task A_size_that_is_not_one_is_a_usage_error_naming_the_parameter()
    {
        var run = await _driver.RunAsync(new PruningBuild(), "Prune", "--keep-build-cache", "lots");

        Assert.Equal(2, run.ExitCode);   // bad usage, before Prune runs
        Assert.Null(run.Summary);
        Assert.Contains("--keep-build-cache got 'lots'; give a size such as 500MB", run.Output);
    }

    public void Dispose()
    {
        _driver.Dispose();
        _context.Dispose();
    }
}
