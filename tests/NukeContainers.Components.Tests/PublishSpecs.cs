using NukeContainers.Build;
using NukeContainers.Build.Tests;
using NukeContainers.Engine;
using NukeContainers.Registry;
using NukeContainers.Reporting;
using NukeContainers.Tests;

namespace NukeContainers.Components.Tests;

/// A team's build that takes the whole Publish.
public sealed class PublishBuild(string appFolder) : BuildHost, IContainerPublish
{
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
        [new("app", AbsolutePath.Create(appFolder)) { Repository = EngineFixture.Repository("publish"), Baseline = "Dockerfile.naive" }];

    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.Label(ResourceLabels.Run, ResourceLabels.RunId);
}

/// Two apps published side by side.
public sealed class TwoAppBuild(string good, string broken) : BuildHost, IContainerPublish
{
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
    [
        new("good", AbsolutePath.Create(good)) { Repository = EngineFixture.Repository("publish-good") },
        new("broken", AbsolutePath.Create(broken)) { Repository = EngineFixture.Repository("publish-broken") },
    ];

    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.Label(ResourceLabels.Run, ResourceLabels.RunId);
}

/// A team's build whose one image lives in the build's own git repository and is rolled out to a deployment.
public sealed class RepositoryAppBuild(string appFolder, string repository) : BuildHost, IContainerPublish
{
    IReadOnlyList<ContainerImage> IContainerImages.Images =>
        [new("app", AbsolutePath.Create(appFolder)) { Repository = EngineFixture.Repository(repository), Deployment = "app" }];

    Configure<ImagePipeline> IBuildImages.BuildImagesSettings => pipeline => pipeline.Label(ResourceLabels.Run, ResourceLabels.RunId);
}

[Collection(EngineCollection.Name)]
public sealed class PublishSpecs(EngineFixture fixture) : IDisposable
{
    private readonly BuildDriver _driver = new();
    private readonly TempFolder _app = new();

    /// Publish in GitHub Actions (issue 29.3): the Dockerfile's lint findings are annotations on their lines, each
    /// image's digest and tags and the report are step outputs, report.md is the job's summary.
    [Fact]
    public async Task In_GitHub_Actions_Publish_annotates_lint_findings_and_writes_outputs_and_the_job_summary()
    {
        var app = Directory.CreateDirectory(Path.Combine(_driver.Root, "app")).FullName;
        File.WriteAllText(Path.Combine(app, "Dockerfile"), $"FROM {EngineFixture.BaseImage}\nMAINTAINER team@example.com\nRUN echo {Guid.NewGuid():N} > /id\n");
        File.WriteAllText(Path.Combine(app, "Dockerfile.naive"), $"FROM {EngineFixture.BaseImage}\nCOPY . /app\n");
        File.WriteAllText(Path.Combine(_driver.Root, ".gitignore"), "artifacts/\ngithub-*\n");
        Git.Init(_driver.Root);
        Git.Commit(_driver.Root, "the app");
        (_driver.Environment["GITHUB_ACTIONS"], _driver.Environment["GITHUB_OUTPUT"], _driver.Environment["GITHUB_STEP_SUMMARY"]) =
            ("true", Path.Combine(_driver.Root, "github-output"), Path.Combine(_driver.Root, "github-summary"));

        var run = await _driver.RunAsync(new PublishBuild(app), "Publish", "--registry", EngineFixture.RegistryAddress, "--version", "9.0.0");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("::warning file=app/Dockerfile,line=2::DL4000: ", run.Output);
        Assert.Contains("::group::Publish", run.Output);
        var report = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;
        var outputs = File.ReadAllLines(Path.Combine(_driver.Root, "github-output"));
        Assert.Contains($"app-digest={report.Digest()}", outputs);
        Assert.Contains($"app-tags={string.Join(",", report.Tags()!)}", outputs);
        Assert.Contains("report=artifacts/containers/report.json", outputs);
        Assert.Contains("| app |", File.ReadAllText(Path.Combine(_driver.Root, "github-summary")));
    }

