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
        await RunAsync(repository, "dotnet", "new", "nukecontainers", "--debug:custom-hive", hive);
        File.WriteAllText(Path.Combine(repository, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(repository, "Dockerfile"), $"FROM {EngineFixture.BaseImage}\nCOPY hello.txt /hello.txt\nCMD [\"cat\", \"/hello.txt\"]\n");
        File.WriteAllText(Path.Combine(repository, ".dockerignore"), "artifacts\n.git\nbuild\n");
        File.WriteAllText(Path.Combine(repository, "hello.txt"), "hello\n");
        await RunAsync(repository, "git", "add", "-A");
        await RunAsync(repository, "git", "-c", "user.email=team@example.com", "-c", "user.name=team", "commit", "-qm", "the app");
        try
        {
            var output = await RunAsync(repository, Path.Combine(repository, "build.sh"), "BuildImages", "TagImages", "PushImages", "--registry", EngineFixture.RegistryAddress, "--version", "1.0.0");

            Assert.Contains("Build succeeded", output);
            Assert.Contains($"<PackageReference Include=\"NukeContainers.Components\" Version=\"{version}\" />", File.ReadAllText(Path.Combine(repository, "_build.csproj")));
            using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
            var tags = await registry.TagsAsync(name);
            foreach (var tag in new[] { "1.0.0", "1.0", "1", "latest" }) Assert.Contains(tag, tags);
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

    /// Runs a program in a folder, with a package cache of the test's own (the test's package versions stay out of the user's).
    private async Task<string> RunAsync(string folder, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_work.Path, "packages");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOCKER_HOST"] = fixture.Endpoint.Uri.ToString();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{await output}\n{await error}");
        return await output;
    }
}
