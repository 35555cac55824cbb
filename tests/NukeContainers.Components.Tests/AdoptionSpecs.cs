using System.Diagnostics;
using NukeContainers.Registry;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// A team adopts the product the documented way, with nothing but the packages: pack them into a folder feed, set a
/// new repository up with the dotnet new template, and run its ./build.sh against the local engine and registry.
[Collection(EngineCollection.Name)]
public sealed class AdoptionSpecs(EngineFixture fixture) : IDisposable
{
    private readonly TempFolder _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task A_new_repository_set_up_from_the_template_builds_tags_and_pushes_with_only_the_packages()
    {
        var version = $"0.0.0-adoption.{Environment.ProcessId}";
        var feed = Path.Combine(_work.Path, "feed");
        // The sources are packed from a copy, so that packing never touches the build outputs the tests run from.
        var root = Path.Combine(_work.Path, "source");
        CopySources(EngineFixture.RepositoryRoot(), root);
        foreach (var project in new[] { "src/NukeContainers/NukeContainers.csproj", "src/NukeContainers.Build/NukeContainers.Build.csproj",
                     "src/NukeContainers.Components/NukeContainers.Components.csproj", "templates/NukeContainers.Templates.csproj" })
            await RunAsync(root, "dotnet", "pack", Path.Combine(root, project), "-c", "Release", "-o", feed, $"-p:Version={version}");

        var name = $"adoption-{Environment.ProcessId}";
        var repository = Path.Combine(_work.Path, name);
        var hive = Path.Combine(_work.Path, "hive");
        Directory.CreateDirectory(repository);
        await RunAsync(repository, "git", "init", "-q");
        await RunAsync(repository, "dotnet", "new", "install", Path.Combine(feed, $"NukeContainers.Templates.{version}.nupkg"), "--debug:custom-hive", hive);
        // As the README says: the template writes nuget.config naming the feed, and a .gitignore for what ./build.sh makes.
        await RunAsync(repository, "dotnet", "new", "nukecontainers", "--package-source", feed, "--debug:custom-hive", hive);
        File.WriteAllText(Path.Combine(repository, "Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\n");
        File.WriteAllText(Path.Combine(repository, ".dockerignore"), "artifacts\n.git\nbuild\n");
        File.WriteAllText(Path.Combine(repository, "hello.txt"), "hello\n");
        // The team's own step (issue 27.1): a file of its own and one property in the template's Build.cs, nothing overridden.
        File.WriteAllText(Path.Combine(repository, "build", "Policy.cs"), """
            using NukeContainers;

            /// The team's policy: after the scan, before the push.
            sealed record PolicyCheck : IPipelineStep
            {
                public string Name => "policy";
                public IReadOnlyList<string> After => [StepNames.Scan];
                public IReadOnlyList<string> Before => [StepNames.Push];

                public Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
                {
                    context.Log($"Policy: {context.Image.Repository} may be pushed ({(context.Image.Digest is null ? "not pushed yet" : "pushed")})");
                    return Task.FromResult<StepResult>(new PolicyResult { Image = context.Image });
                }
            }

            sealed record PolicyResult : StepResult;
            """);
        var buildFile = Path.Combine(repository, "build", "Build.cs");
        var buildText = File.ReadAllText(buildFile).TrimEnd();
        File.WriteAllText(buildFile, buildText[..^1] + "\n    public ImageStep Policy => new(\"policy\", (pipeline, _) => pipeline.WithStep(new PolicyCheck()));\n}\n");
        // Its CI, generated from an attribute on the build class (issue 29.2), and committed with it.
        File.WriteAllText(buildFile, File.ReadAllText(buildFile).Replace("class Build :",
            $"[NukeContainers.Build.CI.GitHubActions(\"containers\", InvokedTargets = [\"Publish\"], ImportSecrets = [\"REGISTRY_PASSWORD\"], Arguments = [\"--registry\", \"{EngineFixture.RegistryAddress}\", \"--version\", \"1.0.0\"])]\nclass Build :"));
        var generated = await RunAsync(repository, Path.Combine(repository, "build.sh"), "--generate-configuration");
        await RunAsync(repository, "git", "add", "-A");
        await RunAsync(repository, "git", "-c", "user.email=team@example.com", "-c", "user.name=team", "commit", "-qm", "the app");
        try
        {
            // The template's default, the whole Publish (no cluster here: its rollout is skipped, saying why), run as the
            // generated workflow's runner would run it: each step's run: line, with the environment the job sets (its
            // imported secret empty here: this registry asks for none).
            var workflow = new YamlDotNet.RepresentationModel.YamlStream();
            workflow.Load(new StringReader(File.ReadAllText(Path.Combine(repository, ".github", "workflows", "containers.yml"))));
            var job = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlMappingNode)workflow.Documents[0].RootNode)["jobs"])["build"];
            var runs = ((YamlDotNet.RepresentationModel.YamlSequenceNode)job["steps"]).Children.OfType<YamlDotNet.RepresentationModel.YamlMappingNode>()
                .Where(s => s.Children.ContainsKey("run")).Select(s => s["run"].ToString()).ToList();
            var jobEnvironment = ((YamlDotNet.RepresentationModel.YamlMappingNode)job["env"]).Children.ToDictionary(e => e.Key.ToString(), _ => (string?)"");
            var output = "";
            foreach (var line in runs) output += await RunAsync(repository, "bash", ["-c", line], jobEnvironment);
            var statusAfterPublish = await RunAsync(repository, "git", "status", "--porcelain");
            // The bootstrapper builds the build project only when something it is made of changed: its stamp says when.
            var stamp = Path.Combine(repository, "build", "bin", ".built-with");
            var builtAt = File.GetLastWriteTimeUtc(stamp);

