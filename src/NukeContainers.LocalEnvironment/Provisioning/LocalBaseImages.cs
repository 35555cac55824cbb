using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using NukeContainers.Building;
using NukeContainers.Engine;
using NukeContainers.Images;
using NukeContainers.Utils;

namespace NukeContainers.Provisioning;

/// <summary>
/// The base images the samples need, made on this machine from Debian's packages (debootstrap, apt-get) and this
/// machine's .NET, so that nothing has to be pulled. Each is built once and reused while its definition is unchanged.
/// </summary>
public static class LocalBaseImages
{
    private const string HashLabel = "org.nukecontainers.base.hash";

    /// <summary>Every local base image, each after those it is built on.</summary>
    public static IReadOnlyList<LocalBaseImage> All { get; } =
    [
        new("debian", "local/debian:bookworm", "DEBIAN_IMAGE", "debian:bookworm-slim", BaseImageContext.Debootstrap),
        new("static", "local/static:nonroot", "STATIC_IMAGE", "gcr.io/distroless/static-debian12:nonroot", BaseImageContext.None) { Platforms = ["linux/amd64", "linux/arm64"] },
        new("cc", "local/cc:nonroot", "CC_IMAGE", "gcr.io/distroless/cc-debian12:nonroot and dotnet/runtime-deps (chiseled)", BaseImageContext.None) { Platforms = ["linux/amd64", "linux/arm64"] },
        new("nginx", "local/nginx:nonroot", "NGINX_IMAGE", "nginxinc/nginx-unprivileged:1.27-alpine", BaseImageContext.None) { Platforms = ["linux/amd64", "linux/arm64"] },
        new("golang", "local/golang:bookworm", "GO_IMAGE", "golang:1.22-bookworm", BaseImageContext.None),
        new("node", "local/node:bookworm", "NODE_IMAGE", "node:20-bookworm-slim", BaseImageContext.None),
        new("dotnet-sdk", "local/dotnet-sdk:10.0", "DOTNET_SDK_IMAGE", "mcr.microsoft.com/dotnet/sdk:10.0", BaseImageContext.DotNetSdk),
    ];

    /// <summary>The build arguments that point Dockerfiles at the local images: <c>GO_IMAGE=local/golang:bookworm</c> ...</summary>
    public static IReadOnlyDictionary<string, string> BuildArgs { get; } = All.ToDictionary(i => i.BuildArg, i => i.Reference);

