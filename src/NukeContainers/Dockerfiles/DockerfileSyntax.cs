using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace NukeContainers.Dockerfiles;

/// <summary>
/// What a Dockerfile frontend accepts beyond the grammar: the flags of each instruction, the arguments each needs,
/// mounts, ports and durations. <see cref="Engine2010"/> is the frontend built into Docker 20.10 engines (no heredocs,
/// no <c>RUN --network</c>, no <c>COPY --link</c>; duplicate stage names pass); <see cref="Current"/> is today's.
/// <see cref="Validate"/> fails where that frontend fails, at the same line when the frontend names one.
/// </summary>
public sealed partial record DockerfileSyntax(bool Heredocs, IReadOnlyDictionary<string, string[]> Flags, IReadOnlySet<string> MountKeys, bool UniqueStageNames)
{
    /// <summary>
    /// Whether EXPOSE's ports are checked as the engine checks them; the lint reads them itself (DL3011) and leaves
    /// this off, so that a bad port is a finding on its line rather than an error.
    /// </summary>
    public bool ChecksPorts { get; init; } = true;

    /// <summary>The frontend of Docker 20.10 (BuildKit 0.8's dockerfile.v0), as this machine's engine has it.</summary>
    public static DockerfileSyntax Engine2010 { get; } = new(false, new Dictionary<string, string[]>
    {
        ["FROM"] = ["platform"], ["RUN"] = ["mount"], ["COPY"] = ["from", "chown", "chmod"], ["ADD"] = ["chown", "chmod"],
        ["HEALTHCHECK"] = ["interval", "timeout", "start-period", "retries"],
    }, new HashSet<string>(["type", "target", "dst", "destination", "source", "src", "from", "readonly", "ro", "rw", "readwrite", "id", "sharing", "mode", "uid", "gid", "required", "size"]), false);

    /// <summary>Today's frontend (docker/dockerfile:1): heredocs, more flags, unique stage names.</summary>
    public static DockerfileSyntax Current { get; } = new(true, new Dictionary<string, string[]>
    {
        ["FROM"] = ["platform"], ["RUN"] = ["mount", "network", "security", "device"], ["COPY"] = ["from", "chown", "chmod", "link", "parents", "exclude"],
        ["ADD"] = ["chown", "chmod", "link", "checksum", "keep-git-dir", "exclude", "unpack"], ["ONBUILD"] = [],
        ["HEALTHCHECK"] = ["interval", "timeout", "start-period", "start-interval", "retries"],
    }, new HashSet<string>(["type", "target", "dst", "destination", "source", "src", "from", "readonly", "ro", "rw", "readwrite", "id", "sharing", "mode", "uid", "gid", "required", "size", "env"]), true);

    /// <summary>
    /// What some frontend accepts, for reading a Dockerfile before the engine is known (its stages, its base images):
    /// today's flags and heredocs, and duplicate stage names. The build step checks again with the engine's syntax.
    /// </summary>
    public static DockerfileSyntax Any { get; } = Current with { UniqueStageNames = false };

    /// <summary>
    /// The frontend built into Docker 23 to 27 (BuildKit 0.11 to 0.16): today's flags and heredocs, and duplicate stage
    /// names still pass (held against Docker 26.1.5, API 1.45, which builds them).
    /// </summary>
    public static DockerfileSyntax Engine2026 { get; } = Current with { UniqueStageNames = false };

    /// <summary>
    /// The syntax of an engine, by its API version: before 1.42 (Docker 23) 20.10's frontend; before 1.48 (Docker 28)
    /// today's without unique stage names; then today's. 1.41 and 1.45 are held against real engines here; the
    /// boundary at 1.48 is BuildKit's release notes' (unique stage names enforced from its 0.17).
    /// </summary>
    public static DockerfileSyntax ForApiVersion(string? apiVersion) =>
        !Version.TryParse(apiVersion, out var version) ? Current
        : version < new Version(1, 42) ? Engine2010
        : version < new Version(1, 48) ? Engine2026
        : Current;

    /// <summary>
    /// The syntax a Dockerfile is read with on an engine: a <c># syntax=</c> directive names a frontend image of its
    /// own (taken as today's), otherwise the engine's built-in frontend, by its API version.
    /// </summary>
    public static DockerfileSyntax ForEngine(string? apiVersion, Dockerfile dockerfile) =>
        dockerfile.Directives.ContainsKey("syntax") ? Current : ForApiVersion(apiVersion);

    private static readonly HashSet<string> MountTypes = ["bind", "cache", "tmpfs", "secret", "ssh"];

