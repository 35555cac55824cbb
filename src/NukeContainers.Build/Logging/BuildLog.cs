namespace NukeContainers.Build;

/// <summary>How much the build prints. The log file always gets everything.</summary>
public enum Verbosity
{
    /// <summary>Errors and the verdict.</summary>
    Quiet,
    /// <summary>Warnings, target headers and the summary.</summary>
    Minimal,
    /// <summary>What each target does.</summary>
    Normal,
    /// <summary>Everything, including tool command lines and stack traces.</summary>
    Verbose,
}

/// <summary>
/// The build's log: to the console at the chosen verbosity and, in full, to a log file.
/// Every line is masked for secrets before it is written anywhere.
/// </summary>
public sealed class BuildLog : IDisposable
{
    private readonly object _gate = new();
    private readonly TextWriter _console;
    private readonly StreamWriter? _file;

    /// <summary>Creates a log that writes to <paramref name="console"/> and, when given, to <paramref name="logFile"/>.</summary>
    public BuildLog(TextWriter console, Verbosity verbosity, SecretMasker masker, string? logFile = null)
    {
        _console = console;
        Verbosity = verbosity;
        Masker = masker;
        if (logFile is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        (_file, LogFile) = Open(logFile);
    }

    /// The log file, the only writer's while the build runs (others may read it: a build context at the repository's
    /// root reads it into the tar). When another build in the same folder writes it, opening it alone fails, and
    /// this one writes build.PID.log beside it instead of truncating the other's lines.
    private static (StreamWriter, string) Open(string logFile)
    {
        try
        {
            using (new FileStream(logFile, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None)) { }   // no other build writes it
            return (new StreamWriter(new FileStream(logFile, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true }, logFile);
        }
        catch (IOException)
        {
            var own = Path.Combine(Path.GetDirectoryName(logFile)!, $"{Path.GetFileNameWithoutExtension(logFile)}.{Environment.ProcessId}{Path.GetExtension(logFile)}");
            return (new StreamWriter(new FileStream(own, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true }, own);
        }
    }

    /// <summary>The console verbosity.</summary>
    public Verbosity Verbosity { get; }

    /// <summary>The masker applied to every line.</summary>
    public SecretMasker Masker { get; }

    /// <summary>Where the full log goes, if anywhere.</summary>
    public string? LogFile { get; }

    /// <summary>Details: tool command lines, stack traces.</summary>
    public void Verbose(string message) => Write(Verbosity.Verbose, message);

    /// <summary>What the build is doing.</summary>
    public void Info(string message) => Write(Verbosity.Normal, message);

    /// <summary>Something the user should look at.</summary>
    public void Warn(string message) => Write(Verbosity.Minimal, "warning: " + message);

    /// <summary>Something failed.</summary>
    public void Error(string message) => Write(Verbosity.Quiet, "error: " + message);

    /// <summary>Writes a line shown from the given verbosity up.</summary>
    public void Write(Verbosity level, string message)
    {
        var masked = Masker.Apply(message);
        lock (_gate)
        {
            _file?.WriteLine(masked);
            if (level <= Verbosity) _console.WriteLine(masked);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _file?.Dispose();
}
