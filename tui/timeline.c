/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * timeline.c - windows of the timeline model for the TUI (see timeline.h).
 *
 * The model is fed once, forward, from a starting point (a file block's
 * keyframe, or the oldest live event held) up to fed_ts; closed spans are
 * kept from keep_from on. A window [t0, t1) is served from that state when
 * t0 >= keep_from and t1 >= fed_ts (feeding only [fed_ts, t1)); otherwise the
 * feed starts again. What is still open at t1 (who runs on each CPU, who
 * holds the lock, who waits) is not a span yet: it is added to the window
 * from the model's current state and the times tracked here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/describe.h"
#include "util/fmt.h"
#include "tui/timeline.h"
#include "util/hash.h"
#include "trace/trace_reader.h"

#define DEFAULT_LIVE_CAP (1u << 19)
#define BACK_SEARCH_BLOCKS 64

struct timeline {
	struct trace_reader *r;		/* file source, or NULL when live */
	struct trace_meta meta;
	uint32_t ncpus;
	struct model *m;

	/* live source: a ring of cap events, absolute indices [base, count) */
	struct gs_event *ring;
	size_t cap;
	uint64_t base, count;
	uint64_t floor_ts;		/* appended events are clamped to this */
	uint64_t lost;			/* LOST counts appended (live) */
	bool ended;
	uint64_t first_ns, last_ns;

	/* feeding state */
	bool fed_valid;			/* false: next window starts over */
	uint64_t fed_ts;		/* every event with ts < fed_ts was fed */
	uint64_t keep_from;		/* spans are complete from here */
	const struct gs_event *batch;	/* file: current batch */
	size_t batch_n, batch_i;
	bool eof;
	uint64_t live_i;		/* live: next event to feed */

	struct model_span *spans;	/* closed spans (CPU, HOLD, WAIT) */
	size_t nspans, capspans;
	struct tl_note *notes;		/* notable events, in order */
	size_t nnotes, capnotes;
	uint64_t *cpu_end;		/* per CPU: end of the last closed span */
	uint64_t *cpu_since;		/* per CPU: last switch in */
	struct tl_hold {		/* locks held now: who, since when */
		uint32_t pid, tid;
		uint64_t addr, since;
	} holds[TL_LOCKS_MAX * 4];
	size_t nholds;
	struct tl_wait {		/* threads waiting now: for which lock */
		uint32_t tid;
		uint64_t addr;
	} *waits;
	size_t nwaits, capwaits;
	struct tl_lock reglocks[64];	/* (pid, lock) -> stable index */
	size_t nreglocks;
	struct tl_lock out_locks[TL_LOCKS_MAX];

	struct hmap reg;		/* {tid} -> stable index */

