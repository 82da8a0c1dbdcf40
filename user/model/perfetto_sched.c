/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * perfetto_sched.c - per-CPU compact scheduler bundles (see
 * perfetto_sched.h). A bundle, made on its CPU's first event (a hostile
 * trace may name CPU 65535 and no other), is kept as its columns, each a
 * packed varint array being built, and written as:
 *
 *   TracePacket.ftrace_events (1) = FtraceEventBundle {
 *     cpu (1), event (2) repeated FtraceEvent,
 *     compact_sched (4) = CompactSched {
 *       intern_table (5) repeated string,
 *       switch_timestamp (1), switch_prev_state (2), switch_next_pid (3),
 *       switch_next_prio (4), switch_next_comm_index (6),
 *       waking_timestamp (7), waking_pid (8), waking_target_cpu (9),
 *       waking_prio (10), waking_comm_index (11)   (all packed) } }
 *
 * Timestamps in each column are deltas from the previous one of the same
 * column in the bundle (the first is absolute), so a busy CPU costs a few
 * bytes per switch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/perfetto_sched.h"
#include "util/hash.h"

enum {
	SW_TS, SW_STATE, SW_PID, SW_PRIO, SW_COMM,
	WK_TS, WK_PID, WK_CPU, WK_PRIO, WK_COMM,
	NCOL
};

/* The two CompactSched tables, each five columns in the order above: the
 * time, two values, the priority, the comm. */
enum { TBL_SWITCH, TBL_WAKING };
static const int tbl_col0[2] = { SW_TS, WK_TS };
_Static_assert(SW_PRIO - SW_TS == 3 && SW_COMM - SW_TS == 4 && WK_PRIO - WK_TS == 3 &&
	       WK_COMM - WK_TS == 4, "add_row writes both tables alike");

/* CompactSched field of each column */
static const uint32_t col_field[NCOL] = { 1, 2, 3, 4, 6, 7, 8, 9, 10, 11 };

struct bundle {
	struct pb col[NCOL];	/* packed varints */
	struct pb events;	/* FtraceEvents, each already as field 2 */
	struct pb intern;	/* intern_table strings, each as field 5 */
	struct hmap comm;	/* comm (16 bytes as two words) -> index */
	uint32_t ncomm;
	uint64_t last[2];	/* previous timestamp in each table */
	uint32_t nrow[2], nev;
};

struct pf_sched {
	pfs_emit_fn emit;
	void *ctx;
	struct bundle **b;	/* per CPU, made on its first event */
	uint32_t ncpus;
	struct pb pkt;		/* the packet being written */
};

int pfs_new(struct pf_sched **out, pfs_emit_fn emit, void *ctx)
{
	struct pf_sched *s = calloc(1, sizeof(*s));

	*out = s;
	if (!s)
		return -ENOMEM;
	s->emit = emit;
	s->ctx = ctx;
	return 0;
}

static void bundle_free(struct bundle *b)
{
	for (int i = 0; i < NCOL; i++)
		pb_free(&b->col[i]);
	pb_free(&b->events);
	pb_free(&b->intern);
	hmap_free(&b->comm);
}

void pfs_free(struct pf_sched *s)
{
	if (!s)
		return;
	for (uint32_t c = 0; c < s->ncpus; c++) {
		if (s->b[c])
			bundle_free(s->b[c]);
		free(s->b[c]);
	}
	free(s->b);
	pb_free(&s->pkt);
	free(s);
}

static struct bundle *bundle(struct pf_sched *s, uint32_t cpu)
{
	if (cpu >= s->ncpus) {
		uint32_t n = cpu + 1;
		struct bundle **b = realloc(s->b, n * sizeof(*b));

		if (!b)
			return NULL;
		memset(b + s->ncpus, 0, (n - s->ncpus) * sizeof(*b));
		s->b = b;
		s->ncpus = n;
	}
	if (!s->b[cpu])
		s->b[cpu] = calloc(1, sizeof(**s->b));
	return s->b[cpu];
}

static size_t bundle_bytes(const struct bundle *b)
{
	size_t n = b->events.len + b->intern.len;

	for (int i = 0; i < NCOL; i++)
		n += b->col[i].len;
	return n;
}

static bool bundle_oom(const struct bundle *b)
{
	bool oom = b->events.oom || b->intern.oom;

	for (int i = 0; i < NCOL; i++)
		oom |= b->col[i].oom;
	return oom;
}

