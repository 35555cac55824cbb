using Spectre.Console;

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
        Interactive = ReferenceEquals(console, Console.Out) && !Console.IsOutputRedirected
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")) && Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive;
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

    /// <summary>What the build tells the CI platform it runs on (groups, annotations, masks, outputs); does nothing elsewhere.</summary>
    public CI.CiOutput Ci { get; internal set; } = CI.CiOutput.None;

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
            if (level > Verbosity) return;
            // While a live display runs, lines go through it, which keeps the display below them.
            if (_live is { } live) live.WriteLine(masked);
            else _console.WriteLine(masked);
        }
    }

    private IAnsiConsole? _live;

    /// The console a live display draws on: the terminal's, or a test's.
    private readonly IAnsiConsole _terminal = AnsiConsole.Console;

    /// A log whose live displays draw on <paramref name="terminal"/> (a test's console that records what is drawn).
    internal BuildLog(TextWriter console, Verbosity verbosity, SecretMasker masker, IAnsiConsole terminal) : this(console, verbosity, masker)
    {
        _terminal = terminal;
        Interactive = true;
    }

    /// <summary>
    /// True when the console is an interactive terminal and CI is not set: where a live display can be drawn. In a
    /// pipe, a file or CI, the log's own lines say the same, one line at a time.
    /// </summary>
    public bool Interactive { get; }

    /// <summary>
    /// Runs long work on several items (images) with a live line for each: its state as <paramref name="work"/> reports
    /// it through the callback (item, state), and the time since it started; the log's lines scroll above. Where the
    /// console is not <see cref="Interactive"/> (or the verbosity is below normal) nothing is drawn and the work just runs.
    /// </summary>
    public async Task<T> ShowProgressAsync<T>(IReadOnlyList<string> items, Func<Action<string, string>, Task<T>> work)
    {
        if (!Interactive || Verbosity < Verbosity.Normal || items.Count == 0) return await work((_, _) => { });
        var console = _terminal;
        T result = default!;
        await console.Progress().AutoClear(true).HideCompleted(false)
            .Columns(new Spectre.Console.TaskDescriptionColumn { Alignment = Spectre.Console.Justify.Left }, new Spectre.Console.ElapsedTimeColumn(), new Spectre.Console.SpinnerColumn())
            .StartAsync(async context =>
            {
                var tasks = items.Distinct().ToDictionary(i => i, i =>
                {
                    var task = context.AddTask(Spectre.Console.Markup.Escape($"{i}: waiting"), autoStart: true, maxValue: 1);
                    task.IsIndeterminate = true;
                    return task;
                });
                lock (_gate) _live = console;
                try
                {
                    result = await work((item, state) =>
                    {
                        if (!tasks.TryGetValue(item, out var task)) return;
                        task.Description = Spectre.Console.Markup.Escape($"{item}: {state}");
                        if (state is "done" or "failed" or "stopped" or "not started") task.StopTask();
                    });
                }
                finally
                {
                    lock (_gate) _live = null;
                }
            });
        return result;
    }

    /// <inheritdoc />
    public void Dispose() => _file?.Dispose();
}
