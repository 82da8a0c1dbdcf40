/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * perfetto.c - Perfetto protobuf writer (contract in perfetto.h, layout in
 * export.h, field numbers in docs/perfetto.md).
 *
 * Tracks: a process track per process and a thread track per thread (their
 * descriptors name pid/tid, Perfetto adds the names from the scheduler
 * events and the process tree), and under each thread one child track per
 * lock ("lock 0x..", holds and waits, which for one lock never overlap),
 * one "I/O" and one "native" track. Each child track has its own packet
 * sequence with an incremental clock, so its slices cost a few bytes; the
 * slice's name is interned per sequence ("hold", "wait", and with the Python
 * function "hold Worker.run (app.py:42)", interned by the packet that first
 * uses it: slice_name()). Scheduling: perfetto_event.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "model/describe.h"
#include "model/perfetto_impl.h"
#include "util/fmt.h"
#include "util/grow.h"

/* names interned on each kind of track's sequence, iid = index + 1 */
static const char *const kind_names[][2] = {
	[TK_LOCK] = { "hold", "wait" },
	[TK_IO] = { "I/O", NULL },
	[TK_NATIVE] = { "native", NULL },
};

/* ---- output --------------------------------------------------------------- */

void pfi_write_packet(struct pf *p, const struct pb *pkt)
{
	uint8_t hdr[1 + 10];
	size_t n = 1;

	if (pkt->oom) {
		p->oom = true;
		return;
	}
	hdr[0] = TRACE_PACKET << 3 | PB_LEN;
	for (uint64_t v = pkt->len; ; v >>= 7) {
		hdr[n++] = (uint8_t)(v | (v >= 0x80 ? 0x80 : 0));
		if (v < 0x80)
			break;
	}
	fwrite_unlocked(hdr, 1, n, p->f);
	fwrite_unlocked(pkt->p, 1, pkt->len, p->f);
}

static void emit_sched(void *ctx, const struct pb *pkt)
{
	pfi_write_packet(ctx, pkt);
}

struct pb *pfi_packet(struct pf *p, uint32_t seq)
{
	pb_reset(&p->pkt);
	if (seq)
		pb_varint(&p->pkt, TP_SEQ_ID, seq);
	return &p->pkt;
}

static void snap_clock(struct pb *b, uint32_t id, uint64_t ts, bool incremental)
{
	size_t m = pb_begin(b, CS_CLOCKS);

	pb_varint(b, CK_ID, id);
	pb_varint(b, CK_TS, ts);
	if (incremental)
		pb_varint(b, CK_INCREMENTAL, 1);
	pb_end(b, m);
}

/* Starts sequence seq: its defaults, interned names and, for a sequence
 * with its own clock, a snapshot tying it to CLOCK_MONOTONIC at base. */
