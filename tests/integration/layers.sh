#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# layers.sh - the source tree keeps its shape (README "How it works"):
#  - each layer includes only the layers below it, lowest first:
#      bpf -> util -> trace -> model -> record -> tui -> lesson -> cmd
#    (user/LAYER/ for all but bpf/ and tui/); runtime/ includes none of them
#    but bpf/gilscope.h's probe contract;
#  - no source file over 600 lines unless its first comment says why
#    ("Long file:");
# and the checker itself catches a planted violation (so it can fail).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

ORDER="bpf util trace model record tui lesson cmd"

rank() { # LAYER -> its position in ORDER, or nothing
	local i=0 l
	for l in $ORDER; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
}

layer_of() { # PATH -> layer of a source file
	case $1 in
	user/*/*) local p=${1#user/}; echo "${p%%/*}" ;;
	tui/*) echo tui ;;
	bpf/*) echo bpf ;;
	esac
}

# check_tree DIR: prints one line per violation
check_tree() {
	local dir=$1 f inc il fl line n
	(
		cd "$dir" || exit 1
		for f in user/*/*.[ch] tui/*.[ch]; do
			[ -f "$f" ] || continue
			fl=$(rank "$(layer_of "$f")")
			[ -n "$fl" ] || { echo "$f: not in a layer"; continue; }
			n=0
			while IFS= read -r line; do
				n=$((n + 1))
				case $line in
				*'#include "'*/*'"'*) ;;
				*) continue ;;
				esac
				inc=${line#*\"}
				inc=${inc%%\"*}
				il=$(rank "${inc%%/*}")
				[ -n "$il" ] || continue
				[ "$il" -le "$fl" ] || echo "$f:$n: includes $inc (a layer above it)"
			done <"$f"
		done
		grep -Hn '#include "' runtime/*.[ch] 2>/dev/null |
			grep -E '"(user|util|trace|model|record|tui|lesson|cmd)/' |
			sed 's/$/ (runtime shares only bpf\/gilscope.h)/'
		for f in user/*/*.[ch] tui/*.[ch] runtime/*.[ch] bpf/*.[ch] tests/unit/*.[ch] \
			 tests/fuzz/*.c tests/progs/*.c bench/*.[ch] bench/*.py; do
			[ -f "$f" ] || continue
			n=$(wc -l <"$f")
			if [ "$n" -gt 600 ] && ! head -40 "$f" | grep -q 'Long file:'; then
				echo "$f: $n lines and no 'Long file:' reason at its top"
			fi
		done
	)
}

out=$(check_tree .)
if [ -z "$out" ]; then
	ok layers_include_rule
else
	not_ok layers_include_rule "$(echo "$out" | head -5 | tr '\n' ';')"
fi

# the checker must see a planted upward include and an unexplained long file
mkdir -p "$TMPD/t/user/util" "$TMPD/t/user/model" "$TMPD/t/tui"
printf '#include "model/model.h"\n' >"$TMPD/t/user/util/bad.c"
printf '#include "util/fmt.h"\n' >"$TMPD/t/user/model/good.c"
seq 700 | sed 's/^/int x/' >"$TMPD/t/tui/long.c"
out=$(check_tree "$TMPD/t")
if echo "$out" | grep -q 'user/util/bad.c:1: includes model/model.h' &&
   echo "$out" | grep -q 'tui/long.c: 700 lines' && ! echo "$out" | grep -q good.c; then
	ok layers_checker_catches_violations
else
	not_ok layers_checker_catches_violations "got: $out"
fi
t_exit
