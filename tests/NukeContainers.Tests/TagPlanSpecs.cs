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
    public void Tags_given_as_they_are_must_still_be_tags()
    {
        Assert.Equal(["dev", "x"], new TagPlan().Also("dev", "x", "dev").Resolve());
        Assert.Throws<FormatException>(() => new TagPlan().Also("not a tag").Resolve());
    }
}
