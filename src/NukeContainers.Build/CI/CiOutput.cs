namespace NukeContainers.Build.CI;

/// <summary>The CI platform a build runs on, from the variables the platform sets.</summary>
public enum CiPlatform
{
    /// <summary>None (a developer's machine, or a CI this host does not speak to).</summary>
    None,
    /// <summary>GitHub Actions (<c>GITHUB_ACTIONS=true</c>).</summary>
    GitHubActions,
    /// <summary>GitLab CI (<c>GITLAB_CI=true</c>).</summary>
    GitLab,
    /// <summary>Azure Pipelines (<c>TF_BUILD=True</c>).</summary>
    AzurePipelines,
}

/// <summary>
/// What the build tells the CI platform it runs on, in the platform's own commands: each target a collapsible group,
/// failures and findings as annotations with file and line, every secret also registered with the platform's masking,
/// values as step outputs, and Markdown for the job's summary. On no platform (or one without such a command) each
/// call does nothing, so components call it unconditionally. Exit codes never change.
/// </summary>
public sealed class CiOutput
{
    private readonly TextWriter _console;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly object _gate = new();
    private string? _section;

    internal CiOutput(TextWriter console, IReadOnlyDictionary<string, string> environment)
    {
        (_console, _environment) = (console, environment);
        Platform = Flag("GITHUB_ACTIONS", "true") ? CiPlatform.GitHubActions
            : Flag("GITLAB_CI", "true") ? CiPlatform.GitLab
            : Flag("TF_BUILD", "true") ? CiPlatform.AzurePipelines : CiPlatform.None;
    }

    /// <summary>A CI output for no platform: every call does nothing.</summary>
    public static CiOutput None { get; } = new(TextWriter.Null, new Dictionary<string, string>());

    private bool Flag(string name, string value) => _environment.TryGetValue(name, out var set) && string.Equals(set, value, StringComparison.OrdinalIgnoreCase);

    /// <summary>The platform, or <see cref="CiPlatform.None"/>.</summary>
    public CiPlatform Platform { get; }

    private void Raw(string line)
    {
        if (Platform == CiPlatform.None) return;
        lock (_gate) _console.WriteLine(line);
    }

    /// <summary>Starts a collapsible group of the log (one a target).</summary>
    public void StartGroup(string title)
    {
        _section = "target_" + string.Concat(title.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_'));
        Raw(Platform switch
        {
            CiPlatform.GitHubActions => $"::group::{title}",
            CiPlatform.GitLab => $"\u001b[0Ksection_start:{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}:{_section}[collapsed=false]\r\u001b[0K{title}",
            _ => $"##[group]{title}",
        });
    }

    /// <summary>Ends the group <see cref="StartGroup"/> began.</summary>
    public void EndGroup()
    {
        if (_section is null) return;
        Raw(Platform switch
        {
            CiPlatform.GitHubActions => "::endgroup::",
            CiPlatform.GitLab => $"\u001b[0Ksection_end:{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}:{_section}\r\u001b[0K",
            _ => "##[endgroup]",
        });
        _section = null;
    }

    /// <summary>
    /// An annotation: an error or a warning, on a file's line when given (a path from the repository root, such as
    /// <c>Dockerfile</c>): GitHub's <c>::error file=Dockerfile,line=3::</c>, Azure's <c>##vso[task.logissue]</c>.
    /// GitLab has no such command: its log line already says it.
    /// </summary>
    public void Annotate(bool error, string message, string? file = null, int? line = null)
    {
        var text = Escape(message);
        if (Platform == CiPlatform.GitHubActions)
            Raw($"::{(error ? "error" : "warning")}{(file is null ? "" : $" file={Property(file)}{(line is null ? "" : $",line={line}")}")}::{text}");
        else if (Platform == CiPlatform.AzurePipelines)
            Raw($"##vso[task.logissue type={(error ? "error" : "warning")}{(file is null ? "" : $";sourcepath={file}{(line is null ? "" : $";linenumber={line}")}")}]{text}");
    }

    /// <summary>Registers a secret with the platform's masking (GitHub's <c>::add-mask::</c>, Azure's <c>task.setsecret</c>), each of its lines.</summary>
    public void Mask(string secret)
    {
        foreach (var part in secret.Split('\n').Select(p => p.Trim()).Where(p => p.Length > 0))
            if (Platform == CiPlatform.GitHubActions) Raw($"::add-mask::{part}");
            else if (Platform == CiPlatform.AzurePipelines) Raw($"##vso[task.setsecret]{part}");
    }

    /// <summary>
    /// A step output: GitHub's <c>$GITHUB_OUTPUT</c> file (<c>steps.ID.outputs.NAME</c>), Azure's output variable, and
    /// on GitLab a dotenv line in <c>$CI_PROJECT_DIR/artifacts/ci.env</c> (for <c>artifacts:reports:dotenv</c>).
    /// </summary>
    public void SetOutput(string name, string value)
    {
        if (Platform == CiPlatform.GitHubActions && _environment.GetValueOrDefault("GITHUB_OUTPUT") is { Length: > 0 } outputs)
            Append(outputs, value.Contains('\n') ? $"{name}<<NUKECONTAINERS_EOF\n{value}\nNUKECONTAINERS_EOF\n" : $"{name}={value}\n");
        else if (Platform == CiPlatform.AzurePipelines)
            Raw($"##vso[task.setvariable variable={name};isoutput=true]{value}");
        else if (Platform == CiPlatform.GitLab && _environment.GetValueOrDefault("CI_PROJECT_DIR") is { Length: > 0 } project)
            Append(Path.Combine(project, "artifacts", "ci.env"), $"{name.ToUpperInvariant().Replace('-', '_')}={value.Replace('\n', ' ')}\n");
    }

    /// <summary>Markdown for the job's summary page (GitHub's <c>$GITHUB_STEP_SUMMARY</c>).</summary>
    public void Summary(string markdown)
    {
        if (Platform == CiPlatform.GitHubActions && _environment.GetValueOrDefault("GITHUB_STEP_SUMMARY") is { Length: > 0 } summary)
            Append(summary, markdown.EndsWith('\n') ? markdown : markdown + "\n");
    }

    private void Append(string path, string text)
    {
        lock (_gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.AppendAllText(path, text);
        }
    }

    // GitHub's workflow commands: %, CR and LF escaped in the message; also : and , in properties.
    private static string Escape(string text) => text.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");

    private static string Property(string text) => Escape(text).Replace(":", "%3A").Replace(",", "%2C");
}
