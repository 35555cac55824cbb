namespace NukeContainers.Utils;

/// Splits output that arrives in pieces into whole lines, and remembers the last few for an error message.
internal sealed class OutputTail(int capacity = 20)
{
    private readonly Queue<string> _remembered = new();
    private string _partial = "";

    /// The lines the text completes; a trailing piece without its newline waits for the next text.
    public IReadOnlyList<string> Split(string text)
    {
        var parts = (_partial + text).Split('\n');
        _partial = parts[^1];
        return parts[..^1].Select(l => l.TrimEnd('\r')).ToList();
    }

    public void Remember(string line)
    {
        _remembered.Enqueue(line);
        if (_remembered.Count > capacity) _remembered.Dequeue();
    }

    public void Clear() => _remembered.Clear();

    /// The piece of a line that came without its newline yet.
    public string Partial => _partial;

    /// The remembered lines, and the unfinished one if there is one.
    public IReadOnlyList<string> Lines => _remembered.Append(_partial).Where(l => l.Length > 0).ToList();
}
