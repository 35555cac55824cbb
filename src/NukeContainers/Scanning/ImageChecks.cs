using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace NukeContainers.Scanning;

/// <summary>
/// Checks of an image's config, history and files, with dockle's ids where the meaning is the same (CIS Docker
/// Benchmark ids): runs as root, no HEALTHCHECK, ADD in the history, setuid and setgid files, credentials in ENV and
/// files that should not ship.
/// </summary>
public static partial class ImageChecks
{
    /// <summary>Findings from the image's config (the JSON the engine stores).</summary>
    public static IEnumerable<Finding> Config(JsonObject config)
    {
        var settings = config["config"] as JsonObject ?? config["container_config"] as JsonObject;
        var user = settings?["User"]?.GetValue<string>() ?? "";
        if (user.Split(':')[0] is "" or "root" or "0")
            yield return new Finding("CIS-DI-0001", FindingKind.ImageCheck, Severity.Medium,
                "The image runs as root: add a USER with a non-root user (such as 65532)", "config.User", Source: "checks");
        var test = (settings?["Healthcheck"]?["Test"] as JsonArray)?.Select(t => t?.GetValue<string>()).ToList();
        if (test is null || test.Count == 0 || test[0] == "NONE")
            yield return new Finding("CIS-DI-0006", FindingKind.ImageCheck, Severity.Low,
                "The image has no HEALTHCHECK (Kubernetes uses probes instead; other runtimes use this)", "config.Healthcheck", Source: "checks");
        foreach (var env in (settings?["Env"] as JsonArray)?.Select(e => e?.GetValue<string>()).OfType<string>() ?? [])
        {
            var equals = env.IndexOf('=');
            var (name, value) = equals < 0 ? (env, "") : (env[..equals], env[(equals + 1)..]);
            if (value.Length > 0 && Secrets.LooksLikeCredentialName(name))
                yield return new Finding("CIS-DI-0010", FindingKind.ImageCheck, Severity.High,
                    $"The environment variable {name} looks like a credential ({name}={Secrets.Mask(value)}): pass it at run time, or use a build secret", $"config.Env {name}", Source: "checks");
        }
        var history = (config["history"] as JsonArray)?.Select(h => h?["created_by"]?.GetValue<string>()).OfType<string>().ToList() ?? [];
        foreach (var (createdBy, index) in history.Select((h, i) => (h, i)))
        {
            var instruction = Slimming.LayerAnalyzer.Instruction(createdBy);
            if (instruction.StartsWith("ADD ", StringComparison.Ordinal) && !BaseRootFs().IsMatch(instruction))
                yield return new Finding("CIS-DI-0009", FindingKind.ImageCheck, Severity.Low,
                    $"ADD in the history ({Shorten(instruction)}): use COPY, and fetch remote files in a RUN you can check", $"history[{index}]", Source: "checks");
        }
    }

    /// <summary>Findings from the image's files: setuid and setgid files, and files that should never ship.</summary>
    public static IEnumerable<Finding> Files(IEnumerable<(string Path, int Mode)> files)
    {
        foreach (var (path, mode) in files)
        {
            if ((mode & 0b100_000_000_000) != 0 || (mode & 0b010_000_000_000) != 0)
                yield return new Finding("CIS-DI-0008", FindingKind.ImageCheck, Severity.Low,
                    $"/{path} is {((mode & 0b100_000_000_000) != 0 ? "setuid" : "setgid")}: remove the bit unless the image needs it (chmod u-s,g-s)", "/" + path, Source: "checks");
            if (CredentialFile().IsMatch(path))
                yield return new Finding("CIS-DI-0010", FindingKind.ImageCheck, Severity.High,
                    $"/{path} holds credentials and should not ship: keep it out with .dockerignore, or use a build secret", "/" + path, Source: "checks");
            else if (NeedlessFile().IsMatch(path))
                yield return new Finding("DKL-LI-0003", FindingKind.ImageCheck, Severity.Medium,
                    $"/{path} should not ship (version control or editor files): add it to .dockerignore", "/" + path, Source: "checks");
        }
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..77] + "..." : text;


    /// The first layer of most bases: "ADD file:HASH in /".
    [GeneratedRegex(@"^ADD (file|multi):[0-9a-f]+ in /\s*$")]
    private static partial Regex BaseRootFs();

    [GeneratedRegex(@"(^|/)(\.aws/(credentials|config)|\.ssh/id_[a-z0-9]+|\.npmrc|\.env|\.pypirc|\.netrc|\.git-credentials|\.docker/config\.json)$")]
    private static partial Regex CredentialFile();

    [GeneratedRegex(@"(^|/)(\.git/(HEAD|config)|\.DS_Store|\.svn/entries|\.hg/store)$")]
    private static partial Regex NeedlessFile();
}
