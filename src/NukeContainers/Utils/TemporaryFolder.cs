namespace NukeContainers.Utils;

/// A folder under /var/tmp (large, unlike a RAM-backed /tmp) that is removed with everything in it afterwards.
internal sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder(string prefix)
    {
        var parent = Directory.Exists("/var/tmp") ? "/var/tmp" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(parent, prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    // rm handles what a root file system holds (device nodes, read-only folders) better than Directory.Delete.
    public void Dispose() => Shell.RunAsync("rm", ["-rf", Path], CancellationToken.None, check: false).GetAwaiter().GetResult();
}