	/* the window handed out, and its cache key */
	struct tl_window win;
	bool win_valid;
	uint64_t win_count;
	bool win_ended;
	struct model_span *out_spans;
	size_t capout;
	struct tl_thread *out_threads;
	size_t capthreads;
	struct tl_note out_log[TL_LOG_MAX];
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 256;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static bool is_lock_event(uint8_t type)
{
	return (type >= GS_EV_LOCK_REQUEST && type <= GS_EV_DROP_REQUEST) ||
	       type == GS_EV_LOCK_FAILED;
}

static bool is_notable(uint8_t type)
{
	switch (type) {
	case GS_EV_SCHED_SWITCH:
	case GS_EV_SCHED_WAKEUP:
	case GS_EV_SCHED_MIGRATE:
	case GS_EV_NONE:
		return false;
	default:
		return type < GS_EV__COUNT;
	}
}

/* The model tells when a hold ends (a release, an exit, a reused tid);
 * when one begins is in the LOCK_ACQUIRED event. */
static void hold_begin(struct timeline *tl, const struct gs_event *ev)
{
	struct tl_hold *h = NULL;

	for (size_t i = 0; i < tl->nholds; i++)
		if (tl->holds[i].pid == ev->pid && tl->holds[i].addr == ev->arg0)
			h = &tl->holds[i];
	if (!h && tl->nholds < sizeof(tl->holds) / sizeof(tl->holds[0]))
		h = &tl->holds[tl->nholds++];
	if (h)
		*h = (struct tl_hold){ .pid = ev->pid, .tid = ev->tid, .addr = ev->arg0,
				       .since = ev->ts_ns };
}

static void hold_end(struct timeline *tl, const struct model_span *s)
{
	for (size_t i = 0; i < tl->nholds; i++)
		if (tl->holds[i].tid == s->tid && tl->holds[i].addr == s->lock) {
			tl->holds[i] = tl->holds[--tl->nholds];
			return;
		}
}

static void wait_end(struct timeline *tl, uint32_t tid)
{
	for (size_t i = 0; i < tl->nwaits; i++)
		if (tl->waits[i].tid == tid) {
			tl->waits[i] = tl->waits[--tl->nwaits];
			return;
		}
}

static void wait_begin(struct timeline *tl, const struct gs_event *ev)
{
	wait_end(tl, ev->tid);
	if (grow((void **)&tl->waits, &tl->capwaits, tl->nwaits + 1, sizeof(*tl->waits)))
		return;		/* only the lane of an open wait is lost */
	tl->waits[tl->nwaits++] = (struct tl_wait){ .tid = ev->tid, .addr = ev->arg0 };
}

static uint64_t waits_for(const struct timeline *tl, uint32_t tid)
{
	for (size_t i = 0; i < tl->nwaits; i++)
		if (tl->waits[i].tid == tid)
			return tl->waits[i].addr;
	return 0;
}

static bool holds_any(const struct timeline *tl, uint32_t tid)
{
	for (size_t i = 0; i < tl->nholds; i++)
		if (tl->holds[i].tid == tid)
			return true;
	return false;
}

static void on_span(const struct model_span *s, void *ctx)
{
	struct timeline *tl = ctx;

	if (s->kind != SPAN_CPU && s->kind != SPAN_HOLD && s->kind != SPAN_WAIT)
		return;
	if (s->kind == SPAN_CPU && s->cpu < tl->ncpus && s->end_ns > tl->cpu_end[s->cpu])
		tl->cpu_end[s->cpu] = s->end_ns;
	if (s->kind == SPAN_HOLD)
		hold_end(tl, s);
	else if (s->kind == SPAN_WAIT)
		wait_end(tl, s->tid);
	if (s->end_ns <= tl->keep_from)
		return;
	/* out of memory loses a span from the picture, not the session */
	if (grow((void **)&tl->spans, &tl->capspans, tl->nspans + 1, sizeof(*s)))
		return;
	tl->spans[tl->nspans++] = *s;
}

static int tl_init(struct timeline **out, const struct trace_meta *meta)
{
	struct timeline *tl = calloc(1, sizeof(*tl));
	struct model_opts mo = { 0 };

	if (!tl)
		return -ENOMEM;
	tl->meta = *meta;
	tl->ncpus = meta->ncpus ? meta->ncpus : 1;
	tl->cpu_end = calloc(tl->ncpus, sizeof(uint64_t));
	tl->cpu_since = calloc(tl->ncpus, sizeof(uint64_t));
	mo.ncpus = tl->ncpus;
	mo.on_span = on_span;
	mo.ctx = tl;
	tl->m = model_new(&mo);
	if (!tl->cpu_end || !tl->cpu_since || !tl->m) {
		timeline_free(tl);
		return -ENOMEM;
	}
	*out = tl;
	return 0;
}

int timeline_open_reader(struct timeline **out, struct trace_reader *r,
			 const struct timeline_opts *opts)
{
	struct trace_info info;
	int err;

	(void)opts;
	err = tl_init(out, trace_reader_meta(r));
	if (err)
		return err;
	(*out)->r = r;
	trace_reader_info(r, &info);
	(*out)->first_ns = info.first_ns;
	(*out)->last_ns = info.last_ns;
	(*out)->lost = info.lost;
	(*out)->ended = true;
	return 0;
}

int timeline_new_live(struct timeline **out, const struct trace_meta *meta,
		      const struct timeline_opts *opts)
{
	struct timeline *tl;
	int err = tl_init(&tl, meta);

	if (err)
		return err;
	tl->cap = opts && opts->live_cap ? opts->live_cap : DEFAULT_LIVE_CAP;
	tl->ring = malloc(tl->cap * sizeof(*tl->ring));
	if (!tl->ring) {
		timeline_free(tl);
		return -ENOMEM;
	}
	*out = tl;
	return 0;
}

void timeline_free(struct timeline *tl)
{
	if (!tl)
		return;
	if (tl->r)
		trace_reader_close(tl->r);
	model_free(tl->m);
	free(tl->ring);
	free(tl->spans);
	free(tl->notes);
	free(tl->cpu_end);
	free(tl->cpu_since);
	hmap_free(&tl->reg);
	free(tl->waits);
	free(tl->out_spans);
	free(tl->out_threads);
	free(tl);
}

int timeline_append(struct timeline *tl, const struct gs_event *ev, size_t n)
{
	if (tl->r)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct gs_event *e = &tl->ring[tl->count % tl->cap];

		*e = ev[i];
		if (e->ts_ns < tl->floor_ts)
			e->ts_ns = tl->floor_ts;
		tl->floor_ts = e->ts_ns;
		if (!tl->count)
			tl->first_ns = e->ts_ns;
		tl->last_ns = e->ts_ns;
		if (e->type == GS_EV_LOST)
			tl->lost += e->arg0;
		tl->count++;
		if (tl->count - tl->base > tl->cap) {
			tl->base++;
			tl->first_ns = tl->ring[tl->base % tl->cap].ts_ns;
		}
	}
	return 0;
}