    /// <summary>Checks each instruction as the frontend does; the first problem is a <see cref="DockerfileException"/>.</summary>
    public void Validate(Dockerfile dockerfile)
    {
        var path = dockerfile.Path;
        if (UniqueStageNames)
            foreach (var group in dockerfile.Stages.Where(s => s.Name is not null).GroupBy(s => s.Name!.ToLowerInvariant()).Where(g => g.Count() > 1))
                throw new DockerfileException(path, group.ElementAt(1).From.Line, $"the stage name '{group.ElementAt(1).Name}' is used twice.");
        foreach (var instruction in dockerfile.Instructions) Check(instruction, path, onbuild: false);
    }

    private void Check(Instruction instruction, string path, bool onbuild)
    {
        var line = instruction.Line;
        DockerfileException Error(string problem, bool withLine = true) => new(path, withLine ? line : null, problem);
        var (flags, rest) = SplitFlags(instruction.Arguments);
        var allowed = Flags.GetValueOrDefault(instruction.Keyword, []);
        foreach (var (name, _) in flags)
            if (!allowed.Contains(name)) throw Error($"{instruction.Keyword} has no flag --{name} (Unknown flag: {name}). Its flags are: {(allowed.Length == 0 ? "none" : string.Join(", ", allowed.Select(a => "--" + a)))}.");
        var words = rest.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        // JSON that is an array of anything but strings is no shell form to fall back to: the frontend refuses it.
        if (instruction.Keyword is "RUN" or "CMD" or "ENTRYPOINT" or "SHELL" or "COPY" or "ADD" or "VOLUME" && IsArrayOfOtherThanStrings(rest))
            throw Error("when using JSON array syntax, arrays must be comprised of strings only.", withLine: false);
        var json = IsJsonArray(rest, out var array);
        switch (instruction.Keyword)
        {
            case "RUN":
                foreach (var (_, value) in flags.Where(f => f.Name == "mount")) CheckMount(value ?? "", Error);
                break;
            case "COPY" or "ADD":
                if ((json ? array!.Length : words.Length) < 2 && instruction.Heredocs.Count == 0)
                    throw Error($"{instruction.Keyword} requires at least two arguments, a source and a destination.");
                break;
            case "WORKDIR" or "USER" or "MAINTAINER" or "STOPSIGNAL":
                if (words.Length == 0) throw Error($"{instruction.Keyword} requires exactly one argument.");
                break;
            case "ARG" or "VOLUME":
                if (words.Length == 0) throw Error($"{instruction.Keyword} requires at least one argument.");
                break;
            case "SHELL":
                if (!json || array!.Length == 0) throw Error("SHELL requires the arguments to be in JSON form, such as SHELL [\"/bin/bash\", \"-c\"].");
                break;
            case "ENV" or "LABEL":
                CheckPairs(instruction.Keyword, rest, Error);
                break;
            case "EXPOSE":
                if (words.Length == 0) throw Error("EXPOSE requires at least one argument.");
                if (ChecksPorts) foreach (var port in words) CheckPort(port, Error);
                break;
            case "HEALTHCHECK":
                CheckHealthcheck(flags, words, Error);
                break;
            case "ONBUILD":
                if (words.Length == 0) throw Error("ONBUILD requires at least one argument.");
                var trigger = words.FirstOrDefault()?.ToUpperInvariant();
                if (trigger is "ONBUILD") throw Error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed.");
                if (trigger is "FROM" or "MAINTAINER") throw Error($"{trigger} isn't allowed as an ONBUILD trigger.");
                break;
        }
    }

    /// Leading --name[=value] words; the rest.
    private static (List<(string Name, string? Value)> Flags, string Remainder) SplitFlags(string arguments)
    {
        var flags = new List<(string, string?)>();
        var rest = arguments.TrimStart();
        while (rest.StartsWith("--", StringComparison.Ordinal))
        {
            var end = rest.IndexOfAny([' ', '\t']);
            var word = end < 0 ? rest : rest[..end];
            var equals = word.IndexOf('=');
            flags.Add(equals < 0 ? (word[2..], null) : (word[2..equals], word[(equals + 1)..]));
            rest = end < 0 ? "" : rest[end..].TrimStart();
        }
        return (flags, rest);
    }

