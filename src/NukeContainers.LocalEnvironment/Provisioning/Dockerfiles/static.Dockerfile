# A distroless-style static base: CA certificates, time zones, passwd/group with a non-root user 65532, /tmp.
# Like distroless, it says what it holds: os-release, and one dpkg status file a package in /var/lib/dpkg/status.d.
# Its files are the same on every platform (the packages are Architecture: all): the build stage runs on the engine's
# own platform, so that it can be made for arm64 too without emulating anything.
ARG DEBIAN_IMAGE=local/debian:bookworm
FROM --platform=$BUILDPLATFORM ${DEBIAN_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /out/etc/ssl/certs /out/usr/share /out/tmp /out/home/nonroot /out/root \
 && chmod 1777 /out/tmp && chown 65532:65532 /out/home/nonroot && chmod 700 /out/root \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /out/etc/passwd \
 && printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > /out/etc/group \
 && printf 'hosts: files dns\n' > /out/etc/nsswitch.conf \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && cp -a /usr/share/zoneinfo /out/usr/share/zoneinfo \
 && mkdir -p /out/usr/lib /out/var/lib/dpkg/status.d && cp /usr/lib/os-release /out/usr/lib/os-release && ln -s ../usr/lib/os-release /out/etc/os-release \
 && for package in ca-certificates tzdata; do dpkg-query -s "$package" > "/out/var/lib/dpkg/status.d/$package"; done

FROM scratch
COPY --from=build /out /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot
