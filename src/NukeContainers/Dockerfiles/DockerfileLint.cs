using System.Text.RegularExpressions;
using NukeContainers.Scanning;
using YamlDotNet.RepresentationModel;

namespace NukeContainers.Dockerfiles;

/// <summary>
/// The practices as lint rules, with hadolint's ids where the meaning is the same (so users recognise them) and
/// <c>NCL</c> ids for the ones hadolint has not: pinned base tags, apt-get and pip hygiene, <c>npm ci</c>, manifests
/// before sources, COPY over ADD, JSON CMD and ENTRYPOINT, a non-root last USER, a <c>.dockerignore</c>, consecutive
/// RUNs, secrets in ARG and ENV, <c>pipefail</c>. <c># hadolint ignore=DL3006,DL3008</c> above an instruction, or
/// <c># hadolint global ignore=...</c> anywhere, silences rules; so does a <c>.hadolint.yaml</c> (<c>ignored:</c>,
/// <c>override:</c>).
/// </summary>
public static partial class DockerfileLint
{
    /// <summary>A rule: its id, hadolint's level (error, warning, info, style) and what it says.</summary>
    public sealed record Rule(string Id, string Level, string Message);

    /// <summary>Every rule.</summary>
    public static IReadOnlyList<Rule> Rules { get; } =
    [
        new("DL3006", "warning", "Always tag the version of an image explicitly"),
        new("DL3007", "warning", "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag"),
        new("DL3014", "warning", "Use the -y switch to avoid manual input `apt-get -y install <package>`"),
        new("DL3015", "info", "Avoid additional packages by specifying `--no-install-recommends`"),
        new("DL3009", "info", "Delete the apt lists (/var/lib/apt/lists) after installing something: rm -rf /var/lib/apt/lists/* in the RUN that runs apt-get update"),
        new("NCL001", "warning", "Use `npm ci` (the lock file, a clean install) instead of `npm install`"),
        new("DL3042", "warning", "Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`"),
        new("NCL002", "warning", "Copy the dependency manifests and install before copying the sources: every source change reruns this install"),
        new("DL3020", "error", "Use COPY instead of ADD for files and folders"),
        new("DL3025", "warning", "Use arguments JSON notation for CMD and ENTRYPOINT arguments"),
        new("DL3002", "warning", "Last USER should not be root"),
        new("NCL003", "warning", "There is no .dockerignore in the context: everything in it is sent to the engine, and COPY . takes it all"),
        new("DL3059", "info", "Multiple consecutive `RUN` instructions. Consider consolidation"),
        new("NCL004", "error", "A secret in ARG or ENV stays in the image's history or config: use a build secret (RUN --mount=type=secret)"),
        new("DL4006", "warning", "Set the SHELL option -o pipefail before RUN with a pipe in it"),
        new("DL3024", "error", "FROM aliases (stage names) must be unique"),
        new("DL3008", "warning", "Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`"),
        new("DL3013", "warning", "Pin versions in pip. Instead of `pip install <package>` use `pip install <package>==<version>` or `pip install --requirement <requirements file>`"),
        new("DL3016", "warning", "Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`"),
        new("DL3018", "warning", "Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`"),
        new("DL3019", "info", "Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages"),
        new("DL3027", "warning", "Do not use apt as it is meant to be an end-user tool, use apt-get or apt-cache instead"),
        new("DL3047", "info", "Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`, or `-q` / `-nv`"),
        new("DL4001", "warning", "Either use Wget or Curl but not both"),
        new("DL3003", "warning", "Use WORKDIR to switch to a directory"),
        new("DL3004", "error", "Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root"),
        new("DL3000", "error", "Use absolute WORKDIR"),
        new("DL3011", "error", "Valid UNIX ports range from 0 to 65535"),
        new("DL4000", "error", "MAINTAINER is deprecated"),
        new("DL3045", "warning", "`COPY` to a relative destination without `WORKDIR` set"),
    ];

