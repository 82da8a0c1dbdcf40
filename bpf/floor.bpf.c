/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * floor.bpf.c - empty programs on gilrt's lock probes: the cost of the probe
 * itself (trap, argument setup) with nothing recorded. `make bench` compares
 * the traced cost per lock event against this floor.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
/* the USDT spec maps that libbpf needs to attach SEC("usdt") programs */
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "GPL";

#define FLOOR(name) SEC("usdt") int BPF_USDT(floor_##name) { return 0; }

FLOOR(gil_request)
FLOOR(gil_acquired)
FLOOR(gil_released)
FLOOR(gil_drop_request)
