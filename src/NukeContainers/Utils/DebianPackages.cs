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
        using var _ = NoServiceStarts.Create();
        if ((await Shell.RunAsync("apt-get", install, cancellationToken, check: false)).ExitCode != 0)
        {
            await Shell.RunAsync("apt-get", ["update"], cancellationToken);
            await Shell.RunAsync("apt-get", install, cancellationToken);
        }
    }

    /// Debian's policy-rc.d convention: while it exits 101, package scripts start no services. Installing docker.io
    /// must not start a dockerd of its own (with the default bridge network); the local environment starts its own.
    private sealed class NoServiceStarts : IDisposable
    {
        private const string Policy = "/usr/sbin/policy-rc.d";
        private readonly bool _created;

        private NoServiceStarts(bool created) => _created = created;

        public static NoServiceStarts Create()
        {
            if (File.Exists(Policy) || !Directory.Exists(Path.GetDirectoryName(Policy))) return new NoServiceStarts(false);
            File.WriteAllText(Policy, "#!/bin/sh\n# written by NukeContainers while it installs packages\nexit 101\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Policy, (UnixFileMode)0b111_101_101);
            return new NoServiceStarts(true);
        }

        public void Dispose()
        {
            if (_created) File.Delete(Policy);
        }
    }
}
