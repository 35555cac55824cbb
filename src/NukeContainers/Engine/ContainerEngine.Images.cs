using Docker.DotNet;
using Docker.DotNet.Models;
using NukeContainers.Images;
using NukeContainers.Utils;

namespace NukeContainers.Engine;

/// Images: inspect, push, pull, export, load, import, tag, find and remove.
public sealed partial class ContainerEngine
{
    /// <summary>The image's metadata, or null when the engine has no such image.</summary>
    public async Task<EngineImage?> InspectImageAsync(string image, CancellationToken cancellationToken = default)
    {
        try
        {
            return EngineImage.From(await Client.Images.InspectImageAsync(image, cancellationToken));
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The image's size as the engine reports it; an error when the engine does not have it.</summary>
    public async Task<long> SizeAsync(string image, CancellationToken cancellationToken = default) =>
        (await InspectImageAsync(image, cancellationToken))?.Size
        ?? throw new ContainerException($"The engine has no image {image}: it was removed after it was built, perhaps by another run or a prune.");

    /// <summary>
    /// Pushes one tag through the engine and returns the digest the registry gave it. A failure is a
    /// <see cref="Pushing.PushException"/> that says whether trying again may help. <paramref name="progress"/> hears each
    /// layer's progress: its id, the bytes of it sent so far in this attempt, and whether it is done (pushed, mounted or
    /// there already); not the engine's own retries.
    /// </summary>
    public async Task<string> PushAsync(ImageReference reference, Registry.RegistryCredentials? credentials, Action<string> log, CancellationToken cancellationToken = default,
        Action<string, long, bool>? progress = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1.41/images/{reference.Repository}/push?tag={Uri.EscapeDataString(reference.Tag ?? "latest")}");
        request.Headers.Add("X-Registry-Auth", credentials?.EngineAuthHeader(reference.Registry) ?? "e30=");
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var message = EngineMessages.Refusal(await response.Content.ReadAsStringAsync(cancellationToken));
            throw new Pushing.PushException(message, Pushing.PushException.IsTransient(message) && (int)response.StatusCode >= 500);
        }
        string? digest = null;
        var retrying = new HashSet<string>();   // layers in the engine's own retry countdown ("Retrying in 5 seconds" ... "1 second")
        await foreach (var message in EngineMessages.ReadAsync(await response.Content.ReadAsStreamAsync(cancellationToken),
                           text => new Pushing.PushException(text, Pushing.PushException.IsTransient(text)), cancellationToken))
        {
            var root = message.Json;
            if (root.TryGetProperty("aux", out var aux) && aux.ValueKind == System.Text.Json.JsonValueKind.Object && aux.TryGetProperty("Digest", out var d))
                digest = d.GetString();
            else if (message.Text("status") is { } s)
            {
                // The containerd image store (Docker 26) sends no aux, only the CLI's last line: "TAG: digest: sha256:... size: N".
                if (digest is null && s.IndexOf(": digest: sha256:", StringComparison.Ordinal) is var at and > 0 && s[(at + 10)..].Split(' ')[0] is { Length: 71 } named)
                    digest = named;
                var layer = message.Text("id") ?? "";
                if (s.StartsWith("Retrying in", StringComparison.Ordinal))
                {
                    // The engine retries a layer the registry failed, up to 5 times over about 50 s: said once a round.
                    if (retrying.Add(layer)) log($"   {layer}: the registry failed this layer; the engine sends it again ({s.ToLowerInvariant()})");
                    continue;
                }
                retrying.Remove(layer);
                var sent = root.TryGetProperty("progressDetail", out var detail) && detail.ValueKind == System.Text.Json.JsonValueKind.Object
                    && detail.TryGetProperty("current", out var current) && current.TryGetInt64(out var bytes) ? bytes : 0;
                var sentWhole = s.StartsWith("Pushed", StringComparison.Ordinal) || s.StartsWith("Mounted", StringComparison.Ordinal);
                progress?.Invoke(layer, sent, sentWhole || s.StartsWith("Layer already exists", StringComparison.Ordinal));
                if (sentWhole || s.Contains("digest:", StringComparison.Ordinal))
                    log($"   {(layer.Length > 0 ? layer + ": " : "")}{s}");
            }
        }
        return digest ?? throw new Pushing.PushException($"the engine finished pushing {reference} without a digest", transient: true);
    }

    /// <summary>The images that carry a label with a value, newest first.</summary>
    public async Task<IReadOnlyList<string>> FindImagesByLabelAsync(string label, string value, CancellationToken cancellationToken = default) =>
        (await Client.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{label}={value}"] = true } },
        }, cancellationToken)).OrderByDescending(i => i.Created).Select(i => i.ID).ToList();

    /// <summary>Pulls an image from its registry; returns its id. A failure names the reference and the engine's reason.</summary>
    public async Task<string> PullAsync(ImageReference reference, Registry.RegistryCredentials? credentials, CancellationToken cancellationToken = default)
    {
        var query = $"fromImage={Uri.EscapeDataString(reference.Repository)}&tag={Uri.EscapeDataString(reference.Digest ?? reference.Tag ?? "latest")}";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1.41/images/create?{query}");
        request.Headers.Add("X-Registry-Auth", credentials?.EngineAuthHeader(reference.Registry) ?? "e30=");
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new ContainerException($"Pulling {reference} failed: {EngineMessages.Refusal(await response.Content.ReadAsStringAsync(cancellationToken))}");
        await EngineMessages.ReadToEndAsync(await response.Content.ReadAsStreamAsync(cancellationToken),
            text => new ContainerException($"Pulling {reference} failed: {text}"), cancellationToken);
        return (await InspectImageAsync(reference, cancellationToken))?.Id ?? throw new ContainerException($"The engine pulled {reference} but does not know it afterwards.");
    }

    /// <summary>
    /// The image as an archive (<c>GET /images/{name}/get</c>), streamed as the engine writes it; the caller reads and
    /// disposes it.
    /// </summary>
    public async Task<Stream> ExportAsync(string image, CancellationToken cancellationToken = default)
    {
        if (await InspectImageAsync(image, cancellationToken) is null)
            throw new ContainerException($"The engine has no image {image}: it was removed after it was built, perhaps by another run or a prune. Build it again.");
        var response = await Http.GetAsync($"v1.41/images/{Uri.EscapeDataString(image)}/get", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var message = EngineMessages.Refusal(await response.Content.ReadAsStringAsync(cancellationToken));
            response.Dispose();
            throw new ContainerException($"Exporting {image} from the engine failed: {message}");
        }
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    /// <summary>
    /// Loads an image archive (<c>POST /images/load</c>) that <paramref name="write"/> writes as the engine reads it; an
    /// error the engine reports is a <see cref="ContainerException"/> with its reason.
    /// </summary>
    public async Task LoadAsync(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        var pipe = new System.IO.Pipelines.Pipe();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writing = Task.Run(async () =>
        {
            await using var stream = pipe.Writer.AsStream();
            try
            {
                await write(stream, linked.Token);
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
                throw;
            }
        }, linked.Token);
        try
        {
            using var content = new StreamContent(pipe.Reader.AsStream());
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
            using var response = await Http.PostAsync("v1.41/images/load?quiet=1", content, linked.Token);
            if (!response.IsSuccessStatusCode)
                throw new ContainerException($"The engine refused the image archive: {EngineMessages.Refusal(await response.Content.ReadAsStringAsync(linked.Token))}");
            await EngineMessages.ReadToEndAsync(await response.Content.ReadAsStreamAsync(linked.Token),
                text => new ContainerException($"The engine refused the image archive: {text}"), linked.Token);
        }
        catch
        {
            await linked.CancelAsync();
            try { await writing; } catch (Exception) { /* the load's own error is the one to tell */ }
            throw;
        }
        await writing;
    }

    /// <summary>
    /// Tags an image (by id) with a full reference, moving the tag if it was on another image. The containerd image
    /// store (Docker 26) moves a tag by deleting it and creating it again, so two runs tagging one name at once can
    /// meet in between ("... after deleting the existing one: ... already exists", or "... failed because it already
    /// exists, but accessing it also failed"): then it is tried again, and the last to tag has the name, as with the
    /// graph driver's store.
    /// </summary>
    public async Task TagAsync(string imageId, ImageReference reference, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Client.Images.TagImageAsync(imageId, new ImageTagParameters { RepositoryName = reference.Repository, Tag = reference.Tag }, cancellationToken);
                return;
            }
            catch (DockerApiException e) when (attempt < 5 && e.StatusCode == System.Net.HttpStatusCode.InternalServerError
                                               && e.ResponseBody?.Contains("already exists", StringComparison.Ordinal) == true)
            {
                // Another run's tag of the same name came between the delete and the create.
            }
        }
    }

    /// <summary>Removes an image (by id or reference), with <paramref name="force"/> even when tagged or used; an image already gone is not an error.</summary>
    public async Task RemoveImageAsync(string image, bool force = false, CancellationToken cancellationToken = default)
    {
        try
        {
            await Client.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = force }, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
        }
    }

    /// <summary>
    /// Removes an image that the pipeline built when no tag and no container uses it any more; leaves it when
    /// something does, or when it was not built by this product.
    /// </summary>
    /// <param name="imageId">The image.</param>
    /// <param name="ownLabels">The labels that mark an image as this product's; the built-by and run labels when not given.</param>
    /// <param name="cancellationToken">Stops the removal.</param>
    public async Task RemoveIfUnusedAsync(string imageId, IReadOnlyCollection<string>? ownLabels = null, CancellationToken cancellationToken = default)
    {
        var image = await InspectImageAsync(imageId, cancellationToken);
        if (image is null || image.RepoTags is { Count: > 0 }) return;
        var labels = image.Labels;
        if (labels is null || !(ownLabels ?? [ResourceLabels.BuiltBy, ResourceLabels.Run]).Any(labels.ContainsKey)) return;
        try
        {
            await Client.Images.DeleteImageAsync(imageId, new ImageDeleteParameters(), cancellationToken);
        }
        catch (DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
        {
            // A container or a child image still uses it, or another run removed it first.
        }
        catch (DockerApiException)
        {
            // Another run removed it while this one did: Docker 20.10 may say so with a 500, "unrecognized image ID".
            if (await InspectImageAsync(imageId, CancellationToken.None) is not null) throw;
        }
    }

    /// <summary>
    /// Removes the dangling images this product built (untagged, labelled <see cref="ResourceLabels.BuiltBy"/>); returns
    /// how many. Working images of a run (labelled <see cref="ResourceLabels.Run"/>) are that run's, and its reaper's.
    /// </summary>
    public async Task<int> RemoveDanglingImagesAsync(CancellationToken cancellationToken = default)
    {
        var images = await Client.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["dangling"] = new Dictionary<string, bool> { ["true"] = true },
                ["label"] = new Dictionary<string, bool> { [ResourceLabels.BuiltBy] = true },
            },
        }, cancellationToken);
        var removable = images.Where(i => i.Labels?.ContainsKey(ResourceLabels.Run) != true).ToList();
        foreach (var image in removable) await RemoveIfUnusedAsync(image.ID, cancellationToken: cancellationToken);
        return removable.Count;
    }

    /// <summary>Creates an image from a root file system tar (the engine's import), such as one debootstrap made.</summary>
    public async Task ImportAsync(Stream rootFileSystemTar, ImageReference reference, IReadOnlyList<string> changes, CancellationToken cancellationToken = default)
    {
        string? error = null;
        await Client.Images.CreateImageAsync(
            new ImagesCreateParameters { FromSrc = "-", Repo = reference.Repository, Tag = reference.Tag ?? "latest", Changes = changes.ToList() },
            rootFileSystemTar, new AuthConfig(), new SyncProgress<JSONMessage>(m => error ??= m.Error?.Message), cancellationToken);
        if (error is not null) throw new ContainerException($"Importing {reference} failed: {error}");
    }
}
