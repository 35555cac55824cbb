using System.Diagnostics;
using NukeContainers.Building;
using NukeContainers.Dockerfiles;
using NukeContainers.Engine;

namespace NukeContainers.Tests;

[Collection(EngineCollection.Name)]
public sealed class BuildSpecs(EngineFixture fixture) : IDisposable
{
    private readonly TempFolder _context = new();
    private readonly List<string> _log = [];

    private ImagePipeline Pipeline(string name = "build-specs") =>
        EngineFixture.Pipeline(name).FromDockerfile(_context.Path).WithLog(_log.Add);

    /// An engine that keeps its images in containerd (Docker 26 here) cannot read a tar context through BuildKit: there
    /// the tar route is refused before anything is sent, saying why, and that is what a tar theory holds instead.
    private async Task<bool> TarRefusedHereAsync(ContextTransfer transfer)
    {
        if (transfer != ContextTransfer.Tar || await fixture.Engine.ImageStoreAsync() != NukeContainers.Engine.ImageStore.Containerd) return false;
        var error = await Assert.ThrowsAsync<ContainerException>(() => Pipeline().Transfer(ContextTransfer.Tar).RunAsync(fixture.Engine));
        Assert.Contains("keeps its images in containerd, and with that store its BuildKit cannot read a context sent as a tar", error.Message);
        return true;
    }

    [Fact]
    public async Task A_tag_moved_to_a_new_image_leaves_no_untagged_image_of_ours_behind()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var first = await Pipeline("moved-tag").Tag("dev").RunAsync(fixture.Engine);
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");

        var second = await Pipeline("moved-tag").Tag("dev").RunAsync(fixture.Engine);

