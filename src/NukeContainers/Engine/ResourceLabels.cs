using System.Diagnostics;

namespace NukeContainers.Engine;

/// <summary>
/// The labels on what the product makes in an engine. Working images and containers carry <see cref="Run"/>, naming
/// the process that made them, so that <see cref="ResourceReaper"/> can remove them after that process is gone, even
/// when it crashed. Delivered images carry only <see cref="BuiltBy"/>: a run label would change their id on every run.
/// </summary>
public static class ResourceLabels
{
    /// <summary>The run that made a working image or container: <c>host:pid:start</c>.</summary>
    public const string Run = "org.nukecontainers.run";

    /// <summary>On every image the pipeline builds.</summary>
    public const string BuiltBy = "org.nukecontainers.built-by";

    /// <summary>On the last image of each earlier stage the legacy builder keeps (value <c>earlier</c>).</summary>
    public const string Stage = "org.nukecontainers.stage";

    /// <summary>The value of <see cref="BuiltBy"/>.</summary>
    public const string Product = "nukecontainers";

    /// <summary>This process's run: its machine, its id and its start time, which together never repeat.</summary>
    public static string RunId { get; } = FormatRunId(Environment.MachineName, Environment.ProcessId, StartTime(Environment.ProcessId) ?? 0);

    internal static string FormatRunId(string machine, int pid, long startTicks) => $"{machine}:{pid}:{startTicks}";

    /// <summary>True when the run is a process on this machine that is no longer running.</summary>
    internal static bool IsDeadLocalRun(string runId)
    {
        var parts = runId.Split(':');
        if (parts.Length != 3 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], out var pid) || !long.TryParse(parts[2], out var ticks))
            return false;
        return StartTime(pid) != ticks; // no such process, or the id was reused by a later one
    }

    /// A process's start time as the kernel keeps it (clock ticks since boot, /proc/PID/stat field 22): the same whoever
    /// reads it, unlike Process.StartTime, which .NET derives from the boot time at the moment it is read.
    private static long? StartTime(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                return null;
            }
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().Ticks;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }
}
