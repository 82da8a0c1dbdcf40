/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_cost.h - what recording a trace cost the traced program, as the
 * trace stores it (FORMAT.md "Names": record kind 4) and as every command
 * says it. The recorder counts the probe hits it caused, per probe, and
 * multiplies each by the cost of one hit calibrated on the recording
 * machine (record/cost.h); a reader needs nothing else to report it.
 *
 *   overhead_ns   the CPU time the probes added to the traced program
 *   program_cpu_ns  the CPU time the traced program used meanwhile (0:
 *                 not known), tracing included
 *   pct           overhead_ns / (program_cpu_ns - overhead_ns): how much
 *                 longer the program ran than it would have untraced (at
 *                 most 1000 %: past 90 % of the program's CPU time the
 *                 remainder is within the estimate's error)
 *
 * A trace without the record (older, or its recorder was killed before the
 * end) has no cost: the commands say "unknown". Pure functions; strings
 * are cut to the limits below.
 */
#ifndef TRACE_COST_H
#define TRACE_COST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_COST_ROWS 16	/* probes a record lists at most */
#define TRACE_COST_NAME 47	/* bytes of a probe's name */
#define TRACE_COST_WARN_PCT 5.0	/* above this, say why */

struct trace_cost_row {
	char probe[TRACE_COST_NAME + 1];	/* "gilrt:gil_acquired", "take_gil return" */
	uint64_t hits;				/* hits caused in the traced program */
	uint32_t ns_per_hit;			/* calibrated cost of one (0: unknown) */
};

struct trace_cost {
	uint64_t ts_ns;			/* when computed (the events' clock) */
	uint64_t span_ns;		/* recording time it covers */
	uint64_t program_cpu_ns;	/* the program's CPU time meanwhile, 0 = unknown */
	uint64_t overhead_ns;		/* sum of hits x ns_per_hit */
	uint32_t nrows;
	struct trace_cost_row row[TRACE_COST_ROWS];
};

/* Bytes of c's record, its 4-byte record header included. */
size_t trace_cost_size(const struct trace_cost *c);
/* The record into out (room bytes): its size, 0 if it does not fit. */
size_t trace_cost_put(uint8_t *out, size_t room, const struct trace_cost *c);
/* Parses a record body (after the 4-byte record header): 0, or -EBADMSG
 * if its lengths do not hold together (then *c is unspecified). */
int trace_cost_get(const uint8_t *body, size_t len, struct trace_cost *c);

/* Sums the rows into overhead_ns. */
void trace_cost_total(struct trace_cost *c);
/* The added share in percent (see above); negative when not known. */
double trace_cost_pct(const struct trace_cost *c);
/* "tracing cost ~41 ms of CPU, +0.8 % on the program's 5.12 s" (c NULL:
 * "tracing cost unknown (...)") into buf. */
void trace_cost_line(const struct trace_cost *c, char *buf, size_t len);
/* The same in a few characters for a status line: "cost +0.8 %",
 * "cost >900 %", or "cost ~41 ms" when the program's CPU time is unknown. */
void trace_cost_short(const struct trace_cost *c, char *buf, size_t len);
/* Above TRACE_COST_WARN_PCT: one line saying which probe costs most and how
 * often it fired, into buf, and true; false otherwise (buf untouched). */
bool trace_cost_warning(const struct trace_cost *c, char *buf, size_t len);

#endif
