#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# cli_docs.sh - the man pages say what the programs do:
#  - for each command of gilscope and gilrt, the long options its --help
#    names equal the ones its section under OPTIONS in docs/gilscope.1 or
#    docs/gilrt.1 names, and the SYNOPSIS names no option that does not
#    exist;
#  - `make install` puts both man pages, the teaching notes that `gilscope
#    lesson --help` points to, and the lessons where the installed gilscope
#    finds them.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
export LC_ALL=C	# one collation for sort and comm

# the long options in stdin, one per line, sorted; --help left out (every
# command has it, and man text refers to other commands' --help)
longopts() {
	grep -oE -- '(^|[^[:alnum:]-])--[a-z][a-z0-9-]+' | sed 's/^[^-]*//' | grep -vx -- --help | sort -u
}
# man source as text: \- is -, font escapes dropped
man_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$1"; }
# man_options FILE SECTION: the text of ".SS SECTION" under ".SH OPTIONS"
man_options() {
	man_text "$1" | awk -v s="$2" '/^\.SH /{ opt = ($0 ~ /^\.SH OPTIONS/); cur = "" }
		opt && /^\.SS /{ cur = $2; next } opt && cur == s'
}
man_synopsis() { man_text "$1" | awk '/^\.SH /{ syn = ($0 ~ /^\.SH SYNOPSIS/); next } syn'; }

# same NAME A B : the option lists A and B are equal
same() {
	if [ "$2" = "$3" ]; then ok "$1"
	else not_ok "$1" "only in --help: $(comm -23 <(echo "$2") <(echo "$3") | paste -sd ' ' -); only in the man page: $(comm -13 <(echo "$2") <(echo "$3") | paste -sd ' ' -)"; fi
}

for page in docs/gilscope.1 docs/gilrt.1; do
	[ -f "$page" ] && ok "man_${page##*/}_exists" || not_ok "man_${page##*/}_exists" "no $page"
done

# gilscope: each command, and the program itself (its own options are on the
# lines of its --help that are not a command's synopsis)
all=
for c in live record replay report export lesson check top exporter; do
	cli=$("$GILSCOPE" "$c" --help | longopts)
	same "man_gilscope_$c" "$cli" "$(man_options docs/gilscope.1 "$c" | longopts)"
	all="$all$cli"$'\n'
done
cli=$("$GILSCOPE" --help | grep -vE '^  (live|record|replay|report|export|lesson|check|top|exporter) ' | longopts)
same man_gilscope_itself "$cli" "$(man_options docs/gilscope.1 gilscope | longopts)"
all=$(printf '%s\n%s\n--help\n' "$all" "$cli" | grep . | sort -u)
extra=$(comm -13 <(echo "$all") <(man_synopsis docs/gilscope.1 | longopts) | paste -sd ' ' -)
[ -z "$extra" ] && ok man_gilscope_synopsis || not_ok man_gilscope_synopsis "no such option: $extra"

all=
for c in run list compare; do
	cli=$("$GILRT" "$c" --help | longopts)
	same "man_gilrt_$c" "$cli" "$(man_options docs/gilrt.1 "$c" | longopts)"
	all="$all$cli"$'\n'
done
# (the synopsis paragraph is the commands', but for its "gilrt --help | --version")
cli=$("$GILRT" --help | awk 'NR == 1, /^$/ { if ($0 ~ /gilrt --/) print; next } { print }' | longopts)
same man_gilrt_itself "$cli" "$(man_options docs/gilrt.1 gilrt | longopts)"
all=$(printf '%s\n%s\n--help\n' "$all" "$cli" | grep . | sort -u)
extra=$(comm -13 <(echo "$all") <(man_synopsis docs/gilrt.1 | longopts) | paste -sd ' ' -)
[ -z "$extra" ] && ok man_gilrt_synopsis || not_ok man_gilrt_synopsis "no such option: $extra"

# both pages render without warnings
if need_cmd man_render man; then
	for page in docs/gilscope.1 docs/gilrt.1; do
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		[ -z "$w" ] && ok "man_render_${page##*/}" || not_ok "man_render_${page##*/}" "$w"
	done
fi

# make install: what --help points to is there, and found from there
D=$TMPD/inst
if make --no-print-directory -s install DESTDIR="$D" PREFIX=/usr/local >"$TMPD/install.log" 2>&1; then
	missing=
	for f in bin/gilscope bin/gilrt share/man/man1/gilscope.1 share/man/man1/gilrt.1 \
		 share/doc/gilscope/teaching.md share/gilscope/lessons/01-lock.lesson; do
		[ -f "$D/usr/local/$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] && ok install_files || not_ok install_files "missing:$missing"
	notes=$(env -u GILSCOPE_DATA "$D/usr/local/bin/gilscope" lesson --help | sed -n 's/^Teaching notes: //p')
	[ "$notes" = "$(realpath "$D/usr/local/share/doc/gilscope/teaching.md")" ] && ok install_teaching_notes ||
		not_ok install_teaching_notes "lesson --help names '$notes'"
else
	not_ok install_files "make install failed: $(tail -n 3 "$TMPD/install.log")"
fi
t_exit
