using System.Diagnostics;
using NukeContainers.Versioning;

namespace NukeContainers.Tests;

/// Versions from git tags held against the served minver-cli (8.0.0) on histories made with the real git.
public sealed class VersionSpecs : IDisposable
{
    private readonly TempFolder _repo = new();
    private int _commits;

    private string Git(params string[] arguments) => Run("git", arguments);

    private string Commit()
    {
        File.WriteAllText(Path.Combine(_repo.Path, $"file-{++_commits}.txt"), $"{_commits}"); // a file each: merges never conflict
        Git("add", ".");
        Git("commit", "-q", "-m", $"commit {_commits}");
        return Git("rev-parse", "HEAD").Trim();
    }

    private VersionSpecs Init()
    {
        Git("init", "-q", "-b", "main");
        Git("config", "user.email", "test@example.com");
        Git("config", "user.name", "Test");
        return this;
    }

    /// Each history, given as the steps that make it, and the options both tools get.
    public static TheoryData<string, string, string?> Histories => new()
    {
        { "no commits", "", null },
        { "one commit, no tags", "c", null },
        { "three commits, no tags", "c c c", null },
        { "a release tag on HEAD", "c t:1.2.3", null },
        { "a release tag and two commits after it", "c t:1.2.3 c c", null },
        { "a pre-release tag and a commit after it", "c t:2.0.0-rc.1 c", null },
        { "an annotated tag and a commit after it", "c a:1.4.0 c", null },
        { "several tags on one commit", "c t:1.0.0 t:1.1.0 t:1.0.5 c", null },
        { "tags that are not versions are ignored", "c t:release-1 t:1.0 t:v2 c", null },
        { "a tag with build metadata on HEAD", "c t:1.0.0+build.5", null },
        { "a prefixed tag read with the prefix", "c t:v1.0.0 c", "v|" },
        { "a prefixed tag read without the prefix", "c t:v1.0.0 c", null },
        { "a minimum major.minor above the tags", "c t:1.0.0 c c", "|3.0" },
        { "a minimum major.minor and a tag on HEAD", "c t:1.0.0", "|3.0" },
        { "a merged branch with the higher tag", "c t:1.2.0 c b:feature c t:1.5.0 c m:feature c", null },
        { "a merged branch with the lower tag", "c c t:2.0.0 b:feature c t:1.9.0 m:feature c", null },
    };

    [Theory]
    [MemberData(nameof(Histories))]
    public async Task The_version_agrees_with_minver_cli(string history, string steps, string? prefixAndMinimum)
    {
        _ = history;
        Init();
        foreach (var step in steps.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var (kind, name) = (step[0], step.Length > 2 ? step[2..] : "");
            switch (kind)
            {
                case 'c': Commit(); break;
                case 't': Git("tag", name); break;
                case 'a': Git("tag", "-a", name, "-m", $"release {name}"); break;
                case 'b': Git("checkout", "-q", "-b", name, "HEAD~1"); break;       // a branch from the commit before
                case 'm': Git("checkout", "-q", "main"); Git("merge", "-q", "--no-ff", "-m", $"merge {name}", name); break;
            }
        }
        var parts = (prefixAndMinimum ?? "|").Split('|');
        var options = new VersionOptions { TagPrefix = parts[0], MinimumMajorMinor = parts[1].Length > 0 ? parts[1] : null };
        var arguments = new List<string> { _repo.Path, "--verbosity", "error" };
        if (options.TagPrefix.Length > 0) arguments.AddRange(["--tag-prefix", options.TagPrefix]);
        if (options.MinimumMajorMinor is not null) arguments.AddRange(["--minimum-major-minor", options.MinimumMajorMinor]);

        var ours = await GitVersion.ReadAsync(_repo.Path, options);
        var minver = MinVer([.. arguments]).Trim();

        Assert.Equal(minver, ours.Version.ToString());
    }

    [Fact]
    public async Task Outside_git_the_version_is_the_default_and_a_warning_says_what_was_assumed()
    {
        var result = await GitVersion.ReadAsync(_repo.Path);

        Assert.Equal("0.0.0-alpha.0", result.Version.ToString());
        Assert.Contains($"{_repo.Path} is not in a git repository (or git is not installed); the version is 0.0.0-alpha.0.", result.Warnings);
    }

    [Fact]
    public async Task A_shallow_clone_is_warned_about()
    {
        Init();
        Commit();
        Git("tag", "1.0.0");
        Commit();
        Commit();
        using var clone = new TempFolder();
        Run("git", "clone", "-q", "--depth", "1", "file://" + _repo.Path, clone.Path);

        var result = await GitVersion.ReadAsync(clone.Path);

        Assert.Contains(result.Warnings, w => w.StartsWith("This is a shallow clone", StringComparison.Ordinal));
        Assert.Equal("0.0.0-alpha.0", result.Version.ToString()); // the tag is beyond the clone's depth, as the warning says
    }

    /// minver-cli is a local tool of the repository (.config/dotnet-tools.json, restored by the Restore target).
    private string MinVer(params string[] arguments) =>
        Run("dotnet", EngineFixture.RepositoryRoot(), ["tool", "run", "minver", "--", .. arguments]);

    private string Run(string program, params string[] arguments) => Run(program, _repo.Path, arguments);

    private static string Run(string program, string workingDirectory, string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start; is it installed?");
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {error}");
        return output;
    }

    public void Dispose() => _repo.Dispose();
}