void timeline_end(struct timeline *tl)
{
	tl->ended = true;
}

bool timeline_ended(const struct timeline *tl)
{
	return tl->ended;
}

const struct trace_meta *timeline_meta(const struct timeline *tl)
{
	return &tl->meta;
}

void timeline_extent(const struct timeline *tl, uint64_t *first, uint64_t *last)
{
	*first = tl->first_ns;
	*last = tl->last_ns;
}

static int restart(struct timeline *tl, uint64_t t0)
{
	model_reset(tl->m);
	tl->nspans = 0;
	tl->nnotes = 0;
	memset(tl->cpu_end, 0, tl->ncpus * sizeof(uint64_t));
	memset(tl->cpu_since, 0, tl->ncpus * sizeof(uint64_t));
	tl->nholds = 0;
	tl->nwaits = 0;
	tl->fed_ts = 0;
	tl->keep_from = t0;
	tl->batch = NULL;
	tl->batch_n = tl->batch_i = 0;
	tl->eof = false;
	tl->fed_valid = false;
	if (tl->r) {
		int err = trace_reader_seek(tl->r, t0);

		if (err)
			return err;
	} else {
		tl->live_i = tl->base;
	}
	tl->fed_valid = true;
	return 0;
}

/* The next event to feed without consuming it: 1, 0 at the end, or -errno. */
static int peek(struct timeline *tl, const struct gs_event **ev)
{
	if (!tl->r) {
		if (tl->live_i >= tl->count)
			return 0;
		*ev = &tl->ring[tl->live_i % tl->cap];
		return 1;
	}
	while (tl->batch_i >= tl->batch_n) {
		int err;

		if (tl->eof)
			return 0;
		err = trace_reader_next_batch(tl->r, &tl->batch, &tl->batch_n);
		if (err < 0)
			return err;
		if (err == 0) {
			tl->eof = true;
			return 0;
		}
		tl->batch_i = 0;
	}
	*ev = &tl->batch[tl->batch_i];
	return 1;
}

static void consume(struct timeline *tl)
{
	if (tl->r)
		tl->batch_i++;
	else
		tl->live_i++;
}

