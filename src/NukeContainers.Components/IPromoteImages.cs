using NukeContainers.Build;
using NukeContainers.Registry;

namespace NukeContainers.Components;

/// <summary>Points one environment's tag at what another's names, in the registry, without a pull or a build.</summary>
public interface IPromoteImages : IPushImages
{
    /// <summary>The tag to promote from.</summary>
    [Parameter("The tag to promote from, such as staging")]
    string? From => TryGetValue(() => From);

    /// <summary>The tag to promote to.</summary>
    [Parameter("The tag to promote to, such as production")]
    string? To => TryGetValue(() => To);

    /// <summary>Promotes each declared image.</summary>
    Target Promote => _ => _
        .Description("Point each image's --to tag at the digest its --from tag names, through the registry's API (no pull, no build)")
        .Validates(CheckImageParameters)
        .Requires(() => From)
        .Requires(() => To)
        .Executes(async ct =>
        {
            foreach (var image in SelectedImages())
            {
                var repository = RepositoryOf(image);
                var done = await Promotion.PromoteAsync(repository.WithTag(From!), repository.WithTag(To!), GivenCredentials, Log.Info, ct, force: ForceTags);
                Note($"{image.Name} {done.Digest[..19]}");
            }
        });
}
