/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * report.h - the summary of a trace behind `gilscope report`: per-thread
 * totals, lock hold and wait histograms, hand-off latency, per-core use and
 * parallelism, computed by streaming events through the timeline model
 * (never holding the trace in memory).
 *
 * Use: report_new(), then either report_read(rp, reader) (streams a whole
 * .gst from its current position) or report_feed() events yourself in time
 * order followed by report_finish(); then write it out as text or JSON.
 *
 * Numbers (struct report_summary):
 *   duration   last event ts - first event ts (keyframe events, which
 *              only a seek hands out, never count)
 *   hist       log2 buckets as in fmt.h (bucket 0: < 1 us); one entry per
 *              finished or still-open hold / wait, so sum(hold_hist) equals
 *              the acquisitions
 *   handoffs   acquisitions that followed another thread's release of the
 *              lock while they waited for it (model/handoff.h: the same
 *              definition export's flows use); their latency runs from
 *              that release to the acquisition, and its p50 comes from a
 *              bounded log-linear histogram (64 steps per power of two, so
 *              within 0.8 % of the exact median; exact below 128 ns)
 *   parallelism  time traced tasks spent on CPUs / duration
 *   lost, clamped  sums of LOST / TIME_CLAMPED counts, saturating at
 *              UINT64_MAX (a crafted count cannot wrap them)
 *   recovered  the file had no valid footer: its blocks were scanned and
 *              [unreadable_offset, end of file) could not be read; JSON
 *              says so as trace.recovered and trace.unreadable (a list
 *              of {offset, bytes} ranges, empty for a complete file)
 * JSON lists only traced threads (not -a "other" tasks) that the model
 * holds (trace.threads_folded and trace.locks_folded say how many it
 * dropped beyond its caps, their totals still counted) and trims trailing
 * zero buckets of the histograms.
 *
 * Python (adapter "python"): threads are shown by their Python names, and
 * a "Python code" section / "functions" rows say, per thread, which
 * functions held the GIL and which waited for it (model/funcstat.h: a hold
 * is the function running at its release, a wait the one that asked), with
 * count, total and share of the thread's hold or wait time (report_py.c).
 * Names come from the trace's names (report_read() takes the reader's;
 * else report_set_names()).
 *
 * The report owns its memory (the model included); report_model() stays
 * valid until report_free(). Functions return 0 or a negative errno.
 */
#ifndef REPORT_H
#define REPORT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "util/fmt.h"
#include "util/gs_types.h"
#include "trace/trace_cost.h"
#include "trace/trace_meta.h"

struct model;
struct trace_reader;
struct trace_info;
struct trace_names;
struct funcstat;
struct json;

struct report_summary {
	uint64_t events;		/* events fed */
	uint64_t lost;			/* events lost by the recorder */
	uint64_t first_ns, last_ns;	/* first and last event ts */
	uint64_t duration_ns;		/* last_ns - first_ns */
	uint32_t cpus;			/* CPUs of the recording machine */
	uint64_t acquisitions;		/* over traced threads */
	uint64_t hold_ns, wait_ns;	/* over traced threads */
	uint64_t hold_hist[FMT_HIST_BUCKETS];
	uint64_t wait_hist[FMT_HIST_BUCKETS];
	uint64_t handoffs;		/* hand-offs (model/handoff.h) */
	uint64_t handoff_p50_ns;	/* 0 if none */
	uint64_t busy_ns;		/* traced tasks on CPUs, all cores */
	double parallelism;		/* busy_ns / duration_ns */
	bool recovered;			/* trace was recovered from a truncated file */
	uint64_t bytes_unreadable;	/* what recovery left behind */
	uint64_t unreadable_offset;	/* ... from this file offset to the end */
	uint64_t clamped;		/* events whose program-given time was
					 * clamped by the recorder (TIME_CLAMPED) */
};

struct report;

/* meta may be NULL (then cpus come from the events, command is ""). */
int report_new(struct report **out, const struct trace_meta *meta);
/* The names of the events to come (not owned, must outlive rp), before
 * the first event; report_read() sets the reader's itself. */
void report_set_names(struct report *rp, const struct trace_names *names);
/* What recording the trace cost the traced program (the trace's cost
 * record: trace_cost.h; copied), or NULL: not known. report_read() sets it
 * from the file. Text and JSON say it (JSON: trace.overhead_ns,
 * trace.overhead_pct, null when not known, and trace.overhead_probes). */
void report_set_cost(struct report *rp, const struct trace_cost *c);
/* Feed events in time order. */
int report_feed(struct report *rp, const struct gs_event *evs, size_t n);
/* End of input: closes open spans at the last event. info (may be NULL)
 * supplies the lost count and recovery state when the trace file has them.
 * A second call does nothing; feeding after it is -EINVAL. */
int report_finish(struct report *rp, const struct trace_info *info);
/* Feed every remaining event of r, then report_finish() with its info.
 * On a reader error returns it (the reader's trace_reader_error() says why). */
int report_read(struct report *rp, struct trace_reader *r);

const struct report_summary *report_summary(const struct report *rp);
const struct model *report_model(const struct report *rp);
/* The trace's header as given to report_new(), or NULL without one. */
const struct trace_meta *report_meta(const struct report *rp);
/* The tracing cost given by report_set_cost() (or the file), NULL if not known. */
const struct trace_cost *report_cost(const struct report *rp);
/* Hold and wait time by thread and function (empty without Python
 * functions in the trace). */
struct funcstat *report_funcstat(const struct report *rp);
/* report_write_text()'s "Python code" section and report_write_json()'s
 * "python" and "functions" members (report_py.c); nothing for a trace
 * of another adapter. */
int report_python_text(const struct report *rp, FILE *f);
void report_python_json(const struct report *rp, struct json *j);

/* Human-readable summary; unicode picks UTF-8 bars over '#' (report_text.c).
 * Bounded whatever the trace: at most REPORT_TEXT_THREADS threads and
 * REPORT_TEXT_LOCKS locks (the busiest, in first-seen order) and
 * REPORT_TEXT_CPUS cores get a line each, then one line sums up the rest
 * (with what the model folded beyond its caps). */
#define REPORT_TEXT_THREADS 64
#define REPORT_TEXT_LOCKS 16
#define REPORT_TEXT_CPUS 256
int report_write_text(const struct report *rp, FILE *f, bool unicode);
/* The JSON object documented in issue 4 / README, one line + newline. */
int report_write_json(const struct report *rp, FILE *f);

void report_free(struct report *rp);

#endif
