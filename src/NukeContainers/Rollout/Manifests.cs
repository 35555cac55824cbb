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
    /// <summary>What applying did: the rendered manifests, the diff (when asked) and the objects kubectl applied.</summary>
    public sealed record Applied(string Rendered, string? Diff, IReadOnlyList<string> Objects, IReadOnlyList<string> Substituted);

    /// <summary>
    /// Replaces, in YAML documents, every <c>image:</c> of a repository that <paramref name="images"/> names (by its
    /// repository, with or without a tag or digest) with the reference it maps to; returns the text and what changed.
    /// </summary>
    public static (string Text, IReadOnlyList<string> Substituted) Substitute(string yaml, IReadOnlyDictionary<string, string> images, string source)
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
        void Visit(YamlNode node)
        {
            switch (node)
            {
                case YamlMappingNode map:
                    foreach (var (key, value) in map.Children.ToList())
                    {
                        if (key is YamlScalarNode { Value: "image" } && value is YamlScalarNode { Value: { } reference }
                            && images.TryGetValue(Repository(reference), out var pinned) && reference != pinned)
                        {
                            map.Children[key] = new YamlScalarNode(pinned);
                            substituted.Add($"{reference} -> {pinned}");
                        }
                        else Visit(value);
                    }
                    break;
                case YamlSequenceNode list:
                    foreach (var item in list.Children) Visit(item);
                    break;
            }
        }
        foreach (var document in stream.Documents) Visit(document.RootNode);
        var text = new StringBuilder();
        foreach (var document in stream.Documents)
        {
            var writer = new StringWriter();
            new YamlStream(document).Save(writer, assignAnchors: false);
            text.Append(writer.ToString().TrimEnd().TrimEnd('.').TrimEnd()).Append("\n---\n");
        }
        return (text.ToString(), substituted);
    }

    /// A reference without its tag or digest: registry.example.com:5000/team/api:1.2@sha256:... is registry.example.com:5000/team/api.
    private static string Repository(string reference)
    {
        var name = reference.Split('@')[0];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        return colon > slash ? name[..colon] : name;
    }

    /// <summary>Renders, substitutes, dry-runs server-side, diffs when asked, and applies the manifests at <paramref name="path"/>.</summary>
    internal static async Task<Applied> ApplyAsync(Kubectl kubectl, string path, IReadOnlyDictionary<string, string> images, bool diff, Action<string> log, CancellationToken cancellationToken)
    {
        string yaml;
        if (Directory.Exists(path) && new[] { "kustomization.yaml", "kustomization.yml", "Kustomization" }.Any(k => File.Exists(Path.Combine(path, k))))
            yaml = await kubectl.RunAsync(["kustomize", path], cancellationToken);
        else if (Directory.Exists(path))
            yaml = string.Join("\n---\n", Directory.EnumerateFiles(path).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).Select(File.ReadAllText));
        else if (File.Exists(path)) yaml = await File.ReadAllTextAsync(path, cancellationToken);
        else throw new ContainerException($"There are no manifests at {path}: give a folder of YAML files, a kustomization folder, or a file.");

        var (rendered, substituted) = Substitute(yaml, images, path);
        foreach (var change in substituted) log($"Manifest image {change}");
        using var folder = new Utils.TemporaryFolder("nukecontainers-manifests-");
        var file = Path.Combine(folder.Path, "manifests.yaml");
        await File.WriteAllTextAsync(file, rendered, cancellationToken);
        var dryRun = await kubectl.RunAsync(["apply", "--server-side", "--field-manager=nukecontainers", "--dry-run=server", "-f", file], cancellationToken);
        log($"Server-side dry run: {dryRun.Trim().Replace('\n', ';')}");
        string? difference = null;
        if (diff)
        {
            // kubectl diff exits 1 when there are differences, and more when it fails.
            var (exitCode, output, error) = await kubectl.RunWithCodeAsync(["diff", "--server-side", "--field-manager=nukecontainers", "-f", file], cancellationToken);
            if (exitCode > 1) throw kubectl.Failure(["diff", "-f", path], error);
            difference = output;
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries)) log(line);
        }
        var applied = await kubectl.RunAsync(["apply", "--server-side", "--field-manager=nukecontainers", "-f", file], cancellationToken);
        var objects = applied.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToList();
        foreach (var line in objects) log(line);
        return new Applied(rendered, difference, objects, substituted);
    }
}