static int feed_until(struct timeline *tl, uint64_t t1)
{
	const struct gs_event *ev;
	int err;

	while ((err = peek(tl, &ev)) > 0) {
		bool key = ev->flags & GS_F_KEYFRAME;

		if (!key && ev->ts_ns >= t1)
			break;
		err = model_feed(tl->m, ev);
		if (err && err != -EINVAL)
			return err;
		if (ev->type == GS_EV_SCHED_SWITCH && ev->cpu < tl->ncpus)
			tl->cpu_since[ev->cpu] = ev->ts_ns;
		else if (ev->type == GS_EV_LOCK_ACQUIRED)
			hold_begin(tl, ev);
		else if (ev->type == GS_EV_LOCK_REQUEST)
			wait_begin(tl, ev);
		if (!key && is_notable(ev->type)) {
			struct tl_note *nt;

			if (grow((void **)&tl->notes, &tl->capnotes, tl->nnotes + 1,
				 sizeof(*tl->notes)))
				return -ENOMEM;
			nt = &tl->notes[tl->nnotes++];
			nt->ev = *ev;
			describe_event(tl->m, ev, nt->text, sizeof(nt->text));
		}
		consume(tl);
	}
	if (err < 0)
		return err;
	if (t1 > tl->fed_ts)
		tl->fed_ts = t1;
	return 0;
}

/* Drop what no window from t0 on can need: spans ended by t0, and notes
 * before t0 beyond the TL_LOG_MAX the event log may still show. */
static void compact(struct timeline *tl, uint64_t t0)
{
	size_t j = 0, first;

	for (size_t i = 0; i < tl->nspans; i++)
		if (tl->spans[i].end_ns > t0)
			tl->spans[j++] = tl->spans[i];
	tl->nspans = j;
	for (first = 0; first < tl->nnotes && tl->notes[first].ev.ts_ns < t0; first++)
		;
	first = first > TL_LOG_MAX ? first - TL_LOG_MAX : 0;
	if (first) {
		memmove(tl->notes, tl->notes + first,
			(tl->nnotes - first) * sizeof(*tl->notes));
		tl->nnotes -= first;
	}
	if (t0 > tl->keep_from)
		tl->keep_from = t0;
}

static uint32_t reg_index(struct timeline *tl, uint32_t tid)
{
	uint64_t i;

	if (hmap_get(&tl->reg, hkey_u64(tid), &i))
		return (uint32_t)i;
	i = tl->reg.n;
	return hmap_put(&tl->reg, hkey_u64(tid), i) ? UINT32_MAX : (uint32_t)i;
}

static int add_out(struct timeline *tl, size_t *n, const struct model_span *s,
		   uint64_t t0, uint64_t t1)
{
	struct model_span c = *s;

	if (c.end_ns <= t0 || c.start_ns >= t1)
		return 0;
	if (c.start_ns < t0)
		c.start_ns = t0;
	if (c.end_ns > t1)
		c.end_ns = t1;
	if (grow((void **)&tl->out_spans, &tl->capout, *n + 1, sizeof(c)))
		return -ENOMEM;
	tl->out_spans[(*n)++] = c;
	return 0;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct tl_thread *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* Spans still open at t1, from the model's state now. */
static int add_open(struct timeline *tl, size_t *n, uint64_t t0, uint64_t t1)
{
	size_t ncpu, nthr;
	const struct model_cpu *cpus = model_cpus(tl->m, &ncpu);
	const struct model_thread *thr = model_threads(tl->m, &nthr);
	struct model_span s;
	int err;

	for (size_t c = 0; c < ncpu && c < tl->ncpus; c++) {
		const struct model_thread *t;

		if (!cpus[c].tid)
			continue;
		t = model_thread(tl->m, cpus[c].tid);
		memset(&s, 0, sizeof(s));
		s.kind = SPAN_CPU;
		s.cpu = (uint16_t)c;
		s.pid = cpus[c].pid;
		s.tid = cpus[c].tid;
		s.start_ns = tl->cpu_end[c] > tl->cpu_since[c] ? tl->cpu_end[c] : tl->cpu_since[c];
		s.end_ns = t1;
		s.flags = SPAN_F_OPEN;
		if (!t || !t->traced)
			s.flags |= SPAN_F_OTHER;
		else if (holds_any(tl, s.tid))
			s.flags |= SPAN_F_LOCKED;
		if ((err = add_out(tl, n, &s, t0, t1)))
			return err;
	}
	for (size_t i = 0; i < tl->nholds; i++) {
		memset(&s, 0, sizeof(s));
		s.kind = SPAN_HOLD;
		s.pid = tl->holds[i].pid;
		s.tid = tl->holds[i].tid;
		s.lock = tl->holds[i].addr;
		s.cpu = 0xffff;
		s.start_ns = tl->holds[i].since;
		s.end_ns = t1;
		s.flags = SPAN_F_OPEN;
		if ((err = add_out(tl, n, &s, t0, t1)))
			return err;
	}
	for (size_t i = 0; i < nthr; i++) {
		if (thr[i].state != MS_WAITING)
			continue;
		memset(&s, 0, sizeof(s));
		s.kind = SPAN_WAIT;
		s.pid = thr[i].pid;
		s.tid = thr[i].tid;
		s.lock = waits_for(tl, thr[i].tid);
		s.cpu = 0xffff;
		s.start_ns = thr[i].state_since_ns;
		s.end_ns = t1;
		s.flags = SPAN_F_OPEN;
		if ((err = add_out(tl, n, &s, t0, t1)))
			return err;
	}
	return 0;
}

static struct tl_thread *find_thread(struct tl_thread *v, size_t n, uint32_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].tid == tid)
			return &v[i];
	return NULL;
}