    /// <summary>Lints a Dockerfile; <paramref name="contextDirectory"/> (for the .dockerignore check) and the config file are optional.</summary>
    public static IReadOnlyList<Finding> Lint(string dockerfilePath, string? contextDirectory = null, string? configFile = null, DockerfileSyntax? syntax = null)
    {
        var text = File.ReadAllText(dockerfilePath);
        // Read as the engine reads it, but for what the rules report themselves (ports, DL3011), and without the build's
        // arguments (a FROM of an ARG without a default keeps its text).
        var dockerfile = DockerfileParser.Parse(text, dockerfilePath, null, (syntax ?? DockerfileSyntax.Any) with { ChecksPorts = false }, unsetBaseAllowed: true);
        var (ignored, levels, pragmas) = configFile is not null && File.Exists(configFile) ? LoadConfig(configFile) : ([], new Dictionary<string, string>(), true);
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var global = pragmas ? lines.SelectMany(l => PragmaIds(l, global: true)).ToHashSet() : [];
        var found = new List<(string Id, int Line, string? Detail)>();
        Check(dockerfile, contextDirectory, found);
        return found
            .Where(f => !ignored.Contains(f.Id) && !global.Contains(f.Id) && !(pragmas && f.Line >= 2 && PragmaIds(lines[f.Line - 2], global: false).Contains(f.Id)))
            .Select(f =>
            {
                var rule = Rules.First(r => r.Id == f.Id);
                var level = levels.GetValueOrDefault(f.Id, rule.Level);
                return new Finding(f.Id, FindingKind.Lint, Severity(level), f.Detail is null ? rule.Message : $"{rule.Message} ({f.Detail})",
                    $"{Shown(dockerfilePath)}:{f.Line}", Source: "lint", Line: f.Line);
            })
            .OrderBy(f => f.Line).ThenBy(f => f.Id, StringComparer.Ordinal).ToList();
    }

