#!/usr/bin/env python3
"""Extracts the cases of hadolint's own rule specs (test/Hadolint/Rule/DLxxxxSpec.hs) into cases.json.

Each `ruleCatches`, `ruleCatchesNot`, `onBuildRuleCatches` and `onBuildRuleCatchesNot` call becomes one case: the
rule, the Dockerfile text, whether hadolint reports the rule, and whether its RUN instructions are wrapped in ONBUILD
(hadolint's onBuild helpers do that). The Dockerfile is a string literal, or `Text.unlines` of a list literal or of a
name bound to one earlier in the file. Calls under a `let ?config = ...` other than `def` are left out (a non-default
configuration, such as allowed registries or labels, that the product's lint has no setting for).

Usage: extract.py HADOLINT_CHECKOUT_TEST_RULE_FOLDER RULE... > cases.json
"""
import json
import re
import sys

HELPERS = {"ruleCatches": (True, False), "ruleCatchesNot": (False, False),
           "onBuildRuleCatches": (True, True), "onBuildRuleCatchesNot": (False, True)}


def tokens(text):
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("--", i) and (i + 2 >= n or text[i + 2] in "- \t\n" or text[i + 2].isalnum()):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("{-", i):
            i = text.index("-}", i) + 2
        elif c == '"':
            i, value = string(text, i + 1)
            yield ("str", value)
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_'."):
                j += 1
            yield ("id", text[i:j].rstrip("."))
            i = j
        elif c.isspace():
            i += 1
        else:
            yield ("sym", c)
            i += 1


ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "&": "", "r": "\r"}


def string(text, i):
    out = []
    while text[i] != '"':
        if text[i] == "\\":
            nxt = text[i + 1]
            if nxt.isspace():  # a string gap: backslash, white space, backslash
                j = i + 1
                while text[j].isspace():
                    j += 1
                i = j + 1
                continue
            if nxt.isdigit():
                j = i + 1
                while text[j].isdigit():
                    j += 1
                out.append(chr(int(text[i + 1:j])))
                i = j
                continue
            out.append(ESCAPES[nxt])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return i + 1, "".join(out)


def cases(path, rule):
    text = open(path, encoding="utf-8").read()
    toks = list(tokens(text))
    bindings, found = {}, []
    default_config = True
    k = 0

    def list_at(k):  # a list literal of strings at toks[k] == "["; returns (strings, next index)
        items, k = [], k + 1
        while toks[k] != ("sym", "]"):
            if toks[k][0] == "str":
                items.append(toks[k][1])
            k += 1
        return items, k + 1

    def unlines(lines):
        return "".join(line + "\n" for line in lines)

    while k < len(toks):
        kind, value = toks[k]
        if kind == "sym" and value == "?" and k + 2 < len(toks) and toks[k + 1] == ("id", "config") and toks[k + 2] == ("sym", "="):
            default_config = toks[k + 3] == ("id", "def")
        if kind == "id" and k + 2 < len(toks) and toks[k + 1] == ("sym", "=") and toks[k + 2] == ("sym", "["):
            lines, _ = list_at(k + 2)
            bindings[value] = unlines(lines)
        if kind == "id" and k + 2 < len(toks) and toks[k + 1] == ("sym", "=") and toks[k + 2][0] == "str":
            bindings[value] = toks[k + 2][1]
        if kind == "id" and k + 3 < len(toks) and toks[k + 1] == ("sym", "=") and toks[k + 2] in (("id", "Text.unlines"), ("id", "unlines")) and toks[k + 3] == ("sym", "["):
            bindings[value] = unlines(list_at(k + 3)[0])
        if kind == "id" and value in HELPERS and k + 1 < len(toks) and toks[k + 1][0] == "str":
            code = toks[k + 1][1]
            j = k + 2
            dockerfile = None
            while toks[j] in (("sym", "$"), ("sym", "(")):
                j += 1
            if toks[j][0] == "str":
                dockerfile = toks[j][1]
            elif toks[j] in (("id", "Text.unlines"), ("id", "unlines")):
                if toks[j + 1] == ("sym", "["):
                    dockerfile = unlines(list_at(j + 1)[0])
                elif toks[j + 1][0] == "id":
                    dockerfile = bindings.get(toks[j + 1][1])
            elif toks[j][0] == "id":
                dockerfile = bindings.get(toks[j][1])
            expected, onbuild = HELPERS[value]
            if dockerfile is None or not default_config:
                sys.stderr.write(f"{rule}: left out {value} at token {k} ({'no literal' if dockerfile is None else 'non-default config'}): {toks[k+2:k+5]}\n")
            if dockerfile is not None and code == rule and default_config:
                found.append({"rule": rule, "expected": expected, "onBuild": onbuild, "dockerfile": dockerfile})
        k += 1
    return found


if __name__ == "__main__":
    folder, rules = sys.argv[1], sys.argv[2:]
    everything = []
    for rule in rules:
        everything.extend(cases(f"{folder}/{rule}Spec.hs", rule))
    json.dump(everything, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
