#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# outfile_only.sh - every file gilscope creates for its user goes through
# util/outfile.h (no clobbering, no links, no devices, made as the sudo
# user): a scan of the sources (user/, tui/, runtime/) for every way C
# creates a file - open/openat with O_CREAT or O_TMPFILE, creat, fopen,
# freopen or fdopen for writing, mkstemp and friends, tmpfile, rename, link
# - outside user/util/outfile.c. Each remaining one is on the allow-list
# below, with its reason, or the test fails: a new command cannot bypass it.
# The scanner is first shown a file that bypasses it, and must catch it.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

scan() { # DIR...: print "file:line: call" for each creation not allowed
	python3 - "$@" <<'PY'
import os, re, sys

# file -> (text the call contains, why it may)
ALLOW = {
    "user/trace/trace_writer.c": ("open(path, O_WRONLY | O_CREAT | O_EXCL",
        "trace_writer_open(): the path form for tests, bench and gen_hostile; no "
        "command calls it (checked below), they pass an outfile fd to trace_writer_fdopen"),
    "user/cmd/cmd_export.c": ('fdopen(of.fd, "w")',
        "wraps the fd of an outfile_create()d file"),
    "user/util/outfile.c": (None, "the module itself"),
    "runtime/main.c": ('fopen(json, "w")',
        "gilrt --stats-json, a separate program that gilscope never runs with that "
        "option (lesson options are whitelisted) and that runs as the user"),
}
CALLS = [
    (re.compile(r"\b(?:open|openat|open64)\s*\(([^;]*?)\)\s*[;)<>=!|&,]", re.S),
     lambda a: "O_CREAT" in a or "O_TMPFILE" in a),
    (re.compile(r"\bcreat\s*\(", re.S), lambda a: True),
    # a mode for writing: a literal of mode letters with w, a or +
    (re.compile(r"\b(?:fopen|freopen|fdopen|popen)\s*\(([^;]*?)\)", re.S),
     lambda a: any(re.fullmatch(r"[rwabxce+]*[wa+][rwabxce+]*", s)
                   for s in re.findall(r'"([^"]*)"', a))),
    (re.compile(r"\b(?:mkstemp|mkostemp|mkstemps|mkostemps|mkdtemp|tmpfile|tmpnam|tempnam)\s*\(", re.S),
     lambda a: True),
    (re.compile(r"\b(?:rename|renameat|renameat2|link|linkat|symlink|symlinkat)\s*\(", re.S),
     lambda a: True),
]
def blank_comments(text):
    """text with every comment turned into spaces (same offsets): what a
    comment says is not what the code does"""
    out, i, n = list(text), 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        else:
            i += 1
    return "".join(out)

bad = 0
for top in sys.argv[1:]:
    for dirpath, _, files in os.walk(top):
        for fn in sorted(files):
            if not fn.endswith(".c"):
                continue
            path = os.path.join(dirpath, fn)
            rel = os.path.relpath(path)
            text = open(path, encoding="utf-8", errors="replace").read()
            code = blank_comments(text)
            for rx, creates in CALLS:
                for m in rx.finditer(code):
                    args = m.group(1) if m.groups() else ""
                    if not creates(args):
                        continue
                    call = re.sub(r"\s+", " ", text[m.start():m.end()])
                    allow = ALLOW.get(rel)
                    if allow and (allow[0] is None or allow[0] in call):
                        continue
                    line = code.count("\n", 0, m.start()) + 1
                    print("%s:%d: %s" % (rel, line, call))
                    bad += 1
sys.exit(1 if bad else 0)
PY
}

# the scanner catches a file that bypasses outfile.h
mkdir -p "$TMPD/user/cmd"
cat >"$TMPD/user/cmd/cmd_new.c" <<'C'
static int save(const char *p)
{
	FILE *f = fopen(p,
			"w");	/* a mode on the next line */
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	return f && fd >= 0;
}
C
found=$(cd "$TMPD" && scan user | wc -l)
[ "$found" = 2 ] && ok outfile_scanner_catches || not_ok outfile_scanner_catches "found $found of 2"

if out=$(scan user tui runtime); then
	ok outfile_only_creator
else
	not_ok outfile_only_creator "files created outside util/outfile.h: $(echo "$out" | tr '\n' ' ')"
fi
# commands and what they call use the fd form (trace_writer_fdopen), never
# the path form that does not go through outfile.h
if grep -rnE "trace_writer_open\(|trace_synth_write\(" user/cmd user/record user/lesson tui; then
	not_ok outfile_no_path_writer "a command writes a trace by path"
else
	ok outfile_no_path_writer
fi
t_exit
