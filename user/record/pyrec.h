/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyrec.h - the Python stage of a `--python` recording (record/pipeline.c
 * runs it between the recorder and every sink): Python thread names and
 * the function behind every GIL request and release, learnt while the
 * program runs and written into the trace's names, so that report, replay
 * and export show them after the program is gone, on any machine.
 *
 *   pyrec_new()        the layout of the interpreter file the adapter found
 *                      (record/pylayout.h): what the kernel side needs to
 *                      read the running code object (pyrec_bpf_cfg), and
 *                      whether thread names can be read. Never fails for
 *                      want of a layout: it then says why (pyrec_missing).
 *   pyrec_open_proc()  the target's /proc/PID/maps and /mem, opened while
 *                      the recorder may (at the exec stop of a command it
 *                      starts, or before it attaches to -p PID: privileges
 *                      are dropped right after the attach).
 *   pyrec_begin()      the properties (interpreter version, executable,
 *                      what is missing) into the file and the live store.
 *   pyrec_events()     each batch, before any sink: the kernel side's code
 *                      object addresses (GS_F_FUNC releases, bpf/gilscope.h)
 *                      become function ids, each id's name, file and first
 *                      line written once before the first event using it;
 *                      each GIL request gets the id of its thread's release
 *                      before it (the code that asks is the code that let
 *                      go: no Python runs in between), or GS_FUNC_NONE for
 *                      a thread's first (new threads take the GIL before
 *                      they run Python code; one that ran before -p attached
 *                      shows "?" there).
 *   pyrec_poll()       every poll: attaches a reader of the process (once
 *                      the interpreter is mapped), lists its threads, and
 *                      reads their threading names when a thread is new
 *                      (so a thread living at least a poll period is named)
 *                      and every PYREC_RENAME_NS for renames; a name is
 *                      written when it changes (latest wins in a reader).
 *
 * A function is read from the process after the event, 20-40 ms later
 * (the recorder's drain and reorder window): the kernel side sends the
 * code object's fingerprint too (gs_py_fingerprint), and a code object
 * freed and reused by another before it was read shows as "?"
 * (GS_FUNC_UNKNOWN, counted), never as the wrong function. So does one
 * that cannot be read (process gone, a read failed), and an event of
 * another process of the traced tree (a child: only the traced process
 * itself is read).
 *
 * Not thread-safe. The stage owns its memory; the names store it hands out
 * lives until pyrec_free(). Functions return 0 or a negative errno (errors
 * of the file: a sink's); the process's hostility never makes them fail.
 */
#ifndef RECORD_PYREC_H
#define RECORD_PYREC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/gs_types.h"
#include "record/pyread.h"

#define PYREC_RENAME_NS 1000000000ull	/* names read again at least this often */

struct trace_names;
struct trace_writer;
struct pyrec;

struct pyrec_stats {
	bool attached;		/* a reader of the process was made */
	uint64_t names;		/* thread name records (renames included) */
	uint64_t threads;	/* threads named */
	uint64_t funcs;		/* functions named */
	uint64_t events;	/* GIL events with a function */
	uint64_t unknown;	/* of those, "?" (all the reasons below) */
	uint64_t mismatch;	/*   the code object changed before it was read */
	uint64_t unread;	/*   reading it failed, or no reader */
	uint64_t fault;		/*   the kernel side could not read the frame */
	uint64_t other_pid;	/*   an event of another process */
	uint64_t take_unknown;	/*   a take whose release before it was not seen
				 *   (lost; the thread ran before -p attached)
				 *   or was "?" itself */
	uint64_t no_code;	/* events of a thread running no Python code */
	struct pyread_stats rd;	/* the reader's reads and failures */
};

/* The stage for interpreter file interp (the adapter's binary: the python
 * executable or its libpython). functions: capture the function at each
 * GIL event (else thread names only). 0 or -ENOMEM. */
int pyrec_new(struct pyrec **out, const char *interp, bool functions);
/* A stage over a reader the caller made (tests that forge a target, see
 * pyread_open): r and its layout stand for the interpreter, r belongs to
 * the stage from then on (also on failure). 0 or -ENOMEM. */
int pyrec_new_reader(struct pyrec **out, struct pyread *r, pid_t pid);
/* What the kernel side needs to find the running code object: true and
 * *cfg, or false (no capture: the layout lacks it, said by pyrec_missing). */
bool pyrec_bpf_cfg(const struct pyrec *py, struct gs_py_cfg *cfg);
/* pid's /proc/PID/maps and /mem, opened now (see above); a failure is
 * remembered and said by pyrec_missing(). running: pid ran before the
 * recording (-p), so its threads listed at pyrec_begin() may have run
 * Python code before their first request. */
void pyrec_open_proc(struct pyrec *py, pid_t pid, bool running);
/* The recording of pid begins at now_ns (CLOCK_MONOTONIC); names go to w
 * (the .gst's writer; NULL: only to the live store). 0 or w's error. */
int pyrec_begin(struct pyrec *py, struct trace_writer *w, pid_t pid, uint64_t now_ns);
/* n events in; *out (n of them, valid until the next call) the same with
 * functions as ids; names they need written first. 0 or w's error. */
int pyrec_events(struct pyrec *py, const struct gs_event *ev, size_t n,
		 const struct gs_event **out);
/* The periodic work above, at now_ns. 0 or w's error. */
int pyrec_poll(struct pyrec *py, uint64_t now_ns);
/* Every name learnt so far (a live view's model_set_names()). */
const struct trace_names *pyrec_names(const struct pyrec *py);
/* Why Python names or functions are (partly) missing, one line with the
 * way out, or "" when nothing is. */
const char *pyrec_missing(const struct pyrec *py);
void pyrec_stats(const struct pyrec *py, struct pyrec_stats *st);
/* The closing line of a recording: "Python 3.11.7: 4 threads named, 12
 * functions, 3 of 2,310 GIL events unattributed (?)", or why names and
 * functions are missing. Into buf; returns buf. */
char *pyrec_summary(const struct pyrec *py, char *buf, size_t len);
void pyrec_free(struct pyrec *py);

#endif
