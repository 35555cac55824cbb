namespace NukeContainers.Utils;

/// Installs Debian packages that are missing (apt-get), updating the package lists only when an install needs it.
internal static class DebianPackages
{
    public static async Task EnsureInstalledAsync(Action<string> log, CancellationToken cancellationToken, params string[] packages)
    {
        var missing = new List<string>();
        foreach (var package in packages)
        {
            var status = await Shell.RunAsync("dpkg-query", ["-W", "-f=${Status}", package], cancellationToken, check: false);
            if (!status.StandardOutput.Contains("install ok installed")) missing.Add(package);
        }
        if (missing.Count == 0) return;
        log($"Installing {string.Join(", ", missing)} from Debian's packages (apt-get install)");
        var install = new[] { "install", "-y", "--no-install-recommends" }.Concat(missing).ToArray();
        if ((await Shell.RunAsync("apt-get", install, cancellationToken, check: false)).ExitCode != 0)
        {
            await Shell.RunAsync("apt-get", ["update"], cancellationToken);
            await Shell.RunAsync("apt-get", install, cancellationToken);
        }
    }
}
