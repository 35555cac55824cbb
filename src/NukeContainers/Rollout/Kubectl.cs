using System.ComponentModel;
using System.Text;
using System.Text.Json.Nodes;
using CliWrap;
using CliWrap.Buffered;

namespace NukeContainers.Rollout;

/// <summary>
/// kubectl, run through CliWrap with the kubeconfig, context and namespace given; every line it prints goes through
/// the secret mask before anything shows it.
/// </summary>
internal sealed class Kubectl(string program, string? kubeconfig, string? context, string? @namespace)
{
    private IEnumerable<string> Scope() =>
        (kubeconfig is null ? [] : new[] { "--kubeconfig", kubeconfig })
        .Concat(context is null ? [] : ["--context", context])
        .Concat(@namespace is null ? [] : ["--namespace", @namespace]);

    /// <summary>Where kubectl points: the context and namespace as the user would name them.</summary>
    public string Where => $"context {context ?? "(the kubeconfig's current)"}, namespace {@namespace ?? "(the context's)"}";

    /// <summary>Runs kubectl and returns its output; a failure is an error with its stderr and what to check.</summary>
    public async Task<string> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool check = true)
    {
        var result = await ExecuteAsync(arguments, null, cancellationToken);
        if (check && result.ExitCode != 0) throw Failure(arguments, result.StandardError);
        return result.StandardOutput;
    }

    /// <summary>Runs kubectl; returns its exit code, output and stderr whatever the code.</summary>
    public async Task<(int ExitCode, string Output, string Error)> RunWithCodeAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync(arguments, null, cancellationToken);
        return (result.ExitCode, result.StandardOutput, result.StandardError);
    }

    /// <summary>Runs kubectl and reads its JSON output.</summary>
    public async Task<JsonNode> JsonAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        JsonNode.Parse(await RunAsync([.. arguments, "-o", "json"], cancellationToken))!;

    /// <summary>Runs kubectl, handing each line it prints to <paramref name="log"/> as it comes; returns the exit code and stderr.</summary>
    public async Task<(int ExitCode, string Error)> StreamAsync(IReadOnlyList<string> arguments, Action<string> log, CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync(arguments, log, cancellationToken);
        return (result.ExitCode, result.StandardError);
    }

    private async Task<BufferedCommandResult> ExecuteAsync(IReadOnlyList<string> arguments, Action<string>? log, CancellationToken cancellationToken)
    {
        var command = Cli.Wrap(program).WithArguments([.. Scope(), .. arguments]).WithValidation(CommandResultValidation.None);
        if (log is not null) command = command.WithStandardOutputPipe(PipeTarget.ToDelegate(line => log(Scanning.Secrets.MaskPatterns(line))));
        try
        {
            var result = await command.ExecuteBufferedAsync(Encoding.UTF8, cancellationToken);
            return new BufferedCommandResult(result.ExitCode, result.StartTime, result.ExitTime,
                Scanning.Secrets.MaskPatterns(result.StandardOutput), Scanning.Secrets.MaskPatterns(result.StandardError));
        }
        catch (Win32Exception e)
        {
            throw new ContainerException($"kubectl could not be started ('{program}': {e.Message}). Install kubectl (1.28 or later) on PATH, or name it with --kubectl-path.", e);
        }
    }

    /// An error that shows kubectl's stderr, and what to check when it could not reach the cluster.
    public ContainerException Failure(IReadOnlyList<string> arguments, string standardError)
    {
        var error = Utils.Shell.Tail(standardError, 10);
        // kubectl says it in several words: "dial tcp ...: connect: connection refused", or (as it retries its discovery)
        // "The connection to the server 127.0.0.1:PORT was refused - did you specify the right host or port?".
        var unreachable = error.Contains("Unable to connect to the server", StringComparison.Ordinal) || error.Contains("connection refused", StringComparison.Ordinal)
                          || error.Contains("The connection to the server", StringComparison.Ordinal)
                          || error.Contains("no such host", StringComparison.Ordinal) || error.Contains("i/o timeout", StringComparison.Ordinal);
        var unauthorized = error.Contains("You must be logged in", StringComparison.Ordinal) || error.Contains("Unauthorized", StringComparison.Ordinal) || error.Contains("forbidden", StringComparison.OrdinalIgnoreCase);
        var hint = unreachable ? $"kubectl could not reach the cluster ({Where}): check --kube-context and --kubeconfig, and that the cluster is up and reachable from here."
            : unauthorized ? $"The cluster refused the credentials ({Where}): check the kubeconfig's user and its rights in the namespace."
            : error.Contains("context was not found", StringComparison.Ordinal) || error.Contains("does not exist", StringComparison.Ordinal) ? $"Check --kube-context and --kubeconfig ({Where})."
            : $"({Where})";
        var cause = error.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "it printed nothing on stderr";
        return new ContainerException($"kubectl {string.Join(' ', arguments)} failed: {cause}\n{error}\n{hint}");
    }
}
