using System.Text.RegularExpressions;

namespace NukeContainers.Dockerfiles;

/// The rules that have hadolint's ids, as hadolint's own specs hold them (HadolintAgreementSpecs): each reads the RUN
/// scripts as commands and flags (<see cref="ShellScript"/>), as hadolint reads them through ShellCheck's parser.
public static partial class DockerfileLint
{
    /// One instruction as the rules see it: FROM lines included, an ONBUILD's trigger unwrapped in its own pass.
    private sealed record Step(string Keyword, string Arguments, int Line)
    {
        /// A RUN's flags (--mount=...) and its script (the JSON form's words joined).
        public (string Flags, ShellScript Script, string Text) Run()
        {
            var flags = RunFlags().Match(Arguments).Value;
            var text = Arguments[flags.Length..].Trim();
            if (text.StartsWith('[') && text.EndsWith(']'))
                text = string.Join(' ', Regex.Matches(text, "\"((?:[^\"\\\\]|\\\\.)*)\"").Select(m => m.Groups[1].Value));
            return (flags, ShellScript.Parse(text), text);
        }
    }

    [GeneratedRegex(@"^(\s*--\S+)*")]
    private static partial Regex RunFlags();

    /// Whether the RUN mounts a cache or tmpfs at a target that holds <paramref name="path"/>.
    private static bool MountsCacheAt(string flags, string path) =>
        Regex.Matches(flags, @"--mount=(\S+)").Any(m =>
        {
            var options = m.Groups[1].Value.Split(',').Select(o => o.Split('=', 2)).Where(o => o.Length == 2).ToDictionary(o => o[0], o => o[1]);
            return options.GetValueOrDefault("type") is "cache" or "tmpfs"
                   && (options.GetValueOrDefault("target") ?? options.GetValueOrDefault("dst") ?? options.GetValueOrDefault("destination") ?? "").Contains(path, StringComparison.Ordinal);
        });

    private static readonly string[] Truthy = ["1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES"];

    private static string DropQuotes(string text) => text.Trim('"', '\'');

    private static bool IsWindowsAbsolute(string path) => path.Length >= 2 && char.IsLetter(path[0]) && path[1] == ':';

    /// The instructions in order, FROM lines included; with <paramref name="onBuild"/>, only ONBUILD triggers, unwrapped.
    private static List<Step> Steps(Dockerfile dockerfile, bool onBuild)
    {
        var steps = new List<Step>();
        foreach (var stage in dockerfile.Stages)
        {
            if (!onBuild) steps.Add(new Step("FROM", stage.From.Arguments, stage.From.Line));
            foreach (var instruction in stage.Instructions)
            {
                if (instruction.Keyword == "ONBUILD")
                {
                    if (!onBuild) continue;
                    var trigger = instruction.Arguments.TrimStart();
                    var space = trigger.IndexOfAny([' ', '\t']);
                    steps.Add(new Step((space < 0 ? trigger : trigger[..space]).ToUpperInvariant(), space < 0 ? "" : trigger[(space + 1)..], instruction.Line));
                }
                else if (!onBuild) steps.Add(new Step(instruction.Keyword, instruction.Arguments, instruction.Line));
            }
        }
        return steps;
    }

    /// The base image and the alias of a FROM line's arguments (its flags left out), as written.
    private static (string Image, string? Alias) From(string arguments)
    {
        var words = arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
        return (words.FirstOrDefault() ?? "", words.Count >= 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null);
    }

    /// The image's name without tag or digest (how hadolint names a stage that has no alias).
    private static string ImageName(string image)
    {
        var at = image.IndexOf('@');
        if (at >= 0) image = image[..at];
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[..colon] : image;
    }