            // The same build against an engine over TCP with TLS (a temporary one, started with --tlsverify): through
            // DOCKER_HOST, through a docker context the docker CLI made, and refused clearly with a wrong CA or no TLS.
            await using var remote = await Provisioning.EmbeddedEnvironment.StartTemporaryEngineAsync(Path.Combine("/var/tmp", $"nc-adopt-{Guid.NewGuid():N}"[..22]), EngineFixture.FreePort());
            var tls = remote.TlsEndpoint!;
            var certs = Path.GetDirectoryName(tls.Tls!.CaCertificate)!;
            string[] build = ["BuildImages", "TagImages", "PushImages", "--registry", EngineFixture.RegistryAddress];
            var overTls = await RunAsync(repository, Path.Combine(repository, "build.sh"), [.. build, "--version", "1.1.0"],
                new() { ["DOCKER_HOST"] = $"tcp://127.0.0.1:{tls.TcpPort}", ["DOCKER_TLS_VERIFY"] = "1", ["DOCKER_CERT_PATH"] = certs });
            var config = Path.Combine(_work.Path, "docker-config");
            await RunAsync(repository, "docker", ["context", "create", "build-host", "--docker", $"host=tcp://127.0.0.1:{tls.TcpPort},ca={certs}/ca.pem,cert={certs}/cert.pem,key={certs}/key.pem"],
                new() { ["DOCKER_CONFIG"] = config, ["DOCKER_HOST"] = null });
            var throughContext = await RunAsync(repository, Path.Combine(repository, "build.sh"), [.. build, "--version", "1.2.0"],
                new() { ["DOCKER_HOST"] = null, ["DOCKER_CONFIG"] = config, ["DOCKER_CONTEXT"] = "build-host" });
            var wrongCa = Path.Combine(_work.Path, "wrong-ca");
            Directory.CreateDirectory(wrongCa);
            File.Copy(Path.Combine(certs, "cert.pem"), Path.Combine(wrongCa, "cert.pem"));
            File.Copy(Path.Combine(certs, "key.pem"), Path.Combine(wrongCa, "key.pem"));
            File.Copy(Path.Combine(EngineFixture.RepositoryRoot(), "tests", "NukeContainers.Tests", "testdata", "engine", "other-ca.pem"), Path.Combine(wrongCa, "ca.pem"));
            var refused = await RunAsync(repository, Path.Combine(repository, "build.sh"), [.. build, "--version", "1.3.0"],
                new() { ["DOCKER_HOST"] = $"tcp://127.0.0.1:{tls.TcpPort}", ["DOCKER_TLS_VERIFY"] = "1", ["DOCKER_CERT_PATH"] = wrongCa }, expectFailure: true);
            var plain = await RunAsync(repository, Path.Combine(repository, "build.sh"), [.. build, "--version", "1.3.0"],
                new() { ["DOCKER_HOST"] = $"tcp://127.0.0.1:{tls.TcpPort}" }, expectFailure: true);
            // The PowerShell bootstrapper runs the same build (PowerShell is a tool of this repository's manifest); an
            // unknown target is bad usage through either.
            var throughPowerShell = await RunAsync(EngineFixture.RepositoryRoot(), "dotnet",
                ["tool", "run", "pwsh", "--", "-NoProfile", "-File", Path.Combine(repository, "build.ps1"), "--help"], new() { ["NUGET_PACKAGES"] = null });
            var unknown = await RunAsync(repository, Path.Combine(repository, "build.sh"), ["NoSuchTarget"], [], expectFailure: true);
            var unchangedSince = File.GetLastWriteTimeUtc(stamp);
            await File.AppendAllTextAsync(Path.Combine(repository, "build", "Build.cs"), "\n// a change to the build\n");
            await RunAsync(repository, Path.Combine(repository, "build.sh"), "--help");
            var rebuiltAt = File.GetLastWriteTimeUtc(stamp);

