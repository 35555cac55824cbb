using System.Formats.Tar;
using System.Net;

namespace NukeContainers.Building;

/// <summary>
/// A build context: the files of a folder that .dockerignore lets through, sent to the engine as a tar stream
/// written while it is sent (never held whole in memory). The Dockerfile and .dockerignore are always sent, as the
/// docker CLI does; a Dockerfile outside the folder is added under a name of its own.
/// </summary>
public sealed class BuildContext
{
    private BuildContext(string directory, string dockerfile, DockerIgnore ignore)
    {
        Directory = directory;
        DockerfilePath = dockerfile;
        Ignore = ignore;
        var relative = Path.GetRelativePath(directory, dockerfile).Replace('\\', '/');
        DockerfileEntry = relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? ".nukecontainers." + Path.GetFileName(dockerfile)
            : relative;
    }

    /// <summary>The context folder.</summary>
    public string Directory { get; }

    /// <summary>The Dockerfile's full path.</summary>
    public string DockerfilePath { get; }

    /// <summary>The Dockerfile's name inside the context tar (the engine's <c>dockerfile</c> parameter).</summary>
    public string DockerfileEntry { get; }

    /// <summary>The .dockerignore rules in force.</summary>
    public DockerIgnore Ignore { get; }

    /// <summary>A context for a folder and a Dockerfile (default: <c>Dockerfile</c> in the folder), filtered by the folder's .dockerignore.</summary>
    public static BuildContext Create(string directory, string? dockerfile = null)
    {
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
            throw new ContainerException($"The build context folder '{full}' does not exist.");
        var dockerfilePath = Path.GetFullPath(dockerfile ?? "Dockerfile", full);
        if (!File.Exists(dockerfilePath))
            throw new ContainerException($"There is no Dockerfile at '{dockerfilePath}'. Pass the Dockerfile's path, relative to the context folder '{full}'.");
        return new BuildContext(full, dockerfilePath, DockerIgnore.Load(full));
    }

    /// <summary>The context-relative paths that are sent, in the order they are written (folders end with '/').</summary>
    public IEnumerable<string> Entries() => Walk(Directory, "").Select(e => e.Name);

    internal HttpContent ToHttpContent() => new TarContent(this);

    private IEnumerable<(string Name, FileSystemInfo Info)> Walk(string folder, string prefix)
    {
        var children = new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal);
        foreach (var info in children)
        {
            var name = prefix + info.Name;
            var alwaysSent = name == DockerfileEntry || name == ".dockerignore";
            var excluded = !alwaysSent && Ignore.IsExcluded(name);
            if (info is DirectoryInfo { LinkTarget: null } dir)
            {
                if (excluded && !Ignore.HasExceptions) continue;
                if (!excluded) yield return (name + "/", info);
                foreach (var child in Walk(dir.FullName, name + "/")) yield return child;
            }
            else if (!excluded) yield return (name, info);
        }
        if (prefix.Length == 0 && DockerfileEntry.StartsWith(".nukecontainers.", StringComparison.Ordinal))
            yield return (DockerfileEntry, new FileInfo(DockerfilePath));
    }

    /// Writes the tar straight into the request body. GNU entries, because this engine takes a body whose first
    /// entry has a PAX header for a bare Dockerfile.
    private sealed class TarContent(BuildContext context) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? transport) =>
            SerializeToStreamAsync(stream, transport, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? transport, CancellationToken cancellationToken)
        {
            await using var writer = new TarWriter(stream, TarEntryFormat.Gnu, leaveOpen: true);
            foreach (var (name, info) in context.Walk(context.Directory, ""))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var entry = info switch
                {
                    DirectoryInfo => new GnuTarEntry(TarEntryType.Directory, name),
                    { LinkTarget: { } target } => new GnuTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target },
                    _ => new GnuTarEntry(TarEntryType.RegularFile, name),
                };
                entry.Mode = OperatingSystem.IsWindows() ? (UnixFileMode)0b111_101_101 : info.UnixFileMode;
                entry.ModificationTime = info.LastWriteTimeUtc;
                if (entry.EntryType == TarEntryType.RegularFile)
                {
                    await using var data = File.OpenRead(info.FullName);
                    entry.DataStream = data;
                    await writer.WriteEntryAsync(entry, cancellationToken);
                }
                else await writer.WriteEntryAsync(entry, cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
