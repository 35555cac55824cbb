using NukeContainers.Build;
using NukeContainers.Signing;

namespace NukeContainers.Components;

/// <summary>
/// Signs the pushed digests (report.json) in cosign's layout, so that <c>cosign verify --key cosign.pub</c> and
/// RolloutImages' <c>--require-signature</c> accept them. The key is cosign's own (<c>cosign generate-key-pair</c>,
/// with its password) or an unencrypted PKCS#8 EC key, from a file or <c>env://NAME</c>.
/// </summary>
public interface ISignImages : IPushImages
{
    /// <summary>The private key.</summary>
    [Parameter("The private key to sign pushed images with: a PEM file (cosign generate-key-pair's, or a PKCS#8 EC key) or env://NAME; Publish signs only when it is given")]
    string? SigningKey => TryGetValue(() => SigningKey);

    /// <summary>The key's password; masked in every log line.</summary>
    [Parameter("The password of an encrypted signing key (COSIGN_PASSWORD when not given, as cosign reads it)"), Secret]
    string? SigningKeyPassword => TryGetValue(() => SigningKeyPassword);

    /// <summary>
    /// --signing-key opened once before any target runs: a key that cannot be read, or a password that does not open
    /// it, is bad usage then, said once for the run rather than once an image after the builds.
    /// </summary>
    void CheckSigningKey()
    {
        if (SigningKey is not { } location) return;
        try
        {
            using var _ = Signing.SigningKey.Load(KeyLocation(location), SigningKeyPassword);
        }
        catch (ContainerException e)
        {
            throw new ParameterException($"--signing-key: {e.Message}");
        }
    }

    /// <summary>The settings hook: each image's sign settings pass through it.</summary>
    Configure<SignSettings> SignImagesSettings => _ => _;

    /// <summary>Signs each pushed image.</summary>
    Target SignImages => _ => _
        .Description("Sign the pushed digests (report.json) with --signing-key, as cosign sign does (verify with cosign verify --key, or --require-signature)")
        .Validates(CheckImageParameters)
        .Validates(CheckSigningKey)
        .After<IPushImages>(x => x.PushImages)
        .Executes(async ct =>
        {
            if (SigningKey is null)
                throw new ParameterException("SignImages needs --signing-key: a PEM private key (cosign generate-key-pair makes one) or env://NAME.");
            // Signing needs the registry only: no engine.
            var pipelines = ResumedImages("SignImages", ResumeFrom.Pushed).Select(resumed => SignImageStep.Add(resumed.Pipeline, new ImageStepContext(resumed.Image, new RunFacts()))).ToList();
            await RunImagesAsync(pipelines, null, ct, SignedOne);
        });

    /// <summary>The sign step with --signing-key, through the settings hook; nothing without a key (Publish signs only when given one).</summary>
    ImageStep SignImageStep => new(StepNames.Sign, (pipeline, _) => SigningKey is { } key
        ? pipeline.Sign(_ => SignImagesSettings(new SignSettings { Key = KeyLocation(key), Password = SigningKeyPassword, Credentials = GivenCredentials }))
        : pipeline);

    /// <summary>Notes whether an image was signed now or had the signature already.</summary>
    void SignedOne(ImageResult result) => Note($"{result.Name} {(result.Step<SignResult>()!.Signature.Added ? "signed" : "signed already")}");
}
