using System.Diagnostics;
using System.Net.Sockets;
using NukeContainers.Building;
using NukeContainers.Engine;

namespace NukeContainers.Tests;

/// The build context held against the docker CLI's (the machine's docker CLI with DOCKER_BUILDKIT=0, the legacy
/// builder) on the same trees: odd files (pipes, sockets, broken links, linked folders, hard links), and generated
/// trees of odd names and shapes. What the CLI puts in the image, the product puts there too.
[Collection(EngineCollection.Name)]
public sealed class ContextSpecs(EngineFixture fixture) : IDisposable
{
    private readonly TempFolder _context = new();

    private const string Listing = """
        cd / && for t in f d l p; do find /ctx -type $t | sed "s/^/$t /"; done; find /ctx -type f -exec stat -c "links=%h %n" {} +
        """;

    [Theory]
    [InlineData(Builder.BuildKit)]
    [InlineData(Builder.Legacy)]
    public async Task Pipes_sockets_broken_links_linked_folders_and_hard_links_are_sent_as_the_CLI_sends_them(Builder builder)
    {
        _context.Write("real/sub/a.txt", "a").Write("file.txt", "x")
            .Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY . /ctx/\nCOPY linkdir /ctx-linkdir/\n");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "linkdir"), "real");
        File.CreateSymbolicLink(Path.Combine(_context.Path, "broken"), "nowhere");
        MakeFifo(Path.Combine(_context.Path, "pipe"));
        MakeSocket(Path.Combine(_context.Path, "sock"));
        await Run("ln", Path.Combine(_context.Path, "file.txt"), Path.Combine(_context.Path, "hard.txt"));
        var listing = Listing.Replace("/ctx ", "/ctx /ctx-linkdir ");

        var ours = await BuildAndListAsync(builder, listing).WaitAsync(TimeSpan.FromSeconds(60)); // a pipe once hung the build forever
        var cli = await CliBuildAndListAsync(listing);

        Assert.Equal(ForBuilder(cli, builder), ours);
        Assert.Contains("p /ctx/pipe", cli);
        Assert.Contains("f /ctx-linkdir/sub/a.txt", ours);
        Assert.Contains("links=2 /ctx/hard.txt", ours);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task A_generated_tree_of_odd_names_and_shapes_reaches_the_image_as_the_CLIs_does(int seed)
    {
        OddTree.Write(_context.Path, seed);
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY . /ctx/\n");

        var cli = await CliBuildAndListAsync(Listing);
        foreach (var builder in new[] { Builder.BuildKit, Builder.Legacy })
            Assert.Equal(ForBuilder(cli, builder), await BuildAndListAsync(builder, Listing).WaitAsync(TimeSpan.FromSeconds(60)));
    }

    /// Where the builders differ, not the contexts: both get the pipe, and BuildKit's COPY leaves named pipes out.
    /// (Debian's docker 20.10 client with BuildKit, which syncs the context through a session, loses them the same
    /// way, and also turns sockets into empty files, which the legacy CLI and this product leave out.)
    private static IReadOnlyList<string> ForBuilder(IReadOnlyList<string> legacyCli, Builder builder) =>
        builder == Builder.BuildKit ? legacyCli.Where(line => !line.StartsWith("p ", StringComparison.Ordinal)).ToList() : legacyCli;

    [Theory]
    [InlineData(Builder.BuildKit)]
    [InlineData(Builder.Legacy)]
    public async Task A_dockerignore_that_excludes_itself_and_the_Dockerfile_keeps_them_out_of_COPY(Builder builder)
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY . /ctx/\n")
            .Write(".dockerignore", "Dockerfile\n.dockerignore\n*.tmp\n").Write("keep.txt", "k").Write("drop.tmp", "d");

        var cli = await CliBuildAndListAsync(Listing);
        var ours = await BuildAndListAsync(builder, Listing);

        Assert.DoesNotContain("f /ctx/.dockerignore", cli);
        Assert.DoesNotContain("f /ctx/Dockerfile", cli);
        // BuildKit reads the Dockerfile through the session, apart from the context (a tar would have to carry it, and
        // COPY would copy it: BuildSpecs holds that); the legacy engine removes it itself, as for the CLI.
        Assert.Equal(cli, ours);
    }

