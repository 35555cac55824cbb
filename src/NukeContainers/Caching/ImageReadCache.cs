using System.Text.Json;

namespace NukeContainers.Caching;

/// <summary>
/// What reading an image or building a baseline found, kept by what names its content: the slim step's listing of an
/// image's layers and the scan's reading of its files under the image's id (the config's digest, or on the containerd
/// store the manifest's, which names the config), the baseline's size under its build's input digest. So a Publish with
/// nothing changed does not export the same image again, as Trivy keeps what it read of a layer. Each entry holds this
/// library's build (its module version id) and is ignored under another build, so a changed reader reads again.
/// The scan's secret findings are kept masked, as its reports show them; but an image's config is kept as it is, and a
/// build can leak a secret into it (a RUN's text in the history), as into the image itself: the folder and its files
/// are the user's alone (modes 700 and 600), like the engine's own store. Entries unused for <see cref="MaxAge"/> go
/// when a new one is written; one that cannot be read or written is read again, never an error.
/// </summary>
public static class ImageReadCache
{
    /// <summary>The folder: <c>$XDG_CACHE_HOME/nukecontainers/image-reads</c>, or <c>~/.cache/...</c>.</summary>
    public static string Folder { get; } = Utils.UserCache.Folder("image-reads");

    /// <summary>How long an entry nobody reads is kept.</summary>
    public static TimeSpan MaxAge { get; } = TimeSpan.FromDays(30);

    private static readonly string Build = typeof(ImageReadCache).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    // Value tuples (a Go binary's modules) are fields.
    private static readonly JsonSerializerOptions Options = new() { IncludeFields = true };

    private sealed record Entry<T>(string Build, T Value);

    /// <summary>
    /// The value kept for <paramref name="kind"/> and <paramref name="key"/> (a <c>sha256:</c> digest), or what
    /// <paramref name="read"/> gives, kept then; <paramref name="cached"/> is told when it came from the cache.
    /// </summary>
    internal static async Task<T> GetOrReadAsync<T>(string kind, string key, Func<Task<T>> read, Action? cached, CancellationToken cancellationToken) where T : class
    {
        if (await TryGetAsync<T>(kind, key, cancellationToken) is { } value)
        {
            cached?.Invoke();
            return value;
        }
        value = await read();
        await SetAsync(kind, key, value, cancellationToken);
        return value;
    }

    /// <summary>The value kept for the kind and key by this build, or null.</summary>
    internal static async Task<T?> TryGetAsync<T>(string kind, string key, CancellationToken cancellationToken) where T : class
    {
        var path = PathOf(kind, key);
        try
        {
            Entry<T>? entry;
            await using (var stream = File.OpenRead(path)) entry = await JsonSerializer.DeserializeAsync<Entry<T>>(stream, Options, cancellationToken);
            if (entry is null || entry.Build != Build) return null;
            try
            {
                File.SetLastWriteTimeUtc(path, DateTime.UtcNow);   // in use: kept
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A cache this user may read but not write still serves.
            }
            return entry.Value;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>True when an entry of this build is kept for the kind and key (it is not read).</summary>
    internal static bool Contains(string kind, string key) => File.Exists(PathOf(kind, key));

    /// <summary>Keeps the value (written whole, then moved into place, so a reader never sees half of it).</summary>
    internal static async Task SetAsync<T>(string kind, string key, T value, CancellationToken cancellationToken)
    {
        var path = PathOf(kind, key);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            // On Windows the user's profile is the user's alone already.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(Folder);
            else
            {
                Directory.CreateDirectory(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            await using (var stream = new FileStream(temporary, options)) await JsonSerializer.SerializeAsync(stream, new Entry<T>(Build, value), Options, cancellationToken);
            File.Move(temporary, path, overwrite: true);
            foreach (var old in new DirectoryInfo(Folder).EnumerateFiles().Where(f => DateTime.UtcNow - f.LastWriteTimeUtc > MaxAge)) old.Delete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not kept: the next run reads the image again.
            try { File.Delete(temporary); } catch (Exception again) when (again is IOException or UnauthorizedAccessException) { }
        }
    }

    private static string PathOf(string kind, string key)
    {
        var hex = key.StartsWith("sha256:", StringComparison.Ordinal) ? key["sha256:".Length..] : key;
        if (hex.Length == 0 || !hex.All(char.IsAsciiHexDigit)) throw new ArgumentException($"An image read is kept under a sha256 digest, not '{key}'.", nameof(key));
        return Path.Combine(Folder, $"{kind}-{hex}.json");
    }
}
