using System.Globalization;
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
        foreach (var instruction in dockerfile.Instructions) Check(instruction, path);
        // Ports are read when the stage is built (BuildKit's dispatch), after every instruction parsed: an unknown
        // instruction below a bad port is the error (held against Docker 20.10's frontend).
        if (ChecksPorts)
            foreach (var expose in dockerfile.Instructions.Where(i => i.Keyword == "EXPOSE"))
                foreach (var port in expose.Node.Values) CheckPort(port, (problem, withLine) => new DockerfileException(path, withLine ? expose.Line : null, problem));
    }

    private void Check(Instruction instruction, string path)
    {
        var line = instruction.Line;
        DockerfileException Error(string problem, bool withLine = true) => new(path, withLine ? line : null, problem);
        if (DockerfileParser.Unknown(instruction, path) is { } unknown) throw unknown;
        var node = instruction.Node;
        var flags = node.FlagValues.ToList();
        var allowed = Flags.GetValueOrDefault(instruction.Keyword, []);
        foreach (var (name, _) in flags)
            if (!allowed.Contains(name)) throw Error($"{instruction.Keyword} has no flag --{name} (unknown flag: --{name}). Its flags are: {(allowed.Length == 0 ? "none" : string.Join(", ", allowed.Select(a => "--" + a)))}.");
        var values = node.Values;
        switch (instruction.Keyword)
        {
            case "RUN":
                foreach (var (_, value) in flags.Where(f => f.Name == "mount")) CheckMount(value ?? "", Error);
                break;
            case "COPY" or "ADD":
                if (values.Count < 2)
                    throw Error($"{instruction.Keyword} requires at least two arguments, but only one was provided. Destination could not be determined: give a source and a destination.");
                break;
            case "WORKDIR" or "USER" or "MAINTAINER" or "STOPSIGNAL":
                if (values.Count != 1) throw Error($"{instruction.Keyword} requires exactly one argument.");
                break;
            case "ARG":
                if (values.Count == 0) throw Error("ARG requires at least one argument.");
                if (values.FirstOrDefault(v => v.StartsWith('=')) is { } blank) throw Error($"ARG names can not be blank ('{blank}').");
                break;
            case "VOLUME":
                if (values.Count == 0) throw Error("VOLUME requires at least one argument.");
                if (values.Any(v => v.Trim().Length == 0)) throw Error("VOLUME specified can not be an empty string.");
                break;
            case "SHELL":
                if (!node.Json || values.Count == 0) throw Error("SHELL requires the arguments to be in JSON form, such as SHELL [\"/bin/bash\", \"-c\"].");
                break;
            case "ENV" or "LABEL":
                if (values.Count == 0) throw Error($"{instruction.Keyword} requires at least one argument.");
                for (var i = 0; i < values.Count; i += 3)
                    if (values[i].Length == 0) throw Error($"{instruction.Keyword} names can not be blank ('={values[i + 1]}').");
                break;
            case "EXPOSE":
                if (values.Count == 0) throw Error("EXPOSE requires at least one argument.");
                break;
            case "HEALTHCHECK":
                CheckHealthcheck(flags, values, Error);
                break;
            case "ONBUILD":
                if (node.Trigger is not { } trigger) throw Error("ONBUILD requires at least one argument.");
                var keyword = trigger.Command.ToUpperInvariant();
                if (keyword is "ONBUILD") throw Error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed.");
                if (keyword is "FROM" or "MAINTAINER") throw Error($"{keyword} isn't allowed as an ONBUILD trigger.");
                break;
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

    private static void CheckHealthcheck(List<(string Name, string? Value)> flags, IReadOnlyList<string> values, Func<string, bool, DockerfileException> error)
    {
        if (values.Count == 0) throw error("HEALTHCHECK requires at least one argument.", true);
        var type = values[0].ToUpperInvariant();
        if (type == "NONE")
        {
            if (values.Count > 1 || flags.Count > 0) throw error("HEALTHCHECK NONE takes no arguments.", true);
            return;
        }
        foreach (var (name, value) in flags)
        {
            if (name == "retries")
            {
                if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var retries)) throw error($"HEALTHCHECK --retries={value}: not a whole number.", true);
                if (retries < 0) throw error($"--retries cannot be negative ({retries}).", true);
            }
            else if (!GoDuration().IsMatch(value ?? "")) throw error($"HEALTHCHECK --{name}={value}: time: invalid duration \"{value}\" (such as 30s or 1m30s).", true);
            else if (Nanoseconds(value!) is var nanoseconds && nanoseconds != 0 && nanoseconds < 1e6)
                throw error($"Interval \"{name}\" cannot be less than 1ms (HEALTHCHECK --{name}={value}; 0 means the default).", true);
        }
        if (type != "CMD") throw error($"Unknown type \"{type}\" in HEALTHCHECK (try CMD).", true);
        if (values.Count == 1) throw error("Missing command after HEALTHCHECK CMD.", true);
    }

    /// A Go duration that <see cref="GoDuration"/> took (<c>1m30s</c>, <c>500us</c>, <c>50ns</c>), in nanoseconds (a
    /// TimeSpan's 100 ns ticks would make 50ns zero, which means "the default").
    private static double Nanoseconds(string text) =>
        Regex.Matches(text, @"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)").Sum(part =>
            double.Parse(part.Groups[1].Value.Length == 0 ? "0" : part.Groups[1].Value, CultureInfo.InvariantCulture) * part.Groups[2].Value switch
            {
                "ns" => 1, "us" or "µs" => 1e3, "ms" => 1e6, "s" => 1e9, "m" => 60e9, _ => 3600e9,
            });

    [GeneratedRegex(@"^(?<start>\d+)(-(?<end>\d+))?(/(tcp|udp|sctp))?$", RegexOptions.IgnoreCase)]
    private static partial Regex Port();

    [GeneratedRegex(@"^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$|^0$")]
    private static partial Regex GoDuration();
}
