using System.Diagnostics;

namespace NukeContainers.Engine;

/// <summary>
/// A connection to an engine over SSH, as the docker CLI makes one for <c>DOCKER_HOST=ssh://[user@]host[:port]</c>: the
/// ssh client runs <c>docker system dial-stdio</c> on the host, which joins its stdin and stdout to the engine's socket
/// there; this stream is that process's stdout (read) and stdin (write). The ssh client's own configuration applies
/// (~/.ssh/config, the agent, known_hosts); it never prompts (BatchMode), so a missing key fails instead of waiting.
/// <c>NUKECONTAINERS_SSH_COMMAND</c> replaces <c>ssh</c> (such as <c>ssh -F /path/to/config</c>), as GIT_SSH_COMMAND does for git.
/// </summary>
internal sealed class SshConnection : Stream
{
    private readonly Process _process;
    private readonly Stream _input;
    private readonly Stream _output;
    private readonly System.Text.StringBuilder _errors = new();
    /// Set when ssh's stderr ends: its last line (why it failed) may come after its exit is seen.
    private readonly TaskCompletionSource _errorsEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SshConnection(Process process)
    {
        _process = process;
        _input = process.StandardOutput.BaseStream;
        _output = process.StandardInput.BaseStream;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) { _errorsEnded.TrySetResult(); return; }
            lock (_errors) _errors.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
    }

    /// The ssh command line: NUKECONTAINERS_SSH_COMMAND split on spaces, else ssh.
    internal static string[] Command() =>
        Environment.GetEnvironmentVariable("NUKECONTAINERS_SSH_COMMAND") is { Length: > 0 } command
            ? command.Split(' ', StringSplitOptions.RemoveEmptyEntries) : ["ssh"];

    public static Task<Stream> OpenAsync(EngineEndpoint endpoint, CancellationToken cancellationToken)
    {
        var command = Command();
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1)) start.ArgumentList.Add(argument);
        foreach (var argument in new[] { "-T", "-o", "ConnectTimeout=30", "-o", "BatchMode=yes" }) start.ArgumentList.Add(argument);
        if (endpoint.SshUser is { } user) { start.ArgumentList.Add("-l"); start.ArgumentList.Add(user); }
        if (endpoint.SshPort is { } port) { start.ArgumentList.Add("-p"); start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        foreach (var argument in new[] { "--", endpoint.SshHost!, "docker", "system", "dial-stdio" }) start.ArgumentList.Add(argument);
        try
        {
            return Task.FromResult<Stream>(new SshConnection(Process.Start(start)!));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ContainerException($"DOCKER_HOST={endpoint.Uri} needs the ssh client, and '{command[0]}' cannot be run ({e.Message}): install openssh-client.", e);
        }
    }

    /// What ssh said on stderr, its last lines: why the connection failed. Read once stderr has ended (or after 2 s):
    /// under load, "Permission denied (publickey)" was read after the exit and missing from the error (a CI run).
    private string Errors()
    {
        _errorsEnded.Task.Wait(TimeSpan.FromSeconds(2));
        lock (_errors) return Utils.Shell.Tail(_errors.ToString(), 5);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _input.ReadAsync(buffer, cancellationToken);
        if (read == 0 && _process.WaitForExit(2000) && _process.ExitCode != 0)
            throw new IOException($"ssh exited with code {_process.ExitCode}: {Errors()}");
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _output.WriteAsync(buffer, cancellationToken);
            await _output.FlushAsync(cancellationToken);
        }
        catch (IOException e) when (_process.HasExited)
        {
            throw new IOException($"ssh exited with code {_process.ExitCode}: {Errors()}", e);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

    public override void Flush() => _output.Flush();

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                _output.Dispose();
                if (!_process.WaitForExit(1000)) _process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                // already gone
            }
            _process.Dispose();
        }
        base.Dispose(disposing);
    }
}
