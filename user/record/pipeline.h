/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pipeline.h - one recording, from the options to the closing numbers: the
 * one place where `record`, `live` and the live lessons start tracing, so
 * that they cannot drift apart. A command parses its options, chooses its
 * sinks and presents the results; everything in between is here, in order:
 *
 *   pipeline_new()     signals caught (blocking loop only: catch_signals)
 *   pipeline_check()   capabilities -> adapter (--python / --lock SPEC:
 *                      which functions, which lock). Nothing is created or
 *                      started yet (a command can still refuse, e.g. `live`
 *                      without a terminal).
 *   pipeline_start()   the output file -> the recorder (probes attached
 *                      before the target runs; a signal so far: stop)
 *                      -> privileges dropped -> every sink's begin(meta)
 *   pipeline_run()     blocks until the target exits, the duration is over
 *                      or a signal; or, from an event loop (the TUI), poll
 *                      pipeline_fd() and call pipeline_poll()
 *   pipeline_stop()    the program it started ended if it still runs
 *                      (unless keep_running) -> final drain -> the tracing
 *                      cost into the file -> every sink's end(stats)
 *   pipeline_finish()  the file made complete (footer, saved copy, a temp
 *                      file removed)
 *   pipeline_free()    the one cleanup path, from any point above
 *
 *   recorder (ordered batches) --> file sink (.gst: -o FILE or a temp file)
 *                              --> sink 1 --> sink 2 ... (in the order added)
 *
 * Pending lock: `--lock ...=SYMBOL` naming a variable of a PIE or of a shared
 * library has an address only once the program has mapped that file. The
 * pipeline looks at exec (the target stopped before its first instruction)
 * and again at every poll until it is there, then sets the BPF filter (until
 * then every lock is recorded) and tells opts.note "lock SYMBOL placed at
 * 0x...", so a user (or a test) knows from when the filter holds. With
 * `=*VAR` the lock is what the pointer VAR holds: nothing is kept while it
 * is NULL; each poll reads it, and a new value moves the filter ("lock *VAR
 * placed at 0x...", "lock *VAR moved from 0x... to 0x..."). The details
 * are record/lock_place.h's.
 *
 * Python (--python): unless opts.python_gil_only, a Python stage
 * (record/pyrec.h) runs between the recorder and the sinks: every sink, the
 * file first, gets the events with Python functions as ids, and the file
 * the thread and function names before the events that need them; a live
 * view shows pipeline_names(). What the stage learnt, or why it could not,
 * is pipeline_python()'s to say.
 *
 * Privileges: nothing needs them once the probes are attached and the output
 * exists, so the pipeline drops them there, always: under sudo it becomes
 * SUDO_UID/SUDO_GID, as plain root it gives up every capability. Under sudo
 * a started command runs as the invoking user (uid, gid, groups, HOME, USER,
 * LOGNAME) unless opts.as_root; a -p process must be one that user could
 * ptrace (record/target.h).
 *
 * The program: a command the pipeline started is ended when the recording
 * ends before it does (q, --duration, a signal, an error): SIGTERM, then
 * SIGKILL after PIPELINE_GRACE_MS, reaped, its end in the recording; with
 * opts.keep_running it is left running. A -p process is never signalled. A
 * signal (catch_signals) before the command ran stops the start: it never
 * runs, pipeline_start() fails (-EINTR).
 *
 * Errors: functions return 0 or a negative errno. pipeline_check(),
 * pipeline_start() and pipeline_finish() leave a one-line reason (no
 * "gilscope CMD:" prefix) in pipeline_error(); pipeline_usage_error() tells
 * a malformed --lock SPEC (exit 2) from a target that cannot be traced (1).
 * Errors of the sinks or the kernel side while recording (pipeline_poll,
 * pipeline_run, pipeline_stop) are the sinks' errnos, e.g. -ENOSPC.
 *
 * Memory: the pipeline owns the recorder, the adapter and the file; opts,
 * the strings it points to and every sink (ops and ctx) are the caller's and
 * must stay valid until pipeline_free(). Sinks are never called after
 * pipeline_stop() nor from pipeline_free().
 */
#ifndef RECORD_PIPELINE_H
#define RECORD_PIPELINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/gs_types.h"
#include "record/recorder.h"
#include "trace/trace_meta.h"

struct pipeline;

#define PIPELINE_GRACE_MS 2000	/* SIGTERM to SIGKILL for a program that ends early */

/* What a recording reports for the commands' closing lines. */
struct pipeline_stats {
	struct recorder_stats rec;	/* events, lost, late, start/end, the target's
					 * pid, whether it exited and its wait status */
	bool started;		/* the target is a command the pipeline started */
	uint64_t bytes;		/* written to the file (footer not counted) */
	const char *file;	/* where the recording is: the file, or `s`'s copy of
				 * a temp one; "" without one (owned by the pipeline) */
	bool file_is_temp;	/* the recording went to a temp file */
	bool has_cost;		/* cost is known (record/cost.h) */
	struct trace_cost cost;	/* what tracing cost the program so far */
	const char *cost_error;	/* !has_cost: why, in a few words */
};

/*
 * A consumer of the recording. Only events is required. Each callback gets
 * the ctx given to pipeline_add_sink(); a negative errno from any of them
 * stops the recording and is returned by pipeline_poll()/run()/stop().
 */
struct pipeline_sink {
	/* Once, when the trace's metadata is known, before any event: e.g.
	 * create a timeline or a report from it. */
	int (*begin)(void *ctx, const struct trace_meta *meta);
	/* n events in non-decreasing ts_ns order (recorder.h's guarantees). */
	int (*events)(void *ctx, const struct gs_event *ev, size_t n);
	/* Make what was given durable: at least every second, and at the end. */
	int (*flush)(void *ctx);
	/* Once, after the last events (pipeline_stop), if begin was called. */
	int (*end)(void *ctx, const struct pipeline_stats *st);
};

struct pipeline_opts {
	pid_t pid;			/* -p: trace this running process, or 0 */
	char *const *argv;		/* -- CMD ARGS: start this (NULL-terminated), or NULL */
	bool python;			/* --python: CPython's GIL */
	bool python_gil_only;		/* --python=gil: no Python thread names or functions
					 * (nothing read from the process, no cost per event) */
	const char *lock_spec;		/* --lock SPEC, or NULL (neither: gilrt's probes) */
	bool all_tasks;			/* -a: record other tasks' scheduling too */
	bool floor;			/* benchmark: empty programs on the probes, no events */
	uint64_t duration_ns;		/* stop after this long (0 = when the target exits) */
	int child_stdout;		/* argv: its stdout and stderr (e.g. /dev/null under
					 * a TUI); 0 or -1: inherited */
	bool file;			/* write a .gst: to output, or a temp file (output
					 * NULL) that pipeline_save() copies */
	const char *output;		/* -o FILE, or NULL */
	bool force;			/* output may replace a regular file (--force) */
	bool as_root;			/* under sudo, run argv as root (--as-root) */
	bool keep_running;		/* leave argv running when the recording ends
					 * first (--keep-running) */
	bool catch_signals;		/* blocking loop: SIGINT, SIGTERM and SIGHUP end
					 * pipeline_run() cleanly (installed before the
					 * target starts, so they always do) */
	const char *caps_hint;		/* said after "... run it with sudo" when
					 * privileges are missing, e.g. ", or watch a
					 * recording: gilscope replay FILE" */
	/* A line for the user that is no error ("lock SYMBOL placed at 0x..."),
	 * without prefix or newline; may be called from pipeline_start() (at
	 * exec) and pipeline_poll(). NULL: not said. */
	void (*note)(void *note_ctx, const char *line);
	void *note_ctx;
	/* pipeline_run(): called about every tick_ms (0: 500) while it
	 * records, with the numbers so far (a progress line). NULL: never. */
	void (*tick)(void *tick_ctx, const struct pipeline_stats *st);
	void *tick_ctx;
	uint32_t tick_ms;
};

/* A pipeline for opts (copied; its strings must outlive the pipeline).
 * 0 or -ENOMEM. */
int pipeline_new(struct pipeline **out, const struct pipeline_opts *opts);
/* Adds a sink (ops and ctx stay the caller's), before pipeline_start().
 * At most 8; -E2BIG beyond, -EINVAL without ops->events or once started. */
int pipeline_add_sink(struct pipeline *p, const struct pipeline_sink *ops, void *ctx);
/* Capabilities, then the adapter: which probes, which lock (for a running
 * pid the lock is placed now). Nothing is created or started. Idempotent. */
int pipeline_check(struct pipeline *p);
/* pipeline_check() if not done yet, then the output, the signals, the
 * recorder (the target started held, or attached), the privilege drop and
 * the sinks' begin(). On failure a started target is left running, the
 * output file is removed when pipeline_free() comes. */
int pipeline_start(struct pipeline *p);
/* The trace's metadata (valid after pipeline_start). */
const struct trace_meta *pipeline_meta(const struct pipeline *p);
/* An fd that becomes readable when pipeline_poll() has work. */
int pipeline_fd(const struct pipeline *p);
/* The pending work, without blocking: a pending lock placed if it can be,
 * the ring drained, events to the sinks. 0: still recording; 1: finished
 * (target gone or duration over; call pipeline_stop); negative errno. */
int pipeline_poll(struct pipeline *p);
/* Polls until finished, an error, or (opts.catch_signals) a signal:
 * 0 or a negative errno. */
int pipeline_run(struct pipeline *p);
/* The started program ended if it still runs (unless keep_running), final
 * drain, then each sink's end(). Idempotent: returns the first error of the
 * recording (sinks, flushes, kernel side), if any. */
int pipeline_stop(struct pipeline *p);
/* Stops if needed, then completes the file: footer, the copy `s` made, a
 * temp file removed. 0 or the error (said in pipeline_error). Once. */
int pipeline_finish(struct pipeline *p);
/* `s` in a live view: copy the recording so far to gilscope-DATE.gst (a -o
 * FILE is there already). One line for the user into msg; 0 or -errno. */
int pipeline_save(struct pipeline *p, char *msg, size_t len);
void pipeline_stats(const struct pipeline *p, struct pipeline_stats *st);
/* The Python stage (--python without python_gil_only), or NULL: its names
 * (the live store) and what it says at the end (pyrec_summary). Valid until
 * pipeline_free(). */
struct pyrec;
struct trace_names;
const struct pyrec *pipeline_python(const struct pipeline *p);
const struct trace_names *pipeline_names(const struct pipeline *p);
/* After pipeline_stop(): when a --lock filter (argN=ADDR or =SYMBOL) kept
 * nothing, one line for the user (no prefix, no newline) into buf and 1:
 * the filter never matched (with the locks the program took before it was
 * set, if any were seen), or its SYMBOL was never placed (every lock was
 * recorded). Else 0 and buf "". */
int pipeline_lock_warning(const struct pipeline *p, char *buf, size_t len);
/* The last failure of check/start/finish in one line, or "". */
const char *pipeline_error(const struct pipeline *p);
/* The last failure was the options' fault (a malformed --lock SPEC). */
bool pipeline_usage_error(const struct pipeline *p);
/* Ends the started program if it still runs (unless keep_running), stops
 * the recorder without calling the sinks, detaches the probes (see
 * loader_destroy), removes an output that pipeline_finish() did not
 * complete, frees. Safe on NULL. */
void pipeline_free(struct pipeline *p);

#endif