    /// True for JSON that is an array with something else than a string in it (<c>["a", ["b"]]</c>).
    private static bool IsArrayOfOtherThanStrings(string text)
    {
        if (!text.TrimStart().StartsWith('[')) return false;
        try
        {
            using var json = JsonDocument.Parse(text);
            return json.RootElement.ValueKind == JsonValueKind.Array && json.RootElement.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsJsonArray(string text, out string[]? array)
    {
        array = null;
        if (!text.TrimStart().StartsWith('[')) return false;
        try
        {
            array = JsonSerializer.Deserialize<string[]>(text);
            return array is not null;
        }
        catch (JsonException)
        {
            return false;   // not JSON: the shell form, as the frontend reads it
        }
    }

    private void CheckMount(string value, Func<string, bool, DockerfileException> error)
    {
        var fields = value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('=', 2)).ToList();
        var type = fields.FirstOrDefault(f => f[0] == "type") is { Length: 2 } t ? t[1] : "bind";
        if (!MountTypes.Contains(type)) throw error($"unsupported mount type \"{type}\": use bind, cache, tmpfs, secret or ssh.", true);
        foreach (var field in fields)
            if (!MountKeys.Contains(field[0].ToLowerInvariant())) throw error($"unexpected key '{field[0]}' in '{string.Join('=', field)}' of --mount.", true);
        var hasTarget = fields.Any(f => f[0] is "target" or "dst" or "destination" && f.Length == 2 && f[1].Length > 0);
        if (!hasTarget && type is "bind" or "cache" or "tmpfs") throw error($"the {type} mount needs a target (target=/path): invalid mount target \"/\".", false);
    }

    /// ENV and LABEL: key=value pairs, or the old form "KEY value" (ENV only in practice; LABEL needs a value too).
    private static void CheckPairs(string keyword, string rest, Func<string, bool, DockerfileException> error)
    {
        var words = rest.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) throw error($"{keyword} requires at least one argument.", true);
        if (!words[0].Contains('='))
        {
            if (words.Length < 2) throw error($"{keyword} must have two arguments: {keyword} {words[0]}=VALUE.", false);
            return;
        }
        if (words[0].StartsWith('=')) throw error($"{keyword} names can not be blank ('{words[0]}').", true);
    }

    /// A port or a range as the engine reads it (go-connections' nat.ParsePortRange: 16-bit numbers, so 0 passes and
    /// 65536 does not; a range may not run backwards).
    private static void CheckPort(string port, Func<string, bool, DockerfileException> error)
    {
        var match = Port().Match(port);
        if (!match.Success)
        {
            var slash = port.IndexOf('/');
            if (slash >= 0 && Port().IsMatch(port[..slash] + "/tcp")) throw error($"Invalid proto: {port[(slash + 1)..]} (EXPOSE takes tcp, udp or sctp).", false);
            throw error($"Invalid containerPort: {port} (EXPOSE takes a port or a range, with an optional /tcp, /udp or /sctp).", false);
        }
        var start = match.Groups["start"].Value;
        var end = match.Groups["end"].Success ? match.Groups["end"].Value : start;
        if (!ushort.TryParse(start, CultureInfo.InvariantCulture, out var first) || !ushort.TryParse(end, CultureInfo.InvariantCulture, out var last))
            throw error($"Invalid containerPort: {port} (a port is 0 to 65535).", false);
        if (last < first) throw error($"Invalid containerPort: {port} (a range runs from the lower port to the higher).", false);
    }

    private static void CheckHealthcheck(List<(string Name, string? Value)> flags, string[] words, Func<string, bool, DockerfileException> error)
    {
        foreach (var (name, value) in flags)
        {
            if (name == "retries")
            {
                if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)) throw error($"HEALTHCHECK --retries={value}: not a whole number.", true);
            }
            else if (!GoDuration().IsMatch(value ?? "")) throw error($"HEALTHCHECK --{name}={value}: time: invalid duration \"{value}\" (such as 30s or 1m30s).", true);
            else if (Duration(value!) is var duration && duration != TimeSpan.Zero && duration < TimeSpan.FromMilliseconds(1))
                throw error($"Interval \"{name}\" cannot be less than 1ms (HEALTHCHECK --{name}={value}; 0 means the default).", true);
        }
        var type = words.FirstOrDefault()?.ToUpperInvariant();
        if (type == "NONE")
        {
            if (words.Length > 1 || flags.Count > 0) throw error("HEALTHCHECK NONE takes no arguments.", true);
        }
        else if (type != "CMD") throw error($"Unknown type \"{type}\" in HEALTHCHECK (try CMD).", true);
    }

    /// A Go duration that <see cref="GoDuration"/> took (<c>1m30s</c>, <c>500us</c>, <c>1.5h</c>).
    private static TimeSpan Duration(string text)
    {
        var ticks = 0.0;
        foreach (Match part in Regex.Matches(text, @"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)"))
            ticks += double.Parse(part.Groups[1].Value.Length == 0 ? "0" : part.Groups[1].Value, CultureInfo.InvariantCulture) * part.Groups[2].Value switch
            {
                "ns" => 0.01, "us" or "µs" => 10, "ms" => 10_000, "s" => 10_000_000, "m" => 600_000_000, _ => 36_000_000_000,
            };
        return TimeSpan.FromTicks((long)ticks);
    }

    [GeneratedRegex(@"^(?<start>\d+)(-(?<end>\d+))?(/(tcp|udp|sctp))?$", RegexOptions.IgnoreCase)]
    private static partial Regex Port();

    [GeneratedRegex(@"^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$|^0$")]
    private static partial Regex GoDuration();
}
