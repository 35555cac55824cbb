# nginx as a non-root server on the static base: the binary, the libraries it links, mime.types, and a main config
# whose paths are writable by user 65532, and the dpkg status files of nginx and those libraries' packages (status.d, as
# distroless has them). Sites add /etc/nginx/conf.d/*.conf and their files.
ARG DEBIAN_IMAGE=local/debian:bookworm
ARG STATIC_IMAGE=local/static:nonroot
FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends nginx-light \
 && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /out/usr/lib /out/usr/lib64 /out/usr/sbin /out/etc/nginx/conf.d /out/usr/share/nginx/html \
 && ln -s usr/lib /out/lib && ln -s usr/lib64 /out/lib64 && ln -s usr/sbin /out/sbin \
 && cp /usr/sbin/nginx /out/usr/sbin/ && cp /etc/nginx/mime.types /out/etc/nginx/ \
 && mkdir -p /out/var/lib/dpkg/status.d \
 && for lib in $(ldd /usr/sbin/nginx | grep -oE '/[^ ]+'); do cp -L --parents "$lib" /out; done \
 && for package in nginx-light $(for lib in $(ldd /usr/sbin/nginx | grep -oE '/[^ ]+'); do dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")"; done | cut -d: -f1 | sort -u); do \
      dpkg-query -s "$package" > "/out/var/lib/dpkg/status.d/$package"; done \
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
