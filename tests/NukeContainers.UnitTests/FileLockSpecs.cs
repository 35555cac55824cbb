using NukeContainers.Utils;

namespace NukeContainers.Tests;

/// The machine-wide locks (the embedded engine's state, the local base images): a run that waits says for whom.
public sealed class FileLockSpecs : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public async Task A_run_that_waits_for_a_lock_says_which_process_holds_it_and_goes_on_when_it_is_released()
    {
        var path = Path.Combine(_folder.Path, "base-images.lock");
        var waiting = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = await FileLock.AcquireAsync(path, CancellationToken.None);

        var second = FileLock.AcquireAsync(path, CancellationToken.None, line => waiting.TrySetResult(line));
        var said = await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var stillWaiting = !second.IsCompleted;
        await held.DisposeAsync();
        await using var taken = await second.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(stillWaiting);
        Assert.StartsWith($"Waiting for {path}: another run holds it (process {Environment.ProcessId} (", said);
        Assert.Contains("this one goes on when that one is done with it.", said);
        Assert.Contains($"process {Environment.ProcessId}", await File.ReadAllTextAsync(path + ".holder"));   // the new holder's word
    }

    public void Dispose() => _folder.Dispose();
}
