namespace NukeContainers.Tests;

/// A folder of files a test writes, deleted afterwards.
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("nc-test-").FullName;

    public TempFolder Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return this;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
