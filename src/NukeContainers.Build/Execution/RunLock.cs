namespace NukeContainers.Build.Execution;

/// <summary>
/// One run at a time in a repository: a run holds <c>artifacts/.run.lock</c> while it works, so two runs in one clone
/// never share what the steps hand each other through <c>artifacts/</c> (report.json, the log, the test results): a
/// second run waits for the first to end, saying so. The lock is the operating system's, so a run that dies frees it.
/// </summary>
internal sealed class RunLock : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly string _holder;

    private RunLock(FileStream stream, string holder) => (_stream, _holder) = (stream, holder);

    public static async Task<RunLock> AcquireAsync(string root, string commandLine, TextWriter output, CancellationToken cancellationToken)
    {
        var artifacts = Path.Combine(root, "artifacts");
        Directory.CreateDirectory(artifacts);
        var path = Path.Combine(artifacts, ".run.lock");
        var holder = Path.Combine(artifacts, ".run.holder");
        var told = false;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Unix (and a sharing lock on Windows): held until disposed or the process ends.
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                await File.WriteAllTextAsync(holder, $"{Environment.ProcessId} {DateTimeOffset.Now:O} {commandLine}", cancellationToken);
                return new RunLock(stream, holder);
            }
            catch (IOException)
            {
                if (!told)
                {
                    var who = File.Exists(holder) ? File.ReadAllText(holder).Split(' ', 3) : [];
                    output.WriteLine($"Another run of this build is using {artifacts} ({(who.Length == 3 ? $"pid {who[0]}, started {who[1]}: {who[2]}" : "its report and log")}); " +
                                     "waiting for it to end, so that neither reads the other's report. Ctrl+C stops waiting.");
                    told = true;
                }
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { File.Delete(_holder); }
        catch (IOException) { }
        await _stream.DisposeAsync();
    }
}
