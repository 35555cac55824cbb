# A distroless-style base for dynamically linked programs: the static base plus glibc, libstdc++, libgcc, zlib, OpenSSL,
# each with its dpkg status file in /var/lib/dpkg/status.d, as distroless has them.
ARG DEBIAN_IMAGE=local/debian:bookworm
ARG STATIC_IMAGE=local/static:nonroot
FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 zlib1g libstdc++6 \
 && rm -rf /var/lib/apt/lists/*
# Debian's /usr is merged: keep that layout so the copied paths and the loader's search paths agree.
RUN mkdir -p /out/usr/lib /out/usr/lib64 /out/usr/bin /out/usr/sbin \
 && ln -s usr/lib /out/lib && ln -s usr/lib64 /out/lib64 && ln -s usr/bin /out/bin && ln -s usr/sbin /out/sbin \
 && for package in libc6 libgcc-s1 libstdc++6 zlib1g libssl3; do \
      dpkg -L "$package" | grep -vE '^/usr/share/(doc|man|info|lintian|locale|bug)|^/usr/lib/x86_64-linux-gnu/gconv|^/usr/libexec|^/sbin|^/usr/bin|^/usr/sbin' \
      | while read -r path; do if [ -f "$path" ] || [ -L "$path" ]; then cp -a --parents "$path" /out; fi; done; \
      mkdir -p /out/var/lib/dpkg/status.d && dpkg-query -s "$package" > "/out/var/lib/dpkg/status.d/$package"; \
    done

FROM ${STATIC_IMAGE}
COPY --from=build /out /
