namespace NukeContainers.Building;

/// <summary>
/// Where the value of a build secret (<c>RUN --mount=type=secret,id=ID</c>) comes from: a file, an environment
/// variable, or a value the build holds (a <c>[Secret]</c> parameter). The value reaches the RUN's mount through the
/// BuildKit session and nothing else: no layer, no build argument, no log line (it is masked wherever it appears).
/// <see cref="ToString"/> names the source, never the value.
/// </summary>
public sealed class BuildSecret
{
    private readonly Func<byte[]?> _read;
    private readonly string _source;

    private BuildSecret(string source, Func<byte[]?> read)
    {
        _source = source;
        _read = read;
    }

    /// <summary>The secret is the file's content (such as an .npmrc or a NuGet.Config with a token).</summary>
    public static BuildSecret FromFile(string path)
    {
        var full = Path.GetFullPath(path);
        return new BuildSecret($"the file {full}", () => File.Exists(full) ? File.ReadAllBytes(full) : null);
    }

    /// <summary>The secret is an environment variable's value.</summary>
    public static BuildSecret FromEnvironment(string variable) =>
        new($"the environment variable {variable}", () => Environment.GetEnvironmentVariable(variable) is { } value ? System.Text.Encoding.UTF8.GetBytes(value) : null);

    /// <summary>The secret is a value the build holds, such as a <c>[Secret]</c> parameter's.</summary>
    public static BuildSecret FromValue(string value) => new("a value the build gave", () => System.Text.Encoding.UTF8.GetBytes(value));

    /// <summary>Reads the value; a source that is not there is an error that names it and the secret.</summary>
    internal byte[] Read(string id) => _read() ?? throw new ContainerException(
        $"The build secret '{id}' comes from {_source}, which is not there: set it, or leave the secret out of the build (a RUN --mount=type=secret without required=true then runs without it).");

    /// <summary>The source, never the value.</summary>
    public override string ToString() => _source;
}
