/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyrec_priv.h - private to pyrec.c (layout, the process, thread names)
 * and pyrec_funcs.c (the function of each GIL event): the stage itself.
 */
#ifndef RECORD_PYREC_PRIV_H
#define RECORD_PYREC_PRIV_H
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "record/pyrec.h"
#include "util/hash.h"

#define ATTACH_EVERY_NS 20000000ull	/* until the interpreter is mapped */
#define NAME_RETRIES 8			/* polls a new thread is looked at before its name is there */
#define MAX_KNOWN 65536			/* threads remembered (then all are read again) */
#define MAX_CODES 65536			/* code addresses remembered (then forgotten) */
#define MAX_WRITTEN (1u << 18)		/* ids remembered as written (then written again:
					 * a reader keeps the last record of an id) */
#define NAMED (1ull << 63)		/* a thread's value: NAMED | hash of its name */
#define ASKED 0				/* asked's value: no release since its last request */

struct pyrec {
	struct pylayout *l;		/* the interpreter's layout (malloc'd: 4 KiB of path) */
	bool layout;			/* l loaded */
	bool funcs;			/* the kernel side captures functions */
	bool names;			/* thread names can be read */
	char missing[512];		/* the first reason something is missing */
	pid_t pid;			/* the traced process (0 before begin/open) */
	int maps_fd, mem_fd;		/* its /proc files, opened early (-1) */
	char exe[PATH_MAX];		/* its executable, "" if unknown */
	struct pyread *r;		/* the reader, once attached */
	bool attach_failed;		/* for good: said in missing */
	uint64_t next_attach_ns;
	struct trace_writer *w;		/* the .gst, or NULL */
	struct trace_names *store;	/* every name so far, for live views */
	struct hmap code;		/* {addr} -> fingerprint << 32 | id */
	struct hmap written;		/* {id} -> 1: its record is written */
	struct hmap known;		/* {tid, tstate} -> NAMED | name hash, or retries */
	struct hmap named;		/* {tid} -> the name hash written last for it */
	struct hmap asked;		/* {tid} -> id of its last release, or ASKED; no
					 * entry: it has not taken the GIL yet (see
					 * pyrec_events) */
	bool asked_lost;		/* asked was cleared: no entry means "?" */
	bool running;			/* the process ran before the recording (-p) */
	struct pyread_thread *thr;	/* pyread_threads() buffer */
	size_t thr_cap;
	uint64_t last_full_ns;		/* names last read */
	struct gs_event *out;		/* pyrec_events() output */
	size_t out_cap;
	struct pyrec_stats st;
};

/* CLOCK_MONOTONIC now, in ns. */
uint64_t pyrec_now_ns(void);
/* Makes the reader once the interpreter is mapped (tried again every
 * ATTACH_EVERY_NS until then). 0 or the file's error. */
int pyrec_attach(struct pyrec *py, uint64_t now);

#endif
