namespace NukeContainers.Utils;

/// An exclusive lock on a file, held across processes: test runs and builds that start the environment at once.
internal sealed class FileLock(FileStream stream) : IAsyncDisposable
{
    public static async Task<FileLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    public ValueTask DisposeAsync() => stream.DisposeAsync();
}