static uint32_t lock_index(struct timeline *tl, uint32_t pid, uint64_t addr)
{
	for (size_t i = 0; i < tl->nreglocks; i++)
		if (tl->reglocks[i].pid == pid && tl->reglocks[i].addr == addr)
			return tl->reglocks[i].index;
	if (tl->nreglocks == sizeof(tl->reglocks) / sizeof(tl->reglocks[0]))
		return UINT32_MAX;	/* beyond 64 locks, they share a lane */
	tl->reglocks[tl->nreglocks] = (struct tl_lock){ pid, addr, (uint32_t)tl->nreglocks };
	return (uint32_t)tl->nreglocks++;
}

static int cmp_lock(const void *a, const void *b)
{
	const struct tl_lock *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* The locks of the window: the first TL_LOCKS_MAX by stable index. */
static void build_locks(struct timeline *tl, struct tl_window *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nspans; i++) {
		const struct model_span *s = &w->spans[i];
		struct tl_lock l;
		size_t k;

		if ((s->kind != SPAN_HOLD && s->kind != SPAN_WAIT) || !s->lock)
			continue;
		l = (struct tl_lock){ s->pid, s->lock, lock_index(tl, s->pid, s->lock) };
		for (k = 0; k < n; k++)
			if (tl->out_locks[k].pid == l.pid && tl->out_locks[k].addr == l.addr)
				break;
		if (k < n)
			continue;
		if (n < TL_LOCKS_MAX) {
			tl->out_locks[n++] = l;
			continue;
		}
		/* full: keep the lowest indices */
		for (k = 0; k < n; k++)
			if (tl->out_locks[k].index > l.index) {
				size_t worst = k;

				for (size_t j = 0; j < n; j++)
					if (tl->out_locks[j].index > tl->out_locks[worst].index)
						worst = j;
				tl->out_locks[worst] = l;
				break;
			}
	}
	qsort(tl->out_locks, n, sizeof(*tl->out_locks), cmp_lock);
	w->locks = tl->out_locks;
	w->nlocks = n;
}

size_t tl_lock_lane(const struct tl_window *w, const struct model_span *s)
{
	for (size_t i = 0; i < w->nlocks; i++)
		if (w->locks[i].pid == s->pid && w->locks[i].addr == s->lock)
			return i;
	return w->nlocks ? w->nlocks - 1 : 0;
}

