using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Engine;
using NukeContainers.Reporting;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// SlimImages as a team runs it: after BuildImages through report.json, or on images named with --image.
[Collection(EngineCollection.Name)]
public sealed class SlimImagesSpecs(EngineFixture fixture) : AppSpecs
{
    [Fact]
    public async Task The_built_image_is_slimmed_above_its_base_and_report_json_gets_the_slim_section_and_the_new_image()
    {
        App.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN mkdir -p /var/cache/apt/archives && head -c 50000 /dev/zero > /var/cache/apt/archives/x.deb && echo {Guid.NewGuid():N} > /id\n");

        var run = await Driver.RunAsync(new AppBuild(App.Path, "slim-target"), "BuildImages", "SlimImages");

        Assert.True(run.ExitCode == 0, run.Output);
        var report = ContainerReport.Read(Path.Combine(Driver.Root, "artifacts/containers/report.json")).Find("app")!;
        var slim = report.Slim()!;
        Assert.Equal(1, slim.RemovedPaths);
        Assert.Equal(50000, slim.RemovedBytes);
        Assert.Equal(2, slim.BaseLayers);   // busybox's, left as they are
        Assert.True(slim.AfterBytes <= slim.BeforeBytes - 50000, $"{slim.BeforeBytes} -> {slim.AfterBytes}");
        Assert.Equal(slim.AfterBytes, report.SizeBytes);
        Assert.Equal("none", slim.Gate);
        var image = (await fixture.Engine.InspectImageAsync(report.ImageId))!;
        Assert.Contains($"127.0.0.1:5000/{EngineFixture.Repository("slim-target")}:build", image.RepoTags);
        Assert.Matches(@"\| \d\.\d MB -> \d\.\d MB, efficiency 100\.0%, wasted 0\.0 MB \|", await File.ReadAllTextAsync(Path.Combine(Driver.Root, "artifacts/containers/report.md")));
        Assert.Contains("/var/cache/apt/archives/x.deb", run.Output);   // the removed paths are listed
    }

    [Fact]
    public async Task A_failing_gate_fails_the_target_naming_the_figure_and_named_images_are_tagged_slim()
    {
        App.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN head -c 400000 /dev/zero > /data\nRUN head -c 400000 /dev/urandom > /data && echo {Guid.NewGuid():N} > /id\n");
        var built = await Driver.RunAsync(new AppBuild(App.Path, "slim-target"), "BuildImages");
        var tag = EngineFixture.Repository("slim-target") + ":1.0";
        var id = ContainerReport.Read(Path.Combine(Driver.Root, "artifacts/containers/report.json")).Find("app")!.ImageId;
        await fixture.Engine.TagAsync(id, Images.ImageReference.Parse(tag));

        var gated = await Driver.RunAsync(new AppBuild(App.Path, "slim-target"), "SlimImages", "--lowest-efficiency", "0.9", "--highest-wasted-bytes", "disabled");
        var dryRun = await Driver.RunAsync(new AppBuild(App.Path, "slim-target"), "SlimImages", "--image", tag, "--image", EngineFixture.BaseImage, "--slim-dry-run");
        var named = await Driver.RunAsync(new AppBuild(App.Path, "slim-target"), "SlimImages", "--image", tag, "--squash");

        Assert.True(built.ExitCode == 0, built.Output);
        Assert.Equal(TargetStatus.Failed, gated.StatusOf("SlimImages"));
        Assert.Matches(@"efficiency 0\.\d+ is below the lowest allowed, 0\.9 \(lowestEfficiency\)", gated.Output);
        Assert.True(dryRun.ExitCode == 0, dryRun.Output);
        Assert.StartsWith($"{tag} ", dryRun.NoteOf("SlimImages"));
        Assert.Contains($"; {EngineFixture.BaseImage} ", dryRun.NoteOf("SlimImages"));
        Assert.True(named.ExitCode == 0, named.Output);
        var squashed = (await fixture.Engine.InspectImageAsync(tag + "-slim"))!;   // no base is known for a named image: all its layers are squashed
        Assert.Single(squashed.Layers!);
        Assert.NotEqual(id, squashed.Id);
        await fixture.Engine.Client.Images.DeleteImageAsync(tag, new Docker.DotNet.Models.ImageDeleteParameters());
        await fixture.Engine.Client.Images.DeleteImageAsync(tag + "-slim", new Docker.DotNet.Models.ImageDeleteParameters());
    }

    [Fact]
    public async Task A_named_image_without_report_json_gets_one_a_dry_run_summarises_and_a_bad_pattern_names_its_parameter()
    {
        App.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN mkdir -p /usr/share/doc/a && for i in $(seq 1 60); do echo $i > /usr/share/doc/a/f$i; done && echo {Guid.NewGuid():N} > /id\n");
        var built = await EngineFixture.Pipeline("slim-named").FromDockerfile(App.Path).WithLog(_ => { }).RunAsync(fixture.Engine);
        var tag = EngineFixture.Repository("slim-named") + ":2.0";
        await fixture.Engine.TagAsync(built.ImageId, Images.ImageReference.Parse(tag));
        try
        {
            var dryRun = await Driver.RunAsync(new AppBuild(App.Path, "slim-named"), "SlimImages", "--image", tag, "--slim-dry-run");
            var list = Directory.GetFiles(Path.Combine(Driver.Root, "artifacts/containers/slim"), "*.removed.txt").Single();
            var bad = await Driver.RunAsync(new AppBuild(App.Path, "slim-named"), "SlimImages", "--image", tag, "--slim-remove", "[");
            var slimmed = await Driver.RunAsync(new AppBuild(App.Path, "slim-named"), "SlimImages", "--image", tag);

            Assert.True(dryRun.ExitCode == 0, dryRun.Output);
            Assert.Contains("Would remove 60 paths", dryRun.Output);
            Assert.Matches(@"\d+ B\s+60 paths  /usr/share/doc", dryRun.Output);               // by folder
            Assert.InRange(dryRun.Output.Split('\n').Count(l => l.Contains("/usr/share/doc/a/f")), 1, 20);   // not 60 lines
            Assert.Contains("... and 40 more", dryRun.Output);
            Assert.Equal(60, File.ReadAllLines(list).Length);                                   // every path, in the file it names
            Assert.Contains(Path.GetRelativePath(Driver.Root, list), dryRun.Output);
            Assert.Equal(TargetStatus.Failed, bad.StatusOf("SlimImages"));
            Assert.Contains("Parameter --slim-remove got '[', which is not a pattern (", bad.Output);
            Assert.True(slimmed.ExitCode == 0, slimmed.Output);
            var report = ContainerReport.Read(Path.Combine(Driver.Root, "artifacts/containers/report.json"));
            Assert.Equal(60, Assert.Single(report.Images).Slim()!.RemovedPaths);
        }
        finally
        {
            await fixture.Engine.Client.Images.DeleteImageAsync(tag, new Docker.DotNet.Models.ImageDeleteParameters());
            try { await fixture.Engine.Client.Images.DeleteImageAsync(tag + "-slim", new Docker.DotNet.Models.ImageDeleteParameters()); }
            catch (Docker.DotNet.DockerApiException) { /* not made: the test failed before */ }
        }
    }
}