    [Fact]
    public async Task A_commit_that_changes_no_input_of_an_image_reuses_it_with_the_same_digest_no_layer_uploaded_and_the_deployment_left_alone()
    {
        await using var registry = await AuthRegistry.StartAsync();
        await using var cluster = new KubernetesSimulator();
        var app = Directory.CreateDirectory(Path.Combine(_driver.Root, "app")).FullName;
        File.WriteAllText(Path.Combine(app, "Dockerfile"), $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        File.WriteAllText(Path.Combine(_driver.Root, ".gitignore"), "artifacts/\nkubeconfig\n");
        Git.Init(_driver.Root);
        var built = Git.Commit(_driver.Root, "the app");
        var repository = $"{registry.Address}/{EngineFixture.Repository("reuse")}";
        cluster.AddDeployment("app", "app", $"{repository}@sha256:{new string('a', 64)}");
        string[] publish = ["Publish", "--registry", registry.Address, "--registry-username", AuthRegistry.User, "--registry-password", registry.Password,
            "--kubeconfig", cluster.WriteKubeconfig(_driver.Root), "--kube-context", "sim", "--namespace", cluster.Namespace, "--rollout-timeout", "30"];

        var first = await _driver.RunAsync(new RepositoryAppBuild(app, "reuse"), publish);
        var before = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;
        var uploads = BlobUploads(registry.Log);
        var revision = cluster.Deployment("app")["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.GetValue<string>();
        var docs = Git.Commit(_driver.Root, "docs", allowEmpty: true);
        var second = await _driver.RunAsync(new RepositoryAppBuild(app, "reuse"), publish);
        var after = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.False(before.Cache()!.Skipped);
        Assert.Equal("succeeded", before.Rollout()!.Status);
        // The new commit changed nothing the image is made of: the image the first commit built, with its labels.
        Assert.True(after.Cache()!.Skipped, second.Output);
        Assert.Equal(built, after.Cache()!.BuiltFrom);
        Assert.Equal(before.ImageId, after.ImageId);
        Assert.Equal(before.Digest(), after.Digest());
        Assert.Contains($"reused (inputs unchanged, built at {built[..7]})", second.Output);
        var labels = (await fixture.Engine.InspectImageAsync(after.ImageId))!.Labels!;
        Assert.Equal(built, labels[ImagePipeline.RevisionLabel]);
        // Its new tags name the same digest, and no layer went to the registry again.
        using var client = new RegistryClient(registry.Address, new RegistryCredentials(AuthRegistry.User, registry.Password));
        Assert.Contains($"sha-{docs[..7]}", after.Tags()!);
        Assert.Equal(before.Digest(), await client.DigestAsync(EngineFixture.Repository("reuse"), $"sha-{docs[..7]}"));
        Assert.True(uploads > 0, "the first push uploaded no blob: the registry's log does not show uploads");
        Assert.Equal(uploads, BlobUploads(registry.Log));
        // The deployment already runs that digest: no patch, no new ReplicaSet.
        Assert.Equal("unchanged", after.Rollout()!.Status);
        Assert.Equal(revision, cluster.Deployment("app")["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.GetValue<string>());
        Assert.Equal($"{repository}@{before.Digest()}", cluster.Deployment("app")["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
    }

    [Fact]
    public async Task Publish_runs_every_step_into_the_report_and_a_second_run_for_production_reuses_the_pushed_digest()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n")
            .Write("Dockerfile.naive", $"FROM {EngineFixture.BaseImage}\nRUN echo naive > /id\n");
        string[] common = ["Publish", "--registry", EngineFixture.RegistryAddress, "--version", "3.1.0"];

        var first = await _driver.RunAsync(new PublishBuild(_app.Path), [.. common, "--environment", "dev"]);
        var dev = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;
        // The second run signs (with an unencrypted PKCS#8 key, as openssl writes it; kept out of the build context); the first had no key.
        using var keys = new TempFolder();
        using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
            keys.Write("signing.key", key.ExportPkcs8PrivateKeyPem()).Write("signing.pub", key.ExportSubjectPublicKeyInfoPem());
        var second = await _driver.RunAsync(new PublishBuild(_app.Path), [.. common, "--environment", "production", "--signing-key", Path.Combine(keys.Path, "signing.key")]);
        var production = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        // One target runs every step of the image's one pipeline; the step targets are not run.
        Assert.Equal(TargetStatus.Succeeded, first.StatusOf("Publish"));
        foreach (var step in new[] { "RestoreCache", "BuildImages", "SlimImages", "TagImages", "ScanImages", "PushImages", "SignImages", "RolloutImages" })
            Assert.Null(first.Summary![step]);
        // No exportCache: the root is no git repository, so there is no branch to keep a cache for.
        Assert.Equal(["restoreCache", "build", "slim", "tag", "scan", "push", "attest", "pushTags"], dev.DurationsMs.Keys);
        Assert.Contains("signing skipped: no --signing-key", first.NoteOf("Publish"));
        Assert.Null(dev.Signature());
        Assert.False(dev.Cache()!.Skipped);
        Assert.NotNull(dev.Baseline());
        Assert.NotNull(dev.Slim());
        Assert.Equal("passed", dev.Scan()!.Gate);
        Assert.Contains("dev", dev.Tags()!);
        Assert.Equal("skipped", dev.Rollout()!.Status);
        Assert.StartsWith("no cluster is configured", dev.Rollout()!.Diagnosis);
        Assert.Contains("Rollout skipped: no cluster is configured", first.Output);
        // The second run builds nothing: the same image, the same digest, now also tagged production.
        Assert.True(production.Cache()!.Skipped);
        Assert.Equal(dev.Digest(), production.Digest());
        Assert.Contains("production", production.Tags()!);
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        Assert.Equal(dev.Digest(), await registry.DigestAsync(EngineFixture.Repository("publish"), "production"));
        Assert.Equal(dev.Digest(), await registry.DigestAsync(EngineFixture.Repository("publish"), "dev"));
        Assert.Matches(@"app unchanged, not rebuilt: its pushed digest sha256:[0-9a-f]{12}, signed, rollout skipped", second.NoteOf("Publish"));
        Assert.Equal(["restoreCache", "build", "slim", "tag", "scan", "push", "attest", "pushTags", "sign"], production.DurationsMs.Keys);
        using var publicKey = Signing.VerificationKey.Load(Path.Combine(keys.Path, "signing.pub"));
        Assert.Equal((true, ""), await Signing.CosignSignatures.VerifyAsync(registry, EngineFixture.Repository("publish"), production.Digest()!, publicKey));
        Assert.Equal(publicKey.Fingerprint, production.Signature()?.Key);
        // The pushed digest is the index of the image and its attestations (provenance, the scan's SBOM), and the
        // signature is of that index: what the rollout deploys.
        Assert.Equal(dev.Digest(), dev.Attestations()?.Index);
        Assert.Equal(["https://slsa.dev/provenance/v0.2", "https://cyclonedx.org/bom", "https://spdx.dev/Document"], dev.Attestations()!.Predicates);
        var attestations = await Attesting.Attestations.ReadAsync(registry, EngineFixture.Repository("publish"), production.Digest()!);
        var provenance = attestations.Single(a => a.PredicateType == "https://slsa.dev/provenance/v0.2").Predicate!;
        Assert.Equal($"pkg:docker/{EngineFixture.BaseImage.Replace(":", "@", StringComparison.Ordinal)}?platform=linux%2Famd64", provenance["materials"]![0]!["uri"]!.GetValue<string>());
        Assert.Equal((await fixture.Engine.InspectImageAsync(EngineFixture.BaseImage))!.Id, "sha256:" + provenance["materials"]![0]!["digest"]!["sha256"]!.GetValue<string>());
        Assert.Equal(dev.Attestations()!.Manifest, attestations[0].SubjectDigest);
    }

    [Fact]
    public async Task A_failing_image_in_a_parallel_run_leaves_the_others_result_in_the_report_and_the_run_names_every_outcome()
    {
        using var broken = new TempFolder().Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} && exit 7\n");
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN sleep 2 && echo {Guid.NewGuid():N} > /id\n");

        var run = await _driver.RunAsync(new TwoAppBuild(_app.Path, broken.Path), ["Publish", "--registry", EngineFixture.RegistryAddress, "--parallel", "2"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(TargetStatus.Failed, run.StatusOf("Publish"));
        // The good image, in its own pipeline, had finished its build when the broken one failed: it stops between two steps.
        Assert.Matches(@"\n  good: (done|stopped before \w+ \(another image failed\))\n  broken: failed: ", run.Output);
        // The summary's one line keeps the cause.
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(run.Output,
            @"Build failed: target Publish failed: 1 of 2 images failed: broken: The build instruction \[2/2\] RUN .*exit code: 7[.;]"), run.Output);
        var report = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json"));
        Assert.NotNull(report.Find("good"));
        Assert.Null(report.Find("broken"));
        Assert.Contains(run.Output.Split('\n'), l => l.Contains("[good] ") && l.Contains("sleep 2"));
    }

    [Fact]
    public async Task A_tree_with_uncommitted_changes_is_refused_naming_them_and_with_allow_dirty_is_tagged_dirty_never_as_the_commit()
    {
        var app = Directory.CreateDirectory(Path.Combine(_driver.Root, "app")).FullName;
        File.WriteAllText(Path.Combine(app, "Dockerfile"), $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        File.WriteAllText(Path.Combine(_driver.Root, ".gitignore"), "artifacts/\n");
        Git.Init(_driver.Root);
        var commit = Git.Commit(_driver.Root, "the app");
        File.AppendAllText(Path.Combine(app, "Dockerfile"), "RUN echo changed > /changed\n");
        string[] publish = ["Publish", "--registry", EngineFixture.RegistryAddress, "--environment", "dev"];

        var refused = await _driver.RunAsync(new RepositoryAppBuild(app, "dirty"), publish);
        var allowed = await _driver.RunAsync(new RepositoryAppBuild(app, "dirty"), [.. publish, "--allow-dirty"]);

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"{_driver.Root} has uncommitted changes (app/Dockerfile): what would be built is not the commit", refused.Output);
        Assert.Null(refused.Summary);
        Assert.True(allowed.ExitCode == 0, allowed.Output);
        var report = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;
        Assert.Equal([$"sha-{commit[..7]}-dirty", "dev"], report.Tags());
        Assert.Null(report.VersionTag());
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        Assert.Null(await registry.DigestAsync(EngineFixture.Repository("dirty"), $"sha-{commit[..7]}"));
        Assert.Equal("true", (await fixture.Engine.InspectImageAsync(report.ImageId))!.Labels![ImagePipeline.DirtyLabel]);
        var provenance = (await Attesting.Attestations.ReadAsync(registry, EngineFixture.Repository("dirty"), report.Digest()!))
            .Single(a => a.PredicateType == "https://slsa.dev/provenance/v0.2").Predicate!;
        Assert.True(provenance["invocation"]!["environment"]!["dirty"]!.GetValue<bool>());
        Assert.Equal(commit, provenance["invocation"]!["configSource"]!["digest"]!["sha1"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("--parallel 0", "--parallel got 0; give 1 or more")]
    [InlineData("--parallel -1", "--parallel got -1; give 1 or more")]
    [InlineData("--version banana", "--version got 'banana', which is not a semantic version")]
    [InlineData("--registry http://bad:5000/", "--registry 'http://bad:5000/' does not make a valid repository for app")]
    [InlineData("--image-names nosuch", "--image-names: there is no declared image 'nosuch'. The images are: app.")]
    [InlineData("--push-timeout 0", "--push-timeout got 0; give a number of seconds, 1 or more")]
    [InlineData("--platform garbage", "--platform got 'garbage', which is not a platform")]
    [InlineData("--build-secret token", "--build-secret token=...: give ID=env:VARIABLE or ID=file:PATH")]
    public async Task Bad_usage_exits_2_naming_the_value_before_anything_runs(string arguments, string message)
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");

        string[] registry = arguments.StartsWith("--registry", StringComparison.Ordinal) ? [] : ["--registry", EngineFixture.RegistryAddress];

        var run = await _driver.RunAsync(new PublishBuild(_app.Path), ["Publish", .. registry, .. arguments.Split(' ')]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Output);
        Assert.Null(run.Summary);   // no target ran, LocalEnvironment neither
        Assert.False(File.Exists(Path.Combine(_driver.Root, "artifacts/containers/report.json")), "nothing may be built");
    }

    [Fact]
    public async Task A_report_json_that_cannot_be_read_fails_Publish_before_anything_is_built_or_pushed()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var report = Path.Combine(_driver.Root, "artifacts/containers/report.json");
        Directory.CreateDirectory(Path.GetDirectoryName(report)!);
        File.WriteAllText(report, "{ \"images\": [ { \"name\": ");

        var run = await _driver.RunAsync(new PublishBuild(_app.Path), "Publish", "--registry", EngineFixture.RegistryAddress, "--version", "5.0.0");

        Assert.Equal(TargetStatus.Failed, run.StatusOf("Publish"));
        Assert.Contains($"{report} is not a report.json", run.Output);
        Assert.DoesNotContain("[app] Building", run.Output);
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        Assert.Null(await registry.DigestAsync(EngineFixture.Repository("publish"), "5.0.0"));
        Assert.Equal("{ \"images\": [ { \"name\": ", File.ReadAllText(report));   // left as it was, for the user to look at
    }

    [Fact]
    public async Task A_failed_build_keeps_what_earlier_runs_delivered_in_the_report_with_the_failed_attempt_beside_it()
    {
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n")
            .Write("Dockerfile.naive", $"FROM {EngineFixture.BaseImage}\nRUN echo naive > /id\n");
        string[] publish = ["Publish", "--registry", EngineFixture.RegistryAddress, "--version", "5.1.0"];
        var delivered = await _driver.RunAsync(new PublishBuild(_app.Path), publish);
        var before = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} && exit 3\n");

        var failed = await _driver.RunAsync(new PublishBuild(_app.Path), publish);
        var after = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app");

        Assert.True(delivered.ExitCode == 0, delivered.Output);
        Assert.Equal(TargetStatus.Failed, failed.StatusOf("Publish"));
        Assert.NotNull(after);
        Assert.Equal((before.ImageId, before.Digest()), (after.ImageId, after.Digest()));
        Assert.Contains("exit code: 3", after.FailedAttempt()!.Error);
        // What the earlier run delivered can still be signed or rolled out; a later good run clears the failure.
        _app.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN echo {Guid.NewGuid():N} > /id\n");
        var fixedRun = await _driver.RunAsync(new PublishBuild(_app.Path), ["Publish", "--registry", EngineFixture.RegistryAddress, "--version", "5.1.1"]);
        Assert.True(fixedRun.ExitCode == 0, fixedRun.Output);
        Assert.Null(ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!.FailedAttempt());
    }

    private string[] TwoPlatformPublish()
    {
        _app.Write("Dockerfile", Arm64.CrossBuiltBusybox)
            .Write("Dockerfile.naive", $"FROM {EngineFixture.BaseImage}\nCOPY . /app\n");
        return ["Publish", "--registry", EngineFixture.RegistryAddress, "--version", "4.0.0", "--platform", "linux/amd64,linux/arm64"];
    }

    [StoreFact(NukeContainers.Engine.ImageStore.GraphDriver)]
    public async Task Publish_for_two_platforms_on_an_engine_that_keeps_one_platform_an_image_fails_saying_what_to_use()
    {
        await fixture.RequireStoreAsync(NukeContainers.Engine.ImageStore.GraphDriver);
        var publish = TwoPlatformPublish();
        _app.Write("busybox-amd64", "").Write("busybox-arm64", "");

        var refused = await _driver.RunAsync(new PublishBuild(_app.Path), publish);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("The build is for linux/amd64, linux/arm64: one image a platform under one index", refused.Output);
    }

    [StoreFact(NukeContainers.Engine.ImageStore.Containerd)]
    public async Task Publish_for_two_platforms_pushes_one_index_of_both_measured_scanned_and_attested()
    {
        await fixture.RequireStoreAsync(NukeContainers.Engine.ImageStore.Containerd);
        var publish = TwoPlatformPublish();
        await Arm64.WriteBusyboxesAsync(_app.Path);

        var run = await _driver.RunAsync(new PublishBuild(_app.Path), publish);
        var report = ContainerReport.Read(Path.Combine(_driver.Root, "artifacts/containers/report.json")).Find("app")!;

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("it is an index of linux/amd64, linux/arm64, and slimming rewrites one image's layers", run.Output);
        Assert.Equal("passed", report.Scan()!.Gate);
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        var index = await registry.GetManifestAsync(EngineFixture.Repository("publish"), "4.0.0");
        Assert.Equal(report.Digest(), index.Digest);
        var platforms = await Attesting.Attestations.ReadAsync(registry, EngineFixture.Repository("publish"), index.Digest);
        Assert.Equal(2, index.PlatformChildren.Count);
        Assert.Equal(2, platforms.Count(a => a.PredicateType == "https://slsa.dev/provenance/v0.2"));
        // The SBOM goes with the image the scan read, the engine's own platform's (linux/amd64 here).
        var sbom = Assert.Single(platforms, a => a.PredicateType == "https://cyclonedx.org/bom");
        var amd64 = (await Attesting.Attestations.PlatformImagesAsync(registry, EngineFixture.Repository("publish"), index, CancellationToken.None)).Single(m => m.Platform == "linux/amd64");
        Assert.Equal(amd64.Digest, sbom.SubjectDigest);
    }

    /// The blob uploads the registry logged: PATCH and PUT of blob data (a mount is a POST and sends none).
    internal static int BlobUploads(string log) =>
        log.Split('\n').Count(l => l.Contains("blobs/uploads/") && (l.Contains("http.request.method=PATCH") || l.Contains("http.request.method=PUT")) && l.Contains("response completed"));

    public void Dispose()
    {
        _driver.Dispose();
        _app.Dispose();
    }
}
