using NukeContainers.Versioning;

namespace NukeContainers.Tests;

/// <summary>
/// MinVer's rules over histories given as git prints them (no git here: the engine tier's VersionSpecs makes the same
/// histories with the real git and holds each version against the served minver-cli; these are its cases, with the
/// versions minver-cli gave, and the rules' edges).
/// </summary>
public sealed class GitVersionSpecs
{
    /// A history as git log --pretty="%H %P" and git show-ref --tags --dereference print it, made by the same steps
    /// as VersionSpecs': c (commit), t:NAME (tag HEAD), b:NAME (branch from HEAD~1 and check it out), m:NAME (back to
    /// main and merge NAME with a merge commit).
    private sealed class History
    {
        private readonly Dictionary<string, string[]> _parents = [];
        private readonly List<(string Name, string Sha)> _tags = [];
        private readonly Dictionary<string, string?> _branches = new() { ["main"] = null };
        private string _branch = "main";

        public string? Head => _branches[_branch];

        private string Commit(params string[] parents)
        {
            var sha = (_parents.Count + 1).ToString("x40");
            _parents[sha] = parents;
            return _branches[_branch] = sha;
        }

        public static History Of(string steps)
        {
            var history = new History();
            foreach (var step in steps.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var name = step.Length > 2 ? step[2..] : "";
                switch (step[0])
                {
                    case 'c': history.Commit(history.Head is { } head ? [head] : []); break;
                    case 't': history._tags.Add((name, history.Head!)); break;
                    case 'b': history._branches[name] = history._parents[history.Head!][0]; history._branch = name; break;
                    case 'm':
                        var merged = history._branches[name]!;
                        history._branch = "main";
                        history.Commit(history.Head!, merged);
                        break;
                }
            }
            return history;
        }

        /// HEAD first, then every commit with its parents.
        public string Log() => string.Join('\n', new[] { Head! }.Concat(_parents.Keys.Where(k => k != Head).Reverse()).Select(sha => $"{sha} {string.Join(' ', _parents[sha])}".TrimEnd()));

        public string Refs() => string.Join('\n', _tags.Select(t => $"{t.Sha} refs/tags/{t.Name}"));

        public GitVersionResult Version(VersionOptions? options = null) => GitVersion.Compute(Log(), Refs(), options ?? new VersionOptions(), []);
    }

    /// VersionSpecs' histories (the ones with commits) and the versions minver-cli 8.0.0 gives them. (The source label's cases moved here from there: no git is needed.)
    [Theory]
    [InlineData("c", null, "0.0.0-alpha.0")]
    [InlineData("c c c", null, "0.0.0-alpha.0.2")]
    [InlineData("c t:1.2.3", null, "1.2.3")]
    [InlineData("c t:1.2.3 c c", null, "1.2.4-alpha.0.2")]
    [InlineData("c t:2.0.0-rc.1 c", null, "2.0.0-rc.1.1")]
    [InlineData("c t:1.0.0 t:1.1.0 t:1.0.5 c", null, "1.1.1-alpha.0.1")]
    [InlineData("c t:release-1 t:1.0 t:v2 c", null, "0.0.0-alpha.0.1")]
    [InlineData("c t:1.0.0+build.5", null, "1.0.0+build.5")]
    [InlineData("c t:v1.0.0 c", "v|", "1.0.1-alpha.0.1")]
    [InlineData("c t:v1.0.0 c", null, "0.0.0-alpha.0.1")]
    [InlineData("c t:1.0.0 c c", "|3.0", "3.0.0-alpha.0.2")]
    [InlineData("c t:1.0.0", "|3.0", "1.0.0")]
    [InlineData("c t:1.2.0 c b:feature c t:1.5.0 c m:feature c", null, "1.5.1-alpha.0.3")]
    [InlineData("c c t:2.0.0 b:feature c t:1.9.0 m:feature c", null, "2.0.1-alpha.0.2")]
    public void A_history_gets_the_version_minver_gives_it(string steps, string? prefixAndMinimum, string expected)
    {
        var parts = (prefixAndMinimum ?? "|").Split('|');
        var options = new VersionOptions { TagPrefix = parts[0], MinimumMajorMinor = parts[1].Length > 0 ? parts[1] : null };

        Assert.Equal(expected, History.Of(steps).Version(options).Version.ToString());
    }

    [Fact]
    public void The_result_names_the_tag_its_height_and_head_and_is_on_the_tag_only_at_height_0()
    {
        var after = History.Of("c t:1.2.3 c c");
        var result = after.Version();
        Assert.Equal(("1.2.3", 2, after.Head, false), (result.Tag, result.Height, result.Commit, result.OnTag));

        var on = History.Of("c t:1.2.3").Version();
        Assert.Equal(("1.2.3", 0, true), (on.Tag, on.Height, on.OnTag));

        var none = History.Of("c c").Version();
        Assert.Equal((null, 1, false), (none.Tag, none.Height, none.OnTag));
    }

    [Fact]
    public void A_prefix_is_matched_without_case_and_another_default_pre_release_is_used()
    {
        Assert.Equal("1.0.1-alpha.0.1", History.Of("c t:V1.0.0 c").Version(new VersionOptions { TagPrefix = "v" }).Version.ToString());
        Assert.Equal("1.2.4-preview.0.2", History.Of("c t:1.2.3 c c").Version(new VersionOptions { DefaultPreRelease = "preview.0" }).Version.ToString());
        Assert.Equal("0.0.0-preview.0.2", History.Of("c c c").Version(new VersionOptions { DefaultPreRelease = "preview.0" }).Version.ToString());
    }