    /// <summary>
    /// Makes every local base image that is missing or out of date; returns their build arguments. What each image is
    /// made of and how long it took goes to <paramref name="log"/>; the builds' own output to <paramref name="buildLog"/>
    /// (the same log when not given). With <paramref name="only"/> (build arguments: <c>GO_IMAGE</c>, <c>STATIC_IMAGE</c>),
    /// only those are made, with the ones they are built on; the build arguments of all are returned.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> EnsureAsync(ContainerEngine engine, Action<string> log,
        CancellationToken cancellationToken = default, Action<string>? buildLog = null, IReadOnlyCollection<string>? only = null)
    {
        buildLog ??= log;
        await using var _ = await FileLock.AcquireAsync(Path.Combine(Path.GetTempPath(), "nukecontainers-base-images.lock"), cancellationToken, log);
        var made = new Dictionary<string, string>();
        var replaced = new List<string>();
        var containerd = await engine.ImageStoreAsync(cancellationToken) == NukeContainers.Engine.ImageStore.Containerd;
        foreach (var image in only is null ? All : WithWhatTheyAreBuiltOn(only))
        {
            var platforms = containerd && image.Platforms.Count > 1 ? string.Join(',', image.Platforms) : null;
            var hash = DefinitionHash(image, made, platforms);
            var existing = await engine.InspectImageAsync(image.Reference, cancellationToken);
            if (existing?.Labels is { } labels && labels.TryGetValue(HashLabel, out var found) && found == hash)
            {
                made[image.BuildArg] = existing.Id;
                continue;
            }
            var watch = Stopwatch.StartNew();
            log($"Making base image {image.Reference} (stands in for {image.StandsFor})");
            if (image.Context == BaseImageContext.Debootstrap) await DebootstrapAsync(engine, image, hash, buildLog, cancellationToken);
            else await BuildAsync(engine, image, hash, platforms, buildLog, cancellationToken);
            var result = await engine.InspectImageAsync(image.Reference, cancellationToken)
                ?? throw new ContainerException($"{image.Reference} was made but the engine does not know it.");
            made[image.BuildArg] = result.Id;
            if (existing is not null && existing.Id != result.Id) replaced.Add(existing.Id);
            log($"Made {image.Reference}: {result.Size / 1e6:0.0} MB in {watch.Elapsed.TotalSeconds:0}s");
        }
        // The images they replace are dangling now: they go, unless something else still uses them. Last made first:
        // an old image is the parent of the old ones made on it, which must go before it can.
        foreach (var id in Enumerable.Reverse(replaced)) await engine.RemoveIfUnusedAsync(id, [HashLabel], cancellationToken);
        return BuildArgs;
    }

    /// <summary>
    /// Pushes the local base images to a registry (<c>REGISTRY/local/golang:bookworm</c> ...), the way a CI runner's
    /// bases come from a registry; returns the build arguments that name them there, so a new, empty engine pulls them.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> PushAsync(ContainerEngine engine, string registry, Action<string> log, CancellationToken cancellationToken = default)
    {
        var args = new Dictionary<string, string>();
        foreach (var image in All)
        {
            var local = ImageReference.Parse(image.Reference);
            var remote = ImageReference.Parse($"{registry}/{local.Path}:{local.Tag}");
            var id = (await engine.InspectImageAsync(image.Reference, cancellationToken))?.Id
                ?? throw new ContainerException($"{image.Reference} is not in the engine: make the local base images first (LocalBaseImages).");
            await engine.TagAsync(id, remote, cancellationToken);
            var digest = await engine.PushAsync(remote, null, _ => { }, cancellationToken);
            log($"Pushed {remote}: {digest[..19]}");
            args[image.BuildArg] = remote.ToString();
        }
        return args;
    }

    /// The images the build arguments name and those they are built on (their Dockerfiles name them), in making order.
    private static IReadOnlyList<LocalBaseImage> WithWhatTheyAreBuiltOn(IReadOnlyCollection<string> buildArgs)
    {
        var unknown = buildArgs.Except(All.Select(i => i.BuildArg)).ToList();
        if (unknown.Count > 0) throw new ContainerException($"There is no local base image for {string.Join(", ", unknown)}: the build arguments are {string.Join(", ", All.Select(i => i.BuildArg))}.");
        var wanted = buildArgs.ToHashSet();
        // All lists each image after those it is built on: from the end, an image wanted wants what its Dockerfile names.
        foreach (var image in All.Reverse())
            if (wanted.Contains(image.BuildArg))
                foreach (var other in All.Where(o => Dockerfile(image).Contains("${" + o.BuildArg + "}"))) wanted.Add(other.BuildArg);
        return All.Where(i => wanted.Contains(i.BuildArg)).ToList();
    }

    /// <summary>The Dockerfile that defines a base image (debootstrap's image has none).</summary>
    public static string Dockerfile(LocalBaseImage image)
    {
        if (image.Context == BaseImageContext.Debootstrap) return $"debootstrap --variant=minbase {Suite} {Mirror}";
        using var stream = typeof(LocalBaseImages).Assembly.GetManifestResourceStream($"BaseImages.{image.Name}.Dockerfile")
            ?? throw new InvalidOperationException($"The Dockerfile of base image {image.Name} is not embedded.");
        return new StreamReader(stream).ReadToEnd();
    }

    private static async Task BuildAsync(ContainerEngine engine, LocalBaseImage image, string hash, string? platforms, Action<string> log, CancellationToken cancellationToken)
    {
        using var folder = new TemporaryFolder("nukecontainers-base-");
        var dockerfile = Path.Combine(folder.Path, "Dockerfile");
        await File.WriteAllTextAsync(dockerfile, Dockerfile(image), cancellationToken);
        var context = image.Context switch
        {
            BaseImageContext.DotNetSdk => BuildContext.Create(DotNetRoot(), dockerfile),
            _ => BuildContext.Create(folder.Path),
        };
        var settings = new BuildSettings
        {
            BuildArgs = BuildArgs,
            Labels = new Dictionary<string, string> { [HashLabel] = hash },
            Network = NetworkMode.Host,
            Platform = platforms,
        };
        await engine.BuildAsync(context, settings, [image.Reference], line => log("  " + line), cancellationToken);
    }

    /// A minimal Debian from Debian's mirror, its package caches dropped, imported as an image. It carries this
    /// machine's own CA certificates (/usr/local/share/ca-certificates): images that install ca-certificates then
    /// trust what this machine trusts, such as a proxy in front of the package registries.
    private static async Task DebootstrapAsync(ContainerEngine engine, LocalBaseImage image, string hash, Action<string> log, CancellationToken cancellationToken)
    {
        await DebianPackages.EnsureInstalledAsync(log, cancellationToken, "debootstrap");
        using var rootfs = new TemporaryFolder("nukecontainers-rootfs-");
        log($"  {Dockerfile(image)}");
        await Shell.RunAsync("debootstrap", ["--variant=minbase", Suite, rootfs.Path, Mirror], cancellationToken);
        await Shell.RunAsync("bash", ["-c", "rm -rf \"$0\"/var/cache/apt/archives/*.deb \"$0\"/var/lib/apt/lists/* \"$0\"/var/log/*.log", rootfs.Path], cancellationToken);
        var certificates = Path.Combine(rootfs.Path, "usr/local/share/ca-certificates");
        Directory.CreateDirectory(certificates);
        foreach (var certificate in MachineCertificates()) File.Copy(certificate, Path.Combine(certificates, Path.GetFileName(certificate)), overwrite: true);

        using var tar = Process.Start(new ProcessStartInfo("tar", ["--numeric-owner", "-C", rootfs.Path, "-c", "."]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new ContainerException("Could not start tar to pack the Debian root file system.");
        var errors = tar.StandardError.ReadToEndAsync(cancellationToken);
        await engine.ImportAsync(tar.StandardOutput.BaseStream, ImageReference.Parse(image.Reference), ["CMD [\"bash\"]", "ENV LANG=C.UTF-8", $"LABEL {HashLabel}={hash}"], cancellationToken);
        await tar.WaitForExitAsync(cancellationToken);
        if (tar.ExitCode != 0)
        {
            await engine.Client.Images.DeleteImageAsync(image.Reference, new Docker.DotNet.Models.ImageDeleteParameters { Force = true }, CancellationToken.None);
            throw new ContainerException($"tar exited with code {tar.ExitCode} while packing {rootfs.Path} for {image.Reference}, so the image was removed:\n{Shell.Tail(await errors, 10)}");
        }
    }

    /// The folder of the .NET that runs this process: the SDK the .NET base image copies.
    private static string DotNetRoot()
    {
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        return Directory.Exists(Path.Combine(root, "sdk")) && File.Exists(Path.Combine(root, "dotnet")) ? root
            : throw new ContainerException($"The .NET base images copy this machine's .NET, but '{root}' has no SDK. Install the .NET SDK, or use the official .NET images.");
    }

    private const string Suite = "bookworm";
    private const string Mirror = "http://deb.debian.org/debian";

    private static IEnumerable<string> MachineCertificates() =>
        Directory.Exists("/usr/local/share/ca-certificates")
            ? Directory.EnumerateFiles("/usr/local/share/ca-certificates", "*.crt", SearchOption.AllDirectories).Order()
            : [];

    /// What decides whether a base image is out of date: its definition, the local images it is built on (so a new
    /// Debian image remakes the rest), this machine's CA certificates for Debian, and the .NET versions copied.
    private static string DefinitionHash(LocalBaseImage image, IReadOnlyDictionary<string, string> madeIds, string? platforms)
    {
        var definition = Dockerfile(image);
        var text = new StringBuilder(definition);
        if (platforms is not null) text.Append($"\nplatforms={platforms}");
        foreach (var (buildArg, id) in madeIds.Where(m => definition.Contains("${" + m.Key + "}")))
            text.Append($"\n{buildArg}={id}");
        if (image.Context == BaseImageContext.Debootstrap)
            foreach (var certificate in MachineCertificates()) text.Append('\n').Append(File.ReadAllText(certificate));
        if (image.Context == BaseImageContext.DotNetSdk)
            text.Append(string.Join(',', Directory.EnumerateDirectories(Path.Combine(DotNetRoot(), "shared"), "*", SearchOption.AllDirectories).Order()));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
