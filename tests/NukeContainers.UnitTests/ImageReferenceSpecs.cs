using NukeContainers.Images;

namespace NukeContainers.Tests;

/// The distribution reference grammar. The cases are taken from TestReferenceParse in
/// github.com/distribution/reference, reference_test.go (commit 0965666a6ade2e06035fe352e38344be1e68951a, Apache-2.0),
/// with the expected repository (domain and path), domain, tag and digest it gives; an empty expectation is "none".
public sealed class ImageReferenceSpecs
{
    private const string Digest = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    public static TheoryData<string, string, string, string, string> Valid => new()
    {
        { "test_com", "test_com", "", "", "" },
        { "test.com:tag", "test.com", "", "tag", "" },
        { "test.com:5000", "test.com", "", "5000", "" },
        { "test.com/repo:tag", "test.com/repo", "test.com", "tag", "" },
        { "test:5000/repo", "test:5000/repo", "test:5000", "", "" },
        { "test:5000/repo:tag", "test:5000/repo", "test:5000", "tag", "" },
        { "test:5000/repo@" + Digest, "test:5000/repo", "test:5000", "", Digest },
        { "test:5000/repo:tag@" + Digest, "test:5000/repo", "test:5000", "tag", Digest },
        { "lowercase:Uppercase", "lowercase", "", "Uppercase", "" },
        { string.Concat(Enumerable.Repeat("a/", 127)) + "a:tag-puts-this-over-max", string.Concat(Enumerable.Repeat("a/", 127)) + "a", "a", "tag-puts-this-over-max", "" },
        { "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "", "" },
        { "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "some-long-tag", "" },
        { "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app", "b.gcr.io", "test.example.com", "" },
        { "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage", "xn--n3h.com", "xn--n3h.com", "" },
        { "xn--7o8h.com/myimage:xn--7o8h.com@" + Digest, "xn--7o8h.com/myimage", "xn--7o8h.com", "xn--7o8h.com", Digest },
        { "foo_bar.com:8080", "foo_bar.com", "", "8080", "" },
        { "foo/foo_bar.com:8080", "foo/foo_bar.com", "foo", "8080", "" },
        { "192.168.1.1", "192.168.1.1", "", "", "" },
        { "192.168.1.1:tag", "192.168.1.1", "", "tag", "" },
        { "192.168.1.1:5000", "192.168.1.1", "", "5000", "" },
        { "192.168.1.1/repo", "192.168.1.1/repo", "192.168.1.1", "", "" },
        { "192.168.1.1:5000/repo", "192.168.1.1:5000/repo", "192.168.1.1:5000", "", "" },
        { "192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo", "192.168.1.1:5000", "5050", "" },
        { "[2001:db8::1]/repo", "[2001:db8::1]/repo", "[2001:db8::1]", "", "" },
        { "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo", "[2001:db8:1:2:3:4:5:6]", "tag", "" },
        { "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "", "" },
        { "[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "tag", "" },
        { "[2001:db8::1]:5000/repo@" + Digest, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "", Digest },
        { "[2001:db8::1]:5000/repo:tag@" + Digest, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "tag", Digest },
        { "[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo", "[2001:db8::]:5000", "", "" },
        { "[::1]:5000/repo", "[::1]:5000/repo", "[::1]:5000", "", "" },
        { "example.com/" + new string('a', 255) + ":tag", "example.com/" + new string('a', 255), "example.com", "tag", "" },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_valid_reference_parses_into_its_parts_and_prints_back_the_same(string input, string repository, string domain, string tag, string digest)
    {
        var reference = ImageReference.Parse(input);

        Assert.Equal(input, reference.ToString());
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(domain, reference.Domain ?? "");
        Assert.Equal(tag, reference.Tag ?? "");
        Assert.Equal(digest, reference.Digest ?? "");
    }

    /// The source's invalid cases, each with the part our message names (the source checks only that it fails, and which error).
    public static TheoryData<string, string> Invalid => new()
    {
        { "", "cannot be empty" },
        { ":justtag", "no repository before it" },
        { "@" + Digest, "no repository before it" },
        { "repo@sha256:ffffffffffffffffffffffffffffffffff", "a sha256 digest has 64 hex digits" },
        { "validname@invaliddigest:" + Digest[7..], "the digest algorithm 'invaliddigest' is not supported" },
        { "validname@sha512:" + new string('f', 128), "the digest algorithm 'sha512' is not supported" },
        { "Uppercase:tag", "must be lower case" },
        { "test:5000/Uppercase/lowercase:tag", "must be lower case" },
        { "domain/" + new string('a', 256) + ":tag", "at most 255 are allowed" },
        { "aa/asdf$$^/aa", "the path component 'asdf$$^' is not valid" },
        { "[2001:db8::1]", "is not a valid image reference" },
        { "[2001:db8::1]:5000", "is not a valid image reference" },
        { "[2001:db8::1]:tag", "is not a valid image reference" },
        { "[fe80::1%eth0]:5000/repo", "the domain '[fe80::1%eth0]:5000' is not a host" },
        { "[fe80::1%@invalidzone]:5000/repo", "is not a valid image reference" },
        // Ours: what users type by mistake.
        { "https://registry.example.com/team/app", "leave out the scheme" },
        { "registry.example.com//app", "empty path component" },
        { "127.0.0.1:5000/app:" + new string('t', 129), "is not valid: a tag is 1 to 128" },
        { "127.0.0.1:5000/app:-dash", "the tag '-dash' is not valid" },
        { "x:y:z", "the path component 'x:y' is not valid" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void An_invalid_reference_is_refused_naming_what_is_wrong(string input, string problem)
    {
        Assert.False(ImageReference.TryParse(input, out _, out var error));
        var thrown = Assert.Throws<FormatException>(() => ImageReference.Parse(input));

        Assert.Contains(problem, error);
        Assert.Equal(error, thrown.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:5000/samples/go-api", "127.0.0.1:5000")]
    [InlineData("localhost/app", "localhost")]
    [InlineData("registry.example.com/team/app", "registry.example.com")]
    [InlineData("team/app", "docker.io")]
    [InlineData("app", "docker.io")]
    public void The_registry_follows_the_docker_clis_rule_for_the_first_component(string input, string registry)
    {
        Assert.Equal(registry, ImageReference.Parse(input).Registry);
    }

    [Fact]
    public void Tags_and_digests_are_checked_when_added()
    {
        var repository = ImageReference.Repo("127.0.0.1:5000/samples/go-api");

        Assert.Equal("127.0.0.1:5000/samples/go-api:1.2.3", repository.WithTag("1.2.3").ToString());
        Assert.Equal("127.0.0.1:5000/samples/go-api@" + Digest, repository.WithTag("x").WithDigest(Digest).ToString());
        Assert.Equal("go-api", repository.Name);
        Assert.Throws<FormatException>(() => repository.WithTag(".hidden"));
        Assert.Throws<FormatException>(() => repository.WithDigest("sha256:abc"));
    }

    [Theory]
    [InlineData("feature/login-page", "feature-login-page")]
    [InlineData("..release", "release")]
    [InlineData("Ünïcode branch", "n-code-branch")]
    public void A_tag_set_keeps_order_drops_repeats_and_sanitises_names_into_tags(string text, string tag)
    {
        var tags = TagSet.Of("1.2.3", "1.2", "latest", "1.2");

        Assert.Equal(["1.2.3", "1.2", "latest"], tags);
        Assert.Equal(tag, TagSet.Sanitize(text));
        Assert.Throws<FormatException>(() => tags.Add("bad tag"));
        Assert.Null(TagSet.Sanitize("..."));
    }
}
