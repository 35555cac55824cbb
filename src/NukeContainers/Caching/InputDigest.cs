using System.Security.Cryptography;
using System.Text;
using NukeContainers.Building;

namespace NukeContainers.Caching;

/// <summary>
/// A digest of everything a build's result depends on that this side knows: the files the context sends (the same
/// walk as the tar: names, kinds, modes, link targets, and each file's content digest, which <see cref="FileHashCache"/>
/// keeps while the file's status is unchanged, so an unchanged context is not read again), the Dockerfile, the build args, the target stage, the
/// platform and the builder, the labels but those that name the commit (<see cref="CommitLabels"/>), and the id of each
/// base image the engine has (a base rebuilt under the same tag changes it; one the engine does not have counts by its
/// name, so pin such bases by digest). Equal digests mean a rebuild would make the same image, but for the labels
/// that say which commit built it: so a commit that changes none of an image's inputs reuses the image an earlier
/// commit built, with that commit's labels, and its digest does not change.
/// </summary>
public static class InputDigest
{
    /// <summary>The label that carries it on the image.</summary>
    public const string Label = "org.nukecontainers.input-digest";

    /// <summary>
    /// The labels that say which commit an image was built at, not what is in it: every commit changes them, so they
    /// are left out of the digest (an image reused at a later commit keeps those of the commit that built it).
    /// </summary>
    public static IReadOnlySet<string> CommitLabels { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        ImagePipeline.RevisionLabel, ImagePipeline.VersionLabel, ImagePipeline.CreatedLabel,
    };

    /// <summary>Computes the digest (<c>sha256:...</c>) of a build's inputs.</summary>
    public static async Task<string> ComputeAsync(BuildContext context, BuildSettings settings, Engine.ContainerEngine? engine = null, CancellationToken cancellationToken = default,
        Registry.RegistryClients? registries = null) =>
        (await ComputeAsync(context, settings, engine, registries, manifest: false, cancellationToken)).Digest;

    /// <summary>A digest, the record of what it is made of (when asked for), and how many files were read for it (the others' digests were kept).</summary>
    internal sealed record Computed(string Digest, InputManifest? Manifest, int FilesRead, int Files);

    /// <summary>
    /// The digest, and with <paramref name="manifest"/> what it is made of, one entry an input (each file's own digest
    /// among them), so that a later build can say what changed since (<see cref="InputChanges"/>).
    /// </summary>
    internal static async Task<Computed> ComputeAsync(BuildContext context, BuildSettings settings, Engine.ContainerEngine? engine,
        Registry.RegistryClients? registries, bool manifest, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        var buffer = new byte[81920];
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        // Each entry by its kind, name, mode and link target, and a regular file by its content's digest, which the
        // file-hash cache keeps while the file's status is unchanged: an unchanged context is walked and stat'ed, not read.
        var known = FileHashCache.For(context.Directory);
        foreach (var entry in context.DigestEntries())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var line = $"{entry.Kind} {entry.Name} {(int)entry.Status.Mode} {entry.LinkTarget}" +
                       (entry.Kind == Utils.FileKind.Regular ? " " + await known.DigestAsync(entry, buffer, cancellationToken) : "");
            Add(line);
            if (manifest) files[entry.Name] = line;
        }
        await known.SaveAsync(cancellationToken);
        // The rules themselves, even where .dockerignore excludes itself: what they keep out is part of what COPY sees.
        var ignore = Path.Combine(context.Directory, ".dockerignore");
        var ignoreText = File.Exists(ignore) ? await File.ReadAllTextAsync(ignore, cancellationToken) : "";
        Add($"dockerignore {ignoreText}");
        Add($"dockerfile {context.DockerfileEntry}");
        var dockerfileText = await File.ReadAllTextAsync(context.DockerfilePath, cancellationToken);
        Add(dockerfileText);
        var args = settings.BuildArgs.Where(a => a.Key != "BUILDKIT_INLINE_CACHE").OrderBy(a => a.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, value) in args) Add($"arg {name}={value}");
        var labels = settings.Labels.Where(l => !CommitLabels.Contains(l.Key)).OrderBy(a => a.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, value) in labels) Add($"label {name}={value}");
        var build = $"target {settings.Target} platform {settings.Platform} builder {settings.Builder} network {settings.Network}";
        Add(build);
        var dockerfile = Dockerfiles.DockerfileParser.Load(context.DockerfilePath, settings.BuildArgs);
        var stageNames = dockerfile.Stages.Select(s => s.Name).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var bases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var baseImage in dockerfile.Stages.Select(s => s.BaseImage).Where(b => !stageNames.Contains(b) && b != "scratch").Distinct())
        {
            var identity = await BaseIdentityAsync(baseImage, engine, registries ?? new Registry.RegistryClients(), cancellationToken);
            Add($"from {baseImage} {identity}");
            bases[baseImage] = identity ?? "";
        }
        var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        return new Computed(digest, manifest
            ? new InputManifest(files, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dockerfileText))),
                Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ignoreText))),
                args.ToDictionary(a => a.Key, a => a.Value), labels.ToDictionary(l => l.Key, l => l.Value), build, bases)
            : null, known.FilesRead, known.Files);
    }

    /// A base image's identity, the same on every engine where possible: its registry digest (the engine's RepoDigests
    /// for it, else the registry's answer), else the engine's id for an image that exists only locally, else nothing.
    private static async Task<string?> BaseIdentityAsync(string baseImage, Engine.ContainerEngine? engine, Registry.RegistryClients registries, CancellationToken cancellationToken)
    {
        if (!Images.ImageReference.TryParse(baseImage, out var reference, out _)) return null;
        if (reference.Digest is not null) return reference.Digest;
        var local = engine is null ? null : await engine.InspectImageAsync(baseImage, cancellationToken);
        if (local?.RepoDigests?.FirstOrDefault(d => d.StartsWith(reference.Repository + "@", StringComparison.Ordinal)) is { } repoDigest)
            return repoDigest[(repoDigest.IndexOf('@') + 1)..];
        if (reference.Domain is not null && reference.Registry != "docker.io")
        {
            try
            {
                var registry = await registries.ConnectAsync(reference.Registry, cancellationToken: cancellationToken);
                if (await registry.DigestAsync(reference.Path, reference.Tag ?? "latest", cancellationToken) is { } digest) return digest;
            }
            catch (ContainerException)
            {
                // Unreachable: the local id below, or the name alone.
            }
        }
        return local?.Id;
    }
}
