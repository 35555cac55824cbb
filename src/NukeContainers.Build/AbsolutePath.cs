namespace NukeContainers.Build;

/// <summary>A normalized absolute path; <c>root / "src" / "app"</c> combines segments.</summary>
public sealed record AbsolutePath
{
    private AbsolutePath(string value) => Value = value;

    /// <summary>The full path, without a trailing separator.</summary>
    public string Value { get; }

    /// <summary>The last segment of the path.</summary>
    public string Name => Path.GetFileName(Value);

    /// <summary>The folder that holds this path.</summary>
    public AbsolutePath Parent => Create(Path.GetDirectoryName(Value) ?? Value);

    /// <summary>Makes an absolute path from an absolute or current-directory-relative one.</summary>
    public static AbsolutePath Create(string path) =>
        new(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) is { Length: > 0 } full ? full : "/");

    /// <summary>Appends a relative segment.</summary>
    public static AbsolutePath operator /(AbsolutePath left, string right) => Create(Path.Combine(left.Value, right));

    /// <summary>The path as a string, for APIs that take one.</summary>
    public static implicit operator string(AbsolutePath path) => path.Value;

    /// <summary>This path relative to another, with forward slashes (for reports and logs).</summary>
    public string RelativeTo(AbsolutePath root) => Path.GetRelativePath(root.Value, Value).Replace('\\', '/');

    /// <inheritdoc />
    public override string ToString() => Value;
}
