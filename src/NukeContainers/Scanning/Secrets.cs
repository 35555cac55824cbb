using System.Text.RegularExpressions;

namespace NukeContainers.Scanning;

/// <summary>
/// Secrets in text: cloud keys, private keys, tokens. Rule ids follow Trivy's where it has the same rule, so users
/// recognise them. A match is never kept whole: <see cref="Mask"/> leaves a few characters to tell it by.
/// </summary>
public static partial class Secrets
{
    /// <summary>A secret rule: its id, severity, title and pattern (group "secret", when present, is what gets masked).</summary>
    public sealed record Rule(string Id, Severity Severity, string Title, Regex Pattern);

    /// <summary>A secret found: the rule, the line and the text around it, masked.</summary>
    public sealed record Match(Rule Rule, int Line, string Masked);

    /// <summary>The rules.</summary>
    public static IReadOnlyList<Rule> Rules { get; } =
    [
        new("aws-access-key-id", Severity.Critical, "AWS access key ID", AwsKeyId()),
        new("aws-secret-access-key", Severity.Critical, "AWS secret access key", AwsSecret()),
        new("private-key", Severity.High, "Private key", PrivateKey()),
        new("github-pat", Severity.Critical, "GitHub personal access token", GitHubToken()),
        new("github-fine-grained-pat", Severity.Critical, "GitHub fine-grained personal access token", GitHubFineGrained()),
        new("gitlab-pat", Severity.Critical, "GitLab personal access token", GitLabToken()),
        new("slack-access-token", Severity.High, "Slack token", SlackToken()),
        new("slack-web-hook", Severity.Medium, "Slack webhook", SlackWebhook()),
        new("stripe-secret-token", Severity.Critical, "Stripe secret key", StripeKey()),
        new("jwt-token", Severity.Medium, "JSON web token", Jwt()),
        new("dockerconfig-secret", Severity.High, "Registry credentials in a docker config", DockerAuth()),
    ];

    /// <summary>
    /// Whether a variable's name says it holds a credential (PASSWORD, SECRET, TOKEN, API_KEY, ACCESS_KEY, PRIVATE_KEY,
    /// CREDENTIALS): what the image checks flag in ENV and the lint flags in ARG and ENV.
    /// </summary>
    public static bool LooksLikeCredentialName(string name) => CredentialName().IsMatch(name);

    [GeneratedRegex(@"(?i)(passw(or)?d|secret|token|api_?key|access_?key|private_?key|credential)")]
    private static partial Regex CredentialName();

    /// <summary>Every secret in the text, each with its line and its masked form.</summary>
    public static IEnumerable<Match> Find(string text)
    {
        foreach (var rule in Rules)
            foreach (System.Text.RegularExpressions.Match match in rule.Pattern.Matches(text))
            {
                var secret = match.Groups["secret"].Success ? match.Groups["secret"] : (Group)match;
                var line = 1 + text.AsSpan(0, secret.Index).Count('\n');
                yield return new Match(rule, line, Mask(secret.Value));
            }
    }

    /// <summary>A secret masked: its first 4 characters (a prefix that says what it is, such as AKIA) and asterisks.</summary>
    public static string Mask(string secret) =>
        secret.Length <= 8 ? new string('*', secret.Length) : secret[..4] + new string('*', Math.Min(secret.Length - 4, 32));

    /// <summary>
    /// Masks every secret the rules find in a text (a key a RUN echoed, a token in a tool's output). Values that look
    /// like nothing in particular (a build secret, a registry password) are masked by the run's <see cref="Masker"/>,
    /// which knows them.
    /// </summary>
    public static string MaskPatterns(string text)
    {
        foreach (var rule in Rules)
            text = rule.Pattern.Replace(text, m =>
            {
                var secret = m.Groups["secret"].Success ? m.Groups["secret"] : (Group)m;
                return m.Value[..(secret.Index - m.Index)] + Mask(secret.Value) + m.Value[(secret.Index - m.Index + secret.Length)..];
            });
        return text;
    }

    [GeneratedRegex(@"(?<![A-Z0-9])(?<secret>(?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16})(?![A-Z0-9])")]
    private static partial Regex AwsKeyId();

    [GeneratedRegex(@"(?i)aws_?(?:secret)?_?(?:access)?_?key(?:_?id)?[""']?\s*[:=]\s*[""']?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])")]
    private static partial Regex AwsSecret();

    [GeneratedRegex(@"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----\s*(?<secret>[A-Za-z0-9+/=\s]{32,}?)\s*-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----")]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"(?<secret>gh[pousr]_[A-Za-z0-9_]{36,255})")]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"(?<secret>github_pat_[A-Za-z0-9_]{82})")]
    private static partial Regex GitHubFineGrained();

    [GeneratedRegex(@"(?<secret>glpat-[A-Za-z0-9_\-]{20,22})")]
    private static partial Regex GitLabToken();

    [GeneratedRegex(@"(?<secret>xox[baprs]-(?:[0-9a-zA-Z]{10,48})?(?:-[0-9a-zA-Z]{10,48})+)")]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"(?<secret>https://hooks\.slack\.com/services/[A-Za-z0-9+/]{44,46})")]
    private static partial Regex SlackWebhook();

    [GeneratedRegex(@"(?<secret>(?:sk|rk)_live_[0-9a-zA-Z]{24,99})")]
    private static partial Regex StripeKey();

    [GeneratedRegex(@"(?<![A-Za-z0-9_-])(?<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})")]
    private static partial Regex Jwt();

    [GeneratedRegex(@"""auths""\s*:\s*\{[^}]*?""auth""\s*:\s*""(?<secret>[A-Za-z0-9+/=]{8,})""")]
    private static partial Regex DockerAuth();
}