    /// Pattern sets over one nested tree, several with "!" exceptions under "**" in nested folders.
    public static TheoryData<string> PatternSets => new()
    {
        "*.md", "**/*.md", "docs", "docs/**", "**/node_modules", "*\n!README.md", "**/*.env\n!**/keep.env",
        "a/**\n!a/b/**/keep.txt", "**\n!src/**/*.go\n!Dockerfile", "**/secret*\n!a/b/c/secret.keep", "/logs/\n!logs/important.log",
        "a/*/c", "a/**/c/*.txt", "?ocs", "[a-b]/**", "# a comment\n\n**/*.log\n!**/*.keep.log", "**/.git\n**/*.tmp",
        "src\n!src/main", "*/b/**\n!*/b/c/**", "**/b/c\n!**/b/c/keep.txt", "./a/b", "!a\n*\n!Dockerfile", "a/b/c/d\n!a/b/c/d/deep.txt",
    };

    [Theory]
    [MemberData(nameof(PatternSets))]
    public async Task A_dockerignore_filters_the_context_as_the_docker_CLI_does(string patterns)
    {
        foreach (var file in new[]
                 {
                     "README.md", "CHANGELOG.md", ".env", "keep.env", "main.go", "docs/guide.md", "docs/img/logo.png", "a/b/c/keep.txt", "a/b/c/drop.txt",
                     "a/b/c/secret.keep", "a/b/c/secret.txt", "a/b/notes.md", "a/x/c/file.txt", "a/b/c/d/deep.txt", "a/b/x.tmp", "b/b/c/keep.txt",
                     "b/b/file.txt", "src/main/app.go", "src/lib/util.go", "src/lib/readme.txt", "src/.env", "logs/app.log", "logs/important.log",
                     "logs/x.keep.log", "node_modules/pkg/index.js", "web/node_modules/pkg/index.js", ".git/HEAD", "sub/.git/config", "tmp.tmp",
                 })
            _context.Write(file, file);
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY . /ctx/\n").Write(".dockerignore", patterns);
        const string files = "find /ctx -type f | sort";

        var cli = await CliBuildAndListAsync(files);
        var ours = await BuildAndListAsync(Builder.Legacy, files);

        Assert.Equal(cli, ours);
    }

    [Fact]
    public async Task Excluding_the_Dockerfile_after_a_build_is_a_change_of_inputs_and_the_rebuilt_image_has_what_the_CLIs_has()
    {
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nCOPY . /ctx/\nRUN echo {Guid.NewGuid():N}\n")
            .Write(".dockerignore", ".dockerignore\n").Write("keep.txt", "k");
        var pipeline = () => EngineFixture.Pipeline("context-digest").FromDockerfile(_context.Path).WithLog(_ => { })
            .RestoreCache(c => c with { Automatic = false });

        var first = await ListAsync((await pipeline().RunAsync(fixture.Engine)).ImageId, Listing);
        _context.Write(".dockerignore", ".dockerignore\nDockerfile\n");   // a file excluded only from now on, by a rule file that excludes itself
        var second = await pipeline().RunAsync(fixture.Engine);
        var cli = await CliBuildAndListAsync(Listing);

        Assert.Contains("f /ctx/Dockerfile", first);
        Assert.False(second.Step<Caching.RestoreCacheResult>()!.Skipped, "the input digest did not see the Dockerfile leave the context");
        Assert.DoesNotContain("f /ctx/Dockerfile", cli);
        Assert.Equal(cli, await ListAsync(second.ImageId, Listing));
    }

