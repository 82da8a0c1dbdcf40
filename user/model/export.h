/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * export.h - a .gst trace as Chrome Trace Event Format JSON (opened by the
 * Perfetto UI and chrome://tracing) or as CSV, streamed through the timeline
 * model: spans are written as the model closes them, so memory is bounded by
 * the number of threads and CPUs, never by the length of the trace.
 *
 * Chrome JSON ({"traceEvents":[...]}, one event per line):
 *   - a process "CPUs" (pid EXPORT_CPU_PID, above any real pid) with one
 *     track per core, "CPU n" (tid = n + 1: Perfetto treats tid 0 as the
 *     idle task and has merged it with tid 1): complete "X" slices named after the thread
 *     that ran there, " [lock]" appended while it held the lock;
 *   - per traced thread (real pid/tid) "X" slices "hold" and "wait" (args:
 *     lock address), plus "io" and "native"; a slice that would overlap the
 *     previous one on its track (a wait for a second lock, say) goes to an
 *     async track instead ("b"/"e" pair, same name), so slices on one track
 *     never overlap;
 *   - process_name / thread_name metadata ("M"), lost events as global
 *     instant events ("i", "s":"g") named "lost N events".
 *   ts and dur are microseconds with ns precision ("1234.567"), counted from
 *   the trace's start (otherData.base_ns holds that instant on the trace
 *   clock, CLOCK_MONOTONIC).
 * CSV: header "kind,pid,tid,thread,cpu,start_ns,end_ns", one row per span
 *   (kind cpu, hold, wait, io or native), ns from the same start; cpu empty
 *   when unknown; thread quoted when it needs to be. Rows (and JSON events)
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
};

struct export_stats {
	uint64_t events;	/* trace events read */
	uint64_t cpu, hold, wait, io, native;	/* spans written, by kind */
	uint64_t async;		/* of those, moved to an async track (overlap) */
	uint64_t lost;		/* events the recorder lost (instants written) */
	uint64_t acquisitions;	/* the model's total, for cross-checks */
	bool recovered;		/* the trace had no valid footer: partial export */
	uint64_t bytes_unreadable;	/* ... and this much of it was unreadable */
};

/* "chrome" / "json" -> EXPORT_CHROME, "csv" -> EXPORT_CSV, else 0. */
enum export_format export_format_parse(const char *name);

/* Reads the trace at in_path and writes it to out in format fmt. */
int export_trace(const char *in_path, FILE *out, enum export_format fmt,
		 struct export_stats *st, char *err, size_t errlen);

/*
 * The writer on its own (export_trace drives it; tests feed it spans).
 * exporter_new writes the preamble; then spans, lost events and names in any
 * order; exporter_finish writes the trailer and returns the first write error.
 * A span's thread label comes from label_fn (NULL: "tid N").
 */
struct exporter;
typedef const char *(*exporter_label_fn)(void *ctx, uint32_t pid, uint32_t tid);

int exporter_new(struct exporter **out, FILE *f, enum export_format fmt,
		 const struct trace_meta *meta, uint64_t base_ns,
		 exporter_label_fn label_fn, void *label_ctx);
void exporter_span(struct exporter *x, const struct model_span *s);
void exporter_lost(struct exporter *x, uint64_t ts_ns, uint64_t count);
/* Metadata: the name of a process / thread (Chrome only; CSV ignores it). */
void exporter_process(struct exporter *x, uint32_t pid, const char *name);
void exporter_thread(struct exporter *x, uint32_t pid, uint32_t tid, const char *name);
int exporter_finish(struct exporter *x, struct export_stats *st);
void exporter_free(struct exporter *x);

#endif
