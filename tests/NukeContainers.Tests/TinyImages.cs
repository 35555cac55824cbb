using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using CliWrap;
using CliWrap.Buffered;
using NukeContainers.Provisioning;
using NukeContainers.Registry;

namespace NukeContainers.Tests;

/// Images put in the local registry directly, for steps that need a pushed digest and no engine (signing, rollout).
public static class TinyImages
{
    /// An image of one small layer holding the content, tagged with it; its manifest digest. The caller deletes it.
    public static async Task<string> PushAsync(string repository, string content)
    {
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, leaveOpen: true))
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "content.txt") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        var gzip = new MemoryStream();
        await using (var zip = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true)) await zip.WriteAsync(tar.ToArray());
        var layer = await registry.PutBlobAsync(repository, gzip.ToArray());
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64", ["os"] = "linux",
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(RegistryClient.Digest(tar.ToArray())) },
        }.ToJsonString());
        var configDigest = await registry.PutBlobAsync(repository, config);
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["size"] = config.Length, ["digest"] = configDigest },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["size"] = gzip.Length, ["digest"] = layer }),
        }.ToJsonString());
        var digest = RegistryClient.Digest(manifest);
        await registry.PutManifestAsync(repository, content, new RegistryManifest(manifest, "application/vnd.oci.image.manifest.v1+json", digest));
        return digest;
    }
}

/// cosign 2.5, Debian 13's, unpacked with the modern engine's packages (downloaded the first time): the peer signatures are held against.
public static class Cosign
{
    public static async Task<string> PathAsync() => System.IO.Path.Combine(await EmbeddedEnvironment.ModernToolsAsync(_ => { }), "usr/bin/cosign");

    /// Runs cosign with COSIGN_PASSWORD; its exit code and output, also written to the test's output.
    public static async Task<(int Code, string Output)> RunAsync(string cosign, string password, string workingDirectory, Action<string> output, params string[] arguments)
    {
        var result = await Cli.Wrap(cosign).WithArguments(arguments).WithWorkingDirectory(workingDirectory)
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["COSIGN_PASSWORD"] = password })
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        output($"cosign {string.Join(' ', arguments)}: exit {result.ExitCode}\n{result.StandardOutput}{result.StandardError}");
        return (result.ExitCode, result.StandardOutput + result.StandardError);
    }
}

/// The docker CLI with buildx 0.13 (Debian 13's, unpacked with the modern engine's packages) as its plugin, in a
/// DOCKER_CONFIG of its own; and oras from the same packages. The peers attestations and caches are held against.
public sealed class Buildx : IDisposable
{
    private readonly TempFolder _config = new();

    private Buildx(string root) => Root = root;

    /// The unpacked packages' root (usr/bin/oras ...).
    public string Root { get; }

    public static async Task<Buildx> CreateAsync(Action<string> log)
    {
        var buildx = new Buildx(await EmbeddedEnvironment.ModernToolsAsync(log));
        Directory.CreateDirectory(System.IO.Path.Combine(buildx._config.Path, "cli-plugins"));
        File.CreateSymbolicLink(System.IO.Path.Combine(buildx._config.Path, "cli-plugins", "docker-buildx"),
            System.IO.Path.Combine(buildx.Root, "usr/libexec/docker/cli-plugins/docker-buildx"));
        return buildx;
    }

    /// Runs the docker CLI against an engine; its standard output (a failure fails the test, with what it printed).
    public async Task<string> DockerAsync(string engine, string workingDirectory, Action<string> output, params string[] arguments)
    {
        var result = await Cli.Wrap("docker").WithArguments(arguments).WithWorkingDirectory(workingDirectory)
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["DOCKER_CONFIG"] = _config.Path, ["DOCKER_HOST"] = engine })
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        output($"docker {string.Join(' ', arguments)}: exit {result.ExitCode}\n{result.StandardOutput}{result.StandardError}");
        Assert.True(result.ExitCode == 0, $"docker {string.Join(' ', arguments)} failed: {result.StandardError}");
        return result.StandardOutput;
    }

    /// Runs oras; its standard output (a failure fails the test).
    public async Task<string> OrasAsync(Action<string> output, params string[] arguments)
    {
        var result = await Cli.Wrap(System.IO.Path.Combine(Root, "usr/bin/oras")).WithArguments(arguments).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        output($"oras {string.Join(' ', arguments)}: exit {result.ExitCode}\n{result.StandardError}");
        Assert.True(result.ExitCode == 0, $"oras {string.Join(' ', arguments)} failed: {result.StandardError}");
        return result.StandardOutput;
    }

    public void Dispose() => _config.Dispose();
}

