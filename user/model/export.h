/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * export.h - a .gst trace as Perfetto's protobuf trace, as Chrome Trace Event
 * Format JSON (opened by the Perfetto UI and chrome://tracing) or as CSV,
 * streamed through the timeline model: spans are written as the model closes
 * them, so memory is bounded by the number of threads, locks and CPUs, never
 * by the length of the trace.
 *
 * Perfetto (docs/perfetto.md has every field): the scheduler as Perfetto's
 * own compact sched_switch / sched_waking events per CPU (CPU tracks, thread
 * states, "woken by"), task lifetimes and names as ftrace task events and a
 * process tree; per thread a track per lock with its "hold" and "wait"
 * slices ("hold Worker.run (app.py:42)" when the trace has the Python
 * function, as Chrome's args below), "I/O" and "native" tracks; a flow from each release to the
 * acquisition it handed the lock to (model/handoff.h) and from each drop
 * request to the release it asked for; a counter "threads waiting for lock"
 * per lock; lost events and gaps as instants on a "gaps" track. Times are
 * the trace's CLOCK_MONOTONIC (a clock snapshot says so).
 *
 * Chrome JSON ({"traceEvents":[...]}, one event per line):
 *   - a process "CPUs" (pid EXPORT_CPU_PID, above any real pid) with one
 *     track per core, "CPU n" (tid = n + 1: Perfetto treats tid 0 as the
 *     idle task and has merged it with tid 1): complete "X" slices named after the thread
 *     that ran there, " [lock]" appended while it held the lock;
 *   - per traced thread (real pid/tid) "X" slices "hold" and "wait" (args:
 *     lock address; and, when the trace has Python functions, "function"
 *     (qualified name, "?" if unreadable, "(no Python code)"), "file" and
 *     "line": for a hold the function running when the thread let go, for a
 *     wait the one that asked), plus "io" and "native"; a slice that would overlap the
 *     previous one on its track (a wait for a second lock, say) goes to an
 *     async track instead ("b"/"e" pair, same name), so slices on one track
 *     never overlap;
 *   - process_name / thread_name metadata ("M"), lost events as global
 *     instant events ("i", "s":"g") named "lost N events" (skipped damaged
 *     blocks and the end of a cut trace likewise);
 *   - a flow ("s" in the releasing thread's hold slice, "f" with "bp":"e"
 *     in the acquiring thread's) for each hand-off (model/handoff.h).
 *   ts and dur are microseconds with ns precision ("1234.567"), counted from
 *   the trace's start (otherData.base_ns holds that instant on the trace
 *   clock, CLOCK_MONOTONIC).
 * CSV: header "kind,pid,tid,thread,cpu,start_ns,end_ns,function,file,line",
 *   one row per span (kind cpu, hold, wait, io or native), ns from the same
 *   start; cpu empty when unknown; function, file, line as Chrome's args
 *   (empty when not recorded); strings quoted when they need to be. Rows (and JSON events)
 *   come in the order the intervals end: sorting would need the whole trace.
 *
 * The exporter writes to a FILE it does not own. Functions return 0 or a
 * negative errno (a write error, e.g. -ENOSPC, is sticky and returned by
 * export_trace / exporter_finish) and write a one-line reason into err.
 */
#ifndef EXPORT_H
#define EXPORT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model/model.h"
#include "trace/trace_meta.h"

#define EXPORT_CPU_PID 4194305u	/* PID_MAX_LIMIT + 1: no real process has it */

enum export_format {
	EXPORT_CHROME = 1,
	EXPORT_CSV,
	EXPORT_PERFETTO,
};

struct export_stats {
	uint64_t events;	/* trace events read */
	uint64_t cpu, hold, wait, io, native;	/* spans written, by kind */
	uint64_t async;		/* of those, moved to an async track (overlap) */
	uint64_t lost;		/* events the recorder lost (instants written) */
	uint64_t acquisitions;	/* the model's total, for cross-checks */
	uint64_t handoffs;	/* hand-off flows written (chrome, perfetto) */
	uint64_t drop_flows;	/* perfetto: drop request -> release flows */
	uint64_t switches;	/* perfetto: sched_switch events written */
	bool recovered;		/* the trace had no valid footer: partial export */
	uint64_t bytes_unreadable;	/* ... and this much of it was unreadable */
	char recovery[320];	/* ... the reader's line on what it recovered */
	uint64_t bad_blocks;	/* damaged blocks skipped (the rest exported) */
	uint64_t bad_events;	/* ... events they held */
	char skipped[256];	/* one line on them, "" if none */
};

/* "perfetto" -> EXPORT_PERFETTO, "chrome" / "json" -> EXPORT_CHROME, "csv"
 * -> EXPORT_CSV, else 0. */
enum export_format export_format_parse(const char *name);
/* The format an output file name implies (.perfetto-trace, .pftrace, .json,
 * .csv), else 0. */
enum export_format export_format_of_path(const char *path);

/* Reads the trace at in_path and writes it to out in format fmt. */
int export_trace(const char *in_path, FILE *out, enum export_format fmt,
		 struct export_stats *st, char *err, size_t errlen);

/* A part of a trace: [from_ns, to_ns) after its first event (to_ns 0: to
 * the end). The reader seeks to from_ns (a block's keyframe gives the state
 * there), intervals are cut to the range, and what is still open at to_ns
 * ends there. */
struct export_range {
	uint64_t from_ns, to_ns;
};
int export_trace_range(const char *in_path, FILE *out, enum export_format fmt,
		       const struct export_range *range, struct export_stats *st, char *err,
		       size_t errlen);
/* About how many bytes an export of events events takes in format fmt
 * (measured on the shipped traces: a warning's figure, not a promise). */
uint64_t export_estimate_bytes(enum export_format fmt, uint64_t events);

/*
 * The writer on its own (export_trace drives it; tests feed it spans).
 * exporter_new writes the preamble; then spans, events, lost events, marks,
 * hand-offs and names in any order (events in time order);
 * exporter_finish writes the trailer and returns the first write error.
 * A span's thread label comes from label_fn (NULL: "tid N").
 */
struct exporter;
struct handoff_span;
struct handoff_info;
typedef const char *(*exporter_label_fn)(void *ctx, uint32_t pid, uint32_t tid);

int exporter_new(struct exporter **out, FILE *f, enum export_format fmt,
		 const struct trace_meta *meta, uint64_t base_ns,
		 exporter_label_fn label_fn, void *label_ctx);
/* The names of the trace (functions of hold and wait spans), or NULL; not
 * owned, must outlive x. Before the first span. */
struct trace_names;
void exporter_set_names(struct exporter *x, const struct trace_names *names);
/* A span the model closed; hs (may be NULL) is what model/handoff.h says
 * about it (HOLD and WAIT spans). */
void exporter_span(struct exporter *x, const struct model_span *s, const struct handoff_span *hs);
/* After model_feed(m, ev) (perfetto: scheduling and task events; the other
 * formats ignore it). */
void exporter_event(struct exporter *x, const struct model *m, const struct gs_event *ev);
/* A hand-off, when it happens (chrome: its flow; perfetto draws it from the
 * spans' hs instead). */
void exporter_handoff(struct exporter *x, const struct handoff_info *hi);
void exporter_lost(struct exporter *x, uint64_t ts_ns, uint64_t count);
/* A gap in what could be read (a skipped block, a cut trace): an instant
 * named text (chrome, perfetto). */
void exporter_mark(struct exporter *x, uint64_t ts_ns, const char *text);
/* Metadata: the name of a process / thread (Chrome: "M" events; Perfetto:
 * its process tree; CSV ignores it). */
void exporter_process(struct exporter *x, uint32_t pid, const char *name);
void exporter_thread(struct exporter *x, uint32_t pid, uint32_t tid, const char *name);
/* Perfetto closes the CPUs' slices at end_ns (the model's end); m (may be
 * NULL) names the tasks it ran. */
int exporter_finish(struct exporter *x, const struct model *m, uint64_t end_ns,
		    struct export_stats *st);
void exporter_free(struct exporter *x);

#endif