    /// A path as reports show it: relative to the current folder when it is under it.
    internal static string Shown(string path)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), Path.GetFullPath(path));
        return (relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFullPath(path) : relative).Replace('\\', '/');
    }

    private static Severity Severity(string level) => level switch
    {
        "error" => Scanning.Severity.High,
        "warning" => Scanning.Severity.Medium,
        _ => Scanning.Severity.Low,
    };

    /// <summary>
    /// The rule ids a comment line's ignore pragma names, as hadolint's pragma parser reads it: <c># hadolint ignore=A,B</c>
    /// (<c>global ignore</c> for the whole file), spaces allowed around '=' and ',', and a comment after it
    /// (<c># hadolint ignore=DL3002 # why</c>). A name that is no rule id (<c>crazy</c>) voids the whole pragma. An
    /// inline one covers the line right below it only.
    /// </summary>
    private static IEnumerable<string> PragmaIds(string line, bool global) =>
        Pragma().Match(line.Trim()) is { Success: true } match && match.Groups[1].Success == global
            ? match.Groups[2].Value.Split(',').Select(id => id.Trim())
            : [];

    private static (HashSet<string> Ignored, Dictionary<string, string> Levels, bool Pragmas) LoadConfig(string path)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            try { yaml.Load(reader); }
            catch (YamlDotNet.Core.YamlException e) { throw new ContainerException($"{path}:{e.Start.Line}: not valid YAML ({e.Message}). hadolint reads the same file."); }
        }
        var ignored = new HashSet<string>();
        var levels = new Dictionary<string, string>();
        // hadolint refuses an empty configuration file ("empty YAML stream"), and so does this.
        if (yaml.Documents.Count == 0)
            throw new ContainerException($"{path} is empty, and hadolint refuses an empty configuration file (\"empty YAML stream\"): give a setting (such as ignored: [DL3008]) or remove the file.");
        if (yaml.Documents[0].RootNode is not YamlMappingNode root) return (ignored, levels, true);
        // disable-ignore-pragma: true leaves out every "# hadolint ignore=" comment, as hadolint --disable-ignore-pragma does.
        var pragmas = !(root.Children.TryGetValue(new YamlScalarNode("disable-ignore-pragma"), out var disable) && disable is YamlScalarNode { Value: "true" });
        if (root.Children.TryGetValue(new YamlScalarNode("ignored"), out var list) && list is YamlSequenceNode ids)
            foreach (var id in ids.OfType<YamlScalarNode>()) ignored.Add(id.Value!);
        if (root.Children.TryGetValue(new YamlScalarNode("override"), out var overrides) && overrides is YamlMappingNode map)
            foreach (var (level, rules) in map.Children)
                foreach (var id in (rules as YamlSequenceNode)?.OfType<YamlScalarNode>() ?? [])
                    levels[id.Value!] = ((YamlScalarNode)level).Value!;
        return (ignored, levels, pragmas);
    }

    private static void Check(Dockerfile dockerfile, string? contextDirectory, List<(string, int, string?)> found)
    {
        CheckHadolint(dockerfile, found);
        var stageNames = dockerfile.Stages.Select(s => s.Name).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var arg in dockerfile.GlobalArgs) SecretArg(arg, found);
        foreach (var stage in dockerfile.Stages)
        {
            var image = stage.BaseImage;
            if (!stageNames.Contains(image) && image != "scratch" && !image.Contains('@')
                && image.LastIndexOf(':') > image.LastIndexOf('/') && image[(image.LastIndexOf(':') + 1)..] == "latest")
                found.Add(("DL3007", stage.From.Line, image));
            var sourcesCopied = 0;
            var installedBeforeSources = false;
            foreach (var instruction in stage.Instructions)
            {
                var args = instruction.Arguments;
                switch (instruction.Keyword)
                {
                    case "RUN":
                        var command = Regex.Replace(args, @"^(--\S+\s+)*", "");
                        if (NpmInstall().IsMatch(command)) found.Add(("NCL001", instruction.Line, null));
                        // An explicit install after the sources, or a build that restores by itself when nothing installed before them.
                        var install = DependencyInstall().Match(command);
                        var implicitInstall = install.Success ? install : ImplicitInstall().Match(command);
                        if (sourcesCopied > 0 && (install.Success || (implicitInstall.Success && !installedBeforeSources)))
                            found.Add(("NCL002", instruction.Line, $"'{implicitInstall.Value.Trim()}' after the COPY at line {sourcesCopied}"));
                        if (install.Success && sourcesCopied == 0) installedBeforeSources = true;
                        break;
                    case "COPY" or "ADD":
                        var sources = Regex.Replace(args, @"^(--\S+\s+)*", "").Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).SkipLast(1).ToList();
                        if (!args.Contains("--from=", StringComparison.Ordinal) && sources.Any(s => s is "." or "./" or "./." or "*"))
                            sourcesCopied = sourcesCopied == 0 ? instruction.Line : sourcesCopied;
                        break;
                    case "ARG" or "ENV":
                        SecretArg(instruction, found);
                        break;
                }
            }
        }
        if (contextDirectory is not null && !File.Exists(Path.Combine(contextDirectory, ".dockerignore")))
            found.Add(("NCL003", 1, contextDirectory));
    }

    private static void SecretArg(Instruction instruction, List<(string, int, string?)> found)
    {
        foreach (var word in instruction.Arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            var name = word.Split('=')[0];
            if (Secrets.LooksLikeCredentialName(name)) found.Add(("NCL004", instruction.Line, $"{instruction.Keyword} {name}"));
        }
    }

    [GeneratedRegex(@"^#\s*hadolint\s+(global\s+)?ignore\s*=\s*([DLSC0-9]+(?:\s*,\s*[DLSC0-9]+)*)\s*(?:#.*)?$")]
    private static partial Regex Pragma();


    [GeneratedRegex(@"\bnpm\s+(install|i)(\s+-\S+)*\s*($|&&|;|\|)")]
    private static partial Regex NpmInstall();


    [GeneratedRegex(@"\b(npm\s+(ci|install|i)|yarn(\s+install)?\s*($|&&)|pip3?\s+install\s+-r|go\s+mod\s+download|dotnet\s+restore|bundle\s+install|composer\s+install)")]
    private static partial Regex DependencyInstall();

    [GeneratedRegex(@"\b(go\s+build|dotnet\s+(publish|build))\b")]
    private static partial Regex ImplicitInstall();



}
