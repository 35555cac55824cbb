using NukeContainers.Caching;

namespace NukeContainers.Tests;

/// Why an image was rebuilt (issue 28.3), from two records of a build's inputs: the first few paths of each kind and
/// how many, the Dockerfile, build arguments, base images and the other settings; or only that they differ.
public sealed class InputChangesSpecs
{
    private static InputManifest Manifest(IEnumerable<(string Path, string Hash)> files, string dockerfile = "d1", string baseDigest = "sha256:aaa",
        string build = "target runtime platform  builder BuildKit network Default") =>
        new(files.ToDictionary(f => f.Path, f => f.Hash), dockerfile, "i1", new Dictionary<string, string> { ["A"] = "1" }, new Dictionary<string, string>(),
            build, new Dictionary<string, string> { ["local/golang:bookworm"] = baseDigest });

    private const string Previous = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Seven_added_files_list_the_first_five_in_order_and_count_all()
    {
        var before = Manifest([("a.go", "1")]);
        var after = Manifest([("a.go", "1"), .. Enumerable.Range(1, 7).Select(i => ($"pkg/f{i}.go", "x"))]);

        var changes = InputChanges.Between(before, after, Previous, "92a86e2aa");

        Assert.Equal(["pkg/f1.go", "pkg/f2.go", "pkg/f3.go", "pkg/f4.go", "pkg/f5.go"], changes.Added);
        Assert.Equal(7, changes.AddedCount);
        Assert.Equal("7 files added (pkg/f1.go, pkg/f2.go, pkg/f3.go, pkg/f4.go, pkg/f5.go, ...) since sha256:0123456789ab (built at 92a86e2)", changes.Describe());
        Assert.Equal("7 files changed", changes.Short());
    }

    [Fact]
    public void A_new_base_image_digest_and_another_platform_are_named_with_nothing_else()
    {
        var before = Manifest([("a.go", "1")]);
        var after = Manifest([("a.go", "1")], baseDigest: "sha256:bbb", build: "target runtime platform linux/arm64 builder BuildKit network Default");

        var changes = InputChanges.Between(before, after, Previous, null);

        Assert.Equal(["local/golang:bookworm"], changes.BaseImages);
        Assert.Equal(["target runtime platform linux/arm64 builder BuildKit network Default"], changes.Other);
        Assert.Equal(0, changes.AddedCount + changes.ChangedCount + changes.RemovedCount);
        Assert.Equal("base image local/golang:bookworm, target runtime platform linux/arm64 builder BuildKit network Default since sha256:0123456789ab", changes.Describe());
        Assert.Equal("base images, settings changed", changes.Short());
    }

    [Fact]
    public void Without_a_record_of_the_earlier_inputs_only_that_they_differ_is_said()
    {
        var changes = InputChanges.Unrecorded(Previous, "92a86e2aa");

        Assert.False(changes.Recorded);
        Assert.Equal("its inputs differ from those of sha256:0123456789ab (built at 92a86e2), which this machine has no record of", changes.Describe());
        Assert.Equal("inputs changed", changes.Short());
    }
}
