#!/usr/bin/env bash
# Bootstrapper: finds a .NET SDK that satisfies global.json (or installs one into .dotnet/), builds the
# repository's build project and runs it with every argument: ./build.sh [targets] [--parameter value ...]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# `dotnet --version` in the root fails when no installed SDK satisfies global.json.
if command -v dotnet >/dev/null 2>&1 && dotnet --version >/dev/null 2>&1; then
  dotnet=dotnet
else
  install_dir="$root/.dotnet"
  if [[ ! -x "$install_dir/dotnet" ]] || ! "$install_dir/dotnet" --version >/dev/null 2>&1; then
    echo "No .NET SDK on PATH satisfies global.json; installing one into $install_dir" >&2
    mkdir -p "$install_dir"
    curl -sSfL --retry 3 https://dot.net/v1/dotnet-install.sh -o "$install_dir/dotnet-install.sh"
    bash "$install_dir/dotnet-install.sh" --jsonfile "$root/global.json" --install-dir "$install_dir" --no-path
  fi
  export DOTNET_ROOT="$install_dir" PATH="$install_dir:$PATH"
  dotnet="$install_dir/dotnet"
fi

# The build project's own compiler output is shown only when it fails.
if ! output=$("$dotnet" build "$root/_build.csproj" --nologo -v quiet -tl:off -o "$root/build/bin" 2>&1); then
  echo "$output" >&2
  echo "error: the build project (_build.csproj) does not compile; see the errors above." >&2
  exit 2
fi
exec "$dotnet" "$root/build/bin/_build.dll" "$@"
