using NukeContainers.Building;

namespace NukeContainers.Tests;

/// The engine's build output, as recorded from the real engine (testdata/engine/SOURCES.md), read without an engine.
public sealed class BuildOutputSpecs
{
    private readonly List<string> _log = [];

    private static string Recorded(string file) => Path.Combine(AppContext.BaseDirectory, "testdata", "engine", file);

    private Task<(string ImageId, IReadOnlyList<BuiltInstruction> Instructions, IReadOnlyList<string> StepImages)> Read(string file, Builder builder) =>
        ReadText(File.ReadAllText(Recorded(file)), builder);

    private Task<(string ImageId, IReadOnlyList<BuiltInstruction> Instructions, IReadOnlyList<string> StepImages)> ReadText(string output, Builder builder) =>
        ImageBuilder.ReadOutputAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(output)), builder, _log.Add, CancellationToken.None);

    [Fact]
    public void The_failure_named_is_the_step_whose_error_is_the_cause_not_one_stopped_by_it()
    {
        // As BuildKit 0.13 (Docker 26) reported a COPY --from of a mistyped stage: the base's lookup, cut off, says EOF.
        var status = new Building.Proto.StatusResponse();
        status.Vertexes.Add(new Building.Proto.Vertex { Digest = "sha256:a", Name = "[internal] load metadata for docker.io/library/busybox:1", Error = "EOF: unknown" });
        status.Vertexes.Add(new Building.Proto.Vertex { Digest = "sha256:b", Name = "[internal] load metadata for docker.io/library/biuld:latest", Error = "failed to do request: no such host" });
        var progress = new BuildKitProgress(_log.Add);

        progress.Apply(Google.Protobuf.MessageExtensions.ToByteArray(status));

        Assert.Equal("[internal] load metadata for docker.io/library/biuld:latest", progress.Failure!.Value.Instruction);
    }

    [Fact]
    public async Task A_BuildKit_failure_names_the_step_the_error_and_the_steps_output()
    {
        var error = await Assert.ThrowsAsync<ImageBuildException>(() => Read("buildkit-failing-run.jsonl", Builder.BuildKit));

        Assert.Equal("""[2/2] RUN echo compiling && echo "error: undefined: handler" && exit 2""", error.Instruction);
        Assert.EndsWith("exit code: 2", error.Error);
        Assert.Equal(["compiling", "error: undefined: handler"], error.LogTail);
        Assert.Contains("   error: undefined: handler", _log);
    }

    [Fact]
    public async Task A_legacy_failure_names_the_step_and_its_output()
    {
        var error = await Assert.ThrowsAsync<ImageBuildException>(() => Read("legacy-failing-run.jsonl", Builder.Legacy));

        Assert.Equal("""RUN echo compiling && echo "error: undefined: handler" && exit 2""", error.Instruction);
        Assert.EndsWith("returned a non-zero code: 2", error.Error);
        Assert.Contains("error: undefined: handler", error.LogTail);
    }

    [Fact]
    public async Task A_cached_BuildKit_rebuild_reports_every_step_cached_and_the_image_id()
    {
        var (imageId, instructions, _) = await Read("buildkit-cached.jsonl", Builder.BuildKit);

        Assert.StartsWith("sha256:", imageId);
        Assert.Equal(["[2/3] COPY Dockerfile /d", "[3/3] RUN wc -c /d"], instructions.Select(s => s.Name));
        Assert.All(instructions, s => Assert.True(s.Cached));
        Assert.Contains("=> [3/3] RUN wc -c /d: CACHED", _log);
    }

    /// Each BuildKit trace line of the recorded stream, its payload changed by <paramref name="corrupt"/>.
    private static string CorruptTraces(Func<byte[], byte[]> corrupt) =>
        string.Join('\n', File.ReadAllLines(Recorded("buildkit-cached.jsonl")).Select(line =>
        {
            if (!line.Contains("moby.buildkit.trace")) return line;
            var node = System.Text.Json.Nodes.JsonNode.Parse(line)!;
            node["aux"] = Convert.ToBase64String(corrupt(Convert.FromBase64String(node["aux"]!.GetValue<string>())));
            return node.ToJsonString();
        }));

    [Fact]
    public async Task A_truncated_BuildKit_message_is_rejected_with_the_line_it_is_on()
    {
        var truncated = CorruptTraces(bytes => bytes[..(bytes.Length - 3)]);

        var error = await Assert.ThrowsAsync<BuildOutputException>(() => ReadText(truncated, Builder.BuildKit));

        Assert.Matches(@"^The engine's build output could not be read: line \d+ \(.*\): a BuildKit status message of \d+ bytes is not a valid StatusResponse", error.Message);
    }

    [Fact]
    public async Task A_corrupted_BuildKit_message_is_rejected_clearly_never_with_an_index_error()
    {
        // Every byte turned to 0xFF: varints that never end, lengths past the end.
        var corrupted = CorruptTraces(bytes => bytes.Select(_ => (byte)0xFF).ToArray());

        var error = await Assert.ThrowsAsync<BuildOutputException>(() => ReadText(corrupted, Builder.BuildKit));

        Assert.Contains("is not a valid StatusResponse", error.Message);
    }

    [Theory]
    [InlineData("{\"id\":\"moby.buildkit.trace\",\"aux\":\"not base64!\"}", "line 1")]
    [InlineData("{\"stream\":\"Step 1/2", "line 1")]
    public async Task A_line_that_is_not_an_engine_message_is_named(string line, string where)
    {
        var error = await Assert.ThrowsAsync<BuildOutputException>(() => ReadText(line + "\n", Builder.BuildKit));

        Assert.Contains(where, error.Message);
    }

    [Fact]
    public async Task A_stream_cut_before_the_image_id_says_so()
    {
        var lines = File.ReadAllLines(Recorded("buildkit-cached.jsonl"));
        var cut = string.Join('\n', lines.Where(l => !l.Contains("\"aux\":{\"ID\"")));

        var error = await Assert.ThrowsAsync<BuildOutputException>(() => ReadText(cut, Builder.BuildKit));

        Assert.Contains("it ended without naming the image it built", error.Message);
    }

    /// Docker 20.10 fails a mistyped COPY --from as the pull of that name ("FROM docker.io/library/biuld:latest");
    /// Docker 26 as "[internal] load metadata for" it, and once as the base's lookup, cut off by it: each names the COPY.
    [Theory]
    [InlineData("FROM docker.io/library/biuld:latest", "docker.io/library/biuld:latest")]
    [InlineData("[internal] load metadata for docker.io/library/biuld:latest", "docker.io/library/biuld:latest")]
    [InlineData("[internal] load metadata for docker.io/nukecontainers-test/busybox:1", "docker.io/nukecontainers-test/busybox:1")]
    public void A_failed_pull_is_traced_to_the_COPY_from_that_names_no_stage(string instruction, string pulled)
    {
        var dockerfile = Dockerfiles.DockerfileParser.Parse("FROM nukecontainers-test/busybox:1 AS build\nRUN true\nFROM nukecontainers-test/busybox:1\nCOPY --from=biuld /a /a\nCOPY --from=registry.example.com/tools:1 /t /t\n");
        var elsewhere = Dockerfiles.DockerfileParser.Parse("FROM nukecontainers-test/busybox:1\nCOPY --from=registry.example.com/tools:1 /t /t\n");

        Assert.Equal(pulled, BuildStep.PulledImage(instruction));
        var copy = BuildStep.MistypedStage(dockerfile, pulled);
        Assert.Equal((4, "biuld", "docker.io/library/biuld:latest"), (copy?.Copy.Line, copy?.From, copy?.Image));
        // A COPY --from that names an image (a registry, a tag) is taken at its word: no stage is named for it.
        Assert.Null(BuildStep.MistypedStage(elsewhere, pulled));
    }
}
