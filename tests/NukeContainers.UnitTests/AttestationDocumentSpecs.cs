using System.Text.Json.Nodes;
using NukeContainers.Attesting;
using NukeContainers.Dockerfiles;
using NukeContainers.Images;

namespace NukeContainers.Tests;

/// What the attest step writes, without an engine: the base images it names, their package URLs, the SPDX form of the SBOM.
public sealed class AttestationDocumentSpecs
{
    [Fact]
    public void The_materials_are_the_images_the_target_stage_comes_from_through_its_stages_and_COPY_from_not_scratch_or_unused_stages()
    {
        var dockerfile = DockerfileParser.Parse("""
            ARG GO=golang:1.23
            FROM ${GO} AS build
            COPY --from=docker.io/library/alpine:3.20 /etc/ssl /ssl
            FROM debian:bookworm AS unused
            FROM build AS test
            FROM scratch AS runtime
            COPY --from=test /app /app
            COPY --from=registry.example.com/tools/certs:1 /certs /certs
            COPY --from=0 /x /x
            """, buildArgs: new Dictionary<string, string> { ["GO"] = "golang:1.24" });

        Assert.Equal(["golang:1.24", "docker.io/library/alpine:3.20", "registry.example.com/tools/certs:1"],
            AttestSettings.BaseImages(dockerfile, dockerfile.RequireStage("runtime")));
        Assert.Equal(["debian:bookworm"], AttestSettings.BaseImages(dockerfile, dockerfile.RequireStage("unused")));
    }

    /// A cross-built image's build stage runs on the engine's platform: its arm64 provenance says the build stage's base
    /// was taken for linux/amd64, and the runtime stage's for linux/arm64 (issue 26.10).
    [Fact]
    public void A_stage_built_on_the_build_platform_takes_its_base_for_that_platform()
    {
        var dockerfile = DockerfileParser.Parse("""
            ARG ARCH
            FROM --platform=$BUILDPLATFORM golang:1.24 AS build
            FROM --platform=linux/${ARCH} alpine:3.20 AS fixed
            FROM static:nonroot
            COPY --from=build /app /app
            COPY --from=fixed /etc/ssl /ssl
            """);
        var build = new NukeContainers.Building.BuildSettings { BuildArgs = new Dictionary<string, string> { ["ARCH"] = "riscv64" } };

        Assert.Equal([("static:nonroot", "linux/arm64"), ("golang:1.24", "linux/amd64"), ("alpine:3.20", "linux/riscv64")],
            AttestSettings.BaseImageSources(dockerfile, dockerfile.Stages[^1]).Select(s => (s.Image, AttestSettings.StagePlatform(s.Stage, build, "linux/arm64", "linux/amd64"))));
    }

    [Theory]
    [InlineData("debian:bookworm", "pkg:docker/debian@bookworm?platform=linux%2Famd64")]
    [InlineData("docker.io/library/alpine:3.20", "pkg:docker/alpine@3.20?platform=linux%2Famd64")]
    [InlineData("nukecontainers-test/busybox:1", "pkg:docker/nukecontainers-test/busybox@1?platform=linux%2Famd64")]
    [InlineData("127.0.0.1:5000/team/base:2", "pkg:docker/127.0.0.1%3A5000/team/base@2?platform=linux%2Famd64")]
    [InlineData("gcr.io/distroless/static", "pkg:docker/gcr.io/distroless/static@latest?platform=linux%2Famd64")]
    public void A_base_images_package_URL_is_the_one_BuildKit_writes(string image, string expected) =>
        Assert.Equal(expected, Attestations.MaterialUri(ImageReference.Parse(image), "linux/amd64"));

    [Fact]
    public void The_SPDX_document_lists_the_CycloneDX_components_with_their_purls_and_is_the_same_each_time()
    {
        var cycloneDx = JsonNode.Parse("""
            { "bomFormat": "CycloneDX", "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
              "components": [ { "name": "libc6", "version": "2.36-9+deb12u9", "purl": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u9" },
                              { "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0" } ] }
            """)!;
        var created = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

        var spdx = Attestations.Spdx(cycloneDx, "127.0.0.1:5000/team/app", created);

        Assert.Equal("SPDX-2.3", spdx["spdxVersion"]!.GetValue<string>());
        Assert.Equal("2026-12-01T00:00:00Z", spdx["creationInfo"]!["created"]!.GetValue<string>());
        Assert.Equal(["libc6 2.36-9+deb12u9 pkg:deb/debian/libc6@2.36-9%2Bdeb12u9", "left-pad 1.3.0 pkg:npm/left-pad@1.3.0"],
            spdx["packages"]!.AsArray().Select(p => $"{p!["name"]} {p["versionInfo"]} {p["externalRefs"]![0]!["referenceLocator"]}"));
        Assert.Equal(["SPDXRef-Package-1", "SPDXRef-Package-2"], spdx["relationships"]!.AsArray().Select(r => r!["relatedSpdxElement"]!.GetValue<string>()));
        Assert.Equal(spdx.ToJsonString(), Attestations.Spdx(cycloneDx, "127.0.0.1:5000/team/app", created).ToJsonString());
    }
}
