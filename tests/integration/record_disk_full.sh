#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_disk_full.sh - recording onto a tiny tmpfs that fills up stops with a
# clear error and exit 1, detaches, and leaves a readable file of what fit.
# The program runs until gilscope gives up on the full disk, whatever the
# machine's speed (4 threads make ~75-400 KiB of trace a second on this kind
# of machine, slower or faster); it stops on its own after 120 s at most, and
# then the disk never filled: that fails, saying how much was written.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
FAKE=$BUILD/tests/progs/fake_gilrt

need_root record_disk_full || t_exit
mkdir -p "$TMPD/tiny"
if ! mount -t tmpfs -o size=512k tmpfs "$TMPD/tiny"; then
	not_ok record_disk_full "cannot mount a tmpfs"
	t_exit
fi
trap 'umount "$TMPD/tiny" 2>/dev/null; rm -rf "$TMPD"' EXIT
"$GILSCOPE" record -o "$TMPD/tiny/f.gst" -- "$FAKE" 4 120 >/dev/null 2>"$TMPD/err"
rc=$?
if [ $rc = 1 ] && grep -q "disk full; recording stopped" "$TMPD/err"; then ok record_disk_full_error
else not_ok record_disk_full_error "rc=$rc $(head -c 300 "$TMPD/err")"; fi
if "$GILSCOPE" report --json "$TMPD/tiny/f.gst" >"$TMPD/f.json" 2>/dev/null &&
   [ "$(json_get "$TMPD/f.json" 'j["trace"]["events"]')" -gt 0 ]; then ok record_disk_full_readable
else not_ok record_disk_full_readable "report cannot read what fit"; fi
t_exit
