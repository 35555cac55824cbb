using System.Linq.Expressions;
using System.Runtime.InteropServices;
using NukeContainers.Build.Execution;
using NukeContainers.Build.Parameters;
using NukeContainers.Build.Targets;

namespace NukeContainers.Build;

/// <summary>
/// The base of a build class. Targets are its properties, components are the interfaces it implements:
/// <code>class Build : BuildHost { public static int Main() => Execute&lt;Build&gt;(x => x.Test); ... }</code>
/// </summary>
public abstract partial class BuildHost : IBuild
{
    private AbsolutePath? _root;
    private BuildLog? _log;
    private ParameterSet? _parameters;

    /// <inheritdoc />
    public AbsolutePath RootDirectory => _root ?? throw NotStarted();

    /// <inheritdoc />
    public BuildLog Log => _log ?? throw NotStarted();

    /// <inheritdoc />
    public T? TryGetValue<T>(Expression<Func<T>> parameter)
    {
        var name = TargetReference.MemberName(parameter.Body);
        var parameters = _parameters ?? throw NotStarted();
        if (parameters.TryGetBound(name, out var value)) return (T?)value;
        // A value type cannot say 'not set': 'TryGetValue(() => Retries) ?? 3' would read 0, never 3.
        if (typeof(T).IsValueType && Nullable.GetUnderlyingType(typeof(T)) is null)
            throw new BuildDefinitionException(
                $"TryGetValue(() => {name}) reads a {typeof(T).Name}, which cannot say that the parameter was not set. " +
                $"Write TryGetValue<{typeof(T).Name}?>(() => {name}) ?? <its default>.");
        return default;
    }

    /// <summary>
    /// Runs the build with the process's command line and environment; Ctrl+C (or SIGTERM) cancels the running
    /// target and still runs AssuredAfterFailure targets; a second Ctrl+C cancels those too.
    /// </summary>
    /// <returns>The process exit code: 0 success, 1 a target failed, 2 bad usage, 130 cancelled.</returns>
    protected static int Execute<T>(params Expression<Func<T, Target>>[] defaultTargets) where T : BuildHost, new()
    {
        using var cancel = new CancellationTokenSource();
        using var force = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            // Cancelled on the thread pool, not on the runtime's signal thread: Cancel() would run the token's callbacks,
            // and the awaits they complete, inside this handler.
            _ = (cancel.IsCancellationRequested ? force : cancel).CancelAsync();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        var context = new BuildInvocation(Console.Out, environment, Directory.GetCurrentDirectory(), cancel.Token, force.Token);
        var defaults = defaultTargets.Select(t => TargetReference.MemberName(t.Body)).ToList();
        return BuildRunner.RunAsync(new T(), Environment.GetCommandLineArgs().Skip(1).ToList(), defaults, context)
            .GetAwaiter().GetResult().ExitCode;
    }

    private List<string>? _notes;

    /// <inheritdoc />
    public void Note(string note)
    {
        if (_notes is null) throw new InvalidOperationException("Notes belong to a target: call Note while a target executes.");
        lock (_notes) _notes.Add(note);
    }

    /// Starts collecting the running target's notes.
    internal void BeginNotes() => _notes = [];

    /// The running target's notes, and stops collecting.
    internal IReadOnlyList<string> EndNotes()
    {
        var notes = _notes ?? [];
        _notes = null;
        return notes;
    }

    internal void Start(AbsolutePath root, BuildLog log, ParameterSet parameters)
    {
        _root = root;
        _log = log;
        _parameters = parameters;
        if (this is IOnBuildInitialized initialized) initialized.OnBuildInitialized();
    }

    private static InvalidOperationException NotStarted() =>
        new("The build has not started: RootDirectory, Log and parameters are set when Execute runs the build, not in its constructor.");
}
