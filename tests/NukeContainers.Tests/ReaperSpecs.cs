using Docker.DotNet.Models;
using NukeContainers.Engine;

namespace NukeContainers.Tests;

/// What a run makes carries its label; what a dead run left is removed by the next one, and nothing else is.
[Collection(EngineCollection.Name)]
public sealed class ReaperSpecs(EngineFixture fixture)
{
    private async Task<string> CreateContainerAsync(string run) =>
        (await fixture.Engine.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = EngineFixture.BaseImage, Cmd = ["true"], Labels = new Dictionary<string, string> { [ResourceLabels.Run] = run },
            HostConfig = new HostConfig { NetworkMode = "none" },
        })).ID;

    private async Task<bool> ExistsAsync(string id) =>
        (await fixture.Engine.Client.Containers.ListContainersAsync(new ContainersListParameters { All = true })).Any(c => c.ID == id);

    [Fact]
    public async Task Containers_of_a_dead_run_on_this_machine_are_reaped_and_those_of_live_or_other_runs_are_not()
    {
        var dead = await CreateContainerAsync(ResourceLabels.FormatRunId(Environment.MachineName, int.MaxValue - 1, 1));
        var own = await CreateContainerAsync(ResourceLabels.RunId);
        var elsewhere = await CreateContainerAsync(ResourceLabels.FormatRunId("another-machine", 1, 1));
        try
        {
            await ResourceReaper.ReapDeadRunsAsync(fixture.Engine);

            Assert.False(await ExistsAsync(dead));
            Assert.True(await ExistsAsync(own));
            Assert.True(await ExistsAsync(elsewhere));
            Assert.Contains(own, await fixture.Engine.OwnContainerIdsAsync());
            Assert.DoesNotContain(elsewhere, await fixture.Engine.OwnContainerIdsAsync());
        }
        finally
        {
            foreach (var id in new[] { dead, own, elsewhere })
                if (await ExistsAsync(id)) await fixture.Engine.Client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true });
        }
    }

    [Fact]
    public async Task Containers_the_engine_starts_carry_this_runs_label()
    {
        await using var container = await fixture.Engine.StartAsync(EngineFixture.BaseImage, command: ["sleep", "30"]);

        var inspected = await fixture.Engine.Client.Containers.InspectContainerAsync(container.Id);

        Assert.Equal(ResourceLabels.RunId, inspected.Config?.Labels?[ResourceLabels.Run]);
    }
}
