using System.Text.RegularExpressions;
using NukeContainers.Utils;

namespace NukeContainers.Building;

/// Follows the legacy builder's text stream ("Step 2/5 : RUN make", " ---> Using cache") into steps and a log tail.
internal sealed partial class LegacyProgress(Action<string> log)
{
    private readonly List<(string Name, bool Cached, DateTimeOffset Started)> _steps = [];
    private readonly OutputTail _output = new();

    public string? CurrentStep => _steps.Count > 0 ? _steps[^1].Name : null;
    public IReadOnlyList<string> Tail => _output.Lines;

    public IReadOnlyList<BuildStep> Steps(DateTimeOffset end) =>
        _steps.Select((s, i) => new BuildStep(s.Name, s.Cached,
                s.Cached ? TimeSpan.Zero : (i + 1 < _steps.Count ? _steps[i + 1].Started : end) - s.Started))
            .Where(s => !BuildStep.IsBaseImage(s.Name)).ToList();

    public void Apply(string text)
    {
        foreach (var line in _output.Split(text))
        {
            log(line);
            if (StepLine().Match(line) is { Success: true } step)
            {
                _steps.Add((step.Groups[1].Value, false, DateTimeOffset.UtcNow));
                _output.Clear();
            }
            else if (line.Trim() == "---> Using cache" && _steps.Count > 0)
                _steps[^1] = _steps[^1] with { Cached = true };
            else _output.Remember(line);
        }
    }

    [GeneratedRegex(@"^Step \d+/\d+ : (.*)$")]
    private static partial Regex StepLine();
}