static void start_sequence(struct pf *p, uint32_t seq, uint64_t track, uint64_t counter,
			   const char *const *names, size_t nnames)
{
	struct pb *b = pfi_packet(p, seq);
	size_t m, d;

	pb_varint(b, TP_SEQ_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	m = pb_begin(b, TP_DEFAULTS);
	pb_varint(b, TP_CLOCK_ID, track ? CLOCK_SEQ : CLOCK_MONOTONIC_ID);
	if (track) {
		d = pb_begin(b, DEF_TRACK_EVENT);
		pb_varint(b, TED_TRACK_UUID, track);
		if (counter)
			pb_varint(b, TED_EXTRA_COUNTERS, counter);
		pb_end(b, d);
	}
	pb_end(b, m);
	m = pb_begin(b, TP_INTERNED);
	for (size_t i = 0; i < nnames && names[i]; i++) {
		d = pb_begin(b, IN_EVENT_NAMES);
		pb_varint(b, NAME_IID, i + 1);
		pb_str(b, NAME_NAME, names[i]);
		pb_end(b, d);
	}
	pb_end(b, m);
	m = pb_begin(b, TP_CLOCK_SNAPSHOT);
	if (track) {
		snap_clock(b, CLOCK_SEQ, p->base, true);
		snap_clock(b, CLOCK_MONOTONIC_ID, p->base, false);
	} else {
		/* ftrace's clock is BOOTTIME to Perfetto: the .gst's is CLOCK_MONOTONIC
		 * and holds no suspend offset, so the two are said to be equal */
		snap_clock(b, CLOCK_BOOTTIME_ID, p->base, false);
		snap_clock(b, CLOCK_MONOTONIC_ID, p->base, false);
		if (p->meta.realtime_offset_ns)
			snap_clock(b, CLOCK_REALTIME_ID,
			      p->base + (uint64_t)p->meta.realtime_offset_ns, false);
		pb_varint(b, CS_PRIMARY, CLOCK_MONOTONIC_ID);
	}
	pb_end(b, m);
	pfi_write_packet(p, b);
}

/* ---- tracks ----------------------------------------------------------------- */

static uint64_t new_track(struct pf *p, uint64_t parent, const char *name, uint32_t pid,
			  uint32_t tid, bool counter)
{
	struct pb *b = pfi_packet(p, 1);
	uint64_t uuid = p->next_uuid++;
	size_t m = pb_begin(b, TP_TRACK_DESC), d;

	pb_varint(b, TD_UUID, uuid);
	if (parent)
		pb_varint(b, TD_PARENT, parent);
	if (name)
		pb_str(b, TD_NAME, name);
	if (tid) {
		d = pb_begin(b, TD_THREAD);
		pb_varint(b, THD_PID, pid);
		pb_varint(b, THD_TID, tid);
		pb_end(b, d);
	} else if (pid) {
		d = pb_begin(b, TD_PROCESS);
		pb_varint(b, PD_PID, pid);
		pb_end(b, d);
	}
	if (counter)
		pb_bytes(b, TD_COUNTER, NULL, 0);	/* an empty CounterDescriptor */
	pb_end(b, m);
	pfi_write_packet(p, b);
	return uuid;
}

/* The uuid stored under key in map; a new track (new_track()) if none. */
static uint64_t track_of(struct pf *p, struct hmap *map, struct hkey key, uint64_t parent,
			 const char *name, uint32_t pid, uint32_t tid, bool counter)
{
	uint64_t uuid;

	if (hmap_get(map, key, &uuid))
		return uuid;
	uuid = new_track(p, parent, name, pid, tid, counter);
	if (hmap_put(map, key, uuid))
		p->oom = true;
	return uuid;
}

static uint64_t process_track(struct pf *p, uint32_t pid)
{
	return track_of(p, &p->procs, hkey_u64(pid), 0, NULL, pid, 0, false);
}

static uint64_t thread_track(struct pf *p, uint32_t pid, uint32_t tid)
{
	struct hkey k = hkey_u64((uint64_t)pid << 32 | tid);
	uint64_t uuid;

	if (hmap_get(&p->threads, k, &uuid))
		return uuid;
	process_track(p, pid);
	return track_of(p, &p->threads, k, 0, NULL, pid, tid, false);
}

static uint64_t counter_track(struct pf *p, uint32_t pid, uint64_t lock)
{
	struct hkey k = { lock, pid };
	uint64_t uuid;
	char name[64];

	if (hmap_get(&p->counters, k, &uuid))
		return uuid;
	snprintf(name, sizeof(name), "threads waiting for lock %#" PRIx64, lock);
	return track_of(p, &p->counters, k, process_track(p, pid), name, 0, 0, true);
}

struct trk *pfi_track(struct pf *p, uint32_t pid, uint32_t tid, uint8_t kind, uint64_t lock)
{
	struct hkey k = { kind == TK_LOCK ? lock : 0,
			  (uint64_t)kind << 56 | (uint64_t)pid << 32 | tid };
	uint64_t i;
	char name[48];

	if (hmap_get(&p->trk_index, k, &i))
		return &p->trk[i];
	if (grow_array(&p->trk, &p->cap_trk, p->ntrk + 1, sizeof(*p->trk)))
		return NULL;
	if (hmap_put(&p->trk_index, k, p->ntrk))
		return NULL;
	struct trk *t = &p->trk[p->ntrk++];
	uint64_t parent = thread_track(p, pid, tid);

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->next_iid = 3;	/* after "hold" and "wait" */
	if (kind == TK_LOCK) {
		snprintf(name, sizeof(name), "lock %#" PRIx64, lock);
		t->counter = counter_track(p, pid, lock);
	} else {
		snprintf(name, sizeof(name), "%s", kind == TK_IO ? "I/O" : "native (lock released)");
	}
	t->uuid = new_track(p, parent, name, 0, 0, false);
	return t;
}

/* ---- slices ------------------------------------------------------------------ */

struct te {			/* one TrackEvent's optional parts */
	uint8_t type;
	uint64_t name_iid;
	bool has_counter;
	int64_t counter;
	uint64_t flow;		/* flow_ids, 0 = none */
	const uint64_t *term;	/* terminating_flow_ids */
	size_t nterm;
	const char *intern;	/* name_iid's name, first used here: interned by this packet */
	const char *name;	/* a name given in full (no iid) */
};

/* One TrackEvent on t's sequence at ts. A time before the sequence's clock
 * (the model never gives one) is written with an absolute timestamp. */
static void track_event(struct pf *p, struct trk *t, uint64_t ts, const struct te *e)
{
	if (!t->seq) {
		t->seq = p->next_seq++;
		start_sequence(p, t->seq, t->uuid, t->counter, kind_names[t->kind], 2);
		t->last_ts = p->base;
	}
	struct pb *b = pfi_packet(p, t->seq);

	if (ts >= t->last_ts) {
		pb_varint(b, TP_TIMESTAMP, ts - t->last_ts);
		t->last_ts = ts;
	} else {
		pb_varint(b, TP_TIMESTAMP, ts);
		pb_varint(b, TP_CLOCK_ID, CLOCK_MONOTONIC_ID);
	}
	if (e->intern) {
		size_t in = pb_begin(b, TP_INTERNED), d = pb_begin(b, IN_EVENT_NAMES);

		pb_varint(b, NAME_IID, e->name_iid);
		pb_str(b, NAME_NAME, e->intern);
		pb_end(b, d);
		pb_end(b, in);
	}
	size_t m = pb_begin(b, TP_TRACK_EVENT);

	pb_varint(b, TE_TYPE, e->type);
	if (e->name)
		pb_str(b, TE_NAME, e->name);
	else if (e->name_iid)
		pb_varint(b, TE_NAME_IID, e->name_iid);
	if (e->has_counter)
		pb_varint(b, TE_EXTRA_COUNTER_VALUES, (uint64_t)e->counter);
	if (e->flow)
		pb_fixed64(b, TE_FLOW_IDS, e->flow);
	for (size_t i = 0; i < e->nterm; i++)
		pb_fixed64(b, TE_TERMINATING_FLOW_IDS, e->term[i]);
	pb_end(b, m);
	pfi_write_packet(p, b);
}

void pf_set_names(struct pf *p, const struct trace_names *names)
{
	p->names = names;
}

/* The name of a hold or wait slice on track t (b's name_iid, or a new iid
 * whose name b interns, or past PF_FUNC_NAMES the name itself in buf): "hold"
 * / "wait", or with the Python function (a hold's is the one running at its
 * release, a wait's the one that asked) "hold Worker.run (app.py:42)". */
static void slice_name(struct pf *p, struct trk *t, const struct model_span *s, struct te *b,
		       char *buf, size_t len)
{
	bool wait = s->kind == SPAN_WAIT;
	struct hkey k = { s->func, (uint64_t)(t - p->trk) << 1 | wait };
	const char *fn, *file, *slash;
	int32_t line;
	uint64_t iid;

	b->name_iid = wait ? 2 : 1;
	if (!(fn = describe_func_name(p->names, s->pid, s->func, &file, &line)))
		return;
	if (hmap_get(&p->fn_iid, k, &iid)) {
		b->name_iid = iid;
		return;
	}
	/* names come from the traced program: valid UTF-8 for the protobuf */
	char pfn[256], pfile[256];

	fmt_printable(pfn, sizeof(pfn), fn, sizeof(pfn));
	slash = file ? strrchr(file, '/') : NULL;
	if (file && line > 0)
		snprintf(buf, len, "%s %s (%s:%d)", wait ? "wait" : "hold", pfn,
			 fmt_printable(pfile, sizeof(pfile), slash ? slash + 1 : file, sizeof(pfile)),
			 (int)line);
	else
		snprintf(buf, len, "%s %s", wait ? "wait" : "hold", pfn);
	if (t->next_iid - 3 >= PF_FUNC_NAMES || hmap_put(&p->fn_iid, k, t->next_iid)) {
		b->name = buf;
		return;
	}
	b->name_iid = t->next_iid++;
	b->intern = buf;
}

/* Drop requests of s's lock that asked s's thread to let go: their flows
 * end at this release. Moves them out of the pending list into out. */
static size_t take_drops(struct pf *p, const struct model_span *s, uint64_t *out)
{
	uint64_t i;
	size_t n = 0;

	if (!hmap_get(&p->drop_index, (struct hkey){ s->lock, s->pid }, &i))
		return 0;
	struct drops *d = &p->drops[i];
	uint32_t keep = 0;

	for (uint32_t k = 0; k < d->n; k++) {
		if (d->holder[k] == s->tid) {
			out[n++] = d->flow[k];
			continue;
		}
		d->flow[keep] = d->flow[k];
		d->holder[keep++] = d->holder[k];
	}
	d->n = keep;
	return n;
}

void pf_span(struct pf *p, const struct model_span *s, const struct handoff_span *hs)
{
	static const struct handoff_span none;
	struct te b = { .type = TYPE_SLICE_BEGIN, .name_iid = 1 };
	struct te e = { .type = TYPE_SLICE_END };
	uint64_t begin_term, drops[PF_MAX_DROPS];
	char name[560];
	uint8_t kind;

	if (!hs)
		hs = &none;
	switch (s->kind) {
	case SPAN_CPU:
		if (p->ntouched < sizeof(p->touched) / sizeof(p->touched[0]))
			p->touched[p->ntouched++] = s->cpu;
		else
			p->touched_many = true;
		return;
	case SPAN_HOLD:
	case SPAN_WAIT:
		kind = TK_LOCK;
		break;
	case SPAN_IO:
		kind = TK_IO;
		break;
	case SPAN_NATIVE:
		kind = TK_NATIVE;
		break;
	default:
		return;
	}
	struct trk *t = pfi_track(p, s->pid, s->tid, kind, s->lock);

	if (!t) {
		p->oom = true;
		return;
	}
	if (s->kind == SPAN_HOLD || s->kind == SPAN_WAIT)
		slice_name(p, t, s, &b, name, sizeof(name));
	if (s->kind == SPAN_HOLD) {
		if (hs->dst_flow) {
			begin_term = HANDOFF_FLOW(hs->dst_flow);
			b.term = &begin_term;
			b.nterm = 1;
			p->st.handoffs++;
		}
		if (hs->src_flow)
			e.flow = HANDOFF_FLOW(hs->src_flow);
		if (!(s->flags & SPAN_F_OPEN)) {
			e.nterm = take_drops(p, s, drops);
			e.term = drops;
			p->st.drop_flows += e.nterm;
		}
	} else if (s->kind == SPAN_WAIT) {
		b.has_counter = e.has_counter = true;
		b.counter = hs->waiters_begin;
		e.counter = hs->waiters_end;
	}
	track_event(p, t, s->start_ns, &b);
	track_event(p, t, s->end_ns, &e);
}

void pfi_instant(struct pf *p, uint64_t uuid, uint64_t ts, const char *name, uint64_t iid,
		 uint64_t flow)
{
	struct pb *b = pfi_packet(p, 1);

	pb_varint(b, TP_TIMESTAMP, ts);
	size_t m = pb_begin(b, TP_TRACK_EVENT);

	pb_varint(b, TE_TYPE, TYPE_INSTANT);
	pb_varint(b, TE_TRACK_UUID, uuid);
	if (iid)
		pb_varint(b, TE_NAME_IID, iid);
	else
		pb_str(b, TE_NAME, name);
	if (flow)
		pb_fixed64(b, TE_FLOW_IDS, flow);
	pb_end(b, m);
	pfi_write_packet(p, b);
}

void pf_mark(struct pf *p, uint64_t ts, const char *text)
{
	pfi_instant(p, p->gaps_uuid, ts, text, 0, 0);
}

/* ---- life cycle ----------------------------------------------------------- */

int pf_new(struct pf **out, FILE *f, const struct trace_meta *meta, uint64_t base_ns)
{
	static const char *const seq1_names[] = { "drop request" };
	struct pf *p = calloc(1, sizeof(*p));

	*out = p;
	if (!p || pfs_new(&p->sched, emit_sched, p))
		return -ENOMEM;
	p->f = f;
	if (meta)
		p->meta = *meta;
	p->base = base_ns;
	p->next_uuid = 1;
	p->next_seq = 2;
	start_sequence(p, 1, 0, 0, seq1_names, 1);

	/* the kernel release tells Perfetto how to read task states */
	struct pb *b = pfi_packet(p, 0);
	size_t si = pb_begin(b, TP_SYSTEM_INFO), u = pb_begin(b, SI_UTSNAME);
	const char *k = p->meta.kernel, *sp = strchr(k, ' ');

	pb_str(b, UTS_SYSNAME, "Linux");
	pb_bytes(b, UTS_RELEASE, k, sp ? (size_t)(sp - k) : strlen(k));
	if (sp)
		pb_str(b, UTS_VERSION, sp + 1);
	pb_end(b, u);
	if (p->meta.ncpus)
		pb_varint(b, SI_NUM_CPUS, p->meta.ncpus);
	pb_end(b, si);
	pfi_write_packet(p, b);
	p->gaps_uuid = new_track(p, 0, "gaps in the recording", 0, 0, false);
	if (pfi_grow_cur(p, p->meta.ncpus ? p->meta.ncpus : 1))
		return -ENOMEM;
	return p->oom ? -ENOMEM : 0;
}

void pf_process(struct pf *p, uint32_t pid, const char *name)
{
	/* a process born in the trace is named by its task_newtask */
	if (pfi_has(&p->born, pid))
		return;
	size_t m = pb_begin(&p->tree, PT_PROCESSES);

	pb_varint(&p->tree, PR_PID, pid);
	pb_str(&p->tree, PR_CMDLINE, pid == p->meta.root_pid && p->meta.command[0] ?
		       p->meta.command : name);
	pb_end(&p->tree, m);
}

void pf_thread(struct pf *p, uint32_t pid, uint32_t tid, const char *name)
{
	if (pfi_has(&p->born, tid))
		return;
	size_t m = pb_begin(&p->tree, PT_THREADS);

	pb_varint(&p->tree, TH_TID, tid);
	pb_str(&p->tree, TH_NAME, name);
	pb_varint(&p->tree, TH_TGID, pid);
	pb_end(&p->tree, m);
}

int pf_finish(struct pf *p, const struct model *m, uint64_t end_ns, struct export_stats *st)
{
	/* the model closed every CPU span at end_ns: so does the export */
	for (size_t c = 0; c < p->ncur; c++) {
		if (!p->cur[c])
			continue;
		char comm[17];
		uint32_t have = p->cur[c];

		pfi_idle_comm(comm, (uint32_t)c);
		if (pfs_switch(p->sched, (uint32_t)c, end_ns, 0, 0, comm))
			p->oom = true;
		p->st.switches++;
		p->cur[c] = 0;
		if (m && hmap_del(&p->exiting, hkey_u64(have)))
			pfi_process_free(p, m, (uint32_t)c, end_ns, have);
	}
	if (pfs_flush(p->sched))
		p->oom = true;
	/* before any event in time: the tasks there from the start */
	if (p->tree.len) {
		struct pb *b = pfi_packet(p, 1);

		pb_varint(b, TP_TIMESTAMP, p->base);
		pb_bytes(b, TP_PROCESS_TREE, p->tree.p, p->tree.len);
		pfi_write_packet(p, b);
	}
	if (p->tree.oom)
		p->oom = true;
	if (st) {
		st->handoffs += p->st.handoffs;
		st->drop_flows += p->st.drop_flows;
		st->switches += p->st.switches;
	}
	return p->oom ? -ENOMEM : 0;
}

void pf_free(struct pf *p)
{
	if (!p)
		return;
	pfs_free(p->sched);
	pb_free(&p->pkt);
	pb_free(&p->msg);
	pb_free(&p->tree);
	hmap_free(&p->procs);
	hmap_free(&p->threads);
	hmap_free(&p->counters);
	hmap_free(&p->trk_index);
	hmap_free(&p->fn_iid);
	hmap_free(&p->drop_index);
	hmap_free(&p->on_cpu);
	hmap_free(&p->born);
	hmap_free(&p->exiting);
	free(p->trk);
	free(p->drops);
	free(p->cur);
	free(p);
}
