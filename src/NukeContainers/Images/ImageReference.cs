using System.Text.RegularExpressions;

namespace NukeContainers.Images;

/// <summary>
/// An image reference, <c>[domain/]path[:tag][@digest]</c>, parsed and validated by the distribution reference grammar
/// (github.com/distribution/reference): a domain with an optional port (a host name, an IPv4 address or a bracketed
/// IPv6 address), lower-case path components, a tag of at most 128 characters, a <c>sha256:</c> digest.
/// </summary>
public sealed partial record ImageReference
{
    /// <summary>The longest repository path the grammar allows.</summary>
    public const int MaxPathLength = 255;

    private ImageReference(string? domain, string path, string? tag, string? digest)
    {
        Domain = domain;
        Path = path;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The domain the reference names (<c>127.0.0.1:5000</c>), or null when it names none.</summary>
    public string? Domain { get; }

    /// <summary>The repository path after the domain: <c>samples/go-api</c>.</summary>
    public string Path { get; }

    /// <summary>The tag, or null.</summary>
    public string? Tag { get; }

    /// <summary>The digest (<c>sha256:...</c>), or null.</summary>
    public string? Digest { get; }

    /// <summary>The repository: the domain and the path, without tag or digest.</summary>
    public string Repository => Domain is null ? Path : $"{Domain}/{Path}";

    /// <summary>
    /// The registry the engine pushes to and pulls from, by the docker CLI's rule: the first component is a registry
    /// when it has a '.' or a ':', is <c>localhost</c>, or has upper case; otherwise it is Docker Hub, <c>docker.io</c>.
    /// </summary>
    public string Registry => Domain is { } d && (d.Contains('.') || d.Contains(':') || d == "localhost" || d.Any(char.IsUpper)) ? d : "docker.io";

    /// <summary>
    /// The reference in full, as the engine writes it in build output: the registry, Docker Hub's <c>library/</c> for
    /// a one-part name, and <c>latest</c> when no tag or digest is given (<c>nowhere</c> is <c>docker.io/library/nowhere:latest</c>).
    /// </summary>
    public string FullName
    {
        get
        {
            var path = Domain == Registry ? Path : Repository;
            if (Registry == "docker.io" && !path.Contains('/')) path = "library/" + path;
            return $"{Registry}/{path}" + (Tag is not null || Digest is null ? ":" + (Tag ?? "latest") : "") + (Digest is null ? "" : "@" + Digest);
        }
    }

    /// <summary>The last path component, such as <c>go-api</c>: a short name for reports.</summary>
    public string Name => Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>Parses a reference, or throws <see cref="FormatException"/> naming the part that is wrong.</summary>
    public static ImageReference Parse(string reference) =>
        TryParse(reference, out var parsed, out var error) ? parsed : throw new FormatException(error);

    /// <summary>Parses a reference; on failure, <paramref name="error"/> says which part is wrong and why.</summary>
    public static bool TryParse(string? reference, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ImageReference? parsed, out string error)
    {
        parsed = null;
        error = "";
        if (string.IsNullOrEmpty(reference))
        {
            error = "An image reference cannot be empty: name a repository, such as 127.0.0.1:5000/team/app.";
            return false;
        }
        var match = ReferencePattern().Match(reference);
        if (!match.Success)
        {
            error = $"'{reference}' is not a valid image reference: {Diagnose(reference)}";
            return false;
        }
        var name = NamePattern().Match(match.Groups["name"].Value);
        var domain = name.Groups["domain"].Success ? name.Groups["domain"].Value : null;
        var path = name.Groups["path"].Value;
        if (path.Length > MaxPathLength)
        {
            error = $"'{reference}': the repository path is {path.Length} characters long; at most {MaxPathLength} are allowed.";
            return false;
        }
        var digest = match.Groups["digest"].Success ? match.Groups["digest"].Value : null;
        if (digest is not null && !CheckDigest(digest, out error))
        {
            error = $"'{reference}': {error}";
            return false;
        }
        parsed = new ImageReference(domain, path, match.Groups["tag"].Success ? match.Groups["tag"].Value : null, digest);
        return true;
    }

    /// <summary>A repository (no tag, no digest), such as the one a pipeline builds; throws naming what is wrong.</summary>
    public static ImageReference Repo(string repository)
    {
        var parsed = Parse(repository);
        return parsed.Tag is null && parsed.Digest is null ? parsed
            : throw new FormatException($"'{repository}' names a {(parsed.Tag is not null ? "tag" : "digest")}; give the repository alone, such as {parsed.Repository}.");
    }

    /// <summary>This repository with a tag (any digest dropped); throws when the tag breaks the tag grammar.</summary>
    public ImageReference WithTag(string tag) =>
        TagSet.IsValidTag(tag) ? new ImageReference(Domain, Path, tag, null)
            : throw new FormatException($"'{tag}' is not a valid tag for {Repository}: {TagSet.TagRule}");

    /// <summary>This repository pinned to a digest (the tag dropped): <c>repo@sha256:...</c>.</summary>
    public ImageReference WithDigest(string digest) =>
        CheckDigest(digest, out var error) ? new ImageReference(Domain, Path, null, digest) : throw new FormatException(error);

    /// <summary>The same repository under another domain: where a pipeline's images go for another registry.</summary>
    public ImageReference WithDomain(string? domain) => Parse(domain is null ? Path : $"{domain}/{Path}");

    /// <summary>The reference as text: <c>domain/path:tag@digest</c>.</summary>
    public override string ToString() => Repository + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>Implicitly the reference's text, for APIs that take strings.</summary>
    public static implicit operator string(ImageReference reference) => reference.ToString();

    private static bool CheckDigest(string digest, out string error)
    {
        error = "";
        var colon = digest.IndexOf(':');
        var algorithm = colon < 0 ? "" : digest[..colon];
        if (!DigestPattern().IsMatch(digest))
            error = $"'{digest}' is not a digest: it is algorithm:hex, such as sha256: and 64 hex digits.";
        else if (algorithm != "sha256")
            error = $"the digest algorithm '{algorithm}' is not supported; use sha256.";
        else if (digest.Length - colon - 1 != 64)
            error = $"a sha256 digest has 64 hex digits; '{digest}' has {digest.Length - colon - 1}.";
        else if (digest.AsSpan(colon + 1).ContainsAnyExcept("0123456789abcdef"))
            error = $"a sha256 digest is lower-case hex; '{digest}' is not.";
        return error.Length == 0;
    }

    /// Names the part that breaks the grammar, in the order a reader would check it.
    private static string Diagnose(string reference)
    {
        var lower = reference.ToLowerInvariant();
        if (lower != reference && ReferencePattern().IsMatch(lower))
            return "the repository name must be lower case.";
        if (reference.Contains("://"))
            return "leave out the scheme (https://); a reference starts with the registry host, such as registry.example.com/team/app.";
        if (reference.StartsWith(':') || reference.StartsWith('@'))
            return "it has a tag or digest but no repository before it.";
        var at = reference.IndexOf('@');
        var nameAndTag = at < 0 ? reference : reference[..at];
        var slash = nameAndTag.LastIndexOf('/');
        var colon = nameAndTag.LastIndexOf(':');
        if (colon > slash && !TagPattern().IsMatch(nameAndTag[(colon + 1)..]))
            return $"the tag '{nameAndTag[(colon + 1)..]}' is not valid: {TagSet.TagRule}";
        var name = colon > slash ? nameAndTag[..colon] : nameAndTag;
        if (name.Contains("//") || name.EndsWith('/'))
            return "it has an empty path component ('//' or a trailing '/').";
        var components = name.Split('/');
        var first = components.Length > 1 && DomainPattern().IsMatch(components[0]) ? 1 : 0;
        if (first == 0 && components.Length > 1 && (components[0].Contains(':') || components[0].StartsWith('[')))
            return $"the domain '{components[0]}' is not a host with an optional port, such as registry.example.com:5000 or [::1]:5000.";
        foreach (var component in components.Skip(first))
            if (!PathComponentPattern().IsMatch(component))
                return $"the path component '{component}' is not valid: use lower-case letters and digits, separated by '.', '_', '__' or dashes.";
        if (at >= 0) return $"the digest '{reference[(at + 1)..]}' is not algorithm:hex, such as sha256: and 64 hex digits.";
        return "it does not follow [domain/]path[:tag][@digest].";
    }

    private const string DomainPart = @"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?";
    private const string PathComponentPart = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private const string PathPart = PathComponentPart + "(?:/" + PathComponentPart + ")*";
    private const string TagPart = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    private const string DigestPart = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

    [GeneratedRegex("^(?<name>(?:" + DomainPart + "/)?" + PathPart + ")(?::(?<tag>" + TagPart + "))?(?:@(?<digest>" + DigestPart + "))?$", RegexOptions.CultureInvariant)]
    private static partial Regex ReferencePattern();

    [GeneratedRegex("^(?:(?<domain>" + DomainPart + ")/)?(?<path>" + PathPart + ")$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^" + DomainPart + "$", RegexOptions.CultureInvariant)]
    private static partial Regex DomainPattern();

    [GeneratedRegex("^" + PathComponentPart + "$", RegexOptions.CultureInvariant)]
    private static partial Regex PathComponentPattern();

    [GeneratedRegex("^" + TagPart + "$", RegexOptions.CultureInvariant)]
    internal static partial Regex TagPattern();

    [GeneratedRegex("^" + DigestPart + "$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestPattern();
}
