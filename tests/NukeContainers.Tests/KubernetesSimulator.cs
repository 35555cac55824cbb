using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace NukeContainers.Tests;

/// What a pod of an image does in the simulator.
public enum PodBehaviour { BecomesReady, NeverReady, CrashLoops, CannotBePulled, Unschedulable }

/// <summary>
/// A TEST STAND-IN for a Kubernetes API server, which cannot run on this machine: it serves the subset of the API
/// that kubectl uses to set an image, patch a deployment, watch a rollout, undo it and diagnose it (version,
/// discovery, deployments with strategic-merge and JSON patches and watches, replicasets, pods, pod logs, events),
/// with a small deployment controller. A new revision rolls out over about a second; an image that a rule names never
/// becomes ready, crash-loops, cannot be pulled or cannot be scheduled. HTTPS (a certificate made for the run, which
/// the kubeconfig trusts) and bearer token auth, as kubectl sends its token only over TLS. Users point the product at
/// real clusters; this is only what the tests give the real kubectl to talk to.
/// </summary>
public sealed class KubernetesSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;
    private readonly Task _controlling;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _lock = new();
    private readonly Dictionary<string, JsonObject> _deployments = [];
    private readonly Dictionary<string, JsonObject> _replicaSets = [];
    private readonly Dictionary<string, JsonObject> _pods = [];
    private readonly List<JsonObject> _events = [];
    private readonly List<(string Name, Channel<string> Channel)> _watchers = [];
    private long _resourceVersion = 1;

    public string Url { get; }
    public string Token { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
    public string Namespace => "staging";
    public TimeSpan ReadyAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How pods of an image behave; ready unless a rule says otherwise.</summary>
    public Func<string, PodBehaviour> Behaviour { get; set; } = _ => PodBehaviour.BecomesReady;

    /// <summary>The requests kubectl sent (method, path and query), to check what it did.</summary>
    public List<string> Requests { get; } = [];

    public KubernetesSimulator()
    {
        var port = EngineFixture.FreePort();
        Url = $"https://127.0.0.1:{port}";
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=nukecontainers kubernetes simulator", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        _certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port, l => l.UseHttps(_certificate)));
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        _controlling = Task.Run(ControlAsync);
    }

    /// <summary>A kubeconfig with one context, <c>sim</c>, for this server and its token.</summary>
    public string WriteKubeconfig(string folder)
    {
        var path = Path.Combine(folder, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: sim
              cluster:
                server: {Url}
                certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(_certificate.ExportCertificatePem()))}
            users:
            - name: deployer
              user:
                token: {Token}
            contexts:
            - name: sim
              context:
                cluster: sim
                user: deployer
                namespace: default
            current-context: sim
            """);
        return path;
    }

    /// <summary>Creates a deployment of one container (its first revision rolls out as a real one would).</summary>
    public void AddDeployment(string name, string container, string image, int replicas = 2)
    {
        var deployment = new JsonObject
        {
            ["apiVersion"] = "apps/v1", ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Namespace, ["uid"] = Guid.NewGuid().ToString(), ["generation"] = 1, ["annotations"] = new JsonObject(), ["labels"] = new JsonObject { ["app"] = name } },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas, ["progressDeadlineSeconds"] = 3, ["revisionHistoryLimit"] = 10,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
                ["strategy"] = new JsonObject { ["type"] = "RollingUpdate" },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                    ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = container, ["image"] = image }) },
                },
            },
            ["status"] = new JsonObject(),
        };
        lock (_lock) Save(_deployments, deployment);
        Reconcile();
    }

    /// <summary>A deployment as the server holds it now.</summary>
    public JsonObject Deployment(string name)
    {
        lock (_lock) return _deployments[name].DeepClone().AsObject();
    }

    private void Save(Dictionary<string, JsonObject> store, JsonObject item)
    {
        item["metadata"]!["resourceVersion"] = (++_resourceVersion).ToString();
        store[item["metadata"]!["name"]!.GetValue<string>()] = item;
        if (ReferenceEquals(store, _deployments))
            foreach (var (name, channel) in _watchers.Where(w => w.Name == item["metadata"]!["name"]!.GetValue<string>()))
                channel.Writer.TryWrite(new JsonObject { ["type"] = "MODIFIED", ["object"] = item.DeepClone() }.ToJsonString());
    }

    private async Task ControlAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await Task.Delay(150, _stop.Token); } catch (OperationCanceledException) { return; }
            Reconcile();
        }
    }

    /// The deployment controller: one replica set per template, pods for it, status and the progress deadline.
    private void Reconcile()
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var deployment in _deployments.Values.ToList())
            {
                var name = deployment["metadata"]!["name"]!.GetValue<string>();
                var template = deployment["spec"]!["template"]!;
                var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(template.ToJsonString())))[..10];
                var owned = _replicaSets.Values.Where(r => r["metadata"]!["ownerReferences"]![0]!["name"]!.GetValue<string>() == name).ToList();
                var current = owned.FirstOrDefault(r => r["metadata"]!["labels"]!["pod-template-hash"]!.GetValue<string>() == hash);
                var revision = owned.Count == 0 ? 0 : owned.Max(r => int.Parse(r["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.GetValue<string>()));
                var changed = false;
                if (current is null || int.Parse(current["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.GetValue<string>()) != revision)
                {
                    var labels = template["metadata"]!["labels"]!.DeepClone().AsObject();
                    labels["pod-template-hash"] = hash;
                    var templateWithHash = template.DeepClone().AsObject();
                    templateWithHash["metadata"]!["labels"] = labels.DeepClone();
                    current ??= new JsonObject
                    {
                        ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet",
                        ["metadata"] = new JsonObject
                        {
                            ["name"] = $"{name}-{hash}", ["namespace"] = Namespace, ["uid"] = Guid.NewGuid().ToString(), ["labels"] = labels,
                            ["annotations"] = new JsonObject(),
                            ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = name, ["uid"] = deployment["metadata"]!["uid"]!.DeepClone(), ["controller"] = true }),
                            ["creationTimestamp"] = now.ToString("yyyy-MM-ddTHH:mm:ssZ"),
                        },
                        ["spec"] = new JsonObject { ["replicas"] = 0, ["selector"] = new JsonObject { ["matchLabels"] = labels.DeepClone() }, ["template"] = templateWithHash },
                        ["status"] = new JsonObject(),
                    };
                    current["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"] = (revision + 1).ToString();
                    Save(_replicaSets, current);
                    deployment["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"] = (revision + 1).ToString();
                    deployment["metadata"]!["annotations"]!["nukecontainers.simulator/progress"] = now.ToString("O");
                    changed = true;
                }
                var replicas = deployment["spec"]!["replicas"]!.GetValue<int>();
                var currentName = current["metadata"]!["name"]!.GetValue<string>();
                current["spec"]!["replicas"] = replicas;
                var image = template["spec"]!["containers"]![0]!["image"]!.GetValue<string>();
                var newPods = EnsurePods(current, replicas, image, now);
                var newReady = newPods.Count(p => IsReady(p));
                foreach (var old in owned.Where(r => r != current))
                {
                    var keep = newReady >= replicas ? 0 : old["spec"]!["replicas"]!.GetValue<int>();
                    if (old["spec"]!["replicas"]!.GetValue<int>() != keep) { old["spec"]!["replicas"] = keep; Save(_replicaSets, old); }
                    var oldImage = old["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>();
                    EnsurePods(old, keep, oldImage, now);
                }
                var all = _pods.Values.Where(p => owned.Append(current).Any(r => r["metadata"]!["name"]!.GetValue<string>() == p["metadata"]!["ownerReferences"]![0]!["name"]!.GetValue<string>())).ToList();
                var progressSince = DateTimeOffset.Parse(deployment["metadata"]!["annotations"]!["nukecontainers.simulator/progress"]!.GetValue<string>());
                var complete = newReady >= replicas && all.Count == replicas;
                var deadline = deployment["spec"]!["progressDeadlineSeconds"]!.GetValue<int>();
                var timedOut = !complete && now - progressSince > TimeSpan.FromSeconds(deadline);
                var status = new JsonObject
                {
                    ["observedGeneration"] = deployment["metadata"]!["generation"]!.DeepClone(),
                    ["replicas"] = all.Count, ["updatedReplicas"] = newPods.Count, ["readyReplicas"] = all.Count(IsReady),
                    ["availableReplicas"] = all.Count(IsReady), ["unavailableReplicas"] = Math.Max(0, replicas - all.Count(IsReady)),
                    ["conditions"] = new JsonArray(
                        new JsonObject { ["type"] = "Available", ["status"] = all.Count(IsReady) >= replicas ? "True" : "False", ["reason"] = "MinimumReplicasAvailable" },
                        new JsonObject
                        {
                            ["type"] = "Progressing", ["status"] = timedOut ? "False" : "True",
                            ["reason"] = timedOut ? "ProgressDeadlineExceeded" : complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                            ["message"] = timedOut ? $"ReplicaSet \"{currentName}\" has timed out progressing." : $"ReplicaSet \"{currentName}\" is progressing.",
                        }),
                };
                if (changed || status.ToJsonString() != deployment["status"]!.ToJsonString())
                {
                    deployment["status"] = status;
                    Save(_deployments, deployment);
                }
            }
        }
    }

    private static bool IsReady(JsonObject pod) =>
        pod["status"]!["conditions"]!.AsArray().Any(c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "True");

    /// The pods of a replica set: as many as it wants, each with the status its image's behaviour gives it.
    private List<JsonObject> EnsurePods(JsonObject replicaSet, int replicas, string image, DateTimeOffset now)
    {
        var owner = replicaSet["metadata"]!["name"]!.GetValue<string>();
        var pods = _pods.Values.Where(p => p["metadata"]!["ownerReferences"]![0]!["name"]!.GetValue<string>() == owner).ToList();
        foreach (var extra in pods.Skip(replicas).ToList()) { _pods.Remove(extra["metadata"]!["name"]!.GetValue<string>()); pods.Remove(extra); }
        while (pods.Count < replicas)
        {
            var pod = new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "Pod",
                ["metadata"] = new JsonObject
                {
                    ["name"] = $"{owner}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}", ["namespace"] = Namespace,
                    ["labels"] = replicaSet["spec"]!["template"]!["metadata"]!["labels"]!.DeepClone(),
                    ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = owner, ["controller"] = true }),
                    ["creationTimestamp"] = now.ToString("O"),
                },
                ["spec"] = replicaSet["spec"]!["template"]!["spec"]!.DeepClone(),
                ["status"] = new JsonObject { ["phase"] = "Pending", ["conditions"] = new JsonArray() },
            };
            pods.Add(pod);
            Save(_pods, pod);
        }
        foreach (var pod in pods)
        {
            var age = now - DateTimeOffset.Parse(pod["metadata"]!["creationTimestamp"]!.GetValue<string>());
            var name = pod["metadata"]!["name"]!.GetValue<string>();
            var container = pod["spec"]!["containers"]![0]!["name"]!.GetValue<string>();
            var behaviour = Behaviour(image);
            var started = age >= ReadyAfter;
            (string Phase, bool Scheduled, bool Ready, JsonObject State, int Restarts) s = behaviour switch
            {
                PodBehaviour.Unschedulable => ("Pending", false, false, new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } }, 0),
                PodBehaviour.CannotBePulled => ("Pending", true, false, new JsonObject { ["waiting"] = new JsonObject { ["reason"] = started ? "ImagePullBackOff" : "ErrImagePull", ["message"] = $"Back-off pulling image \"{image}\"" } }, 0),
                PodBehaviour.CrashLoops => ("Running", true, false, new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "CrashLoopBackOff", ["message"] = $"back-off 10s restarting failed container={container} pod={name}" } }, 1 + (int)(age.TotalSeconds / 1)),
                PodBehaviour.NeverReady => ("Running", true, false, new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now.ToString("O") } }, 0),
                _ => (started ? "Running" : "Pending", true, started, started ? new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now.ToString("O") } } : new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } }, 0),
            };
            pod["status"] = new JsonObject
            {
                ["phase"] = s.Phase,
                ["conditions"] = new JsonArray(
                    new JsonObject { ["type"] = "PodScheduled", ["status"] = s.Scheduled ? "True" : "False", ["reason"] = s.Scheduled ? null : "Unschedulable", ["message"] = s.Scheduled ? null : "0/3 nodes are available: 3 Insufficient cpu." },
                    new JsonObject { ["type"] = "Ready", ["status"] = s.Ready ? "True" : "False" }),
                ["containerStatuses"] = s.Scheduled ? new JsonArray(new JsonObject { ["name"] = container, ["image"] = image, ["ready"] = s.Ready, ["restartCount"] = s.Restarts, ["state"] = s.State }) : new JsonArray(),
            };
            var reason = behaviour switch
            {
                PodBehaviour.CannotBePulled => ("Failed", $"Failed to pull image \"{image}\": rpc error: code = NotFound desc = manifest unknown"),
                PodBehaviour.CrashLoops => ("BackOff", "Back-off restarting failed container"),
                PodBehaviour.Unschedulable => ("FailedScheduling", "0/3 nodes are available: 3 Insufficient cpu."),
                PodBehaviour.NeverReady when started => ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
                _ => default,
            };
            if (reason != default && !_events.Any(e => e["involvedObject"]!["name"]!.GetValue<string>() == name && e["reason"]!.GetValue<string>() == reason.Item1))
                _events.Add(new JsonObject
                {
                    ["apiVersion"] = "v1", ["kind"] = "Event",
                    ["metadata"] = new JsonObject { ["name"] = $"{name}.{_events.Count}", ["namespace"] = Namespace },
                    ["involvedObject"] = new JsonObject { ["kind"] = "Pod", ["name"] = name, ["namespace"] = Namespace },
                    ["reason"] = reason.Item1, ["message"] = reason.Item2, ["type"] = "Warning", ["count"] = 1,
                    ["lastTimestamp"] = now.ToString("yyyy-MM-ddTHH:mm:ssZ"),
                });
        }
        return pods;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value!.TrimEnd('/');
        lock (Requests) Requests.Add($"{request.Method} {path}{request.QueryString}");
        if (request.Headers.Authorization.ToString() != $"Bearer {Token}")
        {
            await JsonAsync(context.Response, 401, Status(401, "Unauthorized", "Unauthorized"));
            return;
        }
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        var query = System.Web.HttpUtility.ParseQueryString(request.QueryString.Value ?? "");
        var (code, result) = Route(request.Method, path, query, body, request.ContentType ?? "");
        if (code == 0) await WatchAsync(context, result!["name"]!.GetValue<string>());
        else if (code == -1)
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(result!["log"]!.GetValue<string>());
        }
        else await JsonAsync(context.Response, code, result!);
    }

    private (int Code, JsonNode? Result) Route(string method, string path, System.Collections.Specialized.NameValueCollection query, string body, string contentType)
    {
        switch (path)
        {
            // OpenAPI v3, just enough for kubectl to see that PATCH of a deployment takes fieldValidation, so that it
            // leaves validation to the server (as against a real one) instead of fetching the whole schema.
            case "/openapi/v3": return (200, new JsonObject { ["paths"] = new JsonObject { ["apis/apps/v1"] = new JsonObject { ["serverRelativeURL"] = "/openapi/v3/apis/apps/v1?hash=1" } } });
            case "/openapi/v3/apis/apps/v1":
                return (200, new JsonObject
                {
                    ["openapi"] = "3.0.0", ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
                    ["paths"] = new JsonObject
                    {
                        ["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"] = new JsonObject
                        {
                            ["patch"] = new JsonObject
                            {
                                ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["kind"] = "Deployment" },
                                ["parameters"] = new JsonArray(
                                    new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                                    new JsonObject { ["name"] = "dryRun", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } }),
                                ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                            },
                        },
                    },
                });
            case "/version": return (200, new JsonObject { ["major"] = "1", ["minor"] = "32", ["gitVersion"] = "v1.32.0-nukecontainers-simulator", ["platform"] = "linux/amd64" });
            case "/api": return (200, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"), ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1" }) });
            case "/apis":
                return (200, new JsonObject
                {
                    ["kind"] = "APIGroupList", ["apiVersion"] = "v1",
                    ["groups"] = new JsonArray(new JsonObject { ["name"] = "apps", ["versions"] = new JsonArray(new JsonObject { ["groupVersion"] = "apps/v1", ["version"] = "v1" }), ["preferredVersion"] = new JsonObject { ["groupVersion"] = "apps/v1", ["version"] = "v1" } }),
                });
            case "/api/v1": return (200, Resources("v1", ("pods", "Pod", true), ("pods/log", "Pod", true), ("events", "Event", true), ("namespaces", "Namespace", false)));
            case "/apis/apps/v1": return (200, Resources("apps/v1", ("deployments", "Deployment", true), ("replicasets", "ReplicaSet", true)));
        }
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // /api/v1/namespaces/NS/pods[/NAME[/log]] or /apis/apps/v1/namespaces/NS/deployments[/NAME]
        var offset = parts[0] == "api" ? 2 : 3;
        if (parts.Length < offset + 3 || parts[offset] != "namespaces") return (404, Status(404, "NotFound", $"the server could not find the requested resource ({path})"));
        var ns = parts[offset + 1];
        var resource = parts[offset + 2];
        var name = parts.Length > offset + 3 ? parts[offset + 3] : null;
        lock (_lock)
        {
            if (ns != Namespace && name is not null) return (404, Status(404, "NotFound", $"namespaces \"{ns}\" not found"));
            var store = resource switch { "deployments" => _deployments, "replicasets" => _replicaSets, "pods" => _pods, _ => null };
            if (resource == "events")
                return (200, List("EventList", _events.Where(e => Matches(e, query["fieldSelector"]))));
            if (store is null) return (404, Status(404, "NotFound", $"the server could not find the requested resource ({resource})"));
            if (name is null)
            {
                if (query["watch"] is "true" or "1") return (0, new JsonObject { ["name"] = (query["fieldSelector"] ?? "").Replace("metadata.name=", "") });
                var kind = resource switch { "deployments" => "DeploymentList", "replicasets" => "ReplicaSetList", _ => "PodList" };
                return (200, List(kind, store.Values.Where(i => ns == Namespace && Matches(i, query["fieldSelector"]) && Selects(i, query["labelSelector"]))));
            }
            if (method == "PATCH" && resource == "deployments" && contentType.StartsWith("application/apply-patch", StringComparison.Ordinal))
                return ServerSideApply(name, JsonNode.Parse(body)!.AsObject(), query["dryRun"] == "All");
            if (!store.TryGetValue(name, out var item))
                return (404, Status(404, "NotFound", $"{resource}.{(resource == "pods" ? "" : "apps")} \"{name}\" not found".Replace(". \"", " \"")));
            if (parts.Length > offset + 4 && parts[offset + 4] == "log")
                return (-1, new JsonObject { ["log"] = Behaviour(item["spec"]!["containers"]![0]!["image"]!.GetValue<string>()) == PodBehaviour.CrashLoops
                    ? "starting go-api\nreading config /etc/app/config.yaml\npanic: open /etc/app/config.yaml: no such file or directory\n" : "listening on :8080\n" });
            if (method == "PATCH" && resource == "deployments")
            {
                var patch = JsonNode.Parse(body)!;
                if (contentType.StartsWith("application/json-patch+json", StringComparison.Ordinal))
                    foreach (var op in patch.AsArray())
                    {
                        var target = op!["path"]!.GetValue<string>().Split('/', StringSplitOptions.RemoveEmptyEntries);
                        var parent = target[..^1].Aggregate((JsonNode)item, (node, key) => node[key]!);
                        parent[target[^1]] = op["value"]!.DeepClone();
                    }
                else StrategicMerge(item, patch.AsObject());
                item["metadata"]!["generation"] = item["metadata"]!["generation"]!.GetValue<int>() + 1;
                Save(_deployments, item);
            }
            return (200, item.DeepClone());
        }
    }

    /// Server-side apply of a deployment, as far as these tests need it: the applied spec replaces the live one (a
    /// real server merges by field manager), labels and annotations merge, a new one is created with a short progress
    /// deadline; a dry run changes nothing and answers what would be.
    private (int, JsonNode?) ServerSideApply(string name, JsonObject applied, bool dryRun)
    {
        var exists = _deployments.TryGetValue(name, out var live);
        var result = exists ? live!.DeepClone().AsObject() : new JsonObject
        {
            ["apiVersion"] = "apps/v1", ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Namespace, ["uid"] = Guid.NewGuid().ToString(), ["generation"] = 0, ["annotations"] = new JsonObject(), ["labels"] = new JsonObject() },
            ["status"] = new JsonObject(),
        };
        foreach (var part in new[] { "labels", "annotations" })
            foreach (var (key, value) in applied["metadata"]?[part]?.AsObject() ?? new JsonObject())
                result["metadata"]![part]![key] = value?.DeepClone();
        var spec = applied["spec"]!.DeepClone().AsObject();
        spec["replicas"] ??= 1;
        spec["progressDeadlineSeconds"] ??= 3;
        if (result["spec"]?.ToJsonString() != spec.ToJsonString())
        {
            result["spec"] = spec;
            result["metadata"]!["generation"] = result["metadata"]!["generation"]!.GetValue<int>() + 1;
        }
        if (!dryRun) Save(_deployments, result);
        return (exists ? 200 : 201, result.DeepClone());
    }

    /// A strategic merge patch as kubectl sends them here: maps merge, containers merge by name, other lists replace.
    private static void StrategicMerge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is JsonObject map && target[key] is JsonObject existing) StrategicMerge(existing, map);
            else if (value is JsonArray list && key is "containers" && target[key] is JsonArray containers)
                foreach (var entry in list.OfType<JsonObject>())
                {
                    var match = containers.OfType<JsonObject>().FirstOrDefault(c => c["name"]!.GetValue<string>() == entry["name"]!.GetValue<string>());
                    if (match is null) containers.Add(entry.DeepClone());
                    else StrategicMerge(match, entry);
                }
            else if (value is null) target.Remove(key);
            else target[key] = value.DeepClone();
        }
    }

    private static bool Matches(JsonObject item, string? fieldSelector)
    {
        if (string.IsNullOrEmpty(fieldSelector)) return true;
        foreach (var term in fieldSelector.Split(','))
        {
            var (field, value) = (term.Split('=')[0], term.Split('=').Last());
            var actual = field.Split('.').Aggregate((JsonNode?)item, (node, key) => node?[key])?.GetValue<string>();
            if (actual != value) return false;
        }
        return true;
    }

    private static bool Selects(JsonObject item, string? labelSelector)
    {
        if (string.IsNullOrEmpty(labelSelector)) return true;
        var labels = item["metadata"]!["labels"] as JsonObject;
        return labelSelector.Split(',').All(term => term.Split('=') is [var key, var value] && labels?[key]?.GetValue<string>() == value);
    }

    private JsonObject List(string kind, IEnumerable<JsonObject> items) => new()
    {
        ["apiVersion"] = kind is "EventList" or "PodList" ? "v1" : "apps/v1", ["kind"] = kind,
        ["metadata"] = new JsonObject { ["resourceVersion"] = _resourceVersion.ToString() },
        ["items"] = new JsonArray([.. items.Select(i => (JsonNode)i.DeepClone())]),
    };

    private static JsonObject Resources(string groupVersion, params (string Name, string Kind, bool Namespaced)[] resources) => new()
    {
        ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = groupVersion,
        ["resources"] = new JsonArray([.. resources.Select(r => (JsonNode)new JsonObject
        {
            ["name"] = r.Name, ["singularName"] = r.Name.TrimEnd('s'), ["namespaced"] = r.Namespaced, ["kind"] = r.Kind,
            ["verbs"] = new JsonArray("get", "list", "watch", "patch", "update"),
        })]),
    };

    private static JsonObject Status(int code, string reason, string message) => new()
    {
        ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["message"] = message, ["reason"] = reason, ["code"] = code,
    };

    private static Task JsonAsync(HttpResponse response, int code, JsonNode body)
    {
        response.StatusCode = code;
        response.ContentType = "application/json";
        return response.WriteAsync(body.ToJsonString());
    }

    /// A watch of one deployment: its current state, then each change, one JSON event a line, until kubectl hangs up.
    private async Task WatchAsync(HttpContext context, string name)
    {
        var channel = Channel.CreateUnbounded<string>();
        lock (_lock)
        {
            _watchers.Add((name, channel));
            if (_deployments.TryGetValue(name, out var current))
                channel.Writer.TryWrite(new JsonObject { ["type"] = "ADDED", ["object"] = current.DeepClone() }.ToJsonString());
        }
        context.Response.ContentType = "application/json";
        using var both = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, context.RequestAborted);
        try
        {
            await foreach (var line in channel.Reader.ReadAllAsync(both.Token))
            {
                await context.Response.WriteAsync(line + "\n", both.Token);
                await context.Response.Body.FlushAsync(both.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException) { }
        finally
        {
            lock (_lock) _watchers.RemoveAll(w => w.Channel == channel);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5))) await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        await _controlling.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _certificate.Dispose();
    }
}
