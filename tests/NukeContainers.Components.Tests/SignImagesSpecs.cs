using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Registry;
using NukeContainers.Reporting;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// SignImages and RolloutImages --require-signature as a team runs them after PushImages, through report.json: the
/// key cosign made, the local registry, cosign verify as the peer, and the Kubernetes API simulator (a test stand-in).
[Collection(EngineCollection.Name)]
public sealed class SignImagesSpecs(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly BuildDriver _driver = new();
    private readonly KubernetesSimulator _cluster = new();
    private readonly TempFolder _folder = new();
    private readonly string _password = "pw-" + Guid.NewGuid().ToString("N");
    private readonly string _path = $"nukecontainers-test/sign-images-{Guid.NewGuid():N}";
    private readonly List<string> _digests = [];
    private string _cosign = "";

    private string Repository => $"{EngineFixture.RegistryAddress}/{_path}";

    private sealed class SignBuild(string path) : BuildHost, ISignImages, IRolloutImages
    {
        IReadOnlyList<ContainerImage> IContainerImages.Images =>
            [new("web", AbsolutePath.Create("/nonexistent")) { Repository = path, Deployment = "web-frontend" }];
    }

    public async Task InitializeAsync()
    {
        _cosign = await Cosign.PathAsync();
        Assert.Equal(0, (await Cosign.RunAsync(_cosign, _password, _folder.Path, output.WriteLine, "generate-key-pair")).Code);
        _cluster.AddDeployment("web-frontend", "nginx", $"{Repository}@sha256:{new string('a', 64)}");
    }

    public async Task DisposeAsync()
    {
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        foreach (var digest in _digests) await registry.DeleteManifestAsync(_path, digest);
        await _cluster.DisposeAsync();
        _driver.Dispose();
        _folder.Dispose();
    }

    /// An image in the registry, and report.json as PushImages leaves it for that image.
    private async Task<string> PushedAsync(string content)
    {
        var digest = await TinyImages.PushAsync(_path, content);
        _digests.Add(digest);
        var image = new PipelineImage(Images.ImageReference.Parse(Repository)) { ImageId = digest, Digest = digest, Tags = Images.TagSet.Of(content) };
        var push = new Pushing.PushResult { Image = image, Digest = digest, Registry = EngineFixture.RegistryAddress };
        await ContainerReport.Empty.With([new ImageResult { Name = "web", Image = image, Steps = [push], DurationsMs = new Dictionary<string, long>() }], _driver.Root)
            .WriteAsync(Path.Combine(_driver.Root, "artifacts/containers"));
        return digest;
    }

    [Fact]
    public async Task An_encrypted_PKCS8_key_from_openssl_signs_with_its_password_and_a_wrong_one_is_bad_usage_said_once()
    {
        var (key, publicKey) = (Path.Combine(_folder.Path, "openssl.key"), Path.Combine(_folder.Path, "openssl.pub"));
        await Utils.Shell.RunAsync("sh", ["-c", $"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 | openssl pkcs8 -topk8 -v2 aes-256-cbc -passout env:PW -out '{key}'"],
            CancellationToken.None, environment: new Dictionary<string, string?> { ["PW"] = _password });
        await Utils.Shell.RunAsync("openssl", ["pkey", "-in", key, "-passin", $"env:PW", "-pubout", "-out", publicKey], CancellationToken.None, environment: new Dictionary<string, string?> { ["PW"] = _password });
        var signedDigest = await PushedAsync("openssl-signed");

        var wrong = await _driver.RunAsync(new SignBuild(_path), "SignImages", "--signing-key", key, "--signing-key-password", "not-" + _password);
        var none = await _driver.RunAsync(new SignBuild(_path), "SignImages", "--signing-key", key);
        var signed = await _driver.RunAsync(new SignBuild(_path), "SignImages", "--signing-key", key, "--signing-key-password", _password);
        var (verified, cosignSays) = await Cosign.RunAsync(_cosign, _password, _folder.Path, output.WriteLine,
            "verify", "--key", publicKey, "--insecure-ignore-tlog", "--allow-http-registry", $"{Repository}@{signedDigest}");

        Assert.Equal(2, wrong.ExitCode);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(wrong.Output, "The password does not open the signing key"));
        Assert.Contains($"--signing-key: The password does not open the signing key {key} (an encrypted PKCS#8 key)", wrong.Output);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("is an encrypted PKCS#8 key (BEGIN ENCRYPTED PRIVATE KEY): give its password with --signing-key-password or COSIGN_PASSWORD.", none.Output);
        Assert.True(signed.ExitCode == 0, signed.Output);
        Assert.True(verified == 0, cosignSays);
        Assert.DoesNotContain(_password, wrong.Output + none.Output + signed.Output);
    }

    [Fact]
    public async Task SignImages_signs_what_cosign_verifies_and_a_rollout_that_requires_the_signature_takes_only_signed_digests()
    {
        var (key, publicKey) = (Path.Combine(_folder.Path, "cosign.key"), Path.Combine(_folder.Path, "cosign.pub"));
        string[] cluster = ["--kubeconfig", _cluster.WriteKubeconfig(_folder.Path), "--kube-context", "sim", "--namespace", _cluster.Namespace, "--rollout-timeout", "30",
            "--require-signature", publicKey];

        var noKey = await _driver.RunAsync(new SignBuild(_path), "SignImages");
        var unsigned = await PushedAsync("unsigned");
        var refused = await _driver.RunAsync(new SignBuild(_path), ["RolloutImages", .. cluster]);
        var signedDigest = await PushedAsync("signed");
        var signed = await _driver.RunAsync(new SignBuild(_path), "SignImages", "--signing-key", key, "--signing-key-password", _password);
        var report = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("web")!;
        var (verified, cosignSays) = await Cosign.RunAsync(_cosign, _password, _folder.Path, output.WriteLine,
            "verify", "--key", publicKey, "--insecure-ignore-tlog", "--allow-http-registry", $"{Repository}@{signedDigest}");
        var rolledOut = await _driver.RunAsync(new SignBuild(_path), ["RolloutImages", .. cluster]);

        Assert.Equal(TargetStatus.Failed, noKey.StatusOf("SignImages"));
        Assert.Contains("SignImages needs --signing-key", noKey.Output);
        Assert.Equal(TargetStatus.Failed, refused.StatusOf("RolloutImages"));
        Assert.Contains($"Not rolling out {Repository}@{unsigned}: a signature by public key {publicKey}", refused.Output);
        Assert.DoesNotContain(_cluster.Requests, r => r.StartsWith("PATCH", StringComparison.Ordinal) && r.Contains(unsigned, StringComparison.Ordinal));
        Assert.True(signed.ExitCode == 0, signed.Output);
        Assert.Equal("web signed", signed.NoteOf("SignImages"));
        Assert.Equal(signedDigest.Replace(':', '-') + ".sig", report.Signature()?.Tag);
        Assert.True(verified == 0, cosignSays);
        Assert.True(rolledOut.ExitCode == 0, rolledOut.Output);
        Assert.Equal("succeeded", ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("web")!.Rollout()!.Status);
        Assert.Equal($"{Repository}@{signedDigest}", _cluster.Deployment("web-frontend")["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.DoesNotContain(_password, signed.Output + await File.ReadAllTextAsync(signed.LogFile));
    }
}
