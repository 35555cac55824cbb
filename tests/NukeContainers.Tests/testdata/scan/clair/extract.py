#!/usr/bin/env python3
"""Clair's vulnerability reports from claircore's matcher tests: each txtar's "Want" section is the
VulnerabilityReport the matcher must produce (what clairctl report --out json prints), with {"$ref": "file:X"}
pointing at the txtar's other files; this resolves them into one JSON file per test.

    python3 extract.py /path/to/claircore    (a checkout or a bare mirror at the commit in ../SOURCES.md)
"""
import json, os, subprocess, sys

TESTS = {
    "java/testdata/matcher/Jackson-Databind.txtar": "clair-jackson-databind.json",
    "ruby/testdata/matcher/BullseyeRuby.txtar": "clair-bullseye-ruby.json",
    "python/testdata/matcher/RHEL8.txtar": "clair-rhel8-python.json",
    "nodejs/testdata/matcher/Splunk.txtar": "clair-splunk-nodejs.json",
}

def read(repo, path):
    return subprocess.run(["git", "-C", repo, "show", f"HEAD:{path}"], check=True, capture_output=True, text=True).stdout

def sections(text):
    files, name, lines = {}, None, []
    for line in text.splitlines():
        if line.startswith("-- ") and line.endswith(" --"):
            if name: files[name] = "\n".join(lines)
            name, lines = line[3:-3], []
        else:
            lines.append(line)
    if name: files[name] = "\n".join(lines)
    return files

def resolve(value, files):
    if isinstance(value, dict):
        if list(value) == ["$ref"]:
            return resolve(json.loads(files[value["$ref"].removeprefix("file:")]), files)
        return {k: resolve(v, files) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, files) for v in value]
    return value

repo = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
for test, out in TESTS.items():
    files = sections(read(repo, test))
    report = resolve(json.loads(files["Want"]), files)
    with open(os.path.join(here, out), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(out, len(report.get("vulnerabilities", {})), "vulnerabilities")
