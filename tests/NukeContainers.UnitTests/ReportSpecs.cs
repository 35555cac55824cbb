using System.Text.Json;
using NukeContainers.Building;
using NukeContainers.Images;
using NukeContainers.Reporting;

namespace NukeContainers.Tests;

public sealed class ReportSpecs : IDisposable
{
    private readonly TempFolder _root = new();

    private ImageResult Image(string name, long size, BaselineResult? baseline)
    {
        var image = new PipelineImage(ImageReference.Parse($"127.0.0.1:5000/samples/{name}")) { ImageId = "sha256:" + new string('a', 64), SizeBytes = size };
        var build = new BuildResult
        {
            Image = image,
            Dockerfile = Path.Combine(_root.Path, "samples", name, "Dockerfile"),
            Target = "runtime",
            Output = new BuildOutput(image.ImageId, [new BuiltInstruction("[2/2] RUN make", false, TimeSpan.FromSeconds(2))], Builder.BuildKit, TimeSpan.FromMilliseconds(2500)),
            Baseline = baseline,
        };
        return new ImageResult { Name = name, Image = image, Steps = [build], DurationsMs = new Dictionary<string, long> { ["build"] = 2500 } };
    }

    [Fact]
    public async Task The_report_follows_the_contract_with_paths_relative_to_the_root_and_absent_steps_left_out()
    {
        var images = new[]
        {
            Image("go-api", 6_000_000, new BaselineResult(Path.Combine(_root.Path, "samples/go-api/Dockerfile.naive"), "sha256:b", 850_000_000)),
            Image("plain", 1_000, null),
        };

        var path = await ContainerReport.From(images, _root.Path).WriteAsync(Path.Combine(_root.Path, "artifacts/containers"));

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        var first = json.RootElement.GetProperty("images")[0];
        Assert.Equal("go-api", first.GetProperty("name").GetString());
        Assert.Equal("127.0.0.1:5000/samples/go-api", first.GetProperty("repository").GetString());
        Assert.Equal("samples/go-api/Dockerfile", first.GetProperty("dockerfile").GetString());
        Assert.Equal("runtime", first.GetProperty("target").GetString());
        Assert.Equal(6_000_000, first.GetProperty("sizeBytes").GetInt64());
        Assert.Equal("samples/go-api/Dockerfile.naive", first.GetProperty("baseline").GetProperty("dockerfile").GetString());
        Assert.Equal(850_000_000, first.GetProperty("baseline").GetProperty("sizeBytes").GetInt64());
        Assert.Equal(2500, first.GetProperty("durationsMs").GetProperty("build").GetInt64());
        var second = json.RootElement.GetProperty("images")[1];
        Assert.False(second.TryGetProperty("baseline", out _));
        Assert.False(second.TryGetProperty("cache", out _));
        Assert.False(second.TryGetProperty("tags", out _));
        Assert.False(second.GetProperty("durationsMs").TryGetProperty("push", out _));
    }

    [Fact]
    public async Task The_markdown_report_has_a_row_per_image_with_its_share_of_the_baseline()
    {
        var report = ContainerReport.From([Image("go-api", 6_000_000, new BaselineResult(Path.Combine(_root.Path, "Dockerfile.naive"), "sha256:b", 600_000_000))], _root.Path);

        var folder = Path.Combine(_root.Path, "out");
        await report.WriteAsync(folder);

        var markdown = await File.ReadAllTextAsync(Path.Combine(folder, "report.md"));
        Assert.Contains("| go-api | runtime | 6.0 MB | 600.0 MB (Dockerfile.naive) | 1.0% |  |  |  |  |  | build 2.5 s |", markdown);
    }

    [Fact]
    public async Task Reading_a_report_back_gives_the_same_images()
    {
        var report = ContainerReport.From([Image("go-api", 6_000_000, null)], _root.Path);
        var path = await report.WriteAsync(Path.Combine(_root.Path, "r"));

        var read = ContainerReport.Read(path);

        Assert.Equal(JsonSerializer.Serialize(report), JsonSerializer.Serialize(read));
        Assert.Equal(850_000_000, ContainerReport.From([Image("x", 1, new BaselineResult("/b", "sha256:b", 850_000_000))], _root.Path).Images[0].Baseline()?.SizeBytes);
        Assert.Equal(2500, read.Images[0].DurationsMs["build"]);
        Assert.Equal("samples/go-api/Dockerfile", read.Images[0].Dockerfile());
        Assert.Equal("runtime", read.Images[0].Target());
    }

