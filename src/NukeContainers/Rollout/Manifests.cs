using System.Text;
using YamlDotNet.RepresentationModel;

namespace NukeContainers.Rollout;

/// <summary>
/// A team's Kubernetes manifests, rendered (a folder of YAML files, or a kustomization through <c>kubectl kustomize</c>)
/// with each declared image's reference replaced by its pushed digest reference, then applied server-side: a
/// server-side dry run first (the API server checks every object, nothing changes), the diff when asked, then the apply.
/// </summary>
public static class Manifests
{
    /// <summary>
    /// What applying did: the rendered manifests (those it applied), the diff (when asked) and the objects kubectl
    /// applied; none when the cluster already had them (<see cref="Unchanged"/>).
    /// </summary>
    public sealed record Applied(string Rendered, string? Diff, IReadOnlyList<string> Objects, IReadOnlyList<string> Substituted)
    {
        /// <summary>True when the server-side diff found nothing to change: nothing was applied.</summary>
        public bool Unchanged { get; init; }
    }

    /// <summary>
    /// Replaces, in YAML documents, every <c>image:</c> of a repository that <paramref name="images"/> names (by its
    /// repository, with or without a tag or digest) with the reference it maps to; returns the text and what changed.
    /// </summary>
    public static (string Text, IReadOnlyList<string> Substituted) Substitute(string yaml, IReadOnlyDictionary<string, string> images, string source)
    {
        var (text, substituted, _, _) = Render(yaml, images, source, only: null);
        return (text, substituted);
    }

    /// <summary>
    /// <see cref="Substitute"/>, keeping with <paramref name="only"/> (a repository) the documents that run it and those
    /// that run none of <paramref name="images"/> (a Service, a ConfigMap, a deployment of a third party's image), and
    /// leaving out those that are other images' to roll out: one image's rollout applies its own objects alone.
    /// </summary>
    internal static (string Text, IReadOnlyList<string> Substituted, int Kept, int LeftOut) Render(string yaml, IReadOnlyDictionary<string, string> images, string source, string? only)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ContainerException($"{source}:{e.Start.Line}: not valid YAML ({e.Message}). Fix the manifest: kubectl would refuse it too.");
        }
        var substituted = new List<string>();
        void Visit(YamlNode node, HashSet<string> runs)
        {
            switch (node)
            {
                case YamlMappingNode map:
                    foreach (var (key, value) in map.Children.ToList())
                    {
                        if (key is YamlScalarNode { Value: "image" } && value is YamlScalarNode { Value: { } reference } && images.TryGetValue(Repository(reference), out var pinned))
                        {
                            runs.Add(Repository(reference));
                            if (reference == pinned) continue;
                            map.Children[key] = new YamlScalarNode(pinned);
                            substituted.Add($"{reference} -> {pinned}");
                        }
                        else Visit(value, runs);
                    }
                    break;
                case YamlSequenceNode list:
                    foreach (var item in list.Children) Visit(item, runs);
                    break;
            }
        }
        var kept = new List<YamlDocument>();
        foreach (var document in stream.Documents)
        {
            var runs = new HashSet<string>(StringComparer.Ordinal);
            Visit(document.RootNode, runs);
            if (only is null || runs.Count == 0 || runs.Contains(only)) kept.Add(document);
        }
        var text = new StringBuilder();
        foreach (var document in kept)
        {
            var writer = new StringWriter();
            new YamlStream(document).Save(writer, assignAnchors: false);
            text.Append(writer.ToString().TrimEnd().TrimEnd('.').TrimEnd()).Append("\n---\n");
        }
        return (text.ToString(), substituted, kept.Count, stream.Documents.Count - kept.Count);
    }

    /// A reference without its tag or digest: registry.example.com:5000/team/api:1.2@sha256:... is registry.example.com:5000/team/api.
    private static string Repository(string reference)
    {
        var name = reference.Split('@')[0];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        return colon > slash ? name[..colon] : name;
    }

    /// <summary>
    /// Renders and substitutes the manifests at <paramref name="path"/>, keeps <paramref name="only"/>'s documents (and
    /// those of no image of the run), diffs them server-side (a dry run: the API server checks every object, nothing
    /// changes) and applies them only when the cluster's differ. With many deployments in one folder, each image's
    /// rollout touches its own, and one that changed nothing touches nothing.
    /// </summary>
    internal static async Task<Applied> ApplyAsync(Kubectl kubectl, string path, IReadOnlyDictionary<string, string> images, string? only, bool diff, Action<string> log,
        CancellationToken cancellationToken)
    {
        string yaml;
        if (Directory.Exists(path) && new[] { "kustomization.yaml", "kustomization.yml", "Kustomization" }.Any(k => File.Exists(Path.Combine(path, k))))
            yaml = await kubectl.RunAsync(["kustomize", path], cancellationToken);
        else if (Directory.Exists(path))
            yaml = string.Join("\n---\n", Directory.EnumerateFiles(path).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).Select(File.ReadAllText));
        else if (File.Exists(path)) yaml = await File.ReadAllTextAsync(path, cancellationToken);
        else throw new ContainerException($"There are no manifests at {path}: give a folder of YAML files, a kustomization folder, or a file.");

        var (rendered, substituted, kept, leftOut) = Render(yaml, images, path, only);
        if (leftOut > 0) log($"{kept} of {kept + leftOut} manifest documents run {only} or no image of this run: the others are their own images' to apply");
        if (kept == 0) return new Applied(rendered, null, [], substituted) { Unchanged = true };
        foreach (var change in substituted) log($"Manifest image {change}");
        using var folder = new Utils.TemporaryFolder("nukecontainers-manifests-");
        var file = Path.Combine(folder.Path, "manifests.yaml");
        await File.WriteAllTextAsync(file, rendered, cancellationToken);
        // The server-side diff is the dry run: kubectl diff exits 0 when nothing would change, 1 when something would, and more when it fails.
        var (exitCode, output, error) = await kubectl.RunWithCodeAsync(["diff", "--server-side", "--field-manager=nukecontainers", "-f", file], cancellationToken);
        if (exitCode > 1) throw kubectl.Failure(["diff", "--server-side", "-f", path], error);
        if (exitCode == 0)
        {
            log($"Server-side dry run: the cluster already has these {kept} objects as the manifests say: nothing to apply");
            return new Applied(rendered, diff ? "" : null, [], substituted) { Unchanged = true };
        }
        log($"Server-side dry run: {kept} objects checked, some differ");
        string? difference = null;
        if (diff)
        {
            difference = output;
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries)) log(line);
        }
        var applied = await kubectl.RunAsync(["apply", "--server-side", "--field-manager=nukecontainers", "-f", file], cancellationToken);
        var objects = applied.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToList();
        foreach (var line in objects) log(line);
        return new Applied(rendered, difference, objects, substituted);
    }
}
