using System.Text;
using CliWrap;

namespace NukeContainers.Build;

/// <summary>Runs command-line tools from targets, with their output in the build log.</summary>
public abstract partial class BuildHost
{
    /// <summary>Runs <c>dotnet</c> with the arguments, in the repository root.</summary>
    protected Task DotNet(CancellationToken cancellationToken, params string[] arguments) =>
        Run("dotnet", arguments, RootDirectory, cancellationToken);

    /// <summary>Runs <c>dotnet</c> with the arguments, in the repository root, with these environment variables set as well.</summary>
    protected Task DotNet(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken, params string[] arguments) =>
        Run("dotnet", arguments, RootDirectory, cancellationToken, environment);

    /// <summary>
    /// Runs a tool; each output line goes to the log (masked). A non-zero exit code throws with the command line,
    /// the exit code and the last lines of output; cancellation kills the process.
    /// </summary>
    protected async Task Run(string tool, IReadOnlyList<string> arguments, string workingDirectory, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var tail = new Queue<string>();
        void OnLine(string line)
        {
            Log.Info(line);
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 20) tail.Dequeue();
            }
        }

        var commandLine = $"{tool} {string.Join(' ', arguments)}";
        Log.Verbose($"> {commandLine}");
        var result = await CliWrap.Cli.Wrap(tool).WithArguments(arguments).WithWorkingDirectory(workingDirectory)
            .WithEnvironmentVariables(variables =>
            {
                foreach (var (name, value) in environment ?? new Dictionary<string, string>()) variables.Set(name, value);
            })
            .WithStandardOutputPipe(PipeTarget.ToDelegate(OnLine, Encoding.UTF8))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(OnLine, Encoding.UTF8))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new InvalidOperationException(
                $"'{commandLine}' exited with code {result.ExitCode}.\nIts last output:\n{string.Join('\n', tail)}");
    }
}
