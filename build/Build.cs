using NukeContainers.Build;
using NukeContainers.Build.CI;

/// The repository's own build: ./build.sh [targets] [--parameters]. Test is the default. Its CI configuration is
/// generated from the attributes below (./build.sh --generate-configuration; CI checks the files are current).
[GitHubActions("test", On = [GitHubActionsTrigger.Push, GitHubActionsTrigger.PullRequest], InvokedTargets = ["Test"])]
[GitHubActions("publish", On = [GitHubActionsTrigger.Push], OnPushBranches = ["main"], InvokedTargets = ["Publish"], ImportSecrets = ["REGISTRY_PASSWORD"])]
[GitLab("test", InvokedTargets = ["Test"])]
[GitLab("publish", InvokedTargets = ["Publish"], ImportSecrets = ["REGISTRY_PASSWORD"], Branches = ["main"])]
partial class Build : BuildHost
{
    public static int Main() => Execute<Build>(x => x.Test);

    [Parameter("Configuration to build: Debug or Release")]
    readonly string Configuration = "Release";

    [Parameter("Run only the tests that match this dotnet test filter, such as FullyQualifiedName~Planning")]
    readonly string? TestFilter;

    AbsolutePath Solution => RootDirectory / "NukeContainers.sln";
    AbsolutePath ArtifactsDirectory => RootDirectory / "artifacts";
    AbsolutePath TestResultsDirectory => ArtifactsDirectory / "test-results";

    Target Clean => _ => _
        .Description("Delete the bin and obj folders of src and tests, and artifacts")
        .Before(Restore)
        .Executes(() =>
        {
            foreach (var folder in new[] { "src", "tests" }.SelectMany(d => Directory.Exists(RootDirectory / d)
                         ? Directory.EnumerateDirectories(RootDirectory / d, "*", SearchOption.AllDirectories) : [])
                         .Where(d => Path.GetFileName(d) is "bin" or "obj").ToList())
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            if (Directory.Exists(ArtifactsDirectory)) Directory.Delete(ArtifactsDirectory, recursive: true);
        });

    Target Restore => _ => _
        .Description("Restore the solution's packages and the repository's tools (.config/dotnet-tools.json: minver-cli and PowerShell, peers of the tests)")
        .Executes(async ct =>
        {
            await DotNet(ct, "restore", Solution);
            await DotNet(ct, "tool", "restore");
        });

    Target Compile => _ => _
        .Description("Build the solution (warnings are errors)")
        .DependsOn(Restore)
        .Executes(ct => DotNet(ct, "build", Solution, "--no-restore", "-c", Configuration));
}