static int build_window(struct timeline *tl, uint64_t t0, uint64_t t1)
{
	struct tl_window *w = &tl->win;
	size_t n = 0, nthr, nt = 0, first;
	const struct model_thread *thr = model_threads(tl->m, &nthr);
	int err;

	for (size_t i = 0; i < tl->nspans; i++)
		if ((err = add_out(tl, &n, &tl->spans[i], t0, t1)))
			return err;
	if ((err = add_open(tl, &n, t0, t1)))
		return err;

	if (grow((void **)&tl->out_threads, &tl->capthreads, nthr + 1,
		 sizeof(*tl->out_threads)))
		return -ENOMEM;
	for (size_t i = 0; i < nthr; i++) {
		const struct model_thread *t = &thr[i];
		struct tl_thread *o;

		if (!t->traced || !t->tid)
			continue;
		o = &tl->out_threads[nt++];
		memset(o, 0, sizeof(*o));
		o->pid = t->pid;
		o->tid = t->tid;
		o->index = reg_index(tl, t->tid);
		describe_thread(o->name, sizeof(o->name), tl->m, t, t->tid);
		o->state = t->state;
		o->cpu = t->cpu;
		o->traced = t->traced;
		o->state_since_ns = t->state_since_ns;
	}
	for (size_t i = 0; i < n; i++) {
		const struct model_span *s = &tl->out_spans[i];
		struct tl_thread *o = find_thread(tl->out_threads, nt, s->tid);
		uint64_t d = s->end_ns - s->start_ns;

		if (!o)
			continue;
		if (s->kind == SPAN_CPU)
			o->cpu_ns += d;
		else if (s->kind == SPAN_HOLD)
			o->hold_ns += d;
		else if (s->kind == SPAN_WAIT)
			o->wait_ns += d;
	}
	for (first = tl->nnotes; first > 0 && tl->notes[first - 1].ev.ts_ns >= t1; first--)
		;
	w->nlog = first < TL_LOG_MAX ? first : TL_LOG_MAX;
	if (w->nlog)
		memcpy(tl->out_log, tl->notes + first - w->nlog, w->nlog * sizeof(*tl->out_log));
	for (size_t i = 0; i < first; i++) {
		const struct gs_event *e = &tl->notes[i].ev;
		struct tl_thread *o;

		if (e->type != GS_EV_LOCK_ACQUIRED || e->ts_ns < t0)
			continue;
		o = find_thread(tl->out_threads, nt, e->tid);
		if (o)
			o->acquisitions++;
	}
	/* exited threads stay only while they still show in the window */
	size_t kept = 0;

	for (size_t i = 0; i < nt; i++) {
		struct tl_thread *o = &tl->out_threads[i];

		if (o->state != MS_EXITED || o->cpu_ns || o->hold_ns || o->wait_ns ||
		    o->state_since_ns >= t0)
			tl->out_threads[kept++] = *o;
	}
	nt = kept;
	qsort(tl->out_threads, nt, sizeof(*tl->out_threads), cmp_thread);

	w->t0 = t0;
	w->t1 = t1;
	w->ncpus = tl->ncpus;
	w->spans = tl->out_spans;
	w->nspans = n;
	w->threads = tl->out_threads;
	w->nthreads = nt;
	w->log = tl->out_log;
	build_locks(tl, w);
	w->holder = model_lock_holder(tl->m);
	w->lost = tl->lost;
	w->first_ns = tl->first_ns;
	w->last_ns = tl->last_ns;
	w->ended = tl->ended;
	return 0;
}

int timeline_window(struct timeline *tl, uint64_t t0, uint64_t t1,
		    const struct tl_window **out)
{
	int err;

	if (t0 >= t1)
		return -EINVAL;
	if (tl->win_valid && tl->win.t0 == t0 && tl->win.t1 == t1 &&
	    tl->win_count == tl->count && tl->win_ended == tl->ended) {
		*out = &tl->win;
		return 0;
	}
	tl->win_valid = false;
	/* a live cursor overtaken by the ring matters only when feeding on */
	if (!tl->fed_valid || t1 < tl->fed_ts || t0 < tl->keep_from ||
	    (!tl->r && tl->live_i < tl->base && t1 > tl->fed_ts)) {
		if ((err = restart(tl, t0)))
			return err;
	}
	if ((err = feed_until(tl, t1)))
		return err;
	compact(tl, t0);
	if ((err = build_window(tl, t0, t1)))
		return err;
	tl->win_valid = true;
	tl->win_count = tl->count;
	tl->win_ended = tl->ended;
	*out = &tl->win;
	return 0;
}