    private static void CheckHadolint(Dockerfile dockerfile, List<(string, int, string?)> found)
    {
        var steps = Steps(dockerfile, onBuild: false);
        var triggers = Steps(dockerfile, onBuild: true);
        foreach (var set in new[] { steps, triggers })
        {
            RunRules(set, found);
            Dl3009(set, found);
            Dl3042(set, found);
            Dl4001(set, found);
        }
        // Rules hadolint applies to the instructions themselves, not to ONBUILD triggers.
        Dl3003(steps, found);
        Dl3059(steps, found);
        Dl4006(steps, found);
        Dl3045(steps, found);
        Dl3002(steps, found);
        Dl3006AndDl3024(steps, found);
        foreach (var step in steps)
        {
            switch (step.Keyword)
            {
                case "WORKDIR":
                    var directory = DropQuotes(step.Arguments.Trim());
                    if (!directory.StartsWith('$') && !directory.StartsWith('/') && !IsWindowsAbsolute(directory)) found.Add(("DL3000", step.Line, directory));
                    break;
                case "EXPOSE":
                    foreach (var port in step.Arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('/')[0]))
                        if (port.Split('-').Any(p => long.TryParse(p, out var number) && number > 65535)) found.Add(("DL3011", step.Line, port));
                    break;
                case "MAINTAINER":
                    found.Add(("DL4000", step.Line, null));
                    break;
                case "ADD":
                    var sources = JsonOrWords(step.Arguments).SkipLast(1).ToList();
                    if (sources.Count > 0 && !sources.All(s => IsArchive(s) || IsUrl(s))) found.Add(("DL3020", step.Line, string.Join(" ", sources)));
                    break;
                case "CMD" or "ENTRYPOINT":
                    if (step.Arguments.Trim().Length > 0 && !step.Arguments.TrimStart().StartsWith('[')) found.Add(("DL3025", step.Line, step.Keyword));
                    break;
                case "HEALTHCHECK":
                    var check = Regex.Replace(step.Arguments, @"^(\s*--\S+)*\s*", "");
                    if (check.StartsWith("CMD", StringComparison.OrdinalIgnoreCase) && !check[3..].TrimStart().StartsWith('[')) found.Add(("DL3025", step.Line, "HEALTHCHECK CMD"));
                    break;
            }
        }
    }

    /// An instruction's arguments as words: its JSON array's strings, or its words (flags left out).
    private static List<string> JsonOrWords(string arguments)
    {
        var text = arguments.Trim();
        if (text.StartsWith('[') && text.EndsWith(']'))
            return Regex.Matches(text, "\"((?:[^\"\\\\]|\\\\.)*)\"").Select(m => m.Groups[1].Value).ToList();
        return text.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
    }

    private static readonly string[] ArchiveExtensions = [".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz", ".tpz", ".txz", ".xz"];

    private static bool IsArchive(string source) => ArchiveExtensions.Any(e => DropQuotes(source).EndsWith(e, StringComparison.Ordinal));

    private static bool IsUrl(string source) => DropQuotes(source).StartsWith("https://", StringComparison.Ordinal) || DropQuotes(source).StartsWith("http://", StringComparison.Ordinal);

    /// The rules of one RUN at a time (and of an ONBUILD RUN, in the trigger pass).
    private static void RunRules(List<Step> steps, List<(string, int, string?)> found)
    {
        foreach (var step in steps.Where(s => s.Keyword == "RUN"))
        {
            var (flags, script, _) = step.Run();
            void Fail(string id, string? detail = null) => found.Add((id, step.Line, detail));
            var commands = script.Commands;
            if (commands.Where(c => c.Is("apt-get", "install")).SelectMany(c => c.ArgumentsWithoutFlags("t", "target-release").Where(a => a != "install"))
                .Any(p => !p.Contains('=') && !p.Contains('/') && !p.EndsWith(".deb", StringComparison.Ordinal)))
                Fail("DL3008");
            if (commands.Any(PipUnpinned)) Fail("DL3013");
            if (commands.Any(NpmUnpinned)) Fail("DL3016");
            if (commands.Where(c => c.Is("apk", "add")).SelectMany(c => c.ArgumentsWithoutFlags("t", "virtual", "repository", "X").Where(a => a != "add"))
                .Any(p => !"=~><".Any(p.Contains) && !p.EndsWith(".apk", StringComparison.Ordinal)))
                Fail("DL3018");
            if (!MountsCacheAt(flags, "/var/cache/apk") && commands.Any(c => c.Is("apk", "add") && !c.HasFlag("no-cache"))) Fail("DL3019");
            if (script.Uses("apt")) Fail("DL3027");
            if (commands.Any(c => c.Name == "wget" && !c.HasFlag("progress") && !c.HasFlag("q", "quiet", "o", "output-file", "a", "append-output", "no-verbose") && !c.HasArgument("-nv")))
                Fail("DL3047");
            if (script.Uses("sudo")) Fail("DL3004");
            foreach (var apt in commands.Where(c => c.Is("apt-get", "install")))
            {
                var flagList = apt.Flags.ToList();
                if (!flagList.Any(f => f is "y" or "yes" or "qq" or "assume-yes") && flagList.Count(f => f == "q") != 2 && flagList.Count(f => f == "quiet") != 2 && !apt.HasArgument("-q=2"))
                {
                    Fail("DL3014");
                    break;
                }
            }
            if (commands.Any(c => c.Is("apt-get", "install") && !c.HasFlag("no-install-recommends") && !c.HasArgument("APT::Install-Recommends=false"))) Fail("DL3015");
        }
    }

    private static readonly string[] PipValueFlags =
    [
        "abi", "b", "build", "e", "editable", "extra-index-url", "f", "find-links", "i", "index-url", "implementation", "no-binary", "only-binary", "platform", "prefix",
        "progress-bar", "proxy", "python", "python-version", "root", "root-user-action", "src", "t", "target", "trusted-host", "upgrade-strategy",
    ];

    private static readonly string[] VcsSchemes =
        ["git+file", "git+https", "git+ssh", "git+http", "git+git", "git", "hg+file", "hg+http", "hg+https", "hg+ssh", "hg+static-http", "svn", "svn+svn", "svn+http", "svn+https", "svn+ssh", "bzr+http", "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp"];

    private static bool IsPipInstall(ShellCommand command) =>
        (command.Name.StartsWith("pip", StringComparison.Ordinal) && !command.Name.StartsWith("pipenv", StringComparison.Ordinal) && command.HasArgument("install"))
        || (command.Name.StartsWith("python", StringComparison.Ordinal) && Contains(command.Arguments, ["-m", "pip", "install"]));

    private static bool Contains(IReadOnlyList<string> words, string[] run) =>
        Enumerable.Range(0, Math.Max(0, words.Count - run.Length + 1)).Any(i => run.Select((w, j) => words[i + j] == w).All(b => b));

    private static IEnumerable<string> AfterInstall(IEnumerable<string> arguments) => arguments.SkipWhile(a => a != "install").SkipWhile(a => a == "install");

    private static bool PipUnpinned(ShellCommand command)
    {
        if (!IsPipInstall(command) || command.HasFlag("constraint", "c")) return false;
        if (command.HasArgument("--requirement", "-r", ".")) return false;
        static bool IsVcs(string p) => VcsSchemes.Any(s => p.StartsWith(s, StringComparison.Ordinal));
        static bool Fixed(string p) =>
            new[] { "==", ">=", "<=", ">", "<", "!=", "~=", "===" }.Any(p.Contains)
            || (IsVcs(p) && p.Contains('@'))
            || p.EndsWith(".whl", StringComparison.Ordinal) || p.EndsWith(".tar.gz", StringComparison.Ordinal)
            || (!IsVcs(p) && p.Contains('/'));
        return !AfterInstall(command.ArgumentsWithoutFlags(PipValueFlags)).All(Fixed);
    }

    private static bool NpmUnpinned(ShellCommand command)
    {
        if (!command.Is("npm", "install")) return false;
        var arguments = command.ArgumentsWithoutFlags("loglevel", "registry");
        if (arguments.FirstOrDefault() != "install") return false;
        static bool Fixed(string p)
        {
            if (new[] { "git://", "git+ssh://", "git+http://", "git+https://" }.Any(g => p.StartsWith(g, StringComparison.Ordinal))) return p.Contains('#');
            if (new[] { ".tar", ".tar.gz", ".tgz" }.Any(s => p.EndsWith(s, StringComparison.Ordinal))) return true;
            if (new[] { "/", "./", "../", "~/" }.Any(s => p.StartsWith(s, StringComparison.Ordinal))) return true;
            var unscoped = p.StartsWith('@') ? p[(p.IndexOf('/') is var slash and >= 0 ? slash : p.Length)..] : p;
            return unscoped.Contains('@');
        }
        return !AfterInstall(arguments).All(Fixed);
    }

    /// DL3009: apt lists left after an update, in the last stage or a stage a later FROM builds on.
    private static void Dl3009(List<Step> steps, List<(string, int, string?)> found)
    {
        var forgotten = new List<(int Line, int Stage)>();
        var stageAliases = new List<string?>();
        var usedAsBase = new HashSet<string>(StringComparer.Ordinal);
        var stage = -1;
        foreach (var step in steps)
        {
            if (step.Keyword == "FROM")
            {
                var (image, alias) = From(step.Arguments);
                usedAsBase.Add(ImageName(image));
                stageAliases.Add(alias);
                stage++;
                continue;
            }
            if (step.Keyword != "RUN") continue;
            var (flags, script, _) = step.Run();
            var updates = script.Commands.Any(c => c.Is("apt", "update") || c.Is("apt-get", "update") || c.Is("aptitude", "update"));
            var cleans = script.Commands.Any(c => c.Is("rm", "-rf", "/var/lib/apt/lists/*"));
            if (!updates || cleans) continue;
            if (MountsCacheAt(flags, "/var/lib/apt/lists") || (MountsCacheAt(flags, "/var/lib/apt") && MountsCacheAt(flags, "/var/cache/apt"))) continue;
            forgotten.Add((step.Line, stage));
        }
        var last = stage;
        foreach (var (line, at) in forgotten)
            if (at == last || (at >= 0 && stageAliases[at] is { } alias && usedAsBase.Contains(alias)))
                found.Add(("DL3009", line, null));
    }

    /// DL3042: pip's cache kept, unless PIP_NO_CACHE_DIR is set (in this stage or the one it builds on).
    private static void Dl3042(List<Step> steps, List<(string, int, string?)> found)
    {
        var noCache = new InheritedFlag();
        foreach (var step in steps)
        {
            switch (step.Keyword)
            {
                case "FROM":
                    noCache.Enter(step);
                    break;
                case "ENV":
                    var pairs = Regex.Matches(step.Arguments, @"(\w+)[= ]\s*(""[^""]*""|'[^']*'|\S+)").ToDictionary(m => m.Groups[1].Value, m => DropQuotes(m.Groups[2].Value), StringComparer.Ordinal);
                    if (pairs.TryGetValue("PIP_NO_CACHE_DIR", out var value)) noCache.Set(Truthy.Contains(value));
                    break;
                case "RUN":
                    if (noCache.IsSet) break;
                    var (flags, script, text) = step.Run();
                    var setInline = text.IndexOf("PIP_NO_CACHE_DIR=", StringComparison.Ordinal) is var at and >= 0
                                    && Truthy.Any(t => text[(at + "PIP_NO_CACHE_DIR=".Length)..].StartsWith(t, StringComparison.Ordinal));
                    if (setInline || MountsCacheAt(flags, ".cache/pip")) break;
                    static bool Wrapper(ShellCommand c, string w) => c.Name.Contains(w, StringComparison.Ordinal) || (c.Name.StartsWith("python", StringComparison.Ordinal) && Contains(c.Arguments, ["-m", w]));
                    if (script.Commands.Any(c => IsPipInstall(c) && !c.HasArgument("--no-cache-dir") && !Wrapper(c, "pipx") && !Wrapper(c, "pipenv")))
                        found.Add(("DL3042", step.Line, null));
                    break;
            }
        }
    }

    /// DL4001: curl and wget both, in one stage.
    private static void Dl4001(List<Step> steps, List<(string, int, string?)> found)
    {
        var seen = new HashSet<string>();
        foreach (var step in steps)
        {
            if (step.Keyword == "FROM") { seen.Clear(); continue; }
            if (step.Keyword != "RUN") continue;
            var used = step.Run().Script.Commands.Select(c => c.Name).Where(n => n is "curl" or "wget").ToHashSet();
            seen.UnionWith(used);
            if (used.Count > 0 && seen.Count >= 2) found.Add(("DL4001", step.Line, null));
        }
    }

    private static void Dl3003(List<Step> steps, List<(string, int, string?)> found)
    {
        foreach (var step in steps.Where(s => s.Keyword == "RUN" && s.Run().Script.Uses("cd"))) found.Add(("DL3003", step.Line, null));
    }

    /// DL3059: consecutive RUNs with the same flags, each of one command (comments between them do not count).
    private static void Dl3059(List<Step> steps, List<(string, int, string?)> found)
    {
        (string Flags, int Count)? previous = null;
        foreach (var step in steps)
        {
            if (step.Keyword != "RUN") { previous = null; continue; }
            var (flags, script, _) = step.Run();
            var count = script.Commands.Count;
            var normalized = flags.Trim();
            // hadolint counts "a && b" as more than two (ShellCheck's list and its commands): a RUN of one command only.
            if (previous is { } p && p.Flags == normalized && count <= 1 && p.Count <= 1) found.Add(("DL3059", step.Line, null));
            previous = (normalized, count);
        }
    }

    /// DL4006: a pipe in RUN without SHELL ... -o pipefail (a non-POSIX SHELL is exempt).
    private static void Dl4006(List<Step> steps, List<(string, int, string?)> found)
    {
        var safe = false;
        foreach (var step in steps)
        {
            switch (step.Keyword)
            {
                case "FROM":
                    safe = false;
                    break;
                case "SHELL":
                    var words = JsonOrWords(step.Arguments);
                    var shell = string.Join(' ', words);
                    safe = new[] { "pwsh", "powershell", "cmd" }.Any(s => shell.StartsWith(s, StringComparison.Ordinal))
                           || (words.Count > 0 && words[0].Split('/')[^1] is "bash" or "zsh" or "ash" && new ShellCommand(words[0], words[1..]).HasFlag("o") && words.Contains("pipefail"));
                    break;
                case "RUN":
                    if (!safe && step.Run().Script.HasPipe) found.Add(("DL4006", step.Line, null));
                    break;
            }
        }
    }

    /// DL3045: COPY to a relative destination in a stage with no WORKDIR (of its own, or of the stage it builds on).
    private static void Dl3045(List<Step> steps, List<(string, int, string?)> found)
    {
        var workdir = new InheritedFlag();
        foreach (var step in steps)
        {
            switch (step.Keyword)
            {
                case "FROM":
                    workdir.Enter(step);
                    break;
                case "WORKDIR":
                    workdir.Set(true);
                    break;
                case "COPY":
                    if (workdir.IsSet) break;
                    var words = JsonOrWords(step.Arguments);
                    if (words.Count < 2) break;
                    var destination = DropQuotes(words[^1]);
                    if (!destination.StartsWith('/') && !IsWindowsAbsolute(destination) && !destination.StartsWith('$')) found.Add(("DL3045", step.Line, destination));
                    break;
            }
        }
    }

    /// <summary>
    /// A fact of a stage that a later stage built on it (FROM its alias) starts with, as hadolint tracks one: a stage is
    /// named by its alias, else by its image's name.
    /// </summary>
    private sealed class InheritedFlag
    {
        private readonly Dictionary<string, bool> _stages = new(StringComparer.Ordinal);
        private string _current = "";

        public bool IsSet => _stages.GetValueOrDefault(_current);

        public void Enter(Step from)
        {
            var (image, alias) = From(from.Arguments);
            _current = alias ?? ImageName(image);
            _stages[_current] = _stages.GetValueOrDefault(ImageName(image));
        }

        public void Set(bool value) => _stages[_current] = value;
    }

    /// DL3002: a stage whose last USER is root.
    private static void Dl3002(List<Step> steps, List<(string, int, string?)> found)
    {
        int? rootLine = null;
        void Close() { if (rootLine is { } line) found.Add(("DL3002", line, null)); rootLine = null; }
        foreach (var step in steps)
        {
            if (step.Keyword == "FROM") { Close(); continue; }
            if (step.Keyword != "USER") continue;
            var user = step.Arguments.Trim();
            rootLine = user.StartsWith("root:", StringComparison.Ordinal) || user.StartsWith("0:", StringComparison.Ordinal) || user is "root" or "0" ? step.Line : null;
        }
        Close();
    }

    /// DL3006 (an untagged base that is no earlier stage, variable or scratch) and DL3024 (an alias used twice).
    private static void Dl3006AndDl3024(List<Step> steps, List<(string, int, string?)> found)
    {
        var aliases = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in steps.Where(s => s.Keyword == "FROM"))
        {
            var (image, alias) = From(step.Arguments);
            var tagged = image.Contains('@') || image.LastIndexOf(':') > image.LastIndexOf('/');
            if (image != "scratch" && !tagged && !image.StartsWith('$') && !aliases.Contains(image)) found.Add(("DL3006", step.Line, image));
            if (alias is null) continue;
            if (!aliases.Add(alias)) found.Add(("DL3024", step.Line, alias));
        }
    }
}
