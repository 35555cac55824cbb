#!/usr/bin/env pwsh
# Bootstrapper: finds a .NET SDK that satisfies global.json (or installs one into .dotnet/), builds the
# repository's build project and runs it with every argument: ./build.ps1 [targets] [--parameter value ...]
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
Set-Location $root
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

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

# The build project's own compiler output is shown only when it fails.
$output = & $dotnet build (Join-Path $root '_build.csproj') --nologo -v quiet -tl:off -o (Join-Path $root 'build/bin') 2>&1
if ($LASTEXITCODE -ne 0) {
    $output | Write-Host
    Write-Host 'error: the build project (_build.csproj) does not compile; see the errors above.'
    exit 2
}
& $dotnet (Join-Path $root 'build/bin/_build.dll') @args
exit $LASTEXITCODE
