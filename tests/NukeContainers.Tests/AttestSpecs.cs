using System.Text;
using System.Text.Json.Nodes;
using NukeContainers.Attesting;
using NukeContainers.Engine;
using NukeContainers.Images;
using NukeContainers.Provisioning;
using NukeContainers.Registry;
using NukeContainers.Reporting;
using Semver;

namespace NukeContainers.Tests;

/// The attest step on the real engine and registry, held against docker buildx 0.13 (Debian 13's): buildx's own
/// attestations of the same Dockerfile on Docker 26 are the layout ours must have, and buildx's imagetools and oras
/// read ours back.
[Collection(EngineCollection.Name)]
public sealed class AttestSpecs(EngineFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const string Revision = "0123456789abcdef0123456789abcdef01234567";
    private const string Source = "https://example.com/team/app";
    private const string Secret = "s3cr3t-token-value";
    private readonly TempFolder _context = new();
    private readonly List<string> _log = [];
    private readonly List<(string Repository, string Digest)> _pushed = [];
    private RegistryBase _base = null!;
    private Buildx _buildx = null!;

    public async Task InitializeAsync()
    {
        // The base comes from the registry, so both builders (ours on this engine, buildx on Docker 26) record the same
        // material: its manifest digest there.
        _base = await RegistryBase.PushAsync(fixture.Engine, "attest-base");
        // The context: a node_modules package (so the scan's SBOM lists one), a credential-like build argument.
        _context.Write("node_modules/left-pad/package.json", """{ "name": "left-pad", "version": "1.3.0" }""");
        _context.Write("Dockerfile", $"""
            FROM {_base}
            ARG GREETING=hello
            ARG API_TOKEN
            LABEL greeting=$GREETING
            COPY node_modules /app/node_modules
            """);
        _buildx = await Buildx.CreateAsync(output.WriteLine);
    }

    public async Task DisposeAsync()
    {
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        foreach (var (repository, digest) in _pushed) await registry.DeleteManifestAsync(repository, digest);
        await _base.DisposeAsync();
        _context.Dispose();
        _buildx.Dispose();
    }

    private ImagePipeline Pipeline(string name) =>
        Containers.Image($"{EngineFixture.RegistryAddress}/{EngineFixture.Repository(name)}").Label(ResourceLabels.Run, ResourceLabels.RunId)
            .FromDockerfile(_context.Path).BuildArg("GREETING", "yo").BuildArg("API_TOKEN", Secret).BuildArg("NODE_IMAGE", "node:20")
            .OciLabels("1.4.0", Revision, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), Source, null)
            .Tag(t => t.SemVer(SemVersion.Parse("1.4.0", SemVersionStyles.Strict)).InEnvironment("staging"))
            .Scan(s => s with { OutputFolder = Path.Combine(_context.Path, "scan") }).Push().Attest().WithLog(_log.Add);

    /// Every manifest the index names (and the index) is deleted at the end.
    private async Task<ImageResult> RunAsync(ImagePipeline pipeline)
    {
        var result = await pipeline.RunAsync(fixture.Engine);
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        var path = result.Image.Repository.Path;
        foreach (var child in (await registry.GetManifestAsync(path, result.Image.Digest!)).Children) _pushed.Add((path, child));
        _pushed.Add((path, result.Image.Digest!));
        return result;
    }

    private Task<string> DockerAsync(string engine, params string[] arguments) => _buildx.DockerAsync(engine, _context.Path, output.WriteLine, arguments);

    private Task<string> OrasAsync(params string[] arguments) => _buildx.OrasAsync(output.WriteLine, arguments);

    [Fact]
    public async Task Provenance_and_the_SBOM_are_attached_in_an_index_that_imagetools_and_oras_read_and_the_engine_pulls()
    {
        var result = await RunAsync(Pipeline("attest"));
        var repository = result.Image.Repository;
        var index = result.Image.Digest!;
        var attest = result.Step<AttestResult>()!;
        var engine = fixture.Endpoint.Uri.ToString();

        // The tags name the index; report.json's digest is the index's, and it tells of the image manifest inside.
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        foreach (var tag in result.Image.Tags) Assert.Equal(index, await registry.DigestAsync(repository.Path, tag));
        var report = ContainerReport.From([result], _context.Path).Images[0];
        Assert.Equal(index, report.Digest());
        var attestations = report.Attestations()!;
        Assert.Equal((index, attest.Manifest), (attestations.Index, attestations.Manifest));
        Assert.Equal([Attestations.SlsaProvenance, Attestations.CycloneDxBom, Attestations.SpdxDocument], attestations.Predicates);
        Assert.Equal(attest.Manifest, result.Step<Pushing.PushResult>()!.Digest);

        // buildx's imagetools reads the provenance and the SBOM (it shows SPDX), as it reads its own.
        var provenance = JsonNode.Parse(await DockerAsync(engine, "buildx", "imagetools", "inspect", $"{repository}@{index}", "--format", "{{json .Provenance.SLSA}}"))!;
        Assert.Equal(Attestations.BuildKitBuildType, provenance["buildType"]!.GetValue<string>());
        Assert.Equal("yo", provenance["invocation"]!["parameters"]!["args"]!["build-arg:GREETING"]!.GetValue<string>());
        Assert.Equal("****", provenance["invocation"]!["parameters"]!["args"]!["build-arg:API_TOKEN"]!.GetValue<string>());
        // A build argument the Dockerfile never declares changed nothing in the image: the provenance leaves it out.
        Assert.Null(provenance["invocation"]!["parameters"]!["args"]!["build-arg:NODE_IMAGE"]);
        Assert.Equal(Revision, provenance["invocation"]!["configSource"]!["digest"]!["sha1"]!.GetValue<string>());
        Assert.Equal(Source, provenance["invocation"]!["configSource"]!["uri"]!.GetValue<string>());
        Assert.Equal("Dockerfile", provenance["invocation"]!["configSource"]!["entryPoint"]!.GetValue<string>());
        var baseDigest = _base.Digest;
        var material = provenance["materials"]!.AsArray()[0]!;
        Assert.Equal($"pkg:docker/127.0.0.1%3A5000/{EngineFixture.Repository("attest-base")}@1?platform=linux%2Famd64", material["uri"]!.GetValue<string>());
        Assert.Equal(baseDigest, "sha256:" + material["digest"]!["sha256"]!.GetValue<string>());
        var spdx = JsonNode.Parse(await DockerAsync(engine, "buildx", "imagetools", "inspect", $"{repository}@{index}", "--format", "{{json .SBOM.SPDX}}"))!;
        var package = Assert.Single(spdx["packages"]!.AsArray())!;
        Assert.Equal(("left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"),
            (package["name"]!.GetValue<string>(), package["versionInfo"]!.GetValue<string>(), package["externalRefs"]![0]!["referenceLocator"]!.GetValue<string>()));

        // oras reads the index and fetches the CycloneDX statement: its predicate is the scan's SBOM file.
        var orasIndex = JsonNode.Parse(await OrasAsync("manifest", "fetch", "--plain-http", $"{repository}@{index}"))!;
        var attestation = orasIndex["manifests"]!.AsArray().Single(m => m!["annotations"]?["vnd.docker.reference.type"]?.GetValue<string>() == "attestation-manifest")!;
        Assert.Equal(attest.Manifest, attestation["annotations"]!["vnd.docker.reference.digest"]!.GetValue<string>());
        var manifest = JsonNode.Parse(await OrasAsync("manifest", "fetch", "--plain-http", $"{repository}@{attestation["digest"]!.GetValue<string>()}"))!;
        var cycloneLayer = manifest["layers"]!.AsArray().Single(l => l!["annotations"]!["in-toto.io/predicate-type"]!.GetValue<string>() == Attestations.CycloneDxBom)!;
        var statement = JsonNode.Parse(await OrasAsync("blob", "fetch", "--plain-http", "--output", "-", $"{repository}@{cycloneLayer["digest"]!.GetValue<string>()}"))!;
        var sbomFile = result.Step<Scanning.ScanResult>()!.Sbom;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(sbomFile)), statement["predicate"]), "the CycloneDX statement's predicate is the scan's SBOM");
        Assert.Equal(attest.Manifest, "sha256:" + statement["subject"]![0]!["digest"]!["sha256"]!.GetValue<string>());

        // The build argument that looks like a credential is in no blob of the index.
        foreach (var stored in await Attestations.ReadAsync(registry, repository.Path, index))
            Assert.DoesNotContain(Secret, stored.Statement.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_log, l => l.Contains(Secret, StringComparison.Ordinal));

        // The engine pulls the index: it takes the image manifest of its platform, the image built.
        await fixture.Engine.PullAsync(repository.WithDigest(index), null);
        var pulled = await fixture.Engine.InspectImageAsync($"{repository}@{index}");
        Assert.Equal("yo", pulled?.Labels?["greeting"]);
    }

    [Fact]
    public async Task The_index_the_attestation_manifest_and_the_provenance_have_buildxs_layout_for_the_same_Dockerfile()
    {
        var ours = await RunAsync(Pipeline("attest-ours"));
        // buildx 0.13 on Docker 26 (the containerd store, whose BuildKit attaches attestations); mode=max, the mode that
        // records the build arguments as ours does (mode=min records none).
        var modern = (await EmbeddedEnvironment.EnsureEngineAsync(EmbeddedEnvironmentOptions.Docker26(output.WriteLine))).Endpoint;
        var theirs = ImageReference.Parse($"{EngineFixture.RegistryAddress}/{EngineFixture.Repository("attest-buildx")}:1.4.0");
        await DockerAsync(modern.Uri.ToString(), "buildx", "build", "--provenance=mode=max", "--build-arg", "GREETING=yo", "--build-arg", $"API_TOKEN={Secret}",
            "--label", $"{ResourceLabels.Run}={ResourceLabels.RunId}", "-t", theirs.ToString(), "--push", ".");
        using (var modernEngine = ContainerEngine.Connect(modern.SocketPath))
            await modernEngine.Client.Images.DeleteImageAsync(theirs.ToString(), new() { Force = true });
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        var theirIndexDigest = (await registry.DigestAsync(theirs.Path, theirs.Tag!))!;
        _pushed.AddRange((await registry.GetManifestAsync(theirs.Path, theirIndexDigest)).Children.Select(c => (theirs.Path, c)).Append((theirs.Path, theirIndexDigest)));

        async Task<(JsonNode Index, JsonNode Manifest, JsonNode Config, JsonNode Provenance)> ReadAsync(string path, string digest)
        {
            var index = JsonNode.Parse((await registry.GetManifestAsync(path, digest)).Body)!;
            var descriptor = index["manifests"]!.AsArray().Single(m => Attestations.IsAttestation(m!.AsObject()))!;
            var manifest = JsonNode.Parse((await registry.GetManifestAsync(path, descriptor["digest"]!.GetValue<string>())).Body)!;
            var config = JsonNode.Parse(await registry.GetBlobAsync(path, manifest["config"]!["digest"]!.GetValue<string>()))!;
            var layer = manifest["layers"]!.AsArray().Single(l => l!["annotations"]!["in-toto.io/predicate-type"]!.GetValue<string>() == Attestations.SlsaProvenance)!;
            return (index, manifest, config, JsonNode.Parse(await registry.GetBlobAsync(path, layer["digest"]!.GetValue<string>()))!);
        }
        var (ourIndex, ourManifest, ourConfig, ourStatement) = await ReadAsync(ours.Image.Repository.Path, ours.Image.Digest!);
        var (theirIndex, theirManifest, theirConfig, theirStatement) = await ReadAsync(theirs.Path, theirIndexDigest);

        // The index: the image for linux/amd64, then its attestation manifest, unknown/unknown, with the same annotations.
        static string Shape(JsonNode index) => string.Join(" | ", index["manifests"]!.AsArray().Select(m =>
            $"{m!["mediaType"]} {m["platform"]!["os"]}/{m["platform"]!["architecture"]} {string.Join(",", (m["annotations"]?.AsObject() ?? []).Select(a => a.Key))}"));
        Assert.Equal(Shape(theirIndex).Replace("application/vnd.oci.image.manifest.v1+json linux", "IMAGE linux"),
            Shape(ourIndex).Replace("application/vnd.docker.distribution.manifest.v2+json linux", "IMAGE linux").Replace("application/vnd.oci.image.manifest.v1+json linux", "IMAGE linux"));
        Assert.Equal(theirIndex["mediaType"]!.GetValue<string>(), ourIndex["mediaType"]!.GetValue<string>());
        // The attestation manifest and its config: the same form (the layers' digests differ with their content).
        Assert.Equal(theirConfig["architecture"]!.GetValue<string>() + theirConfig["os"], ourConfig["architecture"]!.GetValue<string>() + ourConfig["os"]);
        Assert.Equal(theirManifest["layers"]![0]!["mediaType"]!.GetValue<string>(), ourManifest["layers"]![0]!["mediaType"]!.GetValue<string>());
        // The statement: the same type and subject form; the predicate's parameters the same. buildx names the subject by
        // the tag it pushed (1.4.0), ours by the sha- tag of the commit that built the image (its revision label): an
        // image reused at a later commit, under new tags, keeps the same statements, so the same index and digest.
        Assert.Equal(theirStatement["_type"]!.GetValue<string>(), ourStatement["_type"]!.GetValue<string>());
        Assert.Equal(theirStatement["subject"]![0]!["name"]!.GetValue<string>().Replace("attest-buildx", "attest-ours").Replace("@1.4.0?", $"@sha-{Revision[..7]}?"),
            ourStatement["subject"]![0]!["name"]!.GetValue<string>());
        var (ourPredicate, theirPredicate) = (ourStatement["predicate"]!, theirStatement["predicate"]!);
        foreach (var path in new[]
                 {
                     "buildType", "materials.0", "invocation.configSource.entryPoint", "invocation.parameters.frontend", "invocation.parameters.locals",
                     "invocation.parameters.args.build-arg:GREETING", "invocation.environment", "metadata.completeness.environment", "metadata.completeness.materials", "metadata.reproducible",
                 })
        {
            JsonNode? Find(JsonNode node) => path.Split('.').Aggregate((JsonNode?)node, (n, key) => int.TryParse(key, out var i) ? n?.AsArray()[i] : n?[key]);
            Assert.True(JsonNode.DeepEquals(Find(theirPredicate), Find(ourPredicate)), $"{path}: buildx {Find(theirPredicate)?.ToJsonString()} ours {Find(ourPredicate)?.ToJsonString()}");
        }
        // Where they differ, on purpose: buildx records the credential-like argument as given (ours masks it, so ours says
        // its parameters are not complete, as mode=min does) and the build's LLB (ours has no build steps); it knows no
        // commit or source for a local context (ours reads them from the image's OCI labels, and adds the commit as a
        // material, as BuildKit does for a git context); its metadata has the build's times and invocation id, which
        // would make every index new (ours has none on a developer's machine).
        Assert.True(theirPredicate["metadata"]!["completeness"]!["parameters"]!.GetValue<bool>());
        Assert.False(ourPredicate["metadata"]!["completeness"]!["parameters"]!.GetValue<bool>());
        Assert.NotNull(theirPredicate["buildConfig"]);
        Assert.Null(ourPredicate["buildConfig"]);
        Assert.Single(theirPredicate["materials"]!.AsArray());
        Assert.Equal($"{Source}@{Revision}", $"{ourPredicate["materials"]![1]!["uri"]}@{ourPredicate["materials"]![1]!["digest"]!["sha1"]}");
        Assert.Equal(Secret, theirPredicate["invocation"]!["parameters"]!["args"]!["build-arg:API_TOKEN"]!.GetValue<string>());
        Assert.Equal("****", ourPredicate["invocation"]!["parameters"]!["args"]!["build-arg:API_TOKEN"]!.GetValue<string>());
        Assert.Null(theirPredicate["invocation"]!["configSource"]!["digest"]);
        Assert.Equal(Revision, ourPredicate["invocation"]!["configSource"]!["digest"]!["sha1"]!.GetValue<string>());
        Assert.NotNull(theirPredicate["metadata"]!["buildStartedOn"]);
        Assert.Null(ourPredicate["metadata"]!["buildStartedOn"]);
    }

    [Fact]
    public async Task Publishing_the_same_build_again_gives_the_same_index_and_its_version_is_not_refused()
    {
        var first = await RunAsync(Pipeline("attest-again"));
        var second = await RunAsync(Pipeline("attest-again"));

        Assert.Equal(first.Image.Digest, second.Image.Digest);
        Assert.Equal(first.Step<AttestResult>()!.Manifest, second.Step<AttestResult>()!.Manifest);
        Assert.DoesNotContain(_log, l => l.Contains("this build replaces it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Provenance_alone_leaves_the_SBOM_out_and_neither_leaves_the_pushed_manifest_as_it_is()
    {
        var provenanceOnly = await RunAsync(Pipeline("attest-provenance").Attest(a => a with { Sbom = false }));
        var neither = await RunAsync(Pipeline("attest-neither").Attest(a => a with { Provenance = false, Sbom = false }));

        Assert.Equal([Attestations.SlsaProvenance], provenanceOnly.Step<AttestResult>()!.PredicateTypes);
        using var registry = new RegistryClient(EngineFixture.RegistryAddress, null);
        Assert.Equal([Attestations.SlsaProvenance], (await Attestations.ReadAsync(registry, provenanceOnly.Image.Repository.Path, provenanceOnly.Image.Digest!)).Select(a => a.PredicateType));
        Assert.Equal(neither.Step<Pushing.PushResult>()!.Digest, neither.Image.Digest);
        Assert.Null(ContainerReport.From([neither], _context.Path).Images[0].Attestations());
        Assert.NotNull((await registry.GetManifestAsync(neither.Image.Repository.Path, neither.Image.Digest!)).ConfigDigest);
    }

    [Fact]
    public async Task Attesting_needs_a_pushed_image_and_says_so()
    {
        var error = await Assert.ThrowsAsync<ContainerException>(() =>
            Containers.Image($"{EngineFixture.RegistryAddress}/{EngineFixture.Repository("attest-none")}").Label(ResourceLabels.Run, ResourceLabels.RunId)
                .FromDockerfile(_context.Path).Tag(t => t.InEnvironment("dev")).Attest().WithLog(_log.Add).RunAsync(fixture.Engine));
        Assert.Contains("add .Push() before .Attest()", error.Message);
    }
}
