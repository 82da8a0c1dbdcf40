/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * probes.c - the USDT semaphores of gilrt_probes.h. A tracer (bpftrace,
 * libbpf's usdt attach) increments them through /proc/PID/mem or the
 * uprobe ref_ctr_offset while attached; they live in .probes as sdt.h
 * and dtrace -G expect.
 */
#include "gilrt_probes.h"

#define GILRT_DEFINE_SEMA(name)                                                \
	unsigned short GILRT_SEMA(name) __attribute__((section(".probes"), used))

GILRT_DEFINE_SEMA(gil_request);
GILRT_DEFINE_SEMA(gil_acquired);
GILRT_DEFINE_SEMA(gil_released);
GILRT_DEFINE_SEMA(gil_drop_request);
GILRT_DEFINE_SEMA(thread_start);
GILRT_DEFINE_SEMA(thread_exit);
GILRT_DEFINE_SEMA(io_begin);
GILRT_DEFINE_SEMA(io_end);
GILRT_DEFINE_SEMA(native_begin);
GILRT_DEFINE_SEMA(native_end);
