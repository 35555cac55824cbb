using System.Security.Cryptography;
using NukeContainers.Registry;
using NukeContainers.Reporting;
using NukeContainers.Signing;

namespace NukeContainers.Tests;

/// The sign step and the rollout's signature check, held against cosign 2.5 (Debian 13's, unpacked with the modern
/// engine's packages) on the local registry: each verifies the other's signatures, with a key cosign made.
[Collection(EngineCollection.Name)]
public sealed class SigningSpecs(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private readonly List<string> _log = [];
    private readonly List<(string Repository, string Digest)> _pushed = [];
    private readonly string _password = "pw-" + Guid.NewGuid().ToString("N");
    private readonly string _repository = $"nukecontainers-test/signing-{Environment.ProcessId}-{Guid.NewGuid():N}"[..60];
    private string _cosign = "";

    public async Task InitializeAsync()
    {
        _cosign = await Cosign.PathAsync();
        // cosign's own key pair, encrypted with the password (scrypt and secretbox), as teams make it.
        await CosignAsync(_folder.Path, "generate-key-pair");
    }

    public async Task DisposeAsync()
    {
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        foreach (var (repository, digest) in _pushed) await registry.DeleteManifestAsync(repository, digest);
        _folder.Dispose();
    }

    private string CosignKey => Path.Combine(_folder.Path, "cosign.key");
    private string CosignPub => Path.Combine(_folder.Path, "cosign.pub");

    private Task<(int Code, string Output)> CosignAsync(string workingDirectory, params string[] arguments) =>
        Cosign.RunAsync(_cosign, _password, workingDirectory, output.WriteLine, arguments);

    private Task<(int Code, string Output)> CosignVerifyAsync(string publicKey, string digest) =>
        CosignAsync(_folder.Path, "verify", "--key", publicKey, "--insecure-ignore-tlog", "--allow-http-registry", $"{EngineFixture.RegistryAddress}/{_repository}@{digest}");

    private async Task<string> PushImageAsync(string content)
    {
        var digest = await TinyImages.PushAsync(_repository, content);
        _pushed.Add((_repository, digest));
        return digest;
    }

    /// The pipeline of a pushed image, as the push step leaves it.
    private ImagePipeline Pushed(string digest) =>
        Containers.Image($"{EngineFixture.RegistryAddress}/{_repository}").FromImage(digest, 0, ["signed"], digest).WithLog(_log.Add);

    /// Another key pair cosign made: the encrypted private key and the public key.
    private async Task<(string PrivateKey, string PublicKey)> OtherKeyAsync()
    {
        Assert.Equal(0, (await CosignAsync(_folder.Path, "generate-key-pair", "--output-key-prefix", "other")).Code);
        return (Path.Combine(_folder.Path, "other.key"), Path.Combine(_folder.Path, "other.pub"));
    }

    /// An EC key in the PEM form openssl writes (PKCS#8, unencrypted), which the sign step takes as it is (cosign's
    /// import-key-pair 2.5 here refuses such keys: "unsupported public key type"), and its public key.
    private (string PrivateKey, string PublicKey) Pkcs8Key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (privatePath, publicPath) = (Path.Combine(_folder.Path, "plain.key"), Path.Combine(_folder.Path, "plain.pub"));
        File.WriteAllText(privatePath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(publicPath, key.ExportSubjectPublicKeyInfoPem());
        return (privatePath, publicPath);
    }

    [Fact]
    public async Task The_sign_steps_signature_verifies_with_cosign_and_cosigns_verifies_with_ours_each_beside_the_other()
    {
        var ours = await PushImageAsync("ours");
        var theirs = await PushImageAsync("theirs");
        var plain = await PushImageAsync("plain");
        var (otherKey, otherPub) = await OtherKeyAsync();
        var (plainKey, plainPub) = Pkcs8Key();

        // Ours, with the key cosign made (opened with its password), in a pipeline after the push.
        var signed = await Pushed(ours).Sign(s => s with { Key = CosignKey, Password = _password }).RunAsync();
        // Ours, with an unencrypted PKCS#8 key (no password).
        await Pushed(plain).Sign(s => s with { Key = plainKey }).RunAsync();
        // cosign's, of another image, and of ours beside our signature.
        Assert.Equal(0, (await CosignAsync(_folder.Path, "sign", "--key", CosignKey, "--tlog-upload=false", "--allow-http-registry", "-y", $"{EngineFixture.RegistryAddress}/{_repository}@{theirs}")).Code);
        Assert.Equal(0, (await CosignAsync(_folder.Path, "sign", "--key", otherKey, "--tlog-upload=false", "--allow-http-registry", "-y", $"{EngineFixture.RegistryAddress}/{_repository}@{ours}")).Code);

        var (verified, cosignSays) = await CosignVerifyAsync(CosignPub, ours);
        Assert.True(verified == 0, cosignSays);
        Assert.Contains(ours, cosignSays);                                                           // the claim it checked names the digest
        Assert.Equal(0, (await CosignVerifyAsync(otherPub, ours)).Code);                              // cosign's signature beside ours is kept
        Assert.NotEqual(0, (await CosignVerifyAsync(otherPub, theirs)).Code);                         // a peer that can say no
        Assert.Equal(0, (await CosignVerifyAsync(plainPub, plain)).Code);
        Assert.NotEqual(0, (await CosignVerifyAsync(CosignPub, plain)).Code);

        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        using var cosignPub = VerificationKey.Load(CosignPub);
        using var other = VerificationKey.Load(otherPub);
        Assert.Equal((true, ""), await CosignSignatures.VerifyAsync(registry, _repository, theirs, cosignPub));
        Assert.Equal((true, ""), await CosignSignatures.VerifyAsync(registry, _repository, ours, other));
        Assert.Equal(2, (await CosignSignatures.ReadAsync(registry, _repository, ours)).Count);
        var (theirsByOther, reason) = await CosignSignatures.VerifyAsync(registry, _repository, theirs, other);
        Assert.False(theirsByOther);
        Assert.Equal($"none of its 1 signature(s) is by {other}", reason);

        var report = ContainerReport.From([signed], _folder.Path).Images[0].Signature()!;
        Assert.Equal((CosignSignatures.SignatureTag(ours), cosignPub.Fingerprint), (report.Tag, report.Key));
        Assert.Equal(ours.Replace(':', '-') + ".sig", report.Tag);
    }

    [Fact]
    public async Task Signing_again_with_the_same_key_adds_nothing_and_bad_keys_and_passwords_are_named_without_the_secret()
    {
        var digest = await PushImageAsync("again");
        var notPushed = await Assert.ThrowsAsync<ContainerException>(() => Pushed("sha256:" + new string('0', 64)).Sign(s => s with { Key = CosignKey, Password = _password }).RunAsync());
        Assert.Equal($"{EngineFixture.RegistryAddress}/{_repository} has no image sha256:{new string('0', 64)} to sign: push it first (or check --registry).", notPushed.Message);
        var first = await Pushed(digest).Sign(s => s with { Key = CosignKey, Password = _password }).RunAsync();
        var again = await Pushed(digest).Sign(s => s with { Key = CosignKey, Password = _password }).RunAsync();

        Assert.True(first.Step<SignResult>()!.Signature.Added);
        Assert.False(again.Step<SignResult>()!.Signature.Added);
        Assert.Equal(first.Step<SignResult>()!.Signature.ManifestDigest, again.Step<SignResult>()!.Signature.ManifestDigest);
        Assert.Contains(_log, l => l.Contains("already: not signed again", StringComparison.Ordinal));

        var wrong = "wrong-" + Guid.NewGuid().ToString("N");
        var badPassword = await Assert.ThrowsAsync<ContainerException>(() => Pushed(digest).Sign(s => s with { Key = CosignKey, Password = wrong }).RunAsync());
        Assert.Equal($"The signing key {CosignKey} could not be opened with the password given: check --signing-key-password (or COSIGN_PASSWORD).", badPassword.Message);
        var publicGiven = Assert.Throws<ContainerException>(() => SigningKey.Load(CosignPub, _password));
        Assert.Contains("is a PEM 'PUBLIC KEY', not a private key", publicGiven.Message);
        var unset = Assert.Throws<ContainerException>(() => SigningKey.Load("env://NUKECONTAINERS_TEST_NO_SUCH_KEY"));
        Assert.Contains("names the environment variable NUKECONTAINERS_TEST_NO_SUCH_KEY, which is not set", unset.Message);
        Assert.DoesNotContain(_password, string.Join("\n", _log) + badPassword.Message + new SignSettings { Key = CosignKey, Password = _password });
        Assert.DoesNotContain(wrong, badPassword.Message);

        // The key in an environment variable, as cosign's env:// takes it: the same key, so nothing is added.
        Environment.SetEnvironmentVariable("NUKECONTAINERS_TEST_SIGNING_KEY", File.ReadAllText(CosignKey));
        try
        {
            var fromEnvironment = await Pushed(digest).Sign(s => s with { Key = "env://NUKECONTAINERS_TEST_SIGNING_KEY", Password = _password }).RunAsync();
            Assert.False(fromEnvironment.Step<SignResult>()!.Signature.Added);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NUKECONTAINERS_TEST_SIGNING_KEY", null);
        }
    }

    [Fact]
    public async Task A_rollout_that_requires_a_signature_refuses_an_unsigned_digest_before_touching_the_cluster_and_rolls_out_a_signed_one()
    {
        await using var cluster = new KubernetesSimulator();
        var kubeconfig = cluster.WriteKubeconfig(_folder.Path);
        var previous = $"{EngineFixture.RegistryAddress}/{_repository}@sha256:{new string('1', 64)}";
        cluster.AddDeployment("api", "app", previous);
        var unsigned = await PushImageAsync("unsigned");
        var signedByOther = await PushImageAsync("other");
        var good = await PushImageAsync("good");
        Assert.Equal(0, (await CosignAsync(_folder.Path, "sign", "--key", (await OtherKeyAsync()).PrivateKey, "--tlog-upload=false", "--allow-http-registry", "-y", $"{EngineFixture.RegistryAddress}/{_repository}@{signedByOther}")).Code);
        Assert.Equal(0, (await CosignAsync(_folder.Path, "sign", "--key", CosignKey, "--tlog-upload=false", "--allow-http-registry", "-y", $"{EngineFixture.RegistryAddress}/{_repository}@{good}")).Code);
        ImagePipeline Release(string digest) => Pushed(digest).Rollout(r => r.Into("api", cluster.Namespace) with
        {
            Kubeconfig = kubeconfig, Context = "sim", Timeout = TimeSpan.FromSeconds(30), RequireSignedBy = CosignPub,
        });

        var noSignature = await Assert.ThrowsAsync<ContainerException>(() => Release(unsigned).RunAsync());
        var otherSignature = await Assert.ThrowsAsync<ContainerException>(() => Release(signedByOther).RunAsync());
        Assert.DoesNotContain(cluster.Requests, r => r.Contains("/deployments/api", StringComparison.Ordinal));
        var rolledOut = await Release(good).RunAsync();

        Assert.StartsWith($"Not rolling out {EngineFixture.RegistryAddress}/{_repository}@{unsigned}: a signature by public key {CosignPub}", noSignature.Message);
        Assert.Contains($"it has no signature ({EngineFixture.RegistryAddress}/{_repository}:{CosignSignatures.SignatureTag(unsigned)} does not exist)", noSignature.Message);
        Assert.Contains("none of its 1 signature(s) is by public key", otherSignature.Message);
        Assert.Equal("succeeded", rolledOut.Rollout!.Status);
        Assert.Equal($"{EngineFixture.RegistryAddress}/{_repository}@{good}",
            cluster.Deployment("api")["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
    }
}