uint64_t timeline_appended(const struct timeline *tl)
{
	return tl->count;
}

/* First index in [base, count) with ts_ns >= ts (count if none). */
static uint64_t live_lower_bound(const struct timeline *tl, uint64_t ts)
{
	uint64_t lo = tl->base, hi = tl->count;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (tl->ring[mid % tl->cap].ts_ns < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int timeline_first_new(const struct timeline *tl, uint64_t prev_t1, uint64_t seen,
		       uint64_t t1, uint64_t *ts)
{
	/* events are in ts order: new on screen is everything from the first
	 * one at or after prev_t1, or the first appended since, if earlier */
	uint64_t i;

	if (tl->r)
		return -EINVAL;
	i = live_lower_bound(tl, prev_t1);
	if (seen < i)
		i = seen < tl->base ? tl->base : seen;
	if (i >= tl->count || tl->ring[i % tl->cap].ts_ns >= t1)
		return -ENOENT;
	*ts = tl->ring[i % tl->cap].ts_ns;
	return 0;
}

static int find_live(struct timeline *tl, uint64_t ts, int dir, uint64_t *out)
{
	uint64_t lo = tl->base, hi = tl->count;

	while (lo < hi) {	/* first index with ts_ns > ts */
		uint64_t mid = lo + (hi - lo) / 2;

		if (tl->ring[mid % tl->cap].ts_ns <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (dir > 0) {
		for (uint64_t i = lo; i < tl->count; i++)
			if (is_lock_event(tl->ring[i % tl->cap].type)) {
				*out = tl->ring[i % tl->cap].ts_ns;
				return 0;
			}
		return -ENOENT;
	}
	for (uint64_t i = lo; i > tl->base; i--) {
		const struct gs_event *e = &tl->ring[(i - 1) % tl->cap];

		if (e->ts_ns < ts && is_lock_event(e->type)) {
			*out = e->ts_ns;
			return 0;
		}
	}
	return -ENOENT;
}

int timeline_find_lock_event(struct timeline *tl, uint64_t ts, int dir, uint64_t *out)
{
	struct gs_event ev;
	uint64_t upto = ts;
	int err;

	if (!tl->r)
		return find_live(tl, ts, dir, out);
	/* the search moves the reader: the next window starts over */
	tl->fed_valid = false;
	tl->win_valid = false;
	if (dir > 0) {
		if ((err = trace_reader_seek(tl->r, ts)))
			return err;
		while ((err = trace_reader_next(tl->r, &ev)) > 0)
			if (!(ev.flags & GS_F_KEYFRAME) && ev.ts_ns > ts &&
			    is_lock_event(ev.type)) {
				*out = ev.ts_ns;
				return 0;
			}
		return err < 0 ? err : -ENOENT;
	}
	for (int blocks = 0; blocks < BACK_SEARCH_BLOCKS; blocks++) {
		uint64_t block_first = 0, best = 0;
		bool have_first = false, found = false;

		/* first the block holding ts, then each block before it */
		if ((err = trace_reader_seek(tl->r, blocks ? upto - 1 : upto)))
			return err;
		while ((err = trace_reader_next(tl->r, &ev)) > 0) {
			if (ev.flags & GS_F_KEYFRAME)
				continue;
			if (!have_first) {
				block_first = ev.ts_ns;
				have_first = true;
			}
			if (ev.ts_ns >= upto)
				break;
			if (is_lock_event(ev.type)) {
				best = ev.ts_ns;
				found = true;
			}
		}
		if (err < 0)
			return err;
		if (found) {
			*out = best;
			return 0;
		}
		if (!have_first || block_first <= tl->first_ns || block_first > upto)
			return -ENOENT;
		upto = block_first;
	}
	return -ENOENT;
}
