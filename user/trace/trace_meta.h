/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_meta.h - what a .gst trace says about where it came from. Written
 * once in the file header by trace_writer, given back by trace_reader.
 * Fixed-size strings, NUL-terminated, truncated if longer.
 */
#ifndef TRACE_META_H
#define TRACE_META_H
#include <stdint.h>

enum trace_meta_flags {
	TRACE_META_ALL_TASKS = 1 << 0,	/* recorded with -a: untraced tasks too */
	/* the switch after a traced task handed its CPU to an untraced one was
	 * recorded too, so that task's departure is known (older traces: not) */
	TRACE_META_HANDOVER = 1 << 1,
};

struct trace_meta {
	uint32_t ncpus;			/* CPUs on the recording machine */
	uint32_t root_pid;		/* the traced process (tree root) */
	uint32_t flags;			/* enum trace_meta_flags */
	uint32_t clock_id;		/* CLOCK_MONOTONIC: the clock of ts_ns */
	uint64_t start_ns;		/* ts_ns when recording began */
	int64_t realtime_offset_ns;	/* CLOCK_REALTIME - ts clock at start */
	char host[64];			/* uname nodename */
	char kernel[128];		/* uname release + version */
	char adapter[64];		/* "gilrt", "python", "lock:SPEC" */
	char command[1024];		/* traced command line, args joined by spaces */
};

#endif