        Assert.NotEqual(first.ImageId, second.ImageId);
        // The first lost its working tag to the second's build, and dev to its tag step: nothing names it, so it went.
        Assert.Null(await fixture.Engine.InspectImageAsync(first.ImageId));
        Assert.Equal(second.ImageId, (await fixture.Engine.InspectImageAsync(second.Image.Repository.WithTag("dev").ToString()))!.Id);
    }

    [Fact]
    public async Task An_image_over_its_size_budget_fails_its_build_step_with_both_sizes_and_no_later_step_tags_it()
    {
        var id = Guid.NewGuid().ToString("N");
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN head -c 3000000 /dev/urandom > /padding && echo {id}\n")
            .Write("Dockerfile.naive", $"FROM {EngineFixture.BaseImage}\nRUN echo {id}\n");
        var tag = "over-" + id[..8];
        var pipeline = Pipeline("over-budget").CompareWith("Dockerfile.naive", 1.2).Tag(tag);

        var error = await Assert.ThrowsAsync<SizeBudgetExceededException>(() => pipeline.RunAsync(fixture.Engine));
        var taggedAfterFailure = await fixture.Engine.InspectImageAsync(pipeline.Repository.WithTag(tag).ToString());
        var within = await pipeline.CompareWith("Dockerfile.naive", 4).RunAsync(fixture.Engine);

        Assert.Matches(@"over-budget-[0-9a-f-]+ is \d+\.\d% of its baseline Dockerfile\.naive \(\d+\.\d MB of \d+\.\d MB\), over its budget of 120%: it is not tagged or pushed", error.Message);
        Assert.True(error.Result.SizeRatio > 1.2);
        Assert.Null(taggedAfterFailure);
        Assert.Equal(within.Image.ImageId, error.Result.Image.ImageId);
        Assert.Contains(tag, within.Image.Tags);
    }

    /// Through the session, an excluded Dockerfile stays out of COPY . as with the docker CLI's BuildKit build (the
    /// engine reads it from its own folder); the tar must carry it, so there it reaches COPY . (ENVIRONMENT.md).
    [Theory]
    [InlineData(ContextTransfer.Session, false)]
    [InlineData(ContextTransfer.Tar, true)]
    public async Task Files_excluded_by_dockerignore_are_absent_from_the_image_and_the_rest_are_present(ContextTransfer transfer, bool dockerfileInCopy)
    {
        _context
            .Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY . /ctx\n")
            .Write(".dockerignore", "# secrets and noise\n*.env\n**/*.tmp\nlogs\n!logs/keep.log\nnode_modules\nDockerfile\n")
            .Write("keep.txt", "k").Write("secret.env", "TOKEN=x")
            .Write("logs/a.log", "").Write("logs/keep.log", "")
            .Write("src/app/main.go", "").Write("src/app/x.tmp", "")
            .Write("node_modules/pkg/index.js", "").Write("docs/readme.md", "");
        if (await TarRefusedHereAsync(transfer)) return;

        var result = await Pipeline().Transfer(transfer).RunAsync(fixture.Engine);

        var files = (await fixture.RunInImageAsync(result.ImageId, "find", "/ctx", "-type", "f")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order();
        string[] expected = ["/ctx/.dockerignore", "/ctx/docs/readme.md", "/ctx/keep.txt", "/ctx/logs/keep.log", "/ctx/src/app/main.go"];
        Assert.Equal(dockerfileInCopy ? expected.Append("/ctx/Dockerfile").Order() : expected, files);
    }

    [Theory]
    [InlineData(Builder.BuildKit)]
    [InlineData(Builder.Legacy)]
    public async Task A_failing_RUN_raises_an_error_naming_the_step_with_its_log_tail(Builder builder)
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo preparing && echo detail-line-42 && exit 3\n");

        var error = await Assert.ThrowsAsync<ImageBuildException>(() => Pipeline().UseBuilder(builder).RunAsync(fixture.Engine));

        Assert.Contains("RUN echo preparing && echo detail-line-42 && exit 3", error.Instruction);
        Assert.Contains("detail-line-42", error.LogTail);
        Assert.Contains("exit code: 3", error.Error.Replace("non-zero code: 3", "exit code: 3"));
        Assert.StartsWith($"The build instruction {error.Instruction} failed: ", error.Message);
    }

    [Fact]
    public async Task A_Dockerfile_syntax_error_names_the_file_and_line_before_the_engine_is_asked()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\n\nRUNN echo typo\n");
        using var unreachable = ContainerEngine.Connect("/nonexistent/docker.sock");

        var error = await Assert.ThrowsAsync<DockerfileException>(() => Pipeline().RunAsync(unreachable));

        Assert.Equal($"{Path.Combine(_context.Path, "Dockerfile")}:3: unknown instruction: RUNN (instructions are ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME, WORKDIR).", error.Message);
    }

    [Fact]
    public async Task The_Dockerfile_is_checked_with_the_engines_own_syntax_so_what_this_engine_builds_is_built()
    {
        // Docker 20.10's frontend takes a stage name twice (today's refuses it); and refuses a heredoc (today's takes it).
        // Docker 20.10's and 26's frontends take a stage name twice (today's refuses it); 20.10's refuses a heredoc (26's builds it).
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage} AS app\nRUN echo one > /one\nFROM {EngineFixture.BaseImage} AS app\nRUN echo two > /two\n");
        var syntax = DockerfileSyntax.ForApiVersion(await fixture.Engine.ApiVersionAsync());
        Assert.Contains(syntax, new[] { DockerfileSyntax.Engine2010, DockerfileSyntax.Engine2026 });   // the engines this machine has

        var built = await fixture.RunInImageAsync((await Pipeline().RunAsync(fixture.Engine)).ImageId, "cat", "/two");   // read now: the next build replaces it
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN <<EOT\necho hi > /hi\nEOT\n");
        var heredoc = await Record.ExceptionAsync(async () => _ = await fixture.RunInImageAsync((await Pipeline().RunAsync(fixture.Engine)).ImageId, "cat", "/hi"));

        Assert.Equal("two\n", built);
        if (syntax.Heredocs) Assert.Null(heredoc);
        else Assert.Contains("Dockerfile:3: unknown instruction: echo", Assert.IsType<DockerfileException>(heredoc).Message);   // as 20.10's frontend reads it
    }

    [Fact]
    public async Task A_COPY_from_a_mistyped_stage_says_so_not_that_a_FROM_failed()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage} AS build\nRUN echo {Guid.NewGuid():N} > /a\nFROM {EngineFixture.BaseImage}\nCOPY --from=biuld /a /a\n");

        var error = await Assert.ThrowsAsync<ContainerException>(() => Pipeline().RunAsync(fixture.Engine));

        // Which pull the engine reports failing varies on Docker 26 (the mistyped name's, or the base's it cut off).
        Assert.StartsWith($"{Path.Combine(_context.Path, "Dockerfile")}:4: COPY --from=biuld names no stage before it, so the engine took 'biuld' for an image, docker.io/library/biuld:latest, and ", error.Message);
        Assert.EndsWith("Name one of the stages (build, 1), or an image the engine can pull.", error.Message);
    }

    [Fact]
    public async Task An_unknown_target_stage_fails_before_any_build_and_lists_the_stages()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage} AS build\nFROM build AS runtime\n");
        using var unreachable = ContainerEngine.Connect("/nonexistent/docker.sock");

        var error = await Assert.ThrowsAsync<DockerfileException>(() => Pipeline().Target("prod").RunAsync(unreachable));

        Assert.Contains("has no stage 'prod'. Its stages are: build, runtime.", error.Message);
        Assert.Empty(_log);
    }

    [Fact]
    public async Task The_legacy_builders_image_of_an_earlier_stage_carries_the_builds_labels_so_the_run_removes_it()
    {
        var marker = Guid.NewGuid().ToString("N");
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage} AS build\nRUN echo {marker} > /out\n\nFROM {EngineFixture.BaseImage}\nCOPY --from=build /out /out\n");

        await Pipeline().UseBuilder(Builder.Legacy).Label("note", "a \"quoted\" $value").RunAsync(fixture.Engine);

        var earlier = await fixture.Engine.FindImagesByLabelAsync("org.nukecontainers.stage", "earlier");
        var ours = new List<IReadOnlyDictionary<string, string>>();
        foreach (var id in earlier)
            if ((await fixture.Engine.InspectImageAsync(id))?.Labels is { } labels && labels.TryGetValue("note", out _) && labels[Engine.ResourceLabels.Run] == Engine.ResourceLabels.RunId
                && await fixture.RunInImageAsync(id, "cat", "/out") == marker + "\n")
                ours.Add(labels);
        var stage = Assert.Single(ours);
        Assert.Equal("a \"quoted\" $value", stage["note"]);   // quotes and $ reach the label as they were
    }

    [Theory]
    [InlineData(Builder.BuildKit)]
    [InlineData(Builder.Legacy)]
    public async Task A_multi_stage_build_produces_the_named_target_with_its_build_args_and_labels(Builder builder)
    {
        _context.Write("Dockerfile", $"""
            ARG BASE={EngineFixture.BaseImage}
            FROM $BASE AS base
            ARG VERSION=0.0.0
            RUN echo "base $VERSION" > /stage

            FROM base AS test
            ARG VERSION
            RUN echo "test $VERSION" > /stage

            FROM base AS runtime
            RUN echo runtime > /stage
            """);

        var result = await Pipeline().UseBuilder(builder).Target("test")
            .BuildArg("VERSION", "1.2.3").Label("org.opencontainers.image.version", "1.2.3")
            .RunAsync(fixture.Engine);

        Assert.Equal("test 1.2.3\n", await fixture.RunInImageAsync(result.ImageId, "cat", "/stage"));
        var image = await fixture.Engine.InspectImageAsync(result.ImageId);
        Assert.Equal("1.2.3", image!.Labels!["org.opencontainers.image.version"]);
        Assert.Equal("test", result.Build!.Target);
        Assert.True(result.SizeBytes > 1_000_000, $"size {result.SizeBytes}");
    }

    [Fact]
    public async Task Rebuilding_unchanged_inputs_with_BuildKit_is_fully_cached()
    {
        _context
            .Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY app.txt /app/\nRUN wc -c /app/app.txt > /app/size\nRUN echo done\n")
            .Write("app.txt", Guid.NewGuid().ToString());

        var first = await Pipeline().RunAsync(fixture.Engine);
        var second = await Pipeline().RunAsync(fixture.Engine);

        Assert.Equal(0, first.Build!.Output.InstructionsCached);
        Assert.Equal(3, second.Build!.Output.InstructionsTotal); // COPY and two RUNs; FROM is nothing the cache can save
        Assert.Equal(3, second.Build!.Output.InstructionsCached);
        Assert.Equal(first.ImageId, second.ImageId);
        Assert.Contains(_log, l => l.EndsWith("RUN echo done: CACHED", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Builder.BuildKit)]
    [InlineData(Builder.Legacy)]
    public async Task A_build_leaves_no_image_of_its_steps_beside_the_one_it_built(Builder builder)
    {
        // Several RUNs and several labels: each a step image of the legacy builder's. On the graph driver's store those
        // are the image's hidden parents, removed with it; on the containerd store they are untagged images of their
        // own, which that store does not always remove with the image (a run of these specs on Docker 26 left 8).
        var marker = Guid.NewGuid().ToString("N");
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {marker} > /a\nRUN echo b > /b\n");
        async Task<List<string>> Ours()
        {
            var ours = new List<string>();
            foreach (var image in await fixture.Engine.Client.Images.ListImagesAsync(new Docker.DotNet.Models.ImagesListParameters { All = true }))
            {
                // The engine is shared: an image another run removed meanwhile, or one whose layers the store lost (an
                // export buildx refused left such records on Docker 26), has no history to read and is not this spec's.
                IList<Docker.DotNet.Models.ImageHistoryResponse> history;
                try { history = await fixture.Engine.Client.Images.GetImageHistoryAsync(image.ID); }
                catch (Docker.DotNet.DockerImageNotFoundException) { continue; }
                if (history.Any(h => h.CreatedBy.Contains(marker, StringComparison.Ordinal))) ours.Add(image.ID);
            }
            return ours;
        }

        var result = await Pipeline().UseBuilder(builder).Label("one", "1").Label("two", "2").RunAsync(fixture.Engine);
        var afterBuild = await Ours();
        await fixture.Engine.Client.Images.DeleteImageAsync(result.ImageId, new Docker.DotNet.Models.ImageDeleteParameters { Force = true });   // as the run's reaper does
        var afterRemoval = await Ours();

        if (await fixture.Engine.ImageStoreAsync() == NukeContainers.Engine.ImageStore.Containerd) Assert.Equal([result.ImageId], afterBuild);
        else Assert.Contains(result.ImageId, afterBuild);
        Assert.Empty(afterRemoval);
    }

    [Theory]
    [InlineData(Builder.BuildKit)]
    [InlineData(Builder.Legacy)]
    public async Task A_fully_cached_rebuild_counts_every_instruction_cached_with_ARGs_before_FROM_left_out(Builder builder)
    {
        // The legacy builder reports the ARG before FROM as a step of its own that never says "Using cache".
        _context.Write("Dockerfile", $"ARG BASE={EngineFixture.BaseImage}\nFROM $BASE\nRUN echo {Guid.NewGuid():N} > /id\nRUN cat /id\n");

        var first = await Pipeline().UseBuilder(builder).RunAsync(fixture.Engine);
        var second = await Pipeline().UseBuilder(builder).RunAsync(fixture.Engine);

        // (The legacy builder also counts a LABEL for each label the API passes; BuildKit does not.)
        Assert.Equal(0, first.Build!.Output.InstructionsCached);
        Assert.True(second.Build!.Output.InstructionsTotal >= 2, string.Join(", ", second.Build.Output.Instructions));
        // The legacy builder's cache is its step images; on the containerd store the product removes them (they would
        // stay forever there), so that builder caches nothing between builds on such an engine.
        var legacyOnContainerd = builder == Builder.Legacy && await fixture.Engine.ImageStoreAsync() == NukeContainers.Engine.ImageStore.Containerd;
        Assert.Equal(legacyOnContainerd ? 0 : second.Build.Output.InstructionsTotal, second.Build.Output.InstructionsCached);
        Assert.DoesNotContain(second.Build.Output.Instructions, i => i.Name.StartsWith("ARG", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Builder.BuildKit, "kept")]
    [InlineData(Builder.Legacy, "lost")]
    public async Task Cache_mounts_keep_files_between_builds_with_BuildKit_and_the_legacy_builder_still_builds_without_them(Builder builder, string expected)
    {
        // The second build counts what the first left in the cache mount (BuildKit keeps it; the legacy builder has none).
        var cache = $"/cache/{Guid.NewGuid():N}";
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nARG RUN_ID\nRUN --mount=type=cache,target={cache} mkdir -p {cache} && " +
            $"(test -e {cache}/mark && echo kept || echo lost) > /state && touch {cache}/mark && echo $RUN_ID > /run-id\n");

        await Pipeline().UseBuilder(builder).BuildArg("RUN_ID", "1").RunAsync(fixture.Engine);
        var second = await Pipeline().UseBuilder(builder).BuildArg("RUN_ID", "2").RunAsync(fixture.Engine);

        Assert.Equal(expected + "\n", await fixture.RunInImageAsync(second.ImageId, "cat", "/state"));
        if (builder == Builder.Legacy) Assert.Contains(_log, l => l.StartsWith("The legacy builder has no RUN --mount", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Builder.BuildKit)]
    [InlineData(Builder.Legacy)]
    public async Task Cancelling_a_build_stops_it_and_leaves_no_stray_containers(Builder builder)
    {
        var marker = Random.Shared.Next(100_000, 999_999);
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN sleep {marker}\n");
        using var cancel = new CancellationTokenSource();
        var log = new List<string>();
        var pipeline = Pipeline().UseBuilder(builder).NoCache().WithLog(line =>
        {
            log.Add(line);
            if (line.Contains($"sleep {marker}")) cancel.CancelAfter(TimeSpan.FromSeconds(1));
        });

        var watch = Stopwatch.StartNew();
        // A build that ignored cancellation would sleep for days: give up after 90 s, which fails the assertion.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipeline.RunAsync(fixture.Engine, cancel.Token).WaitAsync(TimeSpan.FromSeconds(90)));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"the build took {watch.Elapsed} to stop");
        Assert.True(await Eventually(async () => !await EngineFixture.SleepIsRunning(marker) && (await ContainersRunning(marker)).Count == 0),
            $"after cancelling, 'sleep {marker}' still runs or its containers were left behind: {string.Join(", ", await ContainersRunning(marker))}");
    }

    [Fact]
    public async Task A_connection_cut_mid_build_names_the_build_and_the_instruction_and_leaves_nothing_running()
    {
        var marker = Random.Shared.Next(100_000, 999_999);
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo started-{marker} && sleep {marker}\n");
        await using var proxy = new CuttingProxy(fixture.Endpoint.SocketPath, $"started-{marker}");
        using var engine = ContainerEngine.Connect(proxy.Path);

        var error = await Assert.ThrowsAsync<ContainerException>(() => Pipeline("cut").UseBuilder(Builder.Legacy).RunAsync(engine).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.True(proxy.Cut, error.Message);
        Assert.True(error.Message.Contains("while it ran"), error.Message);
        Assert.True(error.Message.StartsWith($"Building {EngineFixture.Repository("cut")} from {Path.Combine(_context.Path, "Dockerfile")}: The connection to the engine was cut during the build, while it ran RUN echo started-{marker} && sleep {marker} (", StringComparison.Ordinal), error.Message);
        Assert.Contains("Check that the engine still runs; its log says why it stopped", error.Message);
        Assert.True(await Eventually(async () => !await EngineFixture.SleepIsRunning(marker) && (await ContainersRunning(marker)).Count == 0),
            $"after the cut, 'sleep {marker}' still runs or its containers were left behind: {string.Join(", ", await ContainersRunning(marker))}");
    }

    [Theory]
    [InlineData(NetworkMode.Host, true)]
    [InlineData(NetworkMode.None, false)]
    public async Task RUN_steps_get_the_network_mode_asked_for(NetworkMode mode, bool reachesTheRegistry)
    {
        // The registry listens on the host's loopback: only the host's network reaches it. (busybox's nc, as its
        // static wget crashes resolving names.) The marker file keeps the step from coming out of the cache.
        var (host, port) = ("127.0.0.1", EngineFixture.RegistryAddress.Split(':')[1]);
        _context.Write("Dockerfile", $"""
            FROM {EngineFixture.BaseImage}
            RUN echo {Guid.NewGuid():N} > /marker && \
                (printf 'GET /v2/ HTTP/1.0\r\n\r\n' | nc -w 3 {host} {port} | grep -q '200 OK' && echo reached || echo unreachable) > /network
            """);

        var result = await Pipeline().Network(mode).RunAsync(fixture.Engine);

        Assert.Equal(reachesTheRegistry ? "reached\n" : "unreachable\n", await fixture.RunInImageAsync(result.ImageId, "cat", "/network"));
    }

    [Fact]
    public async Task NoCache_rebuilds_every_instruction()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo one > /one\nRUN echo two > /two\n");
        await Pipeline().RunAsync(fixture.Engine);

        var rebuilt = await Pipeline().NoCache().RunAsync(fixture.Engine);

        Assert.Equal(2, rebuilt.Build!.Output.InstructionsTotal);
        Assert.Equal(0, rebuilt.Build!.Output.InstructionsCached);
    }

    [Fact]
    public async Task The_platform_asked_for_reaches_the_builder()
    {
        // Another architecture than this machine's, on scratch with no RUN: nothing needs emulating, and the image can
        // only say arm64 if the platform got through.
        _context.Write("Dockerfile", "FROM scratch\nCOPY payload /payload\n").Write("payload", Guid.NewGuid().ToString());

        var result = await Pipeline().Platform("linux/arm64").RunAsync(fixture.Engine);

        Assert.Equal("arm64", (await fixture.Engine.InspectImageAsync(result.ImageId))!.Architecture);
    }

    [Theory]
    [InlineData(ContextTransfer.Session)]
    [InlineData(ContextTransfer.Tar)]
    public async Task The_context_is_streamed_to_the_engine_not_held_in_memory(ContextTransfer transfer)
    {
        const long size = 256L * 1024 * 1024;
        // COPY, so that the session sends the file too (it sends only what a build reads); a new line each run, so
        // that the copy is not taken from the cache of an earlier run.
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N}\nCOPY big.bin /big.bin\n");
        using (var big = File.Create(Path.Combine(_context.Path, "big.bin"))) big.SetLength(size); // sparse: cheap to make, read as zeros
        if (await TarRefusedHereAsync(transfer)) return;

        var before = GC.GetTotalAllocatedBytes(precise: true);
        await Pipeline().Transfer(transfer).RunAsync(fixture.Engine);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.True(allocated < size / 8, $"building a context with a {size / 1024 / 1024} MB file allocated {allocated / 1024 / 1024} MB");
    }

    /// Through the session the engine keeps one synced copy of the folder and asks only for what changed; through the
    /// tar each upload is a record of its own, which the build prunes.
    [Theory]
    [InlineData(ContextTransfer.Session)]
    [InlineData(ContextTransfer.Tar)]
    public async Task Building_an_unchanged_context_again_adds_no_copy_of_it_to_the_build_cache(ContextTransfer transfer)
    {
        // A size of this run's own, so that a run beside it on the engine never falls in the same window.
        // 200 MB through the session (the issue's figure), 64 MB through the tar (each tar build sends all of it).
        var size = (transfer == ContextTransfer.Session ? 200 : 64) * 1024 * 1024 + Environment.ProcessId % 1000 * 16384;
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY big.bin /big.bin\nRUN echo {Guid.NewGuid():N}\n");
        var data = new byte[size];
        Random.Shared.NextBytes(data); // random, so no other test's context shares its cache records
        await File.WriteAllBytesAsync(Path.Combine(_context.Path, "big.bin"), data);
        if (await TarRefusedHereAsync(transfer)) return;

        var before = await LargeCacheRecordsAsync(size);
        await Pipeline().Transfer(transfer).RunAsync(fixture.Engine);
        var afterFirst = await LargeCacheRecordsAsync(size);
        await Pipeline().Transfer(transfer).RunAsync(fixture.Engine);
        await Pipeline().Transfer(transfer).RunAsync(fixture.Engine);
        var afterThird = await LargeCacheRecordsAsync(size);

        // The first build keeps the context's copy (a synced folder, or the tar's unpacked copy) and the COPY's layer;
        // the later builds add nothing. An upload the engine still held when its build returned is pruned by the next
        // build, so at most the last one may be left.
        static bool IsUpload(string record) => record.Contains(" http url http://build-context-", StringComparison.Ordinal);
        Assert.InRange(afterFirst.Except(before).Count(r => !IsUpload(r)), 1, 2);
        // Counted, not named: BuildKit's own GC may replace the synced copy between builds (its default policy keeps
        // only 512 MB of local sources, and other specs sync a 256 MB folder), and a replaced copy is not a new one.
        Assert.Equal(afterFirst.Count(r => !IsUpload(r)), afterThird.Count(r => !IsUpload(r)));
        Assert.Equal(afterFirst.Where(r => !IsUpload(r)).Select(r => r.Split(' ', 2)[1]).Order(), afterThird.Where(r => !IsUpload(r)).Select(r => r.Split(' ', 2)[1]).Order());
        Assert.True(afterThird.Count(IsUpload) <= 1, $"The builds left their context uploads: {string.Join(", ", afterThird.Where(IsUpload))}");
        if (transfer == ContextTransfer.Session)
            Assert.Contains(afterFirst.Except(before), r => r.Contains(" local source for context", StringComparison.Ordinal));
    }

    /// The build cache records of the context's size (and its tar's, which adds at most a few KB of headers).
    private async Task<IReadOnlyList<string>> LargeCacheRecordsAsync(long atLeast)
    {
        using var usage = System.Text.Json.JsonDocument.Parse(await fixture.Engine.Http.GetStringAsync("v1.41/system/df"));
        return usage.RootElement.GetProperty("BuildCache").EnumerateArray()
            .Where(r => r.GetProperty("Size").GetInt64() >= atLeast && r.GetProperty("Size").GetInt64() < atLeast + 16000)
            .Select(r => $"{r.GetProperty("ID").GetString()} {r.GetProperty("Description").GetString()}").ToList();
    }

    [Fact]
    public async Task A_platform_the_engine_cannot_parse_is_refused_with_the_engines_reason()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\n");

        var error = await Assert.ThrowsAnyAsync<ContainerException>(() => Pipeline().Platform("linux/not-an-arch/x/y").RunAsync(fixture.Engine));

        Assert.Contains("linux/not-an-arch/x/y", error.Message);
    }

    /// The engine's containers whose command has this test's marker: the only ones this test may look at (other runs share the engine).
    private async Task<IReadOnlyList<string>> ContainersRunning(int marker) =>
        (await fixture.Engine.Client.Containers.ListContainersAsync(new Docker.DotNet.Models.ContainersListParameters { All = true }))
            .Where(c => c.Command.Contains($"sleep {marker}")).Select(c => c.ID).ToList();

    private static async Task<bool> Eventually(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 60; i++, await Task.Delay(500))
            if (await condition()) return true;
        return false;
    }

    public void Dispose() => _context.Dispose();
}
