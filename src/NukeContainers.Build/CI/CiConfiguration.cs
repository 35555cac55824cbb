using System.Reflection;
using System.Text.RegularExpressions;
using NukeContainers.Build.Parameters;
using NukeContainers.Build.Targets;
using YamlDotNet.Serialization;

namespace NukeContainers.Build.CI;

/// <summary>A CI configuration file the build's attributes generate: where it goes (from the root), its text, and whether a run warns when it differs.</summary>
internal sealed record GeneratedFile(string Path, string Text, string Source, bool WarnWhenOutOfDate);

/// <summary>
/// The CI configuration the build class's <see cref="GitHubActionsAttribute"/> and <see cref="GitLabAttribute"/>
/// describe, written by <c>./build.sh --generate-configuration</c>; a wrong value (a target the build does not have, a
/// secret name that is no variable name) is bad usage at generation time, naming the attribute and the value.
/// </summary>
internal static partial class CiConfiguration
{
    private const string Header = "# Written by ./build.sh --generate-configuration from {0} on the build class: change the attribute and generate again, not this file.\n";

    public static IReadOnlyList<GeneratedFile> Generate(Type buildType, IReadOnlyList<ExecutableTarget> targets)
    {
        var github = buildType.GetCustomAttributes<GitHubActionsAttribute>(inherit: true).ToList();
        var gitlab = buildType.GetCustomAttributes<GitLabAttribute>(inherit: true).ToList();
        var files = new List<GeneratedFile>();
        foreach (var workflow in github)
        {
            var invoked = Check(workflow, "GitHubActions", targets, github);
            files.Add(new GeneratedFile($".github/workflows/{workflow.Name}.yml", string.Format(Header, Shown(workflow, "GitHubActions")) + Yaml(GitHubWorkflow(workflow, invoked)),
                Shown(workflow, "GitHubActions"), workflow.WarnWhenOutOfDate));
        }
        if (gitlab.Count > 0)
        {
            var jobs = gitlab.Select(job => (job, Invoked: Check(job, "GitLab", targets, gitlab))).ToList();
            var document = new Dictionary<string, object> { ["stages"] = gitlab.Select(j => j.Stage).Distinct().ToList() };
            foreach (var (job, invoked) in jobs) document[job.Name] = GitLabJob(job, invoked);
            var secrets = gitlab.SelectMany(j => j.ImportSecrets).Distinct().ToList();
            var note = secrets.Count == 0 ? "" : $"# The jobs read these CI/CD variables (set them in the project's settings, masked): {string.Join(", ", secrets)}.\n";
            files.Add(new GeneratedFile(".gitlab-ci.yml", string.Format(Header, string.Join(", ", gitlab.Select(j => Shown(j, "GitLab")))) + note + Yaml(document),
                string.Join(", ", gitlab.Select(j => Shown(j, "GitLab"))), gitlab.All(j => j.WarnWhenOutOfDate)));
        }
        return files;
    }

    private static string Shown(CiAttribute attribute, string kind) => $"[{kind}(\"{attribute.Name}\")]";