static int flush_one(struct pf_sched *s, uint32_t cpu)
{
	struct bundle *b = s->b[cpu];
	struct pb *p = &s->pkt;

	if (!b || (!b->nrow[TBL_SWITCH] && !b->nrow[TBL_WAKING] && !b->nev))
		return 0;
	if (bundle_oom(b))
		return -ENOMEM;
	pb_reset(p);
	size_t bundle_mark = pb_begin(p, 1);	/* TracePacket.ftrace_events */

	pb_varint(p, 1, cpu);
	pb_raw(p, b->events.p, b->events.len);
	if (b->nrow[TBL_SWITCH] || b->nrow[TBL_WAKING]) {
		size_t cs = pb_begin(p, 4);	/* compact_sched */

		pb_raw(p, b->intern.p, b->intern.len);
		for (int i = 0; i < NCOL; i++)
			if (b->col[i].len)
				pb_bytes(p, col_field[i], b->col[i].p, b->col[i].len);
		pb_end(p, cs);
	}
	pb_end(p, bundle_mark);
	if (p->oom)
		return -ENOMEM;
	s->emit(s->ctx, p);
	for (int i = 0; i < NCOL; i++)
		pb_reset(&b->col[i]);
	pb_reset(&b->events);
	pb_reset(&b->intern);
	hmap_clear(&b->comm);
	b->ncomm = 0;
	memset(b->last, 0, sizeof(b->last));
	memset(b->nrow, 0, sizeof(b->nrow));
	b->nev = 0;
	return 0;
}

int pfs_flush(struct pf_sched *s)
{
	int err = 0;

	for (uint32_t c = 0; c < s->ncpus; c++) {
		int e = flush_one(s, c);

		if (e && !err)
			err = e;
	}
	return err;
}

/* After an append: write the bundle out once it is full. */
static int maybe_flush(struct pf_sched *s, uint32_t cpu)
{
	struct bundle *b = s->b[cpu];

	if (b->nrow[TBL_SWITCH] + b->nrow[TBL_WAKING] + b->nev >= PFS_BUNDLE_EVENTS ||
	    bundle_bytes(b) >= PFS_BUNDLE_BYTES)
		return flush_one(s, cpu);
	return 0;
}

/* The index of comm in the bundle's intern table, added if new. */
static uint32_t intern(struct bundle *b, const char *comm)
{
	char n[16] = { 0 };
	struct hkey k;
	uint64_t i;

	strncpy(n, comm ? comm : "", sizeof(n));
	memcpy(&k.a, n, 8);
	memcpy(&k.b, n + 8, 8);
	if (hmap_get(&b->comm, k, &i))
		return (uint32_t)i;
	if (hmap_put(&b->comm, k, b->ncomm)) {
		b->intern.oom = true;
		return 0;
	}
	pb_bytes(&b->intern, 5, n, strnlen(n, sizeof(n)));
	return b->ncomm++;
}

/* A row of table t on cpu: the time as a delta from the table's previous
 * row, v1 and v2, the priority, comm's index in the intern table. */
static int add_row(struct pf_sched *s, uint32_t cpu, int t, uint64_t ts, uint64_t v1,
		   uint64_t v2, const char *comm)
{
	struct bundle *b = bundle(s, cpu);

	if (!b)
		return -ENOMEM;
	uint32_t ci = intern(b, comm);
	struct pb *col = &b->col[tbl_col0[t]];

	pb_uvarint(&col[0], b->nrow[t] ? ts - b->last[t] : ts);
	pb_uvarint(&col[1], v1);
	pb_uvarint(&col[2], v2);
	pb_uvarint(&col[3], PFS_PRIO);
	pb_uvarint(&col[4], ci);
	b->last[t] = ts;
	b->nrow[t]++;
	return maybe_flush(s, cpu);
}

int pfs_switch(struct pf_sched *s, uint32_t cpu, uint64_t ts, uint64_t prev_state,
	       uint32_t next_tid, const char *next_comm)
{
	return add_row(s, cpu, TBL_SWITCH, ts, prev_state, next_tid, next_comm);
}

int pfs_waking(struct pf_sched *s, uint32_t cpu, uint64_t ts, uint32_t tid, uint32_t target_cpu,
	       const char *comm)
{
	return add_row(s, cpu, TBL_WAKING, ts, tid, target_cpu, comm);
}

int pfs_event(struct pf_sched *s, uint32_t cpu, uint64_t ts, uint32_t common_pid, uint32_t field,
	      const struct pb *body)
{
	struct bundle *b = bundle(s, cpu);

	if (!b)
		return -ENOMEM;
	size_t ev = pb_begin(&b->events, 2);	/* FtraceEventBundle.event */

	pb_varint(&b->events, 1, ts);		/* FtraceEvent.timestamp */
	pb_varint(&b->events, 2, common_pid);	/* FtraceEvent.pid */
	pb_bytes(&b->events, field, body->p, body->len);
	pb_end(&b->events, ev);
	b->nev++;
	return maybe_flush(s, cpu);
}

uint64_t pfs_report_state(uint64_t raw)
{
	if (!raw)
		return 0;
	if ((raw & 0x402) == 0x402 && !(raw & 1))
		return 0x80;		/* TASK_IDLE: UNINTERRUPTIBLE | NOLOAD */
	if (raw & 0x1000)
		return 2;		/* TASK_RTLOCK_WAIT shows as D */
	uint64_t s = raw & 0x7f;	/* TASK_REPORT */

	if (s)
		return 1ull << (63 - __builtin_clzll(s));
	return raw & 0x80 ? 0x10 : 0;	/* TASK_DEAD: X */
}
