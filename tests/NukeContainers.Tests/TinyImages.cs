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
