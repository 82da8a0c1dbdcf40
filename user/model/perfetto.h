/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * perfetto.h - the writer behind `export --format perfetto` (export.c drives
 * it through struct exporter; the layout is export.h's, the field numbers
 * docs/perfetto.md's). It writes a Trace: length-delimited TracePackets
 * (field 1), one after the other, straight to the FILE as it goes.
 *
 * Packet sequences: sequence 1 carries the clock snapshot, the track
 * descriptors, instants and the process tree, with absolute CLOCK_MONOTONIC
 * timestamps. Every slice track (a thread's lock, I/O or native track) has a
 * sequence of its own whose packets carry only the delta from the previous
 * one (an incremental clock): a track's slices never overlap and arrive in
 * order, whatever order the tracks' spans end in. Scheduling goes to
 * perfetto_sched.h's per-CPU bundles.
 *
 * Memory: per thread, lock, track and CPU a small record; pending drop
 * request flows at most PF_MAX_DROPS per lock. The writer never holds the
 * trace. Functions that can fail return 0 or a negative errno; write errors
 * show at pf_finish().
 */
#ifndef MODEL_PERFETTO_H
#define MODEL_PERFETTO_H
#include <stdio.h>
#include "model/export.h"
#include "model/handoff.h"
#include "model/model.h"
#include "trace/trace_meta.h"

#define PF_MAX_DROPS 16		/* drop requests waiting for their release, per lock */

struct pf;

int pf_new(struct pf **out, FILE *f, const struct trace_meta *meta, uint64_t base_ns);
/* Names of the trace's functions: hold and wait slices of a span with a
 * function are named "hold Worker.run (app.py:42)" (interned per track).
 * Not owned; NULL (the default): "hold" and "wait". */
struct trace_names;
void pf_set_names(struct pf *p, const struct trace_names *names);
/* A span the model closed, with what model/handoff.h says of it (HOLD and
 * WAIT; may be NULL). CPU spans only tell pf_event() which cores changed. */
void pf_span(struct pf *p, const struct model_span *s, const struct handoff_span *hs);
/* After model_feed(m, ev): switches where a core's occupant changed,
 * wakeups, migrations, task births, renames and ends, drop requests. */
void pf_event(struct pf *p, const struct model *m, const struct gs_event *ev);
/* An instant named text on the "gaps" track (lost events, damaged blocks). */
void pf_mark(struct pf *p, uint64_t ts, const char *text);
/* The process tree written at the end: a process, a thread and their names. */
void pf_process(struct pf *p, uint32_t pid, const char *name);
void pf_thread(struct pf *p, uint32_t pid, uint32_t tid, const char *name);
/* Every core still occupied at end_ns switches to idle there; the bundles
 * and the process tree are written. Adds its counts to st. 0, -ENOMEM or a
 * write error. */
int pf_finish(struct pf *p, const struct model *m, uint64_t end_ns, struct export_stats *st);
void pf_free(struct pf *p);

#endif
