using System.Text.RegularExpressions;
using NukeContainers.Utils;

namespace NukeContainers.Building;

/// Follows the legacy builder's text stream ("Step 2/5 : RUN make", " ---> Using cache") into instructions and a log
/// tail. ARGs before the first FROM are left out: like FROM, they have nothing for the cache to save.
internal sealed partial class LegacyProgress(Action<string> log)
{
    private readonly List<(string Name, bool Cached, DateTimeOffset Started)> _instructions = [];
    private readonly OutputTail _output = new();
    private readonly List<string> _stepImages = [];

    /// The image each step left (" ---> 4c0d255566d1", short ids), the base's and the last one's included; not the
    /// images of the LABEL that marks an earlier stage's last image (the run's reaper and Prune remove those).
    public IReadOnlyList<string> StepImages => _stepImages;

    /// The step running now: the engine may send a step's line and its newline apart, so a step line still waiting for
    /// its newline counts.
    public string? CurrentInstruction =>
        StepLine().Match(_output.Partial.TrimEnd('\r')) is { Success: true } pending ? pending.Groups[1].Value
        : _instructions.Count > 0 ? _instructions[^1].Name : null;
    public IReadOnlyList<string> Tail => _output.Lines;

    public IReadOnlyList<BuiltInstruction> Instructions(DateTimeOffset end) =>
        _instructions.Select((s, i) => new BuiltInstruction(s.Name, s.Cached,
                s.Cached ? TimeSpan.Zero : (i + 1 < _instructions.Count ? _instructions[i + 1].Started : end) - s.Started))
            .SkipWhile(s => !BuiltInstruction.IsBaseImage(s.Name))
            .Where(s => !BuiltInstruction.IsBaseImage(s.Name) && !s.Name.StartsWith(BuildContext.StageLabel, StringComparison.Ordinal)).ToList();

    public void Apply(string text)
    {
        foreach (var line in _output.Split(text))
        {
            log(line);
            if (StepLine().Match(line) is { Success: true } step)
            {
                _instructions.Add((step.Groups[1].Value, false, DateTimeOffset.UtcNow));
                _output.Clear();
            }
            else if (line.Trim() == "---> Using cache" && _instructions.Count > 0)
                _instructions[^1] = _instructions[^1] with { Cached = true };
            else if (StepImageLine().Match(line) is { Success: true } image
                     && !(_instructions.Count > 0 && _instructions[^1].Name.StartsWith(BuildContext.StageLabel, StringComparison.Ordinal)))
                _stepImages.Add(image.Groups[1].Value);
            else _output.Remember(line);
        }
    }

    [GeneratedRegex(@"^Step \d+/\d+ : (.*)$")]
    private static partial Regex StepLine();

    [GeneratedRegex(@"^ ---> ([0-9a-f]{12,64})$")]
    private static partial Regex StepImageLine();
}
