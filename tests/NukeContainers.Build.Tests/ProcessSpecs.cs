using System.Diagnostics;
using System.Text;

namespace NukeContainers.Build.Tests;

/// The host as users meet it: a real build process, its environment, its exit codes, and Ctrl+C (SIGINT).
public sealed class ProcessSpecs : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nc-process-").FullName;

    private static string TestHostDll =>
        Path.Combine(AppContext.BaseDirectory.Replace("NukeContainers.Build.Tests", "NukeContainers.Build.TestHost"), "NukeContainers.Build.TestHost.dll");

    private sealed class BuildProcess : IDisposable
    {
        private readonly StringBuilder _output = new();
        public Process Process { get; }

        public BuildProcess(string root, IReadOnlyDictionary<string, string> environment, params string[] args)
        {
            // With SIGINT as a terminal gives it: a process started from a background job (CI run as "cmd &") inherits
            // SIGINT ignored, and then .NET never hands it to the build's handler (checked: every Ctrl+C was lost).
            var start = new ProcessStartInfo("env", ["--default-signal=INT", "dotnet", "exec", TestHostDll, .. args, "--root", root])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var name in new[] { "NAME", "TOKEN", "NUKE_NAME", "NUKE_TOKEN" }) start.Environment.Remove(name);
            foreach (var (name, value) in environment) start.Environment[name] = value;
            Process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
            Process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public string Output { get { lock (_output) return _output.ToString(); } }

        public async Task<int> ExitCodeAsync()
        {
            try
            {
                await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                // What the process had written says where it stood.
                throw new TimeoutException($"The build process did not exit within 60 s. Its output so far:\n{Output}");
            }
            return Process.ExitCode;
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    [Fact]
    public async Task Ctrl_C_cancels_the_running_target_runs_assured_targets_and_exits_130()
    {
        using var build = new BuildProcess(_root, new Dictionary<string, string>(), "Wait", "Cleanup");
        for (var i = 0; i < 600 && !build.Output.Contains("waiting"); i++) await Task.Delay(50);
        Assert.Contains("waiting", build.Output);

        using (var kill = Process.Start("kill", ["-INT", build.Process.Id.ToString()])) await kill.WaitForExitAsync();

        Assert.Equal(130, await build.ExitCodeAsync());
        Assert.Contains("cleanup ran", build.Output);
        Assert.Matches(@"Wait\s+Cancelled", build.Output);
        Assert.Contains("Build cancelled.", build.Output);
    }

    [Fact]
    public async Task Parameters_come_from_the_real_environment_and_secrets_are_masked()
    {
        using var build = new BuildProcess(_root, new Dictionary<string, string> { ["NUKE_NAME"] = "ci", ["TOKEN"] = "tok-123456" });

        Assert.Equal(0, await build.ExitCodeAsync());
        Assert.Contains("hello ci with token ****", build.Output);
        Assert.DoesNotContain("tok-123456", build.Output);
    }

    [Fact]
    public async Task An_unknown_target_exits_2_and_lists_the_targets()
    {
        using var build = new BuildProcess(_root, new Dictionary<string, string>(), "Deploy");

        Assert.Equal(2, await build.ExitCodeAsync());
        Assert.Contains("There is no target 'Deploy'. The targets are: Greet, Wait, FindEngine, Cleanup.", build.Output);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task An_engine_socket_the_user_may_not_open_is_reported_as_permission_denied_with_the_fix()
    {
        // A socket only root may open, and the build run as 'nobody' (root itself may open any socket).
        var socketPath = Path.Combine(_root, "engine.sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        listener.Listen();
        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(_root, (UnixFileMode)0b111_111_111);
        var start = new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", "exec", TestHostDll, "FindEngine", "--socket", socketPath, "--root", _root])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["HOME"] = _root;
        start.Environment["DOTNET_CLI_HOME"] = _root;

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, process.ExitCode);
        Assert.Contains($"Permission denied on the engine's socket {socketPath}: user nobody may not open it. Add the user to the socket's group (sudo usermod -aG docker $USER, then log in again)", output);
    }
}
