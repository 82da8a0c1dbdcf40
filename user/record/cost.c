/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cost.c - probe hits counted per probe and priced (see cost.h). */
#include <stdio.h>
#include <string.h>
#include "record/cost.h"
#include "record/x86_insn.h"

#define NONE 0xff

static uint8_t add_row(struct cost_acct *a, const char *probe, uint8_t kind)
{
	uint32_t i = a->c.nrows;

	if (i >= TRACE_COST_ROWS)
		return NONE;
	snprintf(a->c.row[i].probe, sizeof(a->c.row[i].probe), "%s", probe);
	a->kind[i] = kind;
	a->c.nrows++;
	return (uint8_t)i;
}

static void reset(struct cost_acct *a)
{
	memset(a, 0, sizeof(*a));
	memset(a->row_of, NONE, sizeof(a->row_of));
	a->quiet_acq = a->quiet_rel = NONE;
}

void cost_acct_gilrt(struct cost_acct *a, bool nop5)
{
	static const struct { uint8_t type; const char *probe; } p[] = {
		{ GS_EV_LOCK_REQUEST, "gilrt:gil_request" },
		{ GS_EV_LOCK_ACQUIRED, "gilrt:gil_acquired" },
		{ GS_EV_LOCK_RELEASED, "gilrt:gil_released" },
		{ GS_EV_DROP_REQUEST, "gilrt:gil_drop_request" },
		/* thread_start emits THREAD_START and THREAD_NAME: one hit */
		{ GS_EV_THREAD_START, "gilrt:thread_start" },
		{ GS_EV_THREAD_EXIT, "gilrt:thread_exit" },
		{ GS_EV_IO_BEGIN, "gilrt:io_begin" },
		{ GS_EV_IO_END, "gilrt:io_end" },
		{ GS_EV_NATIVE_BEGIN, "gilrt:native_begin" },
		{ GS_EV_NATIVE_END, "gilrt:native_end" },
	};

	reset(a);
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		a->row_of[p[i].type] = add_row(a, p[i].probe, nop5 ? COST_USDT5 : COST_USDT1);
	a->sched_row = add_row(a, "scheduler tracepoints", COST_SCHED);
}

/* The kind of a probe of the class cls (enum x86_probe_class). */
static uint8_t kind_of(uint8_t base, uint8_t cls)
{
	return base + (cls == X86_PROBE_BRANCH ? 0 : cls == X86_PROBE_PUSH ? 1 : 2);
}

void cost_acct_lock(struct cost_acct *a, const struct lock_sites *sites, const char *acq,
		    const char *rel)
{
	char name[TRACE_COST_NAME + 1];

	reset(a);
	/* one acquire row: its calls are an entry (or wait) and a return each,
	 * or with got sites one hit there (and the wait sites' own row) */
	if (sites->ngot) {
		snprintf(name, sizeof(name), "%.33s got it", acq);
		a->quiet_acq = add_row(a, name, COST_GOT);
	} else {
		snprintf(name, sizeof(name), "%.30s (call + return)", acq);
		a->quiet_acq = add_row(a, name, kind_of(COST_ACQ_BRANCH, sites->acquire[0].cls));
	}
	a->row_of[GS_EV_LOCK_ACQUIRED] = a->row_of[GS_EV_LOCK_FAILED] = a->quiet_acq;
	snprintf(name, sizeof(name), "%.40s", rel);
	a->quiet_rel = a->row_of[GS_EV_LOCK_RELEASED] =
		add_row(a, name, kind_of(COST_REL_BRANCH, sites->release[0].cls));
	/* a REQUEST is part of its acquire call, unless it comes from a wait site */
	if (sites->nwait) {
		snprintf(name, sizeof(name), "%.37s wait", acq);
		a->row_of[GS_EV_LOCK_REQUEST] = add_row(a, name, COST_WAIT);
	}
	a->sched_row = add_row(a, "scheduler tracepoints", COST_SCHED);
}

uint32_t cost_acct_kinds(const struct cost_acct *a)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < a->c.nrows; i++)
		k |= 1u << a->kind[i];
	return k;
}

void cost_acct_event(struct cost_acct *a, const struct gs_event *e)
{
	uint8_t row = e->type < GS_EV__COUNT ? a->row_of[e->type] : NONE;

	switch (e->type) {
	case GS_EV_SCHED_SWITCH:	/* runs in prev's context */
		row = e->flags & GS_F_TRACED_PREV ? a->sched_row : NONE;
		break;
	case GS_EV_SCHED_WAKEUP:	/* mostly one traced thread waking another */
	case GS_EV_SCHED_MIGRATE:
	case GS_EV_PROC_FORK:
	case GS_EV_PROC_EXIT:
		row = e->flags & GS_F_TRACED ? a->sched_row : NONE;
		break;
	}
	if (row != NONE)
		a->c.row[row].hits++;
}

void cost_acct_quiet(struct cost_acct *a, uint64_t acquire, uint64_t release)
{
	a->quiet[0] = acquire;
	a->quiet[1] = release;
}

void cost_acct_price(struct cost_acct *a, const double ns[COST__COUNT])
{
	a->priced = true;
	for (uint32_t i = 0; i < a->c.nrows; i++) {
		double v = ns[a->kind[i]];

		if (v < 0)
			a->priced = false;
		a->c.row[i].ns_per_hit = v > 0 ? (uint32_t)(v + 0.5) : 0;
	}
}

void cost_acct_snapshot(const struct cost_acct *a, uint64_t ts_ns, uint64_t span_ns,
			uint64_t cpu_ns, struct trace_cost *out)
{
	*out = a->c;
	if (a->quiet_acq != NONE)
		out->row[a->quiet_acq].hits += a->quiet[0];
	if (a->quiet_rel != NONE)
		out->row[a->quiet_rel].hits += a->quiet[1];
	out->ts_ns = ts_ns;
	out->span_ns = span_ns;
	out->program_cpu_ns = cpu_ns;
	if (!a->priced)
		for (uint32_t i = 0; i < out->nrows; i++)
			out->row[i].ns_per_hit = 0;
	trace_cost_total(out);
}
