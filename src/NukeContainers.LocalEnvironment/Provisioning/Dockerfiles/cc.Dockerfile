# A distroless-style base for dynamically linked programs: the static base plus glibc, libstdc++, libgcc, zlib, OpenSSL,
# each with its dpkg status file in /var/lib/dpkg/status.d, as distroless has them.
ARG DEBIAN_IMAGE=local/debian:bookworm
ARG STATIC_IMAGE=local/static:nonroot
# The build stage runs on the builder's own platform. For it, the packages are installed and their files listed by dpkg;
# for another (TARGETARCH arm64), they are downloaded and unpacked (dpkg-deb -x: nothing of them runs).
FROM --platform=$BUILDPLATFORM ${DEBIAN_IMAGE} AS build
ARG TARGETARCH
# Debian's /usr is merged: keep that layout so the copied paths and the loader's search paths agree.
RUN mkdir -p /out/usr/lib /out/usr/lib64 /out/usr/bin /out/usr/sbin /out/var/lib/dpkg/status.d \
 && ln -s usr/lib /out/lib && ln -s usr/lib64 /out/lib64 && ln -s usr/bin /out/bin && ln -s usr/sbin /out/sbin
RUN packages="libc6 libgcc-s1 libstdc++6 zlib1g libssl3"; \
    keep() { grep -vE '^/usr/share/(doc|man|info|lintian|locale|bug)|^/usr/lib/[^/]+-linux-gnu/gconv|^/usr/libexec|^/sbin|^/usr/bin|^/usr/sbin'; }; \
    if [ -z "$TARGETARCH" ] || [ "$TARGETARCH" = "$(dpkg --print-architecture)" ]; then \
      apt-get update && apt-get install -y --no-install-recommends libssl3 zlib1g libstdc++6 \
      && for package in $packages; do \
           dpkg -L "$package" | keep | while read -r path; do if [ -f "$path" ] || [ -L "$path" ]; then cp -a --parents "$path" /out; fi; done; \
           dpkg-query -s "$package" > "/out/var/lib/dpkg/status.d/$package"; \
         done; \
    else \
      dpkg --add-architecture "$TARGETARCH" && apt-get update \
      && mkdir -p /debs && chown _apt /debs && cd /debs && apt-get download $(for package in $packages; do echo "$package:$TARGETARCH"; done) \
      && for package in $packages; do \
           deb=$(ls /debs/"$package"_*.deb) && rm -rf /foreign && mkdir /foreign && dpkg-deb -x "$deb" /foreign \
           && (cd /foreign && find . ! -type d | sed 's|^\.||' | keep | while read -r path; do cp -a --parents ".$path" /out; done) \
           && { dpkg-deb -f "$deb"; echo "Status: install ok installed"; } > "/out/var/lib/dpkg/status.d/$package"; \
         done; \
    fi \
 && rm -rf /var/lib/apt/lists/* /debs /foreign

FROM ${STATIC_IMAGE}
COPY --from=build /out /