/// The tests' busybox base pushed to the local registry under a name of the test's, so that every engine (and buildx)
/// pulls the same image and records the same digest. Disposing it removes the engine's tag and the registry's manifest.
public sealed class RegistryBase : IAsyncDisposable
{
    private readonly Engine.ContainerEngine _engine;

    private RegistryBase(Engine.ContainerEngine engine, Images.ImageReference reference, string digest) => (_engine, Reference, Digest) = (engine, reference, digest);

    public Images.ImageReference Reference { get; }

    public string Digest { get; }

    public static async Task<RegistryBase> PushAsync(Engine.ContainerEngine engine, string name)
    {
        var reference = Images.ImageReference.Parse($"{EngineFixture.RegistryAddress}/{EngineFixture.Repository(name)}:1");
        await engine.Client.Images.TagImageAsync(EngineFixture.BaseImage, new() { RepositoryName = reference.Repository, Tag = reference.Tag });
        return new RegistryBase(engine, reference, await engine.PushAsync(reference, null, _ => { }));
    }

    public override string ToString() => Reference.ToString();

    public async ValueTask DisposeAsync()
    {
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        await registry.DeleteManifestAsync(Reference.Path, Digest);
        await _engine.Client.Images.DeleteImageAsync(Reference.ToString(), new() { NoPrune = true }).ContinueWith(_ => { });
    }
}

/// Debian's arm64 busybox (from its arm64 package, unpacked, never installed) and qemu-aarch64-static to run arm64
/// binaries with, named explicitly: binfmt_misc is never touched (the kernel is shared).
public static class Arm64
{
    private static readonly string Folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nukecontainers-arm64");

    /// The arm64 busybox binary's path.
    public static async Task<string> BusyboxAsync() => System.IO.Path.Combine(
        await Provisioning.DebianPackages.UnpackFromReleaseAsync(System.IO.Path.Combine(Folder, "busybox"), "bookworm", ["busybox-static"], _ => { }, CancellationToken.None, "arm64"), "bin/busybox");

    /// qemu-aarch64-static's path.
    public static async Task<string> QemuAsync() => System.IO.Path.Combine(
        await Provisioning.DebianPackages.UnpackFromReleaseAsync(System.IO.Path.Combine(Folder, "qemu"), "bookworm", ["qemu-user-static"], _ => { }, CancellationToken.None), "usr/bin/qemu-aarch64-static");

    /// A Dockerfile that builds for any platform without emulating: its build stage runs on the engine's own platform
    /// ($BUILDPLATFORM) and picks the target's busybox (busybox-amd64, busybox-arm64 in the context), writing the
    /// target's architecture to /arch; the final stage has no RUN.
    public static string CrossBuiltBusybox =>
        $"FROM --platform=$BUILDPLATFORM {EngineFixture.BaseImage} AS build\nARG TARGETARCH\nCOPY busybox-amd64 busybox-arm64 /in/\n" +
        "RUN cp /in/busybox-$TARGETARCH /busybox && echo $TARGETARCH > /arch\n" +
        "FROM scratch\nCOPY --from=build /busybox /bin/busybox\nCOPY --from=build /arch /arch\nENTRYPOINT [\"/bin/busybox\"]\n";

    /// Puts the two binaries <see cref="CrossBuiltBusybox"/> picks from in a context: this machine's busybox (amd64) and Debian's arm64 one.
    public static async Task WriteBusyboxesAsync(string context)
    {
        File.Copy("/bin/busybox", System.IO.Path.Combine(context, "busybox-amd64"));
        File.Copy(await BusyboxAsync(), System.IO.Path.Combine(context, "busybox-arm64"));
    }

    /// The linux images of an index by architecture: amd64, arm64 ... and their manifests' digests.
    public static Dictionary<string, string> PlatformImages(RegistryManifest index)
    {
        var platforms = new Dictionary<string, string>();
        using var json = System.Text.Json.JsonDocument.Parse(index.Body);
        foreach (var child in json.RootElement.GetProperty("manifests").EnumerateArray())
            if (child.TryGetProperty("platform", out var platform) && platform.GetProperty("os").GetString() == "linux")
                platforms[platform.GetProperty("architecture").GetString()!] = child.GetProperty("digest").GetString()!;
        return platforms;
    }

    /// A file of an image in the registry, read from its layers (the last layer that has it).
    public static async Task<byte[]> FileOfAsync(RegistryClient registry, string repository, string manifestDigest, string path)
    {
        var manifest = await registry.GetManifestAsync(repository, manifestDigest);
        byte[]? found = null;
        foreach (var layer in manifest.Blobs.Skip(1))
        {
            await using var tar = new TarReader(new GZipStream(new MemoryStream(await registry.GetBlobAsync(repository, layer)), CompressionMode.Decompress));
            while (await tar.GetNextEntryAsync() is { } entry)
                if (entry.Name.TrimStart('.', '/') == path && entry.DataStream is { } data)
                {
                    using var copy = new MemoryStream();
                    await data.CopyToAsync(copy);
                    found = copy.ToArray();
                }
        }
        return found ?? throw new InvalidOperationException($"{path} is in no layer of {repository}@{manifestDigest}");
    }

    /// An image's file system from the registry, its layers applied in order into a folder (files, folders and links;
    /// whiteouts and devices left out): the sysroot qemu's -L reads an arm64 program's loader, libraries and files from.
    public static async Task UnpackAsync(RegistryClient registry, string repository, string manifestDigest, string folder)
    {
        var manifest = await registry.GetManifestAsync(repository, manifestDigest);
        foreach (var layer in manifest.Blobs.Skip(1))
        {
            await using var tar = new TarReader(new GZipStream(new MemoryStream(await registry.GetBlobAsync(repository, layer)), CompressionMode.Decompress));
            while (await tar.GetNextEntryAsync() is { } entry)
            {
                var name = entry.Name.TrimStart('.', '/').TrimEnd('/');
                if (name.Length == 0 || System.IO.Path.GetFileName(name).StartsWith(".wh.", StringComparison.Ordinal)) continue;
                var path = System.IO.Path.Combine(folder, name);
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
                if (entry.EntryType != TarEntryType.Directory && new FileInfo(path) is { Exists: true } or { LinkTarget: not null }) File.Delete(path);   // a later layer's
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(path);
                        break;
                    case TarEntryType.SymbolicLink:
                        File.CreateSymbolicLink(path, entry.LinkName);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        await entry.ExtractToFileAsync(path, overwrite: true);
                        File.SetUnixFileMode(path, entry.Mode | UnixFileMode.UserRead | UnixFileMode.UserWrite);
                        break;
                    case TarEntryType.HardLink:
                        File.Copy(System.IO.Path.Combine(folder, entry.LinkName.TrimStart('.', '/')), path, overwrite: true);
                        break;
                }
            }
        }
    }

    /// Writes a binary to a folder of its own under its name, executable.
    public static async Task<string> WriteExecutableAsync(string folder, string name, byte[] binary)
    {
        var path = System.IO.Path.Combine(Directory.CreateDirectory(folder).FullName, name);
        await File.WriteAllBytesAsync(path, binary);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    /// The ELF machine of a binary: 62 for x86-64, 183 for AArch64.
    public static int ElfMachine(byte[] binary) => binary[..4] is [0x7f, (byte)'E', (byte)'L', (byte)'F'] ? BitConverter.ToUInt16(binary, 18) : -1;
}
