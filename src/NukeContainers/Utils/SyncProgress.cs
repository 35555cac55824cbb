namespace NukeContainers.Utils;

/// An IProgress that reports on the calling thread, unlike Progress&lt;T&gt;, which posts later.
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
