using System.Globalization;
using System.Text.Json.Nodes;

namespace NukeContainers.Rollout;

/// <summary>Runs the rollout step with kubectl: patch, wait, and on failure diagnose, undo and wait again.</summary>
internal static class RolloutStep
{
    public static async Task<StepResult> RunAsync(RolloutSettings settings, StepContext context, CancellationToken cancellationToken)
    {
        var (image, log) = (context.Image, context.Log);
        var reference = image.Digest is { } digest ? $"{image.Repository.Repository}@{digest}"
            : throw new ContainerException($"The rollout step of {image.Repository} needs the pushed image's digest, so that the cluster runs exactly this image: add .Push() before .Rollout(...).");
        var name = settings.Deployment!;
        if (settings.RequireSignedBy is { } signer) await RequireSignatureAsync(image, signer, context.Registries, log, cancellationToken);
        var kubectl = new Kubectl(settings.KubectlPath, settings.Kubeconfig, settings.Context, settings.Namespace);
        var (found, before, getError) = await kubectl.RunWithCodeAsync(["get", "deployment", name, "-o", "json"], cancellationToken);
        if (found != 0 && (settings.Manifests is null || !getError.Contains("NotFound", StringComparison.Ordinal)))
            throw kubectl.Failure(["get", "deployment", name], getError);
        var existing = found == 0 ? JsonNode.Parse(before)! : null;
        IReadOnlyList<string> applied = [];
        var manifestsUnchanged = false;
        if (settings.Manifests is { } manifests)
        {
            var pins = new Dictionary<string, string>(settings.ManifestImages) { [image.Repository.Repository] = reference };
            var result = await Manifests.ApplyAsync(kubectl, manifests, pins, image.Repository.Repository, settings.ShowDiff, log, cancellationToken);
            (applied, manifestsUnchanged) = (result.Objects, result.Unchanged);
        }
        var deployment = existing ?? await kubectl.JsonAsync(["get", "deployment", name], cancellationToken);
        var containers = deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray().OfType<JsonObject>().ToList();
        var container = PickContainer(settings, containers, image.Repository.Repository, name);
        var containerName = container["name"]!.GetValue<string>();
        var previous = existing is null ? null : container["image"]?.GetValue<string>();
        var selector = string.Join(',', deployment["spec"]!["selector"]!["matchLabels"]!.AsObject().Select(l => $"{l.Key}={l.Value}"));
        RolloutResult Result(string status, string? diagnosis = null) => new()
        {
            Image = image, Context = settings.Context, Namespace = settings.Namespace, Deployment = name, Status = status,
            ImageReference = reference, PreviousImage = previous, Diagnosis = diagnosis, Applied = applied,
        };

        // A deployment that already runs this digest (a commit that changed nothing of the image) keeps its pods:
        // patching it would change nothing but the change cause, and wait on a rollout for nothing.
        if (settings.Manifests is null && previous == reference && settings.Requests.Count + settings.Limits.Count == 0
            && (settings.ImagePullPolicy is null || settings.ImagePullPolicy == container["imagePullPolicy"]?.GetValue<string>()))
        {
            log($"deployment/{name} container {containerName} already runs {reference}: left as it is");
            return Result("unchanged");
        }
        // Its manifests are what the cluster has, and it runs this digest: nothing was applied, nothing to wait for.
        if (manifestsUnchanged && previous == reference)
        {
            log($"deployment/{name} container {containerName} already runs {reference} as the manifests say: not applied");
            return Result("unchanged");
        }
        if (settings.Manifests is null)
        {
            var change = new JsonObject { ["name"] = containerName, ["image"] = reference };
            if (settings.ImagePullPolicy is { } policy) change["imagePullPolicy"] = policy;
            if (settings.Requests.Count + settings.Limits.Count > 0)
                change["resources"] = new JsonObject
                {
                    ["requests"] = Quantities(settings.Requests),
                    ["limits"] = Quantities(settings.Limits),
                };
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["kubernetes.io/change-cause"] = $"nukecontainers: {reference} ({string.Join(" ", image.Tags)})" } },
                ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(change) } } },
            };
            log($"Rolling out {reference} to deployment/{name} container {containerName} ({kubectl.Where}); it ran {previous}");
            await kubectl.RunAsync(["patch", "deployment", name, "--type", "strategic", "-p", patch.ToJsonString()], cancellationToken);
        }

        var (ready, waitError) = await WaitAsync(kubectl, name, settings.Timeout, log, cancellationToken);
        if (ready)
        {
            log($"deployment/{name} runs {reference}");
            return Result("succeeded");
        }
        var diagnosis = await DiagnoseAsync(kubectl, selector, reference, containerName, waitError, settings.Timeout, cancellationToken);
        log($"The rollout of deployment/{name} failed: {diagnosis}");
        if (!settings.UndoOnFailure || previous is null)
            throw new RolloutFailedException($"The rollout of {reference} to deployment/{name} failed: {diagnosis}. " +
                (previous is null ? "There was no earlier revision to go back to: the deployment is left as it is." : "It was left as it is (undo is off)."), Result("failed", diagnosis));

        log($"Undoing: kubectl rollout undo deployment/{name}");
        await kubectl.RunAsync(["rollout", "undo", $"deployment/{name}"], cancellationToken);
        var (back, backError) = await WaitAsync(kubectl, name, settings.Timeout, log, cancellationToken);
        var now = (await kubectl.JsonAsync(["get", "deployment", name], cancellationToken))["spec"]!["template"]!["spec"]!["containers"]!.AsArray()
            .OfType<JsonObject>().FirstOrDefault(c => c["name"]!.GetValue<string>() == containerName)?["image"]?.GetValue<string>();
        var restored = back && now == previous;
        throw new RolloutFailedException(
            $"The rollout of {reference} to deployment/{name} failed: {diagnosis}. " +
            (restored ? $"It was undone: deployment/{name} serves {previous} again."
                : $"Undoing it did not bring {previous} back (it runs {now}; {backError.Trim()}): check kubectl rollout status deployment/{name}."),
            Result(restored ? "rolled-back" : "failed", diagnosis));
    }

    /// Fails, before the cluster is asked anything, unless the pushed digest has a signature by the key.
    private static async Task RequireSignatureAsync(PipelineImage image, string keyLocation, Registry.RegistryClients registries, Action<string> log, CancellationToken cancellationToken)
    {
        using var key = Signing.VerificationKey.Load(keyLocation);
        var registry = await registries.ConnectAsync(image.Repository.Registry, cancellationToken: cancellationToken);
        var (verified, reason) = await Signing.CosignSignatures.VerifyAsync(registry, image.Repository.Path, image.Digest!, key, cancellationToken);
        if (!verified)
            throw new ContainerException($"Not rolling out {image.Repository.Repository}@{image.Digest}: a signature by {key} is required and {reason}. " +
                                         "Sign it (SignImages --signing-key, or cosign sign), or roll out without requiring a signature.");
        log($"{image.Repository.Repository}@{image.Digest![..19]} is signed by {key}");
    }

    /// Resource quantities as the container spec writes them; null (left out) when there are none.
    private static JsonObject? Quantities(IReadOnlyDictionary<string, string> quantities) =>
        quantities.Count == 0 ? null : new JsonObject([.. quantities.Select(q => KeyValuePair.Create(q.Key, (JsonNode?)q.Value))]);

    private static JsonObject PickContainer(RolloutSettings settings, List<JsonObject> containers, string repository, string deployment)
    {
        string Names() => string.Join(", ", containers.Select(c => c["name"]!.GetValue<string>()));
        if (settings.Container is { } wanted)
            return containers.FirstOrDefault(c => c["name"]!.GetValue<string>() == wanted)
                   ?? throw new ContainerException($"deployment/{deployment} has no container '{wanted}'. Its containers are: {Names()}.");
        if (containers.Count == 1) return containers[0];
        return containers.FirstOrDefault(c => c["image"]?.GetValue<string>().Split('@')[0].Split(':')[0] == repository)
               ?? throw new ContainerException($"deployment/{deployment} has several containers ({Names()}) and none runs {repository}: name the container to update.");
    }

    /// Waits with kubectl rollout status; Ctrl+C stops the wait (kubectl is stopped) and leaves the cluster as it is.
    private static async Task<(bool Ready, string Error)> WaitAsync(Kubectl kubectl, string name, TimeSpan timeout, Action<string> log, CancellationToken cancellationToken)
    {
        try
        {
            var seconds = ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            var (exitCode, error) = await kubectl.StreamAsync(["rollout", "status", $"deployment/{name}", $"--timeout={seconds}s"], log, cancellationToken);
            return (exitCode == 0, error);
        }
        catch (OperationCanceledException)
        {
            log($"Stopped waiting for deployment/{name}: the cluster is left as kubectl left it, and the rollout goes on there. " +
                $"Check it with kubectl rollout status deployment/{name}, and undo it with kubectl rollout undo deployment/{name} if it is not wanted.");
            throw;
        }
    }

    /// What went wrong, from the pods of the new revision: pull errors, crash loops, scheduling, or readiness.
    private static async Task<string> DiagnoseAsync(Kubectl kubectl, string selector, string reference, string container, string waitError, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pods = (await kubectl.JsonAsync(["get", "pods", "-l", selector], cancellationToken))["items"]!.AsArray().OfType<JsonObject>()
            .Where(p => p["spec"]!["containers"]!.AsArray().Any(c => c!["image"]?.GetValue<string>() == reference)).ToList();
        var said = string.IsNullOrWhiteSpace(waitError) ? "" : $" (kubectl: {Utils.Shell.Tail(waitError, 1).Trim()})";
        if (pods.Count == 0) return $"deadline exceeded: no pod of the new revision started in {timeout.TotalSeconds:0} s{said}";

        static string? Waiting(JsonObject pod) => pod["status"]?["containerStatuses"]?.AsArray().Select(s => s?["state"]?["waiting"]?["reason"]?.GetValue<string>()).FirstOrDefault(r => r is not null);
        static string? Condition(JsonObject pod, string type) => pod["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.GetValue<string>() == type)?["status"]?.GetValue<string>();
        var unschedulable = pods.FirstOrDefault(p => Condition(p, "PodScheduled") == "False");
        var pulling = pods.FirstOrDefault(p => Waiting(p) is "ErrImagePull" or "ImagePullBackOff" or "InvalidImageName");
        var crashing = pods.FirstOrDefault(p => Waiting(p) is "CrashLoopBackOff"
                                                 || p["status"]?["containerStatuses"]?.AsArray().Any(s => s?["restartCount"]?.GetValue<int>() > 0) == true);
        var pod = unschedulable ?? pulling ?? crashing ?? pods[0];
        var podName = pod["metadata"]!["name"]!.GetValue<string>();
        var events = (await kubectl.JsonAsync(["get", "events", "--field-selector", $"involvedObject.name={podName}"], cancellationToken))["items"]!.AsArray()
            .OfType<JsonObject>().Select(e => $"{e["reason"]?.GetValue<string>()}: {e["message"]?.GetValue<string>()?.TrimEnd('.')}").Distinct().TakeLast(3).ToList();
        var eventText = events.Count == 0 ? "" : $"; events: {string.Join(" | ", events)}";
        if (unschedulable is not null)
        {
            var message = pod["status"]!["conditions"]!.AsArray().First(c => c!["type"]!.GetValue<string>() == "PodScheduled")!["message"]?.GetValue<string>();
            return $"unschedulable: pod {podName} cannot be placed on a node ({message}){eventText}";
        }
        if (pulling is not null)
        {
            var message = pod["status"]!["containerStatuses"]!.AsArray().Select(s => s?["state"]?["waiting"]?["message"]?.GetValue<string>()).FirstOrDefault(m => m is not null);
            return $"image pull error: pod {podName} cannot pull {reference} ({Waiting(pod)}: {message}): check that the image was pushed to a registry the cluster can reach, and its pull secret{eventText}";
        }
        if (crashing is not null)
        {
            var restarts = pod["status"]!["containerStatuses"]!.AsArray().Max(s => s?["restartCount"]?.GetValue<int>() ?? 0);
            var logs = await kubectl.RunAsync(["logs", podName, "-c", container, "--tail=10", "--previous"], cancellationToken, check: false);
            if (string.IsNullOrWhiteSpace(logs)) logs = await kubectl.RunAsync(["logs", podName, "-c", container, "--tail=10"], cancellationToken, check: false);
            var lines = Utils.Shell.Tail(logs, 5).Replace('\n', '|');
            return $"crash loop: pod {podName} restarted {restarts} times; its last log lines: {lines}{eventText}";
        }
        var when = waitError.Contains("progress deadline", StringComparison.Ordinal) ? "within the deployment's progress deadline" : $"in {timeout.TotalSeconds:0} s";
        return $"deadline exceeded: pods of the new revision did not become ready {when}{said}{eventText}";
    }
}
