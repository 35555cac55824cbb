using System.Diagnostics;

namespace NukeContainers.Tests;

/// The real git in a test's folder: every commit at one fixed time (2026-01-02T03:04:05Z), so what a spec builds from it
/// does not depend on the clock.
internal static class Git
{
    public const string CommitTime = "2026-01-02T03:04:05Z";

    /// Runs git in <paramref name="folder"/> and returns its output; a failure fails the spec with git's error.
    public static string Run(string folder, params string[] arguments)
    {
        var start = new ProcessStartInfo("git", arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["GIT_COMMITTER_DATE"] = start.Environment["GIT_AUTHOR_DATE"] = CommitTime;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error.Result}");
        return output;
    }

    /// A new repository on branch main.
    public static void Init(string folder) => Run(folder, "init", "-q", "-b", "main");

    /// Commits every file in the folder and returns the commit's id.
    public static string Commit(string folder, string message, bool allowEmpty = false)
    {
        Run(folder, "add", "-A");
        Run(folder, ["-c", "user.email=t@example.com", "-c", "user.name=T", "commit", "-q", "-m", message, .. allowEmpty ? new[] { "--allow-empty" } : []]);
        return Run(folder, "rev-parse", "HEAD").Trim();
    }
}
