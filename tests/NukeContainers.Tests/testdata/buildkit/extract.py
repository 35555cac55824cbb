"""Writes cases.json from BuildKit's frontend/dockerfile tests: python3 extract.py BUILDKIT_CHECKOUT > cases.json.

The Dockerfile texts are read from the Go files; the expectations beside them are the tables of those tests, copied
here as they are written there (each key names its test).
"""
import json, re, sys, os

root = sys.argv[1]
def go(path): return open(os.path.join(root, 'frontend/dockerfile', path), encoding='utf-8').read()

def backtick_after(src, marker):
    start = src.index(marker)
    open_ = src.index('`', start)
    return src[open_ + 1: src.index('`', open_ + 1)]

heredoc_src = go('parser/parser_heredoc_test.go')
H = lambda name, content, expand=True, chomp=False, fd=0: dict(name=name, content=content, expand=expand, chomp=chomp, fd=fd)
cases = {
    "TestParseExtractsHeredoc": {
        "dockerfile": backtick_after(heredoc_src, 'func TestParseExtractsHeredoc'),
        # per instruction after the FROM, as the Go table: null where it has no heredoc
        "heredocs": [None, None, None, None,
            [H("EMPTY", "")], [H("EMPTY2", "", fd=3)], None,
            [H("INDENT", "\tfoo\n\tbar\n")], [H("UNINDENT", "\tbaz\n\tquux\n", chomp=True)],
            [H("UNINDENT2", "\tbaz\n\tquux\n", chomp=True)], [H("EXPAND", "\texpand $NAME\n", chomp=True)],
            [H("NOEXPAND", "\tdon't expand $NAME\n", expand=False, chomp=True)],
            [H("COPY", "echo hello world\necho foo bar\n")],
            [H("COMMENT", "# internal comment\necho hello world\necho foo bar # trailing comment\n")],
            [H("MOUNT", "echo hello\n")], [H("FILE1", "content 1\n"), H("FILE2", "content 2\n")],
            [H("EOF", "\"foo\"\n'bar'\n")], [H("X", "Y\n"), H("Y", "X\n")], [H("COMPLEX", "print('hello world')\n")],
            [H("file.txt", "hello world\n")], [H("eof", "echo foo\n", expand=False)], [H("eo'f", "echo foo\n")],
            [H("eo'f", "echo foo\n", expand=False)], [H("one two", "echo bar\n", expand=False)], [H("$EOF", "")],
            [H("EOF", "")], [H("EOF", "")]],
    },
    "TestParseJSONHeredoc": {"dockerfile": backtick_after(heredoc_src, 'func TestParseJSONHeredoc'), "heredocs": [None, None, None]},
    "TestParseHeredocHelpers": {
        "valid": ["<<EOF", "<<'EOF'", "<<\"EOF\"", "<<-EOF", "<<-'EOF'", "<<-\"EOF\"", "<<EO\"F\"", "<< EOF", "<<- EOF"],
        "invalid": ["<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""],
        "not": ["", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"],
    },
    "TestHeredocsFromLine": [
        ["RUN <<EOF", ["EOF"]], ["RUN <<-EOF", ["EOF"]], ["RUN <<EOF", ["EOF"]], ["RUN <<- EOF", ["EOF"]],
        ["RUN << -EOF", ["-EOF"]], ["RUN <<'EOF'", ["EOF"]], ["RUN 4<<EOF", ["EOF"]], ["RUN <<EOF <<EOF2", ["EOF", "EOF2"]],
        ["RUN '<<EOF'", []], ["RUN \"<<EOF\"", []]],
    "TestParseWords": [
        ["foo", ["foo"]], ["foo bar", ["foo", "bar"]], ["foo\\ bar", ["foo\\ bar"]], ["foo=bar", ["foo=bar"]],
        ["foo bar 'abc xyz'", ["foo", "bar", "'abc xyz'"]], ["foo bar \"abc xyz\"", ["foo", "bar", "\"abc xyz\""]],
        ["àöû", ["àöû"]], ["föo bàr \"âbc xÿz\"", ["föo", "bàr", "\"âbc xÿz\""]]],
    "TestParseIncludesLineNumbers": {"file": "testfile-line/Dockerfile", "lines": [[5, 5], [11, 12], [17, 31]]},
    "TestParseNameVal": [
        ["LABEL foo bar", ["foo", "bar", ""]],
        ["LABEL foo=bar thing=star", ["foo", "bar", "=", "thing", "star", "="]],
        ["ENV foo", "ENV must have two arguments"]],
    "TestJSONArraysOfStrings": {
        "valid": [["[]", []], ["[\"\"]", [""]], ["[\"a\"]", ["a"]], ["[\"a\",\"b\"]", ["a", "b"]], ["[ \"a\", \"b\" ]", ["a", "b"]],
                  ["[\t\"a\",\t\"b\"\t]", ["a", "b"]], ["\t[\t\"a\",\t\"b\"\t]\t", ["a", "b"]],
                  ["[\"abc 123\", \"♥\", \"☃\", \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000\"]", ["abc 123", "♥", "☃", "\" \\ / \b \f \n \r \t \u0000"]]],
        "invalid": ["[\"a\",42,\"b\"]", "[\"a\",123.456,\"b\"]", "[\"a\",{},\"b\"]", "[\"a\",{\"c\": \"d\"},\"b\"]",
                    "[\"a\",[\"c\"],\"b\"]", "[\"a\",true,\"b\"]", "[\"a\",false,\"b\"]", "[\"a\",null,\"b\"]"],
    },
    # instructions/parse_test.go: each Dockerfile and the error ParseInstruction gives for its first instruction
    "instructions": [
        ["MAINTAINER", "MAINTAINER requires exactly one argument"], ["WORKDIR", "WORKDIR requires exactly one argument"],
        ["USER", "USER requires exactly one argument"], ["STOPSIGNAL", "STOPSIGNAL requires exactly one argument"],
        ["ENV", "ENV requires at least one argument"], ["LABEL", "LABEL requires at least one argument"],
        ["ONBUILD", "ONBUILD requires at least one argument"], ["HEALTHCHECK", "HEALTHCHECK requires at least one argument"],
        ["EXPOSE", "EXPOSE requires at least one argument"], ["VOLUME", "VOLUME requires at least one argument"],
        ["ADD arg1", "ADD requires at least two arguments, but only one was provided. Destination could not be determined"],
        ["COPY arg1", "COPY requires at least two arguments, but only one was provided. Destination could not be determined"],
        ["ENV =arg2", "ENV names can not be blank"], ["LABEL =arg2", "LABEL names can not be blank"],
        ["COPY\t\n\t\tquux \\\n      bar", "COPY requires at least two arguments"],
        ["ONBUILD FROM scratch", "FROM isn't allowed as an ONBUILD trigger"],
        ["MAINTAINER --boo joe@example.com", "unknown flag: --boo"],
        ["ONBUILD ONBUILD RUN touch foobar", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
        ["FOO bar", "unknown instruction: FOO"], ["foo bar", "unknown instruction: foo"],
        ["HEALTHCHECK --interval=50ns CMD true", "cannot be less than 1ms"],
        ["HEALTHCHECK --interval=0ms CMD true", None], ["HEALTHCHECK --interval=1ms CMD true", None],
        ["RUN --mount=type=tmpfs,target=/foo/ echo hello", None],
    ],
}
json.dump(cases, sys.stdout, ensure_ascii=False, indent=1)
print()
