using NukeContainers.Build;
using NukeContainers.Engine;
using NukeContainers.Registry;

namespace NukeContainers.Components;

/// <summary>Pushes every tag of the images TagImages tagged (read from report.json).</summary>
public interface IPushImages : ITagImages
{
    /// <summary>A registry user, when the docker config has none.</summary>
    [Parameter("The registry user, when the docker config (docker login) has none")]
    string? RegistryUsername => TryGetValue(() => RegistryUsername);

    /// <summary>The registry password or token; masked in every log line.</summary>
    [Parameter("The registry password or token, when the docker config has none"), Secret]
    string? RegistryPassword => TryGetValue(() => RegistryPassword);

    /// <summary>Push even when a version tag already names another image.</summary>
    [Parameter("Replace a version tag that already names another image (versions are immutable otherwise)")]
    bool ForceTags => TryGetValue<bool?>(() => ForceTags) ?? false;

    /// <summary>The credentials given as parameters, if both are.</summary>
    RegistryCredentials? GivenCredentials => RegistryUsername is { } user && RegistryPassword is { } password ? new RegistryCredentials(user, password) : null;

    /// <summary>The settings hook: each image's pipeline passes through it.</summary>
    Configure<ImagePipeline> PushImagesSettings => _ => _;

    /// <summary>Pushes each image in report.json with its tags.</summary>
    Target PushImages => _ => _
        .Description("Push every tag of the tagged images (report.json) to --registry; write the digests")
        .After<ITagImages>(x => x.TagImages)
        .After<IScanImages>(x => x.ScanImages)
        .Executes(async ct =>
        {
            using var engine = await ContainerEngine.ConnectAsync(cancellationToken: ct);
            var cacheBranch = this is IRestoreCache restorer ? (await restorer.CacheSettingsAsync(ct)).Branch : null;
            var pipelines = SelectedImages().Select(image =>
            {
                var tagged = BuiltImage(image.Name);
                if (tagged.Tags() is not { Count: > 0 } tags)
                    throw new ContainerException($"report.json has no tags for '{image.Name}': run TagImages first (./build.sh TagImages PushImages).");
                var pipeline = PipelineFor(image).FromImage(tagged.ImageId, tagged.SizeBytes, tags)
                    .Push(p => p with { Credentials = GivenCredentials, Force = ForceTags, VersionTag = tagged.VersionTag() });
                if (cacheBranch is { } branch && this is IBuildImages builder)
                    pipeline = pipeline.WithStep(new Caching.ExportCacheSettings
                    {
                        Branch = branch, Credentials = GivenCredentials,
                        Build = builder.BuildImagesSettings(builder.PipelineOf(image)).Build,
                    });
                return PushImagesSettings(pipeline);
            }).ToList();
            await RunImagesAsync(pipelines, engine, ct, result => Note($"{result.Name} {result.Image.Digest?[..19]}"));
        });
}
