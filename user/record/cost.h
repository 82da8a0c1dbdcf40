/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cost.h - what a recording costs the traced program. The recorder counts
 * the probe hits it causes there, per probe, from the events the BPF
 * programs emit (each event is one hit of a known probe; the few hits that
 * emit nothing, calls of another lock than --lock's filter, are counted in
 * BPF: loader_quiet_hits), and prices each hit with what one hit of its
 * kind costs on this machine (calibrate.h): the kind is the probe
 * mechanism (a 5-byte or a 1-byte nop USDT site, a uprobe on an emulated
 * or a single-stepped instruction, with or without a return probe) times
 * the BPF program that runs there. The result is a struct trace_cost, the
 * record the trace keeps and every command reports.
 *
 * Hits counted in the traced program: its own probe hits, and the
 * scheduler events the BPF side handles in its threads (a switch away from
 * one of them, a wakeup of one, a migration, fork, exit). Other processes'
 * hits (pid -1 probes filter by process) are not the program's cost.
 *
 * A struct cost_acct is the caller's; no allocation.
 */
#ifndef RECORD_COST_H
#define RECORD_COST_H
#include <stdbool.h>
#include <stdint.h>
#include "util/gs_types.h"
#include "record/loader.h"
#include "trace/trace_cost.h"

/* What one hit costs depends on this (see calibrate.h for how each is measured). */
enum cost_kind {
	COST_USDT5,		/* a gilrt USDT probe on a 5-byte nop (optimized where the kernel can) */
	COST_USDT1,		/* a gilrt USDT probe on a 1-byte nop (older gilrt, stock sys/sdt.h) */
	COST_ACQ_BRANCH,	/* an acquire call: its entry and return probes, at a branch/nop */
	COST_ACQ_PUSH,		/* ... at a push */
	COST_ACQ_STEP,		/* ... at an instruction the kernel single-steps */
	COST_REL_BRANCH,	/* a release call (entry probe), at a branch/nop */
	COST_REL_PUSH,
	COST_REL_STEP,
	COST_WAIT,		/* CPython's wait site in take_gil (a call) */
	COST_GOT,		/* an acquire's got site (loader.h lock_sites.got: a call) */
	COST_SCHED,		/* a scheduler tracepoint program in a traced thread */
	COST__COUNT
};

struct cost_acct {
	struct trace_cost c;		/* rows: probe names and hits; ns once priced */
	uint8_t kind[TRACE_COST_ROWS];	/* enum cost_kind of each row */
	uint8_t row_of[GS_EV__COUNT];	/* event type -> row of the probe that emits it (0xff: none) */
	uint8_t sched_row;		/* row of the scheduler events */
	uint8_t quiet_acq, quiet_rel;	/* rows the quiet hits add to (0xff: none) */
	uint64_t quiet[2];		/* loader_quiet_hits() totals */
	bool priced;			/* cost_acct_price() gave every row its cost */
};

/* gilrt's USDT probes: one row per probe, kind USDT5 if every site of the
 * binary is a 5-byte nop, else USDT1; and the scheduler row. */
void cost_acct_gilrt(struct cost_acct *a, bool nop5);
/* A lock target's sites (loader.h): rows for the acquire function (acq
 * names it), the release function, CPython's wait sites (sites->nwait), the
 * scheduler. */
void cost_acct_lock(struct cost_acct *a, const struct lock_sites *sites, const char *acq,
		    const char *rel);
/* The kinds the rows use, one bit each: what calibrate() must measure. */
uint32_t cost_acct_kinds(const struct cost_acct *a);
/* One event as the BPF side emitted it (before the recorder adds or drops
 * any: record/lock_fill.h). */
void cost_acct_event(struct cost_acct *a, const struct gs_event *e);
/* The quiet hits so far (totals, from loader_quiet_hits). */
void cost_acct_quiet(struct cost_acct *a, uint64_t acquire, uint64_t release);
/* Prices the rows: ns[kind] per hit (negative: not measured). */
void cost_acct_price(struct cost_acct *a, const double ns[COST__COUNT]);
/* The cost so far as the trace stores it: ts, span and the program's CPU
 * time given by the caller (cpu_ns 0: unknown); overhead 0 and rows with
 * ns 0 if not priced. */
void cost_acct_snapshot(const struct cost_acct *a, uint64_t ts_ns, uint64_t span_ns,
			uint64_t cpu_ns, struct trace_cost *out);

#endif
