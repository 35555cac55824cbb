using System.Collections;
using System.Text;

namespace NukeContainers.Images;

/// <summary>
/// The tags an image gets, in order and without repeats, each checked against Docker's tag grammar (at most 128 of
/// <c>[A-Za-z0-9_.-]</c>, not starting with '.' or '-'). Immutable: <see cref="Add"/> returns a new set.
/// </summary>
public sealed class TagSet : IReadOnlyList<string>
{
    /// <summary>The tag grammar, in words, for error messages.</summary>
    public const string TagRule = "a tag is 1 to 128 of A-Z a-z 0-9 _ . - and does not start with '.' or '-'.";

    private readonly IReadOnlyList<string> _tags;

    private TagSet(IReadOnlyList<string> tags) => _tags = tags;

    /// <summary>No tags.</summary>
    public static TagSet Empty { get; } = new([]);

    /// <summary>A set of the given tags; throws <see cref="FormatException"/> naming the first tag that breaks the grammar.</summary>
    public static TagSet Of(params IEnumerable<string> tags) => tags.Aggregate(Empty, (set, tag) => set.Add(tag));

    /// <summary>True when the text is a valid tag.</summary>
    public static bool IsValidTag(string? tag) => tag is not null && ImageReference.TagPattern().IsMatch(tag);

    /// <summary>
    /// Makes any text a valid tag, the way docker/metadata-action does for branch names: characters outside the
    /// grammar become '-', leading '.' and '-' go, and it is cut to 128 characters. Null when nothing is left.
    /// </summary>
    public static string? Sanitize(string text)
    {
        var tag = new StringBuilder(text.Length);
        foreach (var c in text) tag.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '-');
        var cleaned = tag.ToString().TrimStart('.', '-');
        if (cleaned.Length > 128) cleaned = cleaned[..128];
        return cleaned.Length == 0 ? null : cleaned;
    }

    /// <summary>This set with one more tag (unchanged when it is already there).</summary>
    public TagSet Add(string tag)
    {
        if (!IsValidTag(tag)) throw new FormatException($"'{tag}' is not a valid tag: {TagRule}");
        return _tags.Contains(tag, StringComparer.Ordinal) ? this : new TagSet([.. _tags, tag]);
    }

    /// <summary>The full references of these tags in a repository: <c>repo:1.2.3</c>, <c>repo:latest</c> ...</summary>
    public IReadOnlyList<ImageReference> In(ImageReference repository) => _tags.Select(repository.WithTag).ToList();

    /// <inheritdoc />
    public int Count => _tags.Count;

    /// <inheritdoc />
    public string this[int index] => _tags[index];

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator() => _tags.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", _tags);
}
