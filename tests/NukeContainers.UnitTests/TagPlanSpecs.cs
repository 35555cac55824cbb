using NukeContainers.Tagging;
using Semver;

namespace NukeContainers.Tests;

/// docker/metadata-action's tag rules (type=semver {{version}}, {{major}}.{{minor}}, {{major}}; latest for stable;
/// type=sha; type=ref,event=branch), sanitised to Docker's tag grammar.
public sealed class TagPlanSpecs
{
    private static TagPlan Plan(string version, bool onTag = true) => new TagPlan().SemVer(SemVersion.Parse(version, SemVersionStyles.Strict), onTag);

    [Theory]
    [InlineData("1.2.3", "1.2.3 1.2 1 latest")]
    [InlineData("0.4.1", "0.4.1 0.4 latest")]                       // no {{major}} when it is 0
    [InlineData("2.0.0-rc.1", "2.0.0-rc.1")]                        // a pre-release gets only its own tag
    [InlineData("1.0.0+build.7", "1.0.0-build.7 1.0 1 latest")]     // '+' is not in the tag grammar
    public void A_version_gives_its_tags(string version, string tags) =>
        Assert.Equal(tags.Split(' '), Plan(version).Resolve());

    [Fact]
    public void The_branch_is_tagged_only_off_a_version_tag_and_sanitised()
    {
        var off = Plan("1.2.4-alpha.0.3", onTag: false).Sha("0123456789abcdef").OnBranch("feature/Login page").InEnvironment("staging");
        var on = Plan("1.2.3").Sha("0123456789abcdef").OnBranch("main");

        Assert.Equal(["1.2.4-alpha.0.3", "sha-0123456", "feature-Login-page", "staging"], off.Resolve());
        Assert.Equal(["1.2.3", "1.2", "1", "latest", "sha-0123456"], on.Resolve());
        Assert.Equal("1.2.3", on.VersionTag);
    }

    [Fact]
    public void A_tree_with_uncommitted_changes_gets_no_version_or_branch_tag_and_a_dirty_sha_tag()
    {
        var dirty = Plan("1.2.3").Sha("0123456789abcdef").OnBranch("main").InEnvironment("dev").Also("buildcache-main").WithUncommittedChanges();

        Assert.Equal(["sha-0123456-dirty", "dev", "buildcache-main"], dirty.Resolve());
        Assert.Null(dirty.VersionTag);
    }

    [Theory]
    [InlineData("0.0.0-alpha.0", null, 5, "0123456789abcdef", "0.0.0-alpha.0.5.g0123456")]    // MinVer's height version: this commit's alone
    [InlineData("1.2.4-alpha.0", "1.2.3", 2, "fedcba9876543210", "1.2.4-alpha.0.2.gfedcba9")]
    [InlineData("1.2.3", "1.2.3", 0, "0123456789abcdef", "1.2.3")]                         // HEAD on the tag: the tag's
    [InlineData("2.0.0-rc.1", "2.0.0-rc.1", 0, "0123456789abcdef", "2.0.0-rc.1")]
    [InlineData("0.0.0-alpha.0", null, null, null, "0.0.0-alpha.0")]                     // no commit: nothing to add
    public void A_height_version_gets_the_commit_so_two_branches_at_one_height_never_share_a_version(string read, string? tag, int? height, string? commit, string version)
    {
        // Only the version and the commit are MinVer's; its height goes before the commit's hex, so the order by height holds.
        var result = new Versioning.GitVersionResult(SemVersion.Parse(height is > 0 ? $"{read}.{height}" : read, SemVersionStyles.Strict), commit, tag, height, []);

        Assert.Equal(version, result.UniqueVersion.ToString());
    }

    [Fact]
    public void Tags_given_as_they_are_must_still_be_tags()
    {
        Assert.Equal(["dev", "x"], new TagPlan().Also("dev", "x", "dev").Resolve());
        Assert.Throws<FormatException>(() => new TagPlan().Also("not a tag").Resolve());
    }

    [Theory]
    [InlineData("Bad Env!", "'Bad Env!' is not a valid environment name: it becomes the images' tag, and a tag is 1 to 128 of A-Z a-z 0-9 _ . - and does not start with '.' or '-'. Give, say, 'bad-env-'.")]
    [InlineData("-dev", "'-dev' is not a valid environment name")]
    [InlineData("1.2.3", "'1.2.3' looks like a version, and version tags never move")]
    [InlineData("v2", "'v2' looks like a version")]
    [InlineData("1.2", "'1.2' looks like a version")]
    [InlineData("3.0.0-rc.1", "'3.0.0-rc.1' looks like a version")]
    public void An_environment_that_is_not_a_tag_or_looks_like_a_version_is_refused_not_rewritten(string name, string message)
    {
        var error = Assert.Throws<FormatException>(() => new TagPlan().InEnvironment(name));
        Assert.StartsWith(message, error.Message);
        Assert.False(EnvironmentName.TryParse(name, null, out _));
    }

    [Theory]
    [InlineData("staging")]
    [InlineData("prod-eu.2")]
    [InlineData("v2-preview")]      // a word after the version-like start is a name
    [InlineData("Production")]
    public void An_environment_name_is_tagged_as_given(string name) =>
        Assert.Equal([name], new TagPlan().InEnvironment(name).Resolve());
}
