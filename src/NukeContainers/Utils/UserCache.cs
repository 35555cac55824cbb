namespace NukeContainers.Utils;

/// The user's cache folders: <c>$XDG_CACHE_HOME/nukecontainers/NAME</c>, or <c>~/.cache/nukecontainers/NAME</c>.
internal static class UserCache
{
    public static string Folder(string name) => Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
        "nukecontainers", name);
}
