namespace NukeContainers.Utils;

/// An exclusive lock on a file, held across processes: test runs and builds that start the environment at once. The
/// holder writes who it is beside the lock (<c>PATH.holder</c>), so that a run that waits can say whom it waits for.
internal sealed class FileLock(FileStream stream, string holder) : IAsyncDisposable
{
    /// Takes the lock, waiting while another process holds it; <paramref name="log"/> hears once that it waits, and for whom.
    public static async Task<FileLock> AcquireAsync(string path, CancellationToken cancellationToken, Action<string>? log = null)
    {
        var holder = path + ".holder";
        var said = false;
        while (true)
        {
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                await File.WriteAllTextAsync(holder, $"process {Environment.ProcessId} ({Path.GetFileName(Environment.ProcessPath)}), since {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z", cancellationToken);
                return new FileLock(stream, holder);
            }
            catch (IOException)
            {
                if (!said && log is not null)
                {
                    said = true;
                    log($"Waiting for {path}: another run holds it ({HolderOf(holder)}); this one goes on when that one is done with it.");
                }
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    private static string HolderOf(string holder)
    {
        try
        {
            var text = File.ReadAllText(holder);
            var pid = text.Split(' ') is [_, var id, ..] && int.TryParse(id, out var n) ? n : 0;
            return pid > 0 && !Directory.Exists($"/proc/{pid}") ? $"{text}, which has ended: the lock goes with it" : text;
        }
        catch (IOException)
        {
            return "a process that has not said who it is";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { File.Delete(holder); } catch (IOException) { /* the next holder's, already */ }
        await stream.DisposeAsync();
    }
}
