# A Go toolchain from Debian's golang-go, for build stages. No module proxy is reachable here, so GOPROXY is off.
ARG DEBIAN_IMAGE=local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends golang-go ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
ENV GOPATH=/go PATH=/go/bin:/usr/lib/go/bin:$PATH GOPROXY=off GOFLAGS=-mod=mod
WORKDIR /go