            Assert.Contains($"<add key=\"nukecontainers\" value=\"{feed}\" />", File.ReadAllText(Path.Combine(repository, "nuget.config")));
            Assert.Contains("Wrote .github/workflows/containers.yml", generated);
            Assert.Equal([$"./build.sh Publish --registry {EngineFixture.RegistryAddress} --version 1.0.0"], runs);
            Assert.Equal(["REGISTRY_PASSWORD"], jobEnvironment.Keys);
            Assert.Equal("", statusAfterPublish.Trim());   // what the build made is ignored: the tree is still the commit
            Assert.Contains("Build succeeded", output);
            Assert.Contains("Rollout skipped: no cluster is configured", output);
            Assert.Contains($"Policy: {EngineFixture.RegistryAddress}/{name} may be pushed (not pushed yet)", output);
            Assert.Equal(["restoreCache", "build", "slim", "tag", "scan", "policy", "push", "attest", "pushTags"],
                Reporting.ContainerReport.Read(Path.Combine(repository, "artifacts/containers/report.json")).Images.Single().DurationsMs.Keys.Where(k => k != "exportCache"));
            Assert.Contains($"Engine: tcp://127.0.0.1:{tls.TcpPort}/ (DOCKER_HOST)", overTls);
            Assert.Contains($"Engine: tcp://127.0.0.1:{tls.TcpPort}/ (docker context build-host)", throughContext);
            Assert.Contains("The TLS handshake with the engine at tcp://127.0.0.1:", refused);
            Assert.Contains("wants TLS (it answered a plain request with 400): set DOCKER_TLS_VERIFY=1", plain);
            Assert.Contains("Publish", throughPowerShell);
            Assert.Contains("RolloutImages", throughPowerShell);
            Assert.Contains("NoSuchTarget", unknown);
            Assert.Equal(builtAt, unchangedSince);               // six runs through both bootstrappers, none built it again
            Assert.True(rebuiltAt > builtAt, $"{rebuiltAt:O} > {builtAt:O}");
            Assert.StartsWith("/", File.ReadAllText(stamp));     // the full path of the SDK that built it
            Assert.Contains($"<PackageReference Include=\"NukeContainers.Components\" Version=\"{version}\" />", File.ReadAllText(Path.Combine(repository, "_build.csproj")));
            using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
            var tags = await registry.TagsAsync(name);
            foreach (var tag in new[] { "1.0.0", "1.1.0", "1.2.0", "latest" }) Assert.Contains(tag, tags);
            Assert.DoesNotContain("1.3.0", tags);
            Assert.NotNull(await registry.DigestAsync(name, "1.0.0"));
        }
        finally
        {
            foreach (var tag in new[] { "build", "1.0.0", "1.0", "1", "latest", "buildcache-master", "buildcache-main" })
                try { await fixture.Engine.Client.Images.DeleteImageAsync($"{EngineFixture.RegistryAddress}/{name}:{tag}", new Docker.DotNet.Models.ImageDeleteParameters { Force = true }); }
                catch (Docker.DotNet.DockerApiException) { /* a tag this run did not make */ }
            foreach (var image in await fixture.Engine.FindImagesByLabelAsync("org.opencontainers.image.title", name))
                try { await fixture.Engine.Client.Images.DeleteImageAsync(image, new Docker.DotNet.Models.ImageDeleteParameters { Force = true }); }
                catch (Docker.DotNet.DockerApiException) { }
        }
    }

    private static void CopySources(string from, string to)
    {
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "README.md", "build.sh", "build.ps1", "global.json" })
        {
            Directory.CreateDirectory(to);
            File.Copy(Path.Combine(from, file), Path.Combine(to, file));
        }
        foreach (var folder in new[] { "src", "templates" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(from, folder), "*", SearchOption.AllDirectories)
                         .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")))
            {
                var target = Path.Combine(to, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
    }

    private Task<string> RunAsync(string folder, string program, params string[] arguments) => RunAsync(folder, program, arguments, []);

    /// Runs a program in a folder, with a package cache of the test's own (the test's package versions stay out of the
    /// user's), the test's engine unless <paramref name="environment"/> says otherwise (null removes a variable).
    private async Task<string> RunAsync(string folder, string program, string[] arguments, Dictionary<string, string?> environment, bool expectFailure = false)
    {
        var start = new ProcessStartInfo(program, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_work.Path, "packages");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOCKER_HOST"] = fixture.Endpoint.Uri.ToString();
        foreach (var (name, value) in environment)
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var all = await output + await error;
        Assert.True(expectFailure ? process.ExitCode != 0 : process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{all}");
        return all;
    }
}
