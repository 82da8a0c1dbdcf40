/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cost_meter.h - the tracing cost of one recording, as the recorder keeps
 * it: which probes count and what one hit of each costs on this machine
 * (cost.h, priced by calibrate.h before the target runs, so that the
 * calibration competes with nothing of it), the hits as events come, and
 * the target's CPU time to set them against (its own total at exit for a
 * command we started, sampled from /proc while it runs otherwise).
 *
 * A calibration that fails leaves the cost unknown (cost_meter_error()
 * says why) and never fails the recording. The meter owns its memory;
 * not thread-safe.
 */
#ifndef RECORD_COST_METER_H
#define RECORD_COST_METER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/gs_types.h"
#include "record/loader.h"
#include "trace/trace_cost.h"

struct cost_meter;

/* A meter for the probes of lock target t, or (t NULL) of gilrt's probes
 * in the executable exe; calibrated now, with the reads of Python function
 * capture py (loader_opts.py, NULL: none) in the release's price. 0 or
 * -ENOMEM. */
int cost_meter_new(struct cost_meter **out, const struct lock_target *t, const char *exe,
		   const struct gs_py_cfg *py);
/* Safe on NULL. */
void cost_meter_free(struct cost_meter *m);
/* The target is pid from now on: its CPU time so far is not the recording's. */
void cost_meter_begin(struct cost_meter *m, pid_t pid);
/* One event as the BPF side emitted it (record/cost.h cost_acct_event). */
void cost_meter_event(struct cost_meter *m, const struct gs_event *e);
/* At each drain: the hits BPF counted without an event (loader_quiet_hits). */
void cost_meter_quiet(struct cost_meter *m, const struct loader *ld);
/* The target's CPU time now, while it runs (/proc has it no more after its
 * exit: sample before looking whether it exited). */
void cost_meter_sample(struct cost_meter *m);
/* The cost over span_ns up to now_ns, as the trace stores it; exit_cpu_ns:
 * the target's own CPU total at its exit (0: use the samples). 0, or
 * -ENODATA if not priced. */
int cost_meter_get(const struct cost_meter *m, uint64_t now_ns, uint64_t span_ns,
		   uint64_t exit_cpu_ns, struct trace_cost *out);
/* Why the cost is not known, "" if it is. */
const char *cost_meter_error(const struct cost_meter *m);

#endif
