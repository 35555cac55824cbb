using NukeContainers.Build;
using NukeContainers.Versioning;

partial class Build
{
    AbsolutePath PackagesDirectory => ArtifactsDirectory / "packages";

    [Parameter("The packages' version (semver); from git tags by MinVer's rules when not given")]
    readonly string? PackageVersion;

    /// The libraries a team's build references (NukeContainers.LocalEnvironment only where it provisions the machine),
    /// and the dotnet new template that sets a repository up.
    string[] Packed => ["src/NukeContainers/NukeContainers.csproj", "src/NukeContainers.Build/NukeContainers.Build.csproj",
        "src/NukeContainers.Components/NukeContainers.Components.csproj", "src/NukeContainers.LocalEnvironment/NukeContainers.LocalEnvironment.csproj",
        "templates/NukeContainers.Templates.csproj"];

    Target Pack => _ => _
        .Description("Pack NukeContainers, NukeContainers.Build, NukeContainers.Components, NukeContainers.LocalEnvironment (with symbols) and the dotnet new template into artifacts/packages")
        .DependsOn(Restore)
        .Executes(async ct =>
        {
            var version = PackageVersion ?? (await GitVersion.ReadAsync(RootDirectory, cancellationToken: ct)).Version.ToString();
            await PackAsync(PackagesDirectory, version, ct);
            Note($"{version} in {PackagesDirectory}");
        });

    /// Packs every package (<see cref="Packed"/>) at this version into a folder: a feed.
    async Task PackAsync(string feed, string version, CancellationToken ct)
    {
        foreach (var project in Packed)
            await DotNet(ct, "pack", RootDirectory / project, "-c", Configuration, "-o", feed, $"-p:Version={version}");
    }
}