    [Fact]
    public void A_later_targets_results_keep_what_earlier_ones_wrote_and_a_new_build_replaces_the_entry()
    {
        var built = ContainerReport.From([Image("go-api", 6_000_000, null)], _root.Path);
        var tagged = Image("go-api", 6_000_000, null) with { Steps = [], DurationsMs = new Dictionary<string, long> { ["tag"] = 5 } };

        var later = built.With([tagged], _root.Path);
        var rebuilt = later.With([Image("go-api", 7_000_000, null)], _root.Path);

        Assert.Equal(["build", "tag"], later.Images[0].DurationsMs.Keys.Order());
        Assert.Equal("runtime", later.Images[0].Target());
        Assert.Equal(["build"], rebuilt.Images[0].DurationsMs.Keys);
        Assert.Equal(7_000_000, rebuilt.Images[0].SizeBytes);
    }

    [Fact]
    public void A_failed_attempt_keeps_what_earlier_runs_delivered_beside_it_and_the_next_result_clears_it()
    {
        var delivered = ContainerReport.From([Image("go-api", 6_000_000, null)], _root.Path);
        var at = new DateTimeOffset(2026, 12, 5, 1, 2, 3, TimeSpan.Zero);

        var failed = delivered.WithFailedAttempts(new Dictionary<string, string> { ["go-api"] = "failed: the build broke", ["never-built"] = "cancelled" }, at);
        var tagged = failed.With([Image("go-api", 6_000_000, null) with { Steps = [], DurationsMs = new Dictionary<string, long> { ["tag"] = 5 } }], _root.Path);

        var entry = Assert.Single(failed.Images);   // an image with no entry gets none: there is nothing of it to keep
        Assert.Equal(delivered.Images[0].ImageId, entry.ImageId);
        Assert.Equal("runtime", entry.Target());
        Assert.Equal(new FailedAttempt("failed: the build broke", at), entry.FailedAttempt());
        Assert.Null(tagged.Images[0].FailedAttempt());
        Assert.Equal("runtime", tagged.Images[0].Target());
    }

    [Fact]
    public void A_file_that_is_not_a_report_is_named_in_the_error()
    {
        var path = Path.Combine(_root.Path, "report.json");
        File.WriteAllText(path, "{ not json");

        var error = Assert.Throws<ContainerException>(() => ContainerReport.Read(path));

        Assert.StartsWith($"{path} is not a report.json (", error.Message);
    }

    /// A typed, versioned report (issue 27.3): schemaVersion first; another version is named with this one's, and a
    /// report written before the version was kept reads as version 1 (the same shape).
    [Theory]
    [InlineData("{ \"schemaVersion\": 2, \"images\": [] }", "is report.json schema version 2, and this NukeContainers reads version 1: a newer NukeContainers wrote it. Update the build's NukeContainers packages")]
    [InlineData("{ \"schemaVersion\": 0, \"images\": [] }", "is report.json schema version 0, and this NukeContainers reads version 1: delete it")]
    [InlineData("{ \"schemaVersion\": \"one\", \"images\": [] }", "is report.json schema version \"one\"")]
    public void A_report_of_another_schema_version_is_refused_naming_both_versions(string text, string message)
    {
        var path = Path.Combine(_root.Path, "report.json");
        File.WriteAllText(path, text);

        Assert.Contains(message, Assert.Throws<ContainerException>(() => ContainerReport.Read(path)).Message);
    }

    [Fact]
    public async Task The_report_says_its_schema_version_first_and_one_without_it_reads_as_version_1()
    {
        var before = ReportSchema.Validated;
        var path = await ContainerReport.From([Image("go-api", 4_470_000, null)], _root.Path).WriteAsync(Path.Combine(_root.Path, "out"));
        File.WriteAllText(Path.Combine(_root.Path, "old.json"), "{ \"images\": [] }");

        Assert.StartsWith("{\n  \"schemaVersion\": 1,\n  \"images\": [", File.ReadAllText(path));
        Assert.True(ReportSchema.Validated > before, "the write was held against docs/report.schema.json");
        Assert.Equal(1, ContainerReport.Read(Path.Combine(_root.Path, "old.json")).SchemaVersion);
    }

    /// The schema check itself can fail: a digest that is none, a severity there is not, a missing required field.
    [Theory]
    [InlineData("\"digest\": \"latest\"", "/images/0/digest")]
    [InlineData("\"scan\": { \"critical\": 0, \"high\": 0, \"medium\": 0, \"low\": 0, \"gate\": \"maybe\", \"sbom\": \"s.json\" }", "/images/0/scan/gate")]
    [InlineData("\"rollout\": { \"status\": \"succeeded\" }", "/images/0/rollout")]
    public void The_schema_refuses_a_report_that_does_not_fit_it(string field, string where)
    {
        var text = $"{{ \"schemaVersion\": 1, \"images\": [ {{ \"name\": \"a\", \"repository\": \"r/a\", \"imageId\": \"sha256:{new string('a', 64)}\", \"sizeBytes\": 1, \"durationsMs\": {{}}, {field} }} ] }}";

        Assert.Contains(where, Assert.Throws<InvalidOperationException>(() => ReportSchema.Validate("report.json", text)).Message);
    }

    public void Dispose() => _root.Dispose();
}
