using NukeContainers.Building;
using NukeContainers.Caching;

namespace NukeContainers.Tests;

/// The input digest over an unchanged context reads no file (issue 28.2): the file-hash cache keeps each file's digest
/// with its lstat status, as git's index does, and git's racy-clean rule keeps a change within the same second seen.
public sealed class FileHashCacheSpecs : IDisposable
{
    private readonly TempFolder _context = new();
    private readonly DateTime _hourAgo = DateTime.UtcNow.AddHours(-1);

    public FileHashCacheSpecs() => WriteOld("Dockerfile", "FROM scratch\nCOPY . /\n", _hourAgo);

    private async Task<InputDigest.Computed> DigestAsync() =>
        await InputDigest.ComputeAsync(BuildContext.Create(_context.Path), new BuildSettings(), null, null, manifest: false, CancellationToken.None);

    private void WriteOld(string name, string text, DateTime at)
    {
        _context.Write(name, text);
        File.SetLastWriteTimeUtc(Path.Combine(_context.Path, name), at);
    }

    [Fact]
    public async Task An_unchanged_context_is_walked_not_read_and_a_changed_file_of_the_same_size_is_read_and_changes_the_digest()
    {
        for (var i = 0; i < 200; i++) WriteOld($"src/f{i:000}.txt", $"file {i:000}", _hourAgo);

        var first = await DigestAsync();
        var second = await DigestAsync();
        WriteOld("src/f042.txt", "file 999", _hourAgo.AddSeconds(1));   // same size, another (old) time
        var edited = await DigestAsync();

        Assert.Equal((201, 201), (first.Files, first.FilesRead));
        Assert.Equal((201, 0), (second.Files, second.FilesRead));
        Assert.Equal(first.Digest, second.Digest);
        Assert.Equal(1, edited.FilesRead);
        Assert.NotEqual(first.Digest, edited.Digest);
    }

    [Fact]
    public async Task A_file_changed_within_the_same_second_with_the_same_size_and_time_is_still_seen()
    {
        var now = DateTime.UtcNow;
        WriteOld("app.txt", "aaaa", now);

        var first = await DigestAsync();
        WriteOld("app.txt", "bbbb", now);   // what a second write in the same tick leaves: the same size and time
        var second = await DigestAsync();
        var third = await DigestAsync();

        Assert.NotEqual(first.Digest, second.Digest);   // racily clean: it was not trusted, so read again
        Assert.Equal(1, second.FilesRead);
        Assert.Equal(second.Digest, third.Digest);
    }

    [Fact]
    public async Task A_file_replaced_by_another_with_the_same_size_and_time_is_read_again()
    {
        WriteOld("app.txt", "aaaa", _hourAgo);
        var first = await DigestAsync();
        WriteOld("app.new", "bbbb", _hourAgo);
        File.Move(Path.Combine(_context.Path, "app.new"), Path.Combine(_context.Path, "app.txt"), overwrite: true);   // another inode

        var replaced = await DigestAsync();

        Assert.Equal(1, replaced.FilesRead);
        Assert.NotEqual(first.Digest, replaced.Digest);
    }

    public void Dispose() => _context.Dispose();
}