    private async Task<IReadOnlyList<string>> BuildAndListAsync(Builder builder, string listing)
    {
        var result = await EngineFixture.Pipeline("context").FromDockerfile(_context.Path).UseBuilder(builder).WithLog(_ => { }).RunAsync(fixture.Engine);
        return await ListAsync(result.ImageId, listing);
    }

    /// The same context built by the docker CLI's legacy builder; the image carries this run's label, so the run removes it.
    private async Task<IReadOnlyList<string>> CliBuildAndListAsync(string listing)
    {
        var imageId = (await Run("docker", "build", "-q", "--label", $"{ResourceLabels.Run}={ResourceLabels.RunId}", _context.Path)).Trim();
        return await ListAsync(imageId, listing);
    }

    private async Task<IReadOnlyList<string>> ListAsync(string image, string listing)
    {
        var run = await fixture.Engine.RunAsync(image, ["sh", "-c", listing]);
        Assert.True(run.ExitCode == 0, run.StandardError);
        return run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
    }

    private async Task<string> Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOCKER_HOST"] = fixture.Endpoint.Uri.ToString();
        start.Environment["DOCKER_BUILDKIT"] = "0";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
        return await output;
    }

    internal static void MakeFifo(string path)
    {
        using var process = Process.Start("mkfifo", [path]);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    internal static void MakeSocket(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path)); // the socket file stays after the socket is closed
    }

    public void Dispose() => _context.Dispose();
}

/// Odd trees for the context specs, the same for the same seed: unicode, long and spaced names, hidden files, empty and
/// deep folders, links to files and folders, broken links, hard links, pipes, sockets, and a .dockerignore with exceptions.
internal static class OddTree
{
    private static readonly string[] Names =
    [
        "plain.txt", "with space.txt", "ünïcødé.md", "日本語.txt", new string('l', 200) + ".txt", ".hidden", "keep.tmp", "drop.tmp", "app.log", "x",
    ];

    private static readonly string[] Ignores = ["*.log", "**/*.tmp", "!**/keep.tmp", "dir-1", "!dir-1/plain.txt", "**/.hidden"];

    public static void Write(string root, int seed)
    {
        var random = new Random(seed);
        var files = new List<string>();
        var folders = new List<string>();
        Fill(root, "", depth: 0, random, files, folders);
        for (var i = 0; i < 3 && files.Count > 0; i++)
        {
            var target = files[random.Next(files.Count)];
            var link = Path.Combine(root, $"link-{i}");
            switch (random.Next(5))
            {
                case 0: File.CreateSymbolicLink(link, target); break;                                     // to a file
                case 1 when folders.Count > 0: File.CreateSymbolicLink(link, folders[random.Next(folders.Count)]); break;
                case 2: File.CreateSymbolicLink(link, "missing/" + i); break;                               // broken
                case 3: Process.Start("ln", [Path.Combine(root, target), link])!.WaitForExit(); break;
                default: ContextSpecs.MakeFifo(link); break;
            }
        }
        ContextSpecs.MakeSocket(Path.Combine(root, "agent.sock"));
        File.WriteAllLines(Path.Combine(root, ".dockerignore"), Ignores.Where(_ => random.Next(2) == 0));
    }

    private static void Fill(string root, string relative, int depth, Random random, List<string> files, List<string> folders)
    {
        Directory.CreateDirectory(Path.Combine(root, relative));
        foreach (var name in Names.Where(_ => random.Next(3) == 0))
        {
            var file = Path.Combine(relative, name);
            File.WriteAllText(Path.Combine(root, file), $"{seed(random)} {name}");
            files.Add(file);
        }
        for (var i = 0; i < (depth < 4 ? random.Next(1, 3) : 0); i++)
        {
            var folder = Path.Combine(relative, $"dir-{depth + i}");
            folders.Add(folder);
            Fill(root, folder, depth + 1, random, files, folders);
        }
        if (random.Next(3) == 0) Directory.CreateDirectory(Path.Combine(root, relative, "empty"));

        static int seed(Random random) => random.Next();
    }
}
