using NukeContainers.Utils;

namespace NukeContainers.Provisioning;

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
        // Another apt-get at work (a parallel test, the system's own) holds dpkg's lock: wait for it rather than fail.
        var install = new[] { "-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends" }.Concat(missing).ToArray();
        using var _ = NoServiceStarts.Create();
        if ((await Shell.RunAsync("apt-get", install, cancellationToken, check: false)).ExitCode != 0)
        {
            await Shell.RunAsync("apt-get", ["update"], cancellationToken);
            await Shell.RunAsync("apt-get", install, cancellationToken);
        }
    }

    /// <summary>
    /// Downloads packages of another Debian release (<c>trixie</c>) with apt-get, without installing them (lists and
    /// cache of their own in <paramref name="folder"/>; apt checks the release's signatures), and unpacks them into
    /// <c>folder/root</c>. Returns that root. Done once: a root with a <c>.complete</c> file listing the same packages is reused.
    /// With <paramref name="architecture"/> (<c>arm64</c>), the packages of that architecture (their files are never run
    /// here but with an emulator named explicitly).
    /// </summary>
    public static async Task<string> UnpackFromReleaseAsync(string folder, string release, IReadOnlyList<string> packages, Action<string> log,
        CancellationToken cancellationToken, string? architecture = null)
    {
        var root = Path.Combine(folder, "root");
        var marker = Path.Combine(root, ".complete");
        var wanted = $"{release}{(architecture is null ? "" : "/" + architecture)}: {string.Join(' ', packages)}";
        if (File.Exists(marker) && (await File.ReadAllTextAsync(marker, cancellationToken)).Trim() == wanted) return root;
        log($"Downloading {string.Join(", ", packages)} from Debian {release}{(architecture is null ? "" : $" ({architecture})")} into {folder} (unpacked there, not installed)");
        foreach (var sub in new[] { "lists/partial", "cache/archives/partial", "debs" }) Directory.CreateDirectory(Path.Combine(folder, sub));
        var sources = Path.Combine(folder, "sources.list");
        await File.WriteAllTextAsync(sources, $"deb http://deb.debian.org/debian {release} main\n", cancellationToken);
        string[] options = ["-q", "-o", $"Dir::Etc::SourceList={sources}", "-o", "Dir::Etc::SourceParts=/dev/null", "-o", $"Dir::State::Lists={Path.Combine(folder, "lists")}",
            "-o", $"Dir::Cache={Path.Combine(folder, "cache")}", "-o", "APT::Sandbox::User=root",
            .. architecture is null ? Array.Empty<string>() : ["-o", $"APT::Architecture={architecture}", "-o", $"APT::Architectures::={architecture}"]];
        await Shell.RunAsync("apt-get", [.. options, "update"], cancellationToken);
        var debs = Path.Combine(folder, "debs");
        foreach (var old in Directory.EnumerateFiles(debs, "*.deb")) File.Delete(old);
        await Shell.RunAsync("apt-get", [.. options, "download", .. packages], cancellationToken, workingDirectory: debs);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(root);
        foreach (var deb in Directory.EnumerateFiles(debs, "*.deb").Order(StringComparer.Ordinal))
            await Shell.RunAsync("dpkg-deb", ["-x", deb, root], cancellationToken);
        await File.WriteAllTextAsync(marker, wanted + "\n", cancellationToken);
        return root;
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
