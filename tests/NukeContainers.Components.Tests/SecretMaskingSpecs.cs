using NukeContainers.Build;
using NukeContainers.Build.Tests;

namespace NukeContainers.Components.Tests;

/// The build log's masker and the library's are one: each hides what only the other was told.
public sealed class SecretMaskingSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    private sealed class PushingBuild : BuildHost, IPushImages
    {
        IReadOnlyList<ContainerImage> IContainerImages.Images => [];

        public string? LibraryText { get; private set; }

        public Target Leak => _ => _.Executes(() =>
        {
            // What the library alone was told (a build secret the session serves) and what it writes itself (a message
            // or a report line with the registry password in it).
            var masker = ((IContainerImages)this).ContainerMasker;   // the one every image's pipeline of this build carries
            masker.Hide("session-secret-5f0c2a");
            LibraryText = masker.Apply($"login with {((IPushImages)this).RegistryPassword} failed");
            Log.Info("the RUN printed session-secret-5f0c2a and AKIAIOSFODNN7EXAMPLE");
            Note("note with session-secret-5f0c2a");
        });
    }

    [Fact]
    public async Task A_secret_parameter_is_masked_in_the_librarys_text_and_the_librarys_secrets_in_the_build_log()
    {
        _driver.Environment["REGISTRY_PASSWORD"] = "pw-7d1e9b44";
        var build = new PushingBuild();

        var run = await _driver.RunAsync(build, "Leak");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("login with **** failed", build.LibraryText);
        Assert.Contains("the RUN printed **** and AKIA****************", run.Output);
        Assert.DoesNotContain("session-secret-5f0c2a", run.Output);
        Assert.DoesNotContain("session-secret-5f0c2a", await File.ReadAllTextAsync(run.LogFile));
        Assert.Equal("note with ****", run.NoteOf("Leak"));
    }

    /// Two builds in one process (issue 27.5: the masker was one static set that only grew): each masks what it was
    /// told, not the other's values; both mask what the secret rules find.
    [Fact]
    public async Task Two_builds_in_one_process_each_mask_their_own_secrets_only()
    {
        var first = new PushingBuild();
        var second = new PushingBuild();
        _driver.Environment["REGISTRY_PASSWORD"] = "pw-first-0001";
        await _driver.RunAsync(first, "Leak");
        _driver.Environment["REGISTRY_PASSWORD"] = "pw-second-002";
        await _driver.RunAsync(second, "Leak");

        var text = "pw-first-0001 pw-second-002 AKIAIOSFODNN7EXAMPLE";
        Assert.Equal("**** pw-second-002 AKIA****************", ((IContainerImages)first).ContainerMasker.Apply(text));
        Assert.Equal("pw-first-0001 **** AKIA****************", ((IContainerImages)second).ContainerMasker.Apply(text));
        var image = new ContainerImage("a", AbsolutePath.Create(Path.GetTempPath()));
        Assert.Same(((IContainerImages)first).ContainerMasker, ((IContainerImages)first).PipelineFor(image).Masker);   // its images' pipelines carry it
    }

    public void Dispose() => _driver.Dispose();
}
