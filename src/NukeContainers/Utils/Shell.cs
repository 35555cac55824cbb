using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace NukeContainers.Utils;

/// Runs the machine's programs (apt-get, dpkg-query, setsid) for the local environment.
internal static class Shell
{
    public static async Task<BufferedCommandResult> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool check = true,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var result = await Cli.Wrap(program).WithArguments(arguments).WithWorkingDirectory(workingDirectory ?? Directory.GetCurrentDirectory())
            .WithEnvironmentVariables(e =>
            {
                e.Set("DEBIAN_FRONTEND", "noninteractive");
                foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) e.Set(name, value);
            })
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(Encoding.UTF8, cancellationToken);
        if (check && result.ExitCode != 0)
            throw new ContainerException(
                $"'{program} {string.Join(' ', arguments)}' exited with code {result.ExitCode}:\n{Tail(result.StandardError + result.StandardOutput, 20)}");
        return result;
    }

    public static string Tail(string text, int lines) =>
        string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
}
