# The ASP.NET Core runtime on the distroless-style cc base: this machine's dotnet host and shared frameworks
# (the build context, filtered to them), invariant globalization (no ICU), user 65532.
ARG CC_IMAGE=local/cc:nonroot
FROM ${CC_IMAGE}
COPY . /usr/share/dotnet/
ENV PATH=/usr/share/dotnet:$PATH DOTNET_ROOT=/usr/share/dotnet DOTNET_RUNNING_IN_CONTAINER=true \
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true DOTNET_CLI_TELEMETRY_OPTOUT=1
USER 65532:65532