    [Theory]
    [InlineData("c t:1.0.0 c c", "1.0", "1.0.1-alpha.0.2")]     // below the tag: no change
    [InlineData("c t:1.0.0 c c", "0.9", "1.0.1-alpha.0.2")]
    [InlineData("c t:1.0.0 c c", "1.1", "1.1.0-alpha.0.2")]     // same major, higher minor
    [InlineData("c t:2.5.0 c", "3.0", "3.0.0-alpha.0.1")]
    [InlineData("c t:2.5.0 c", "1.9", "2.5.1-alpha.0.1")]       // lower major
    [InlineData("c", "2.0", "2.0.0-alpha.0")]                   // height 0, no tag: no height identifier
    public void A_minimum_major_minor_raises_only_versions_below_it(string steps, string minimum, string expected) =>
        Assert.Equal(expected, History.Of(steps).Version(new VersionOptions { MinimumMajorMinor = minimum }).Version.ToString());

    [Theory]
    [InlineData("3")]
    [InlineData("a.b")]
    [InlineData("1.2.3")]
    public void A_minimum_that_is_not_major_minor_is_an_error_that_shows_the_form(string minimum)
    {
        var error = Assert.Throws<ContainerException>(() => History.Of("c c").Version(new VersionOptions { MinimumMajorMinor = minimum }));
        Assert.Equal($"The minimum major.minor '{minimum}' is not MAJOR.MINOR, such as 2.0.", error.Message);
    }

    [Fact]
    public void A_height_version_is_made_unique_by_the_commit_and_a_tagged_or_release_one_is_not()
    {
        var between = History.Of("c t:1.2.3 c c").Version();
        Assert.Equal($"1.2.4-alpha.0.2.g{between.Commit![..7]}", between.UniqueVersion.ToString());
        Assert.Equal("1.2.3", History.Of("c t:1.2.3").Version().UniqueVersion.ToString());
        // A version without a commit (no git), or with too short a one, stays as it is.
        var noCommit = new GitVersionResult(Semver.SemVersion.Parse("0.0.0-alpha.0", Semver.SemVersionStyles.Strict), null, null, null, []);
        Assert.Equal("0.0.0-alpha.0", noCommit.UniqueVersion.ToString());
        Assert.Equal("0.0.0-alpha.0", (noCommit with { Commit = "abc12" }).UniqueVersion.ToString());
        Assert.Equal("0.0.0-alpha.0.gabc1234", (noCommit with { Commit = "abc1234" }).UniqueVersion.ToString());
        // A release version read elsewhere than from a tag on HEAD (--version 2.0.0) is not changed either.
        Assert.Equal("2.0.0", (noCommit with { Version = Semver.SemVersion.Parse("2.0.0", Semver.SemVersionStyles.Strict), Commit = "abc1234" }).UniqueVersion.ToString());
    }

    [Fact]
    public void Git_status_lines_give_the_changed_paths()
    {
        Assert.Equal(["a.txt", "new dir/file.txt", "gone.txt"], GitVersion.Changes(" M a.txt\r\n?? new dir/file.txt\n D gone.txt\n"));
        Assert.Equal(["x"], GitVersion.Changes("?? x\nM \n"));   // a line too short for a path is not one
        Assert.Empty(GitVersion.Changes(null));
        Assert.Empty(GitVersion.Changes(""));
    }

    [Fact]
    public void The_images_time_is_SOURCE_DATE_EPOCH_else_the_commits_and_a_wrong_epoch_is_named()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), GitVersion.Created("1700000000", "1767323045\n"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_767_323_045), GitVersion.Created(null, "1767323045\n"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_767_323_045), GitVersion.Created("", "1767323045"));
        Assert.Null(GitVersion.Created(null, null));
        Assert.Null(GitVersion.Created(null, "not a time"));
        var error = Assert.Throws<ContainerException>(() => GitVersion.Created("yesterday", "1767323045"));
        Assert.Equal("SOURCE_DATE_EPOCH='yesterday' is not a number of seconds since 1970.", error.Message);
    }

    [Theory]
    [InlineData("https://github.com/org/app.git", "https://github.com/org/app")]
    [InlineData("https://ci-user:s3cret@gitlab.example.com:8443/group/sub/app", "https://gitlab.example.com:8443/group/sub/app")]
    [InlineData("http://git.example.com/app/", "http://git.example.com/app")]
    [InlineData("git@github.com:org/app.git", "https://github.com/org/app")]
    [InlineData("github.com:org/app", "https://github.com/org/app")]
    [InlineData("ssh://git@github.com/org/app.git", "https://github.com/org/app")]
    [InlineData("git://git.example.com/app.git", "https://git.example.com/app")]
    [InlineData("https://github.com/", null)]
    [InlineData("https://github.com/.git", null)]
    [InlineData("/tmp/nc-build-x1/repo", null)]          // a clone of a local folder: no address anyone else can open
    [InlineData("file:///srv/git/app.git", null)]
    [InlineData("C:/src/app", null)]                     // a Windows drive letter is no scp-like host
    [InlineData("../app", null)]
    [InlineData("", null)]
    [InlineData("   ", null)]
    public void The_image_source_label_is_the_remotes_web_address_or_absent(string remote, string? source) =>
        Assert.Equal(source, GitVersion.SourceUrl(remote));
}
