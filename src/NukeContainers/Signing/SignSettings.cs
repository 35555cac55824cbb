using System.Text;
using NukeContainers.Registry;

namespace NukeContainers.Signing;

/// <summary>
/// The sign step: signs the pushed digest in cosign's layout (<see cref="CosignSignatures"/>), with a key from a file
/// or <c>env://NAME</c>; an image this key signed already is left as it is. The password is never shown: not in
/// logs, errors or <see cref="ToString"/>.
/// </summary>
public sealed record SignSettings : IPipelineStep
{
    /// <summary>The private key: a PEM file (cosign's encrypted key, or PKCS#8/SEC1 EC), or <c>env://NAME</c>.</summary>
    public string? Key { get; init; }

    /// <summary>The password of an encrypted key; COSIGN_PASSWORD's when null.</summary>
    public string? Password { get; init; }

    /// <summary>Credentials for the registry; the docker config's when null.</summary>
    public RegistryCredentials? Credentials { get; init; }

    string IPipelineStep.Name => StepNames.Sign;

    IReadOnlyList<string> IPipelineStep.After => [StepNames.Attest, StepNames.PushTags];

    bool IPipelineStep.NeedsEngine => false;

    void IPipelineStep.Check(ImagePipeline pipeline)
    {
        if (string.IsNullOrWhiteSpace(Key)) throw new ContainerException($"The sign step of {pipeline.Repository} names no key: .Sign(s => s with {{ Key = \"cosign.key\" }}).");
    }

    async Task<StepResult> IPipelineStep.RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var image = context.Image;
        var digest = image.Digest ?? throw new ContainerException(
            $"The sign step of {image.Repository} signs the pushed digest, and the image has none: add .Push() before .Sign(...).");
        using var key = SigningKey.Load(Key!, Password);
        var registry = await context.Registries.ConnectAsync(image.Repository.Registry, Credentials, cancellationToken: cancellationToken);
        var signed = await CosignSignatures.SignAsync(registry, image.Repository.Path, image.Repository.Repository, digest, key, cancellationToken);
        context.Log(signed.Added
            ? $"Signed {image.Repository.Repository}@{digest[..19]} with {key.Source} (key {signed.KeyFingerprint[..19]}): {image.Repository.Repository}:{signed.Tag}"
            : $"{image.Repository.Repository}@{digest[..19]} is signed with {key.Source} (key {signed.KeyFingerprint[..19]}) already: not signed again");
        return new SignResult { Image = image, Signature = signed };
    }

    /// <summary>The key's source, never its password.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Key = {Key}, Password = {(Password is null ? "(none)" : "(hidden)")}, Credentials = {Credentials}");
        return true;
    }
}

/// <summary>What the sign step did.</summary>
public sealed record SignResult : StepResult
{
    /// <summary>The signature tag and key.</summary>
    public required SignatureResult Signature { get; init; }

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, object?>> ReportFields(string rootDirectory, ImageResult all) =>
        [Reporting.ReportSections.Signature.With(new Reporting.SignatureReport(Signature.Tag, Signature.ManifestDigest, Signature.KeyFingerprint))];
}
