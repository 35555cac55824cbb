using System.Formats.Tar;
using System.Net;
using NukeContainers.Utils;

namespace NukeContainers.Building;

/// <summary>
/// A build context: the files of a folder that .dockerignore lets through, sent to the engine as a tar stream
/// written while it is sent (never held whole in memory). The Dockerfile and .dockerignore are always sent, as the
/// docker CLI does; a Dockerfile outside the folder is added under a name of its own.
/// </summary>
public sealed partial class BuildContext
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
    public IEnumerable<string> Entries() => Walk(forBuildKit: false).Select(e => e.Kind == FileKind.Directory ? e.Name + "/" : e.Name);

    /// The context for a builder. The legacy builder gets .dockerignore always (the engine applies it again and then
    /// removes an excluded Dockerfile and .dockerignore, as for the CLI); BuildKit never reads it, since the filter is
    /// applied here, so it gets .dockerignore only when .dockerignore does not exclude itself.
    internal HttpContent ToHttpContent(BuildSettings settings) => new TarContent(this, settings.Builder == Builder.BuildKit, settings.Labels);

    /// The entries the tar carries for BuildKit, in order, with their link targets: what the input digest reads.
    /// What COPY can see, for the input digest: the Dockerfile only when .dockerignore does not exclude it (the engine
    /// reads it apart from the context; its text is in the digest on its own).
    internal IEnumerable<ContextEntry> DigestEntries() => Walk(forBuildKit: true).Where(e => e.Name != DockerfileEntry || !Ignore.IsExcluded(e.Name));

    /// <summary>True when the Dockerfile has RUN --mount flags, which only BuildKit knows.</summary>
    public bool HasRunMounts => RunMounts().IsMatch(File.ReadAllText(DockerfilePath));

    /// <summary>The Dockerfile for the legacy builder: RUN's --mount flags removed (the cache mounts are lost, the RUNs still run).</summary>
    public static string WithoutRunMounts(string dockerfile) => RunMounts().Replace(dockerfile, "$1");

    /// <summary>
    /// The Dockerfile as the legacy builder gets it: without RUN's --mount flags, without FROM's
    /// <c>--platform=$BUILDPLATFORM</c> (it knows no BUILDPLATFORM, and builds on its own platform, which that names),
    /// and with the build's labels on the
    /// last image of every stage but the target's (which gets them from the API). That image is what the legacy
    /// builder keeps of an earlier stage, untagged: labelled, Prune and the run's reaper find it, as they find the
    /// rest; unlabelled it would stay forever. The LABEL takes the place of the blank or comment line before the FROM
    /// where there is one (the usual layout), so that the lines keep their numbers; otherwise it is inserted.
    /// </summary>
    public static string ForLegacyBuilder(string dockerfile, IReadOnlyDictionary<string, string> labels)
    {
        var text = BuildPlatformFlag().Replace(WithoutRunMounts(dockerfile), "$1");
        if (labels.Count == 0) return text;
        // Double-quoted as the Dockerfile reads them: \ and " escaped, $ too (LABEL expands variables).
        static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("$", "\\$") + "\"";
        var label = StageLabel + " " + string.Join(" ", labels.Select(l => $"{Quote(l.Key)}={Quote(l.Value)}"));
        var lines = text.Split('\n');
        var froms = lines.Select((line, index) => (line, index)).Where(x => FromLine().IsMatch(x.line)).Select(x => x.index).Skip(1).ToList();
        foreach (var index in froms)
        {
            var free = index > 0 && lines[index - 1].TrimStart() is "" or ['#', ..] && (index < 2 || !lines[index - 2].TrimEnd().EndsWith('\\'));
            if (free) lines[index - 1] = label;
            else lines[index] = label + "\n" + lines[index];
        }
        return string.Join('\n', lines);
    }

    /// <summary>The instruction <see cref="ForLegacyBuilder"/> adds, which the progress leaves out of the build's instructions.</summary>
    internal const string StageLabel = $"LABEL {Engine.ResourceLabels.Stage}=earlier";

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*FROM\s", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex FromLine();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?im)^(\s*FROM\s+)--platform=(?:\$BUILDPLATFORM|\$\{BUILDPLATFORM\})\s+")]
    private static partial System.Text.RegularExpressions.Regex BuildPlatformFlag();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?im)^(\s*RUN\s+)(?:--mount=\S+\s+)+")]
    private static partial System.Text.RegularExpressions.Regex RunMounts();

    /// The entries the tar carries (<see cref="ContextWalk"/>): the Dockerfile always, .dockerignore always for the
    /// legacy builder, and a Dockerfile outside the folder last, under its own name.
    private IEnumerable<ContextEntry> Walk(bool forBuildKit)
    {
        var walk = new ContextWalk(Directory, Ignore) { AlwaysSent = name => name == DockerfileEntry || (name == ".dockerignore" && !forBuildKit) };
        foreach (var entry in walk.Entries()) yield return entry;
        if (DockerfileEntry.StartsWith(".nukecontainers.", StringComparison.Ordinal))
            yield return new ContextEntry(DockerfileEntry, DockerfilePath, FileStatus.Read(DockerfilePath) with { Kind = FileKind.Regular, Links = 1 });
    }

    /// Writes the tar straight into the request body. GNU entries, because this engine takes a body whose first
    /// entry has a PAX header for a bare Dockerfile. Hard links stay links, as the docker CLI keeps them.
    private sealed class TarContent(BuildContext context, bool forBuildKit, IReadOnlyDictionary<string, string> labels) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? transport) =>
            SerializeToStreamAsync(stream, transport, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? transport, CancellationToken cancellationToken)
        {
            await using var writer = new TarWriter(stream, TarEntryFormat.Gnu, leaveOpen: true);
            foreach (var entry in context.Walk(forBuildKit))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var firstName = entry.HardLinkOf;
                var tar = entry.Kind switch
                {
                    FileKind.Directory => new GnuTarEntry(TarEntryType.Directory, entry.Name),
                    FileKind.SymbolicLink => new GnuTarEntry(TarEntryType.SymbolicLink, entry.Name) { LinkName = entry.LinkTarget ?? "" },
                    FileKind.Fifo => new GnuTarEntry(TarEntryType.Fifo, entry.Name),
                    _ when firstName is not null => new GnuTarEntry(TarEntryType.HardLink, entry.Name) { LinkName = firstName },
                    _ => new GnuTarEntry(TarEntryType.RegularFile, entry.Name),
                };
                tar.Mode = entry.Kind == FileKind.SymbolicLink ? (UnixFileMode)0b111_111_111 : entry.Status.Mode;
                tar.ModificationTime = ModificationTime(entry.FullPath);
                if (tar.EntryType == TarEntryType.RegularFile && !forBuildKit && entry.Name == context.DockerfileEntry)
                {
                    // The legacy builder has no RUN --mount, and labels only the target: it gets a Dockerfile of its own.
                    tar.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(ForLegacyBuilder(await File.ReadAllTextAsync(entry.FullPath, cancellationToken), labels)));
                    await writer.WriteEntryAsync(tar, cancellationToken);
                }
                else if (tar.EntryType == TarEntryType.RegularFile)
                {
                    await using var data = File.OpenRead(entry.FullPath);
                    tar.DataStream = data;
                    await writer.WriteEntryAsync(tar, cancellationToken);
                }
                else await writer.WriteEntryAsync(tar, cancellationToken);
            }
        }

        /// A link's own time (a broken link has no target to ask).
        private static DateTimeOffset ModificationTime(string path)
        {
            var time = File.GetLastWriteTimeUtc(path);
            return time.Year < 1970 ? DateTimeOffset.UnixEpoch : time;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
