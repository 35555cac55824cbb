#!/usr/bin/env pwsh
# Bootstrapper: finds a .NET SDK that satisfies global.json (or installs one into .dotnet/), builds the
# repository's build project and runs it with every argument: ./build.ps1 [targets] [--parameter value ...]
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
Set-Location $root
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

# Nothing the build project is made of changed since it was last built (no file or folder under build/ or src/, nor
# the root's _build.csproj, Directory.*.props, global.json or NuGet.config, is newer than the stamp that build left):
# run it with the SDK it was built with, without asking msbuild. Delete build/bin/.built-with to build it again anyway.
$bin = Join-Path $root 'build/bin'
$stamp = Join-Path $bin '.built-with'
if ((Test-Path $stamp) -and (Test-Path (Join-Path $bin '_build.dll'))) {
    $builtWith = (Get-Content $stamp -Raw).Trim()
    $since = (Get-Item -Force $stamp).LastWriteTimeUtc   # -Force: a dot file is hidden to PowerShell
    $inputs = @('build', 'src', '_build.csproj', 'global.json') + @(Get-ChildItem $root -File | Where-Object { $_.Name -like 'Directory.*.props' -or $_.Name -ieq 'NuGet.config' } | ForEach-Object Name)
    $changed = $inputs | ForEach-Object { Join-Path $root $_ } | Where-Object { Test-Path $_ } | ForEach-Object {
        Get-Item $_
        if (Test-Path $_ -PathType Container) {
            Get-ChildItem $_ -Recurse -Force -ErrorAction SilentlyContinue |
                Where-Object { [IO.Path]::GetRelativePath($root, $_.FullName) -notmatch '(^|[\\/])(bin|obj)([\\/]|$)' }
        }
    } | Where-Object { $_.LastWriteTimeUtc -gt $since } | Select-Object -First 1
    if (-not $changed -and (Test-Path $builtWith)) {
        if ($builtWith.StartsWith((Join-Path $root '.dotnet'))) {
            $env:DOTNET_ROOT = Join-Path $root '.dotnet'
            $env:PATH = "$env:DOTNET_ROOT$([IO.Path]::PathSeparator)$env:PATH"
        }
        & $builtWith (Join-Path $bin '_build.dll') @args
        exit $LASTEXITCODE
    }
}

function Test-Sdk([string] $dotnet) {
    if (-not (Get-Command $dotnet -ErrorAction SilentlyContinue)) { return $false }
    & $dotnet --version *> $null
    return $LASTEXITCODE -eq 0
}

$dotnet = 'dotnet'
if (-not (Test-Sdk $dotnet)) {
    $installDir = Join-Path $root '.dotnet'
    $dotnet = Join-Path $installDir ($IsWindows ? 'dotnet.exe' : 'dotnet')
    if (-not (Test-Sdk $dotnet)) {
        Write-Host "No .NET SDK on PATH satisfies global.json; installing one into $installDir"
        New-Item -ItemType Directory -Force -Path $installDir | Out-Null
        if ($IsWindows) {
            $script = Join-Path $installDir 'dotnet-install.ps1'
            Invoke-WebRequest 'https://dot.net/v1/dotnet-install.ps1' -OutFile $script
            & $script -JsonFile (Join-Path $root 'global.json') -InstallDir $installDir -NoPath
        } else {
            $script = Join-Path $installDir 'dotnet-install.sh'
            Invoke-WebRequest 'https://dot.net/v1/dotnet-install.sh' -OutFile $script
            bash $script --jsonfile (Join-Path $root 'global.json') --install-dir $installDir --no-path
        }
    }
    $env:DOTNET_ROOT = $installDir
    $env:PATH = "$installDir$([IO.Path]::PathSeparator)$env:PATH"
}

# The build project's own compiler output is shown only when it fails. The stamp is made before the build starts, so
# that a file changed during the build is newer than it; it names the SDK (its full path) the build used.
# The build makes bin/ and obj/ beside each project it builds, which makes their folders newer than the stamp: they
# are made first, so that a new clone's second run does not build it all again.
New-Item -ItemType Directory -Force -Path $bin | Out-Null
Get-ChildItem (Join-Path $root 'src') -Filter *.csproj -Recurse -Depth 1 -ErrorAction SilentlyContinue |
    ForEach-Object { New-Item -ItemType Directory -Force -Path (Join-Path $_.DirectoryName 'bin'), (Join-Path $_.DirectoryName 'obj') | Out-Null }
(Get-Command $dotnet).Source | Set-Content -NoNewline "$stamp.new"
$output = & $dotnet build (Join-Path $root '_build.csproj') --nologo -v quiet -tl:off -o $bin 2>&1
if ($LASTEXITCODE -ne 0) {
    Remove-Item -Force -ErrorAction SilentlyContinue $stamp, "$stamp.new"
    $output | Write-Host
    Write-Host 'error: the build project (_build.csproj) does not compile; see the errors above.'
    exit 2
}
Move-Item -Force "$stamp.new" $stamp
& $dotnet (Join-Path $bin '_build.dll') @args
exit $LASTEXITCODE
