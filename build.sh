#!/usr/bin/env bash
# Bootstrapper: finds a .NET SDK that satisfies global.json (or installs one into .dotnet/), builds the
# repository's build project and runs it with every argument: ./build.sh [targets] [--parameter value ...]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Nothing the build project is made of changed since it was last built (no file or folder under build/ or src/, nor
# the root's _build.csproj, Directory.*.props, global.json or NuGet.config, is newer than the stamp that build left):
# run it with the SDK it was built with, without asking msbuild, so a target starts as fast as .NET does. Delete
# build/bin/.built-with to build it again anyway.
bin="$root/build/bin"
stamp="$bin/.built-with"
if [[ -f $stamp && -f $bin/_build.dll ]] && built_with=$(<"$stamp") && [[ -x $built_with ]] \
   && [[ -z $(find "$root/build" "$root/src" "$root/_build.csproj" "$root"/Directory.*.props "$root/global.json" "$root"/[Nn]u[Gg]et.[Cc]onfig \
                \( -name bin -o -name obj \) -prune -o -newer "$stamp" -print -quit 2>/dev/null) ]]; then
  if [[ $built_with == "$root/.dotnet/"* ]]; then export DOTNET_ROOT="$root/.dotnet" PATH="$root/.dotnet:$PATH"; fi
  exec "$built_with" "$bin/_build.dll" "$@"
fi

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

# The build project's own compiler output is shown only when it fails. The stamp is made before the build starts, so
# that a file changed during the build is newer than it; it names the SDK (its full path) the build used.
# The build makes bin/ and obj/ beside each project it builds, which makes their folders newer than the stamp: they
# are made first, so that a new clone's second run does not build it all again.
mkdir -p "$bin"
for project in "$root"/src/*/*.csproj; do [[ -f $project ]] && mkdir -p "$(dirname "$project")/bin" "$(dirname "$project")/obj"; done
command -v "$dotnet" > "$stamp.new"
if ! output=$("$dotnet" build "$root/_build.csproj" --nologo -v quiet -tl:off -o "$bin" 2>&1); then
  rm -f "$stamp" "$stamp.new"
  echo "$output" >&2
  echo "error: the build project (_build.csproj) does not compile; see the errors above." >&2
  exit 2
fi
mv "$stamp.new" "$stamp"
exec "$dotnet" "$bin/_build.dll" "$@"
