#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Install every Debian 12 package that gilscope's build, tests and benchmarks
# need. Idempotent: apt-get skips what is already there.
set -e
if [ "$(id -u)" != 0 ]; then
	echo "make deps: needs root to install packages (try: sudo make deps)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
PKGS="build-essential make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
libzstd-dev libncurses-dev systemtap-sdt-dev tmux python3 python3.11-dbg
linux-perf bpftrace procps time libclang-rt-14-dev libdw-dev protobuf-compiler
libmicrohttpd-dev prometheus"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
fi
echo "deps: all packages present"