    /// The attribute's values checked; the targets it invokes, as the build names them.
    private static IReadOnlyList<string> Check(CiAttribute attribute, string kind, IReadOnlyList<ExecutableTarget> targets, IEnumerable<CiAttribute> all)
    {
        var shown = Shown(attribute, kind);
        if (!JobName().IsMatch(attribute.Name))
            throw new ParameterException($"{shown}: '{attribute.Name}' names a file and a job: give letters, digits, '-' and '_', starting with a letter.");
        if (all.Count(a => a.Name == attribute.Name) > 1)
            throw new ParameterException($"{shown} is declared twice: give each {kind} attribute its own name.");
        foreach (var secret in attribute.ImportSecrets.Where(s => !VariableName().IsMatch(s)))
            throw new ParameterException($"{shown}: ImportSecrets '{secret}' is imported as an environment variable, so it needs a variable's name: letters, digits and '_', not starting with a digit (such as REGISTRY_PASSWORD).");
        foreach (var platform in attribute.Platforms.Where(p => !PlatformName().IsMatch(p)))
            throw new ParameterException($"{shown}: Platforms '{platform}' is not a platform such as linux/amd64 or linux/arm64.");
        var names = attribute.InvokedTargets.Length > 0 ? attribute.InvokedTargets : targets.Where(t => t.IsDefault).Select(t => t.Name).ToArray();
        if (names.Length == 0)
            throw new ParameterException($"{shown} invokes no target and the build has no default: give InvokedTargets.");
        return names.Select(name => targets.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))?.Name
            ?? throw new ParameterException($"{shown} invokes '{name}', which is not a target of this build. Its targets: {string.Join(", ", targets.Where(t => !t.Definition.IsUnlisted).Select(t => t.Name))}.")).ToList();
    }

    private static string Command(CiAttribute attribute, IReadOnlyList<string> invoked, string? platform) =>
        string.Join(' ', new[] { "./build.sh" }.Concat(invoked).Concat(attribute.Arguments).Concat(platform is null ? [] : ["--platform", platform]));

    private static Dictionary<string, object> GitHubWorkflow(GitHubActionsAttribute workflow, IReadOnlyList<string> invoked)
    {
        var on = new Dictionary<string, object?>();
        foreach (var trigger in workflow.On.Distinct())
            on[trigger switch { GitHubActionsTrigger.Push => "push", GitHubActionsTrigger.PullRequest => "pull_request", _ => "workflow_dispatch" }] = trigger switch
            {
                GitHubActionsTrigger.Push when workflow.OnPushBranches.Length > 0 => new Dictionary<string, object> { ["branches"] = workflow.OnPushBranches.ToList() },
                GitHubActionsTrigger.PullRequest when workflow.OnPullRequestBranches.Length > 0 => new Dictionary<string, object> { ["branches"] = workflow.OnPullRequestBranches.ToList() },
                _ => null,
            };
        var matrix = workflow.Platforms.Length > 0;
        var job = new Dictionary<string, object> { ["name"] = Command(workflow, invoked, matrix ? "${{ matrix.platform }}" : null), ["runs-on"] = workflow.RunsOn };
        if (matrix) job["strategy"] = new Dictionary<string, object> { ["fail-fast"] = false, ["matrix"] = new Dictionary<string, object> { ["platform"] = workflow.Platforms.ToList() } };
        if (workflow.ImportSecrets.Length > 0) job["env"] = workflow.ImportSecrets.ToDictionary(s => s, s => (object)$"${{{{ secrets.{s} }}}}");
        job["steps"] = new List<object>
        {
            // The whole history and the tags: versions are read from them (MinVer's rules).
            new Dictionary<string, object> { ["uses"] = "actions/checkout@v4", ["with"] = new Dictionary<string, object> { ["fetch-depth"] = 0 } },
            new Dictionary<string, object>
            {
                ["name"] = "Cache the NuGet packages and the build project's outputs",
                ["uses"] = "actions/cache@v4",
                ["with"] = new CacheInputs
                {
                    Path = "~/.nuget/packages\nbuild/bin\n",
                    Key = "${{ runner.os }}-nukecontainers-${{ hashFiles('global.json', '_build.csproj', 'build/**/*.cs', '**/Directory.Packages.props') }}",
                },
            },
            new Dictionary<string, object> { ["name"] = "Run " + string.Join(", ", invoked), ["run"] = Command(workflow, invoked, matrix ? "${{ matrix.platform }}" : null) },
            new Dictionary<string, object>
            {
                ["name"] = "Keep the reports",
                ["if"] = "always()",
                ["uses"] = "actions/upload-artifact@v4",
                ["with"] = new UploadInputs
                {
                    Name = matrix ? $"{workflow.Name}-reports-${{{{ strategy.job-index }}}}" : $"{workflow.Name}-reports",
                    Path = "artifacts/containers\nartifacts/logs\n",
                },
            },
        };
        return new Dictionary<string, object> { ["name"] = workflow.Name, ["on"] = on, ["jobs"] = new Dictionary<string, object> { ["build"] = job } };
    }

    private static Dictionary<string, object> GitLabJob(GitLabAttribute job, IReadOnlyList<string> invoked)
    {
        var matrix = job.Platforms.Length > 0;
        var result = new Dictionary<string, object>
        {
            ["stage"] = job.Stage,
            ["image"] = job.Image,
            // Docker-in-Docker over TLS: the service makes the certificates in /certs, shared with the job.
            ["services"] = new List<object> { new Dictionary<string, object> { ["name"] = job.DockerService, ["alias"] = "docker" } },
            ["variables"] = new Dictionary<string, object>
            {
                ["DOCKER_HOST"] = "tcp://docker:2376",
                ["DOCKER_TLS_CERTDIR"] = "/certs",
                ["DOCKER_TLS_VERIFY"] = "1",
                ["DOCKER_CERT_PATH"] = "/certs/client",
                ["GIT_DEPTH"] = "0",
                ["NUGET_PACKAGES"] = "$CI_PROJECT_DIR/.nuget/packages",
            },
            ["cache"] = new Dictionary<string, object>
            {
                ["key"] = new Dictionary<string, object> { ["files"] = new List<string> { "global.json", "_build.csproj" } },
                ["paths"] = new List<string> { ".nuget/packages", "build/bin" },
            },
            ["script"] = new List<string> { Command(job, invoked, matrix ? "$PLATFORM" : null) },
            // Publish's outputs (each image's digest and tags) reach later jobs as variables through the dotenv report.
            ["artifacts"] = new Dictionary<string, object>
            {
                ["when"] = "always",
                ["paths"] = new List<string> { "artifacts/containers", "artifacts/logs" },
                ["reports"] = new Dictionary<string, object> { ["dotenv"] = "artifacts/ci.env" },
            },
        };
        if (matrix) result["parallel"] = new Dictionary<string, object> { ["matrix"] = new List<object> { new Dictionary<string, object> { ["PLATFORM"] = job.Platforms.ToList() } } };
        if (job.Branches.Length > 0)
            result["rules"] = new List<object> { new Dictionary<string, object> { ["if"] = string.Join(" || ", job.Branches.Select(b => $"$CI_COMMIT_BRANCH == \"{b}\"")) } };
        return result;
    }

    // Inputs whose value is one path a line, written as a literal block as people write them.
    private sealed class CacheInputs
    {
        [YamlMember(Alias = "path", ScalarStyle = YamlDotNet.Core.ScalarStyle.Literal)] public required string Path { get; init; }
        [YamlMember(Alias = "key")] public required string Key { get; init; }
    }

    private sealed class UploadInputs
    {
        [YamlMember(Alias = "name")] public required string Name { get; init; }
        [YamlMember(Alias = "path", ScalarStyle = YamlDotNet.Core.ScalarStyle.Literal)] public required string Path { get; init; }
        [YamlMember(Alias = "if-no-files-found")] public string IfNoFilesFound { get; init; } = "ignore";
    }

    private static string Yaml(object document) => string.Join('\n',
        new SerializerBuilder().WithQuotingNecessaryStrings().WithIndentedSequences().Build().Serialize(document).Split('\n').Select(l => l.TrimEnd()));

    /// <summary>Writes the files; returns their paths.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<GeneratedFile> files, string root)
    {
        foreach (var file in files)
        {
            var path = Path.Combine(root, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file.Text);
        }
        return [.. files.Select(f => f.Path)];
    }

    /// <summary>What a normal run says of the checked-in files: one line for each that is missing or differs.</summary>
    public static IEnumerable<string> OutOfDate(IReadOnlyList<GeneratedFile> files, string root) =>
        files.Where(f => f.WarnWhenOutOfDate).Where(f => !File.Exists(Path.Combine(root, f.Path)) || File.ReadAllText(Path.Combine(root, f.Path)) != f.Text)
            .Select(f => $"{f.Path} is not what {f.Source} generates{(File.Exists(Path.Combine(root, f.Path)) ? "" : " (it is missing)")}: run ./build.sh --generate-configuration and commit it.");

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]*$")]
    private static partial Regex JobName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableName();

    [GeneratedRegex("^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$")]
    private static partial Regex PlatformName();
}
