/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * perfetto_sched.h - the scheduler half of the Perfetto export: per-CPU
 * FtraceEventBundles in Perfetto's compact encoding (sched_switch and
 * sched_waking as delta-coded columns, comms interned per bundle) plus
 * whole FtraceEvents for the rarer events (task_newtask, task_rename,
 * sched_process_free, sched_migrate_task, a sched_waking whose waker is not
 * the task on that CPU). Field numbers: docs/perfetto.md.
 *
 * Each call appends to its CPU's bundle; a bundle is written (as one
 * TracePacket through emit) when it holds PFS_BUNDLE_EVENTS events or
 * PFS_BUNDLE_BYTES bytes, and by pfs_flush(). Memory: one bundle per CPU,
 * each bounded. Timestamps must not go back on a CPU (the model's never
 * do). Timestamps are the ftrace clock (BOOTTIME to Perfetto; the export's
 * clock snapshot makes it the .gst's CLOCK_MONOTONIC).
 *
 * Functions return 0 or a negative errno (-ENOMEM; emit's write errors are
 * the caller's to track).
 */
#ifndef MODEL_PERFETTO_SCHED_H
#define MODEL_PERFETTO_SCHED_H
#include <stdint.h>
#include "util/pb.h"

#define PFS_BUNDLE_EVENTS 4096
#define PFS_BUNDLE_BYTES (64 * 1024)
#define PFS_PRIO 120		/* the .gst has no priorities: nice 0's */

/* Writes one finished TracePacket (its fields, without the Trace wrapper). */
typedef void (*pfs_emit_fn)(void *ctx, const struct pb *packet);

struct pf_sched;

int pfs_new(struct pf_sched **out, pfs_emit_fn emit, void *ctx);
/* On cpu at ts the task that ran leaves in prev_state (kernel report
 * format, 0 = runnable) and next_tid (0 = idle) runs, named next_comm. */
int pfs_switch(struct pf_sched *s, uint32_t cpu, uint64_t ts, uint64_t prev_state,
	       uint32_t next_tid, const char *next_comm);
/* tid is woken onto target_cpu by the task running on cpu. */
int pfs_waking(struct pf_sched *s, uint32_t cpu, uint64_t ts, uint32_t tid, uint32_t target_cpu,
	       const char *comm);
/* A whole FtraceEvent on cpu: its common pid and the event's message (body)
 * in FtraceEvent field `field`. */
int pfs_event(struct pf_sched *s, uint32_t cpu, uint64_t ts, uint32_t common_pid, uint32_t field,
	      const struct pb *body);
/* Writes every bundle that holds events. */
int pfs_flush(struct pf_sched *s);
void pfs_free(struct pf_sched *s);

/* A kernel task state (task_struct.__state, as the .gst records it for the
 * task leaving the CPU, 0 when preempted) in sched_switch's report format
 * (one bit: S 1, D 2, T 4, t 8, X 16, Z 32, P 64, I 128), 0 = runnable. */
uint64_t pfs_report_state(uint64_t raw);

#endif
