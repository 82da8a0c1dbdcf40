#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# build_flags.sh - `make CFLAGS=...` (a distribution's or a user's flags)
# keeps what the build needs: warnings as errors, the layer includes, the
# sanitizers under SAN=1, and the user's flags as well. Dry runs only.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

cmd=$(make -B -n V=1 CFLAGS='-O0 -DUSER_FLAG' build/obj/user/util/hash.o 2>&1 | grep -- '-c user/util/hash.c')
if echo "$cmd" | grep -q -- '-Werror' && echo "$cmd" | grep -q -- '-Iuser' &&
   echo "$cmd" | grep -q -- '-DUSER_FLAG' && echo "$cmd" | grep -q -- '-O0'; then
	ok build_user_cflags_keep_required
else
	not_ok build_user_cflags_keep_required "compile line: $cmd"
fi
cmd=$(make -B -n V=1 SAN=1 CFLAGS=-O1 build/san/obj/user/util/hash.o 2>&1 | grep -- '-c user/util/hash.c')
echo "$cmd" | grep -q -- '-fsanitize=address,undefined' && echo "$cmd" | grep -q -- '-O1' &&
	ok build_user_cflags_keep_sanitizers || not_ok build_user_cflags_keep_sanitizers "compile line: $cmd"
cmd=$(make -B -n V=1 LDFLAGS=-Wl,-O1 build/gilscope 2>&1 | grep -- '-o build/gilscope')
echo "$cmd" | grep -q -- '-pthread' && echo "$cmd" | grep -q -- '-Wl,-O1' &&
	ok build_user_ldflags_keep_required || not_ok build_user_ldflags_keep_required "link line: $cmd"
t_exit
