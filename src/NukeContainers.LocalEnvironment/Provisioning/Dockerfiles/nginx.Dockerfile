# nginx as a non-root server on the static base: the binary, the libraries it links, mime.types, and a main config
# whose paths are writable by user 65532, and the dpkg status files of nginx and those libraries' packages (status.d, as
# distroless has them). Sites add /etc/nginx/conf.d/*.conf and their files.
ARG DEBIAN_IMAGE=local/debian:bookworm
ARG STATIC_IMAGE=local/static:nonroot
# The build stage runs on the builder's own platform. For it, nginx is installed and ldd lists the libraries; for
# another (TARGETARCH arm64), nginx's packages and those of its libraries are downloaded and unpacked (dpkg-deb -x:
# nothing of them runs), and the libraries are read from the binary's NEEDED entries, then theirs.
FROM --platform=$BUILDPLATFORM ${DEBIAN_IMAGE} AS build
ARG TARGETARCH
RUN mkdir -p /out/usr/lib /out/usr/lib64 /out/usr/sbin /out/etc/nginx/conf.d /out/usr/share/nginx/html /out/var/lib/dpkg/status.d \
 && ln -s usr/lib /out/lib && ln -s usr/lib64 /out/lib64 && ln -s usr/sbin /out/sbin
RUN if [ -z "$TARGETARCH" ] || [ "$TARGETARCH" = "$(dpkg --print-architecture)" ]; then \
      apt-get update && apt-get install -y --no-install-recommends nginx-light \
      && cp /usr/sbin/nginx /out/usr/sbin/ \
      && for lib in $(ldd /usr/sbin/nginx | grep -oE '/[^ ]+'); do cp -L --parents "$lib" /out; done \
      && for package in nginx-light $(for lib in $(ldd /usr/sbin/nginx | grep -oE '/[^ ]+'); do dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")"; done | cut -d: -f1 | sort -u); do \
           dpkg-query -s "$package" > "/out/var/lib/dpkg/status.d/$package"; done; \
    else \
      dpkg --add-architecture "$TARGETARCH" && apt-get update && apt-get install -y --no-install-recommends binutils nginx-common \
      && mkdir -p /debs /foreign && chown _apt /debs && cd /debs \
      && apt-get download "nginx:$TARGETARCH" $(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances "nginx:$TARGETARCH" | grep -E "^[a-z0-9][^ ]*:$TARGETARCH\$" | sort -u) \
      && for deb in /debs/*.deb; do dpkg-deb -x "$deb" /foreign; dpkg-deb -c "$deb" | awk '{print $NF}' | sed -e 's|^\./|/|' -e "s|^|$(dpkg-deb -f "$deb" Package) |" >> /owners; done \
      && found="$(readelf -l /foreign/usr/sbin/nginx | sed -n 's/.*interpreter: \(.*\)]/\1/p') /usr/sbin/nginx" && queue=/usr/sbin/nginx \
      && while [ -n "$queue" ]; do next=""; for file in $queue; do \
           for name in $(readelf -d "/foreign$file" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do path=""; \
             for dir in /foreign/lib/*-linux-gnu /foreign/usr/lib/*-linux-gnu; do if [ -e "$dir/$name" ]; then path="${dir#/foreign}/$name"; break; fi; done; \
             if [ -z "$path" ]; then echo "nginx for $TARGETARCH needs $name, which no package of its has" >&2; exit 1; fi; \
             case " $found " in *" $path "*) ;; *) found="$found $path"; next="$next $path";; esac; \
           done; done; queue="$next"; done \
      && for path in $found; do \
           mkdir -p "$(dirname "/out/usr${path#/usr}")" && cp -L "/foreign$path" "/out/usr${path#/usr}"; \
           for owned in "$path" "$(cd /foreign && readlink -f ".$path" | sed 's|^/foreign||')"; do grep -E " $owned\$" /owners | cut -d' ' -f1; done; \
         done | sort -u > /packages \
      && for package in $(cat /packages); do { dpkg-deb -f "$(ls /debs/"$package"_*.deb | head -1)"; echo "Status: install ok installed"; } > "/out/var/lib/dpkg/status.d/$package"; done; \
    fi \
 && rm -rf /var/lib/apt/lists/*
RUN cp /etc/nginx/mime.types /out/etc/nginx/ \
 && printf '%s\n' 'worker_processes 1;' 'pid /tmp/nginx.pid;' 'error_log /dev/stderr warn;' 'events { worker_connections 256; }' \
      'http {' '  include /etc/nginx/mime.types;' '  default_type application/octet-stream;' '  access_log /dev/stdout;' \
      '  sendfile on;' '  server_tokens off;' '  client_body_temp_path /tmp/client_body;' '  proxy_temp_path /tmp/proxy;' \
      '  fastcgi_temp_path /tmp/fastcgi;' '  uwsgi_temp_path /tmp/uwsgi;' '  scgi_temp_path /tmp/scgi;' \
      '  include /etc/nginx/conf.d/*.conf;' '}' > /out/etc/nginx/nginx.conf \
 && mkdir -p /out/var/lib/nginx /out/var/log/nginx && chown -R 65532:65532 /out/var/lib/nginx /out/var/log/nginx

FROM ${STATIC_IMAGE}
COPY --from=build /out /
EXPOSE 8080
ENTRYPOINT ["/usr/sbin/nginx", "-g", "daemon off;"]
