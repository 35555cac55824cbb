using System.Text.RegularExpressions;

namespace NukeContainers.Building;

/// Follows the legacy builder's text stream ("Step 2/5 : RUN make", " ---> Using cache") into steps and a log tail.
internal sealed partial class LegacyProgress(Action<string> log)
{
    private readonly List<(string Name, bool Cached, DateTimeOffset Started)> _steps = [];
    private readonly List<TimeSpan> _durations = [];
    private readonly Queue<string> _tail = new();
    private string _partial = "";

    public string? CurrentStep => _steps.Count > 0 ? _steps[^1].Name : null;
    public IReadOnlyList<string> Tail => _tail.ToList();

    public IReadOnlyList<BuildStep> Steps(DateTimeOffset end) =>
        _steps.Select((s, i) => new BuildStep(s.Name, s.Cached,
                s.Cached ? TimeSpan.Zero : (i + 1 < _steps.Count ? _steps[i + 1].Started : end) - s.Started))
            .Where(s => !BuildStep.IsBaseImage(s.Name)).ToList();

    public void Apply(string text)
    {
        var lines = (_partial + text).Split('\n');
        _partial = lines[^1];
        foreach (var line in lines[..^1].Select(l => l.TrimEnd('\r')))
        {
            log(line);
            if (StepLine().Match(line) is { Success: true } step)
            {
                _steps.Add((step.Groups[1].Value, false, DateTimeOffset.UtcNow));
                _tail.Clear();
            }
            else if (line.Trim() == "---> Using cache" && _steps.Count > 0)
                _steps[^1] = _steps[^1] with { Cached = true };
            else
            {
                _tail.Enqueue(line);
                if (_tail.Count > 20) _tail.Dequeue();
            }
        }
    }

    [GeneratedRegex(@"^Step \d+/\d+ : (.*)$")]
    private static partial Regex StepLine();
}
