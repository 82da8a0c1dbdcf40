/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pipeline.h - one recording, from the options to the closing numbers: the
 * one place where `record`, `live` and the live lessons start tracing, so
 * that they cannot drift apart. A command parses its options, chooses its
 * sinks and presents the results; everything in between is here, in order:
 *
 *   pipeline_check()   capabilities -> adapter (--python / --lock SPEC:
 *                      which functions, which lock). Nothing is created or
 *                      started yet (a command can still refuse, e.g. `live`
 *                      without a terminal).
 *   pipeline_start()   the output file -> signals (blocking loop only) ->
 *                      the recorder (probes attached before the target runs)
 *                      -> privileges dropped -> every sink's begin(meta)
 *   pipeline_run()     blocks until the target exits, the duration is over
 *                      or a signal; or, from an event loop (the TUI), poll
 *                      pipeline_fd() and call pipeline_poll()
 *   pipeline_stop()    final drain -> the tracing cost into the file ->
 *                      every sink's end(stats)
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
 * 0x...", so a user (or a test) knows from when the filter holds.
 *
 * Privileges: nothing needs them once the probes are attached and the output
 * exists, so the pipeline drops them there, always: under sudo it becomes
 * SUDO_UID/SUDO_GID, as plain root it gives up every capability.
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

/* What a recording reports for the commands' closing lines. */
struct pipeline_stats {
	struct recorder_stats rec;	/* events, lost, late, start/end, the target's
					 * pid, whether it exited and its wait status */
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
/* Final drain, then each sink's end(). Idempotent: returns the first error
 * of the recording (sinks, flushes, kernel side), if any. */
int pipeline_stop(struct pipeline *p);
/* Stops if needed, then completes the file: footer, the copy `s` made, a
 * temp file removed. 0 or the error (said in pipeline_error). Once. */
int pipeline_finish(struct pipeline *p);
/* `s` in a live view: copy the recording so far to gilscope-DATE.gst (a -o
 * FILE is there already). One line for the user into msg; 0 or -errno. */
int pipeline_save(struct pipeline *p, char *msg, size_t len);
void pipeline_stats(const struct pipeline *p, struct pipeline_stats *st);
/* The last failure of check/start/finish in one line, or "". */
const char *pipeline_error(const struct pipeline *p);
/* The last failure was the options' fault (a malformed --lock SPEC). */
bool pipeline_usage_error(const struct pipeline *p);
/* Stops the recorder without calling the sinks, detaches the probes (see
 * loader_destroy), removes an output that pipeline_finish() did not
 * complete, frees. Never kills the target. Safe on NULL. */
void pipeline_free(struct pipeline *p);

#endif
