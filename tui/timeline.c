/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * timeline.c - windows of the timeline model for the TUI (see timeline.h):
 * a view-model over model.h, which alone interprets the events.
 *
 * The model is fed once, forward, from a starting point (a file block's
 * keyframe, or the oldest live event held) up to fed_ts; the spans it
 * closes are kept from keep_from on. A window [t0, t1) is served from that
 * state when t0 >= keep_from and t1 >= fed_ts (feeding only [fed_ts, t1));
 * otherwise the feed starts again. What is still open at t1 (who runs on
 * each CPU, who holds which lock, who waits) comes from model_open_spans().
 * Everything in a window is clipped to [t0, t1), so the history before the
 * starting point (which a seek does not read) never shows.
 * Where events come from is timeline_source.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/describe.h"
#include "tui/timeline_impl.h"
#include "trace/trace_reader.h"
#include "util/search.h"

#define DEFAULT_LIVE_CAP (1u << 19)
#define WINDOW_KINDS (1u << SPAN_CPU | 1u << SPAN_HOLD | 1u << SPAN_WAIT)

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

/* A span the model closed (only CPU, HOLD and WAIT are asked for). */
static void on_span(const struct model_span *s, void *ctx)
{
	struct timeline *tl = ctx;

	tl_hand_span(tl, s);	/* every span, as the tracker asks */
	if (s->end_ns <= tl->keep_from)
		return;
	if (tl->nspans >= tl->coarsen_at)	/* a dense window: bounded */
		tl_coarsen(tl);
	/* out of memory loses a span from the picture, not the session */
	if (grow_array(&tl->spans, &tl->capspans, tl->nspans + 1, sizeof(*tl->spans)))
		return;
	tl->spans[tl->nspans++] = (struct tl_span){ *s, s->end_ns - s->start_ns,
						     s->end_ns - s->start_ns };
}

static int tl_init(struct timeline **out, const struct trace_meta *meta)
{
	struct timeline *tl = calloc(1, sizeof(*tl));
	struct model_opts mo = { .on_span = on_span, .span_kinds = WINDOW_KINDS };

	if (!tl)
		return -ENOMEM;
	tl->meta = *meta;
	tl->ncpus = meta->ncpus ? meta->ncpus : 1;
	mo.ncpus = tl->ncpus;
	mo.trace_flags = meta->flags;
	mo.ctx = tl;
	tl->m = model_new(&mo);
	if (!tl->m) {
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
	timeline_set_names(*out, trace_reader_names(r));
	tl_number_file_threads(*out);
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
	hmap_free(&tl->reg);
	hmap_free(&tl->lock_reg);
	free(tl->out_spans);
	free(tl->out_busy);
	free(tl->out_threads);
	free(tl->out_of);
	free(tl->ivs);
	free(tl->cand);
	tl_funcs_free(tl);
	tl_hand_free(tl);
	free(tl);
}

/* ---- feeding ------------------------------------------------------------ */

static int restart(struct timeline *tl, uint64_t t0)
{
	int err;

	model_reset(tl->m);
	tl->nspans = 0;
	tl->grain = tl->grain_w = 0;
	tl->coarsen_at = TL_SPANS_SOFT;
	tl->nnotes = tl->note_head = 0;
	tl->fed_ts = 0;
	tl->keep_from = t0;
	tl->fed_valid = false;
	if ((err = tl_hand_reset(tl)) || (err = tl_source_seek(tl, t0)))
		return err;
	tl->fed_valid = true;
	return 0;
}

/* A THREAD_NAME that gives a thread the name it has says nothing (the
 * recorder names a thread when it first sees it, gilrt names it again). */
static bool renames(const struct model *m, const struct gs_event *ev)
{
	const struct model_thread *t = model_thread(m, ev->tid);
	char n[16];

	gs_event_name(ev, n);
	return n[0] && (!t || strncmp(t->name, n, sizeof(n)));
}

/* A note about thread tid (the event log filtered with `e`). */
static bool about(const struct gs_event *ev, uint32_t tid)
{
	return ev->tid == tid || (ev->type == GS_EV_DROP_REQUEST && ev->arg1 == tid);
}

/* Feeds the events before t1, at most TL_SLICE_EVENTS of them: -EAGAIN
 * when more remain (fed_ts then says how far it got). */
static int feed_until(struct timeline *tl, uint64_t t1)
{
	const struct gs_event *ev;
	size_t budget = TL_SLICE_EVENTS;
	int err;

	while ((err = tl_source_peek(tl, &ev)) > 0) {
		bool key = ev->flags & GS_F_KEYFRAME;
		bool notable = !key && is_notable(ev->type) &&
			       (ev->type != GS_EV_THREAD_NAME || renames(tl->m, ev));

		if (!key && ev->ts_ns >= t1)
			break;
		if (!budget--) {
			/* every event before this one's time was fed */
			if (!key && ev->ts_ns > tl->fed_ts)
				tl->fed_ts = ev->ts_ns;
			return -EAGAIN;
		}
		err = tl_hand_feed(tl, ev);
		if (err && err != -EINVAL)
			return err;
		/* a window shows the last TL_LOG_MAX notes (of the filtered
		 * thread) before its end, where feeding stops: a ring is enough */
		if (notable && (!tl->log_tid || about(ev, tl->log_tid))) {
			struct tl_note *nt;

			if (tl->nnotes < TL_LOG_MAX) {
				nt = &tl->notes[(tl->note_head + tl->nnotes++) % TL_LOG_MAX];
			} else {
				nt = &tl->notes[tl->note_head];
				tl->note_head = (tl->note_head + 1) % TL_LOG_MAX;
			}
			nt->ev = *ev;
			describe_event(tl->m, ev, nt->text, sizeof(nt->text));
		}
		tl_source_next(tl);
	}
	if (err < 0)
		return err;
	if (t1 > tl->fed_ts)
		tl->fed_ts = t1;
	return 0;
}

/* Drop what no window from t0 on can need: spans ended by t0. */
static void compact(struct timeline *tl, uint64_t t0)
{
	size_t j = 0;

	for (size_t i = 0; i < tl->nspans; i++)
		if (tl->spans[i].s.end_ns > t0)
			tl->spans[j++] = tl->spans[i];
	tl->nspans = j;
	if (t0 > tl->keep_from)
		tl->keep_from = t0;
}

/* ---- the window ----------------------------------------------------------- */

/* The window's entry for tid, or NULL if it lists no such thread. */
static struct tl_thread *out_thread(struct timeline *tl, uint32_t tid)
{
	uint64_t i;

	if (!hmap_get(&tl->reg, hkey_u64(tid), &i) || i >= tl->capout_of ||
	    tl->out_of[i] == UINT32_MAX)
		return NULL;
	return &tl->out_threads[tl->out_of[i]];
}

/* Add span s clipped to the window; nothing if none of it is inside. busy:
 * the time it stands for (less than its length when merged), clipped in
 * proportion. */
static int add_out(struct timeline *tl, const struct model_span *s, uint64_t busy)
{
	const struct tl_window *w = &tl->win;
	struct model_span c = *s;

	if (c.start_ns < w->t0)
		c.start_ns = w->t0;
	if (c.end_ns > w->t1)
		c.end_ns = w->t1;
	if (c.end_ns <= c.start_ns)	/* outside, or empty: nothing to draw */
		return 0;
	if (grow_array(&tl->out_spans, &tl->capout, tl->nout + 1, sizeof(c)) ||
	    grow_array(&tl->out_busy, &tl->capbusy, tl->nout + 1, sizeof(busy)))
		return -ENOMEM;
	if (busy < s->end_ns - s->start_ns)
		busy = (uint64_t)((unsigned __int128)busy * (c.end_ns - c.start_ns) /
				  (s->end_ns - s->start_ns));
	else
		busy = c.end_ns - c.start_ns;
	tl->out_busy[tl->nout] = busy;
	tl->out_spans[tl->nout++] = c;
	/* a hold that began inside the window is an acquisition there */
	if (s->kind == SPAN_HOLD && s->start_ns >= w->t0 && s->start_ns < w->t1) {
		struct tl_thread *o = out_thread(tl, s->tid);

		if (o)
			o->acquisitions++;
	}
	return 0;
}

struct open_ctx {
	struct timeline *tl;
	int err;
};

static void on_open(const struct model_span *s, void *ctx)
{
	struct open_ctx *o = ctx;

	if ((WINDOW_KINDS & 1u << s->kind) && !o->err)
		o->err = add_out(o->tl, s, s->end_ns - s->start_ns);
}

static int cmp_thread(const void *a, const void *b)
{
	const struct tl_thread *x = a, *y = b;

	return cmp_u64(x->index, y->index);
}

static int cmp_iv(const void *a, const void *b)
{
	const struct tl_iv *x = a, *y = b;

	return cmp_u64(x->tid, y->tid) ?:
	       cmp_u64(x->s, y->s);
}

/* The threads the model knows at t1, with a stable index each (and the
 * map from index to slot that add_out() counts acquisitions through). */
static int list_threads(struct timeline *tl, size_t *nt)
{
	size_t nthr;
	const struct model_thread *thr = model_threads(tl->m, &nthr);

	*nt = 0;
	if (grow_array(&tl->out_threads, &tl->capthreads, nthr + 1,
		       sizeof(*tl->out_threads)))
		return -ENOMEM;
	/* thread churn: the numbers (letters, colours) start over rather
	 * than grow without end */
	if (tl->reg.n + nthr > TL_REG_MAX)
		hmap_clear(&tl->reg);
	for (size_t i = 0; i < nthr; i++) {
		const struct model_thread *t = &thr[i];
		struct tl_thread *o;

		if (!t->traced || !t->tid)
			continue;
		o = &tl->out_threads[(*nt)++];
		memset(o, 0, sizeof(*o));
		o->pid = t->pid;
		o->tid = t->tid;
		o->index = tl_reg_index(tl, t->tid);
		describe_thread(o->name, sizeof(o->name), tl->m, t, t->tid);
		o->state = t->state;
		o->cpu = t->cpu;
		o->traced = t->traced;
		o->state_since_ns = t->state_since_ns;
	}
	if (grow_array(&tl->out_of, &tl->capout_of, tl->reg.n + 1, sizeof(*tl->out_of)))
		return -ENOMEM;
	memset(tl->out_of, 0xff, tl->capout_of * sizeof(*tl->out_of));
	for (size_t i = 0; i < *nt; i++)
		if (tl->out_threads[i].index < tl->capout_of)
			tl->out_of[tl->out_threads[i].index] = (uint32_t)i;
	return 0;
}

/* Each thread's time on a CPU, waiting, and holding at least one lock
 * (the union of its holds: nested ones count once, as in the model). */
static int sum_threads(struct timeline *tl)
{
	size_t niv = 0;

	for (size_t i = 0; i < tl->nout; i++) {
		const struct model_span *s = &tl->out_spans[i];
		struct tl_thread *o = out_thread(tl, s->tid);

		if (!o)
			continue;
		if (s->kind == SPAN_CPU) {
			o->cpu_ns += tl->out_busy[i];
		} else if (s->kind == SPAN_WAIT) {
			o->wait_ns += tl->out_busy[i];
		} else if (s->kind == SPAN_HOLD && tl->out_busy[i] < s->end_ns - s->start_ns) {
			o->hold_ns += tl->out_busy[i];	/* merged (dense window) */
		} else if (s->kind == SPAN_HOLD) {
			if (grow_array(&tl->ivs, &tl->capivs, niv + 1, sizeof(*tl->ivs)))
				return -ENOMEM;
			tl->ivs[niv++] = (struct tl_iv){ s->start_ns, s->end_ns, s->tid };
		}
	}
	if (!niv)
		return 0;
	qsort(tl->ivs, niv, sizeof(*tl->ivs), cmp_iv);
	for (size_t i = 0; i < niv;) {
		struct tl_thread *o = out_thread(tl, tl->ivs[i].tid);
		uint64_t s = tl->ivs[i].s, e = tl->ivs[i].e;

		for (i++; i < niv && tl->ivs[i].tid == tl->ivs[i - 1].tid && tl->ivs[i].s <= e; i++)
			if (tl->ivs[i].e > e)
				e = tl->ivs[i].e;
		o->hold_ns += e - s;
	}
	return 0;
}

/* by lock, then start; and by first start, then lock */
static int cmp_cand(const void *a, const void *b)
{
	const struct tl_cand *x = a, *y = b;

	return cmp_u64(x->pid, y->pid) ?:
	       cmp_u64(x->addr, y->addr) ?:
	       cmp_u64(x->first, y->first);
}

static int cmp_first(const void *a, const void *b)
{
	const struct tl_cand *x = a, *y = b;

	return cmp_u64(x->first, y->first) ?: cmp_cand(a, b);
}

static int cmp_index(const void *a, const void *b)
{
	const struct tl_cand *x = a, *y = b;

	return cmp_u64(x->index, y->index);
}

/* The locks of the window: the first TL_LOCKS_MAX by stable index. Locks
 * new to the timeline are numbered in the order they first show in the
 * window (ties by pid and address), so the numbers do not depend on the
 * order of the spans (which differs after a seek). */
static int build_locks(struct timeline *tl, struct tl_window *w)
{
	size_t n = 0, m = 0;

	for (size_t i = 0; i < tl->nout; i++) {
		const struct model_span *s = &tl->out_spans[i];

		if ((s->kind != SPAN_HOLD && s->kind != SPAN_WAIT) || !s->lock)
			continue;
		if (grow_array(&tl->cand, &tl->capcand, n + 1, sizeof(*tl->cand)))
			return -ENOMEM;
		tl->cand[n++] = (struct tl_cand){ .pid = s->pid, .addr = s->lock,
						  .first = s->start_ns };
	}
	w->locks = tl->out_locks;
	w->nlocks = 0;
	if (!n)
		return 0;
	if (tl->lock_reg.n + n > TL_REG_MAX)	/* a million locks: start over */
		hmap_clear(&tl->lock_reg);
	qsort(tl->cand, n, sizeof(*tl->cand), cmp_cand);
	for (size_t i = 0; i < n; i++)	/* one per lock, with its first start */
		if (!m || tl->cand[i].pid != tl->cand[m - 1].pid ||
		    tl->cand[i].addr != tl->cand[m - 1].addr)
			tl->cand[m++] = tl->cand[i];
	qsort(tl->cand, m, sizeof(*tl->cand), cmp_first);
	for (size_t i = 0; i < m; i++) {
		struct hkey key = { tl->cand[i].addr, tl->cand[i].pid };
		uint64_t idx;

		if (!hmap_get(&tl->lock_reg, key, &idx)) {
			idx = tl->lock_reg.n;
			if (hmap_put(&tl->lock_reg, key, idx))
				return -ENOMEM;
		}
		tl->cand[i].index = (uint32_t)idx;
	}
	qsort(tl->cand, m, sizeof(*tl->cand), cmp_index);
	w->nlocks = m < TL_LOCKS_MAX ? m : TL_LOCKS_MAX;
	for (size_t i = 0; i < w->nlocks; i++)
		tl->out_locks[i] = (struct tl_lock){ .pid = tl->cand[i].pid,
						     .addr = tl->cand[i].addr,
						     .index = tl->cand[i].index };
	return 0;
}

size_t tl_lock_lane(const struct tl_window *w, const struct model_span *s)
{
	for (size_t i = 0; i < w->nlocks; i++)
		if (w->locks[i].pid == s->pid && w->locks[i].addr == s->lock)
			return i;
	return w->nlocks ? w->nlocks - 1 : 0;
}

/* Exited threads stay only while they still show in the window. */
static size_t drop_gone(struct tl_thread *v, size_t n, uint64_t t0)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i].state != MS_EXITED || v[i].cpu_ns || v[i].hold_ns || v[i].wait_ns ||
		    v[i].state_since_ns >= t0)
			v[kept++] = v[i];
	return kept;
}

/* Is the event about thread tid: its own, or a drop request addressed to it? */
void timeline_log_filter(struct timeline *tl, uint32_t tid)
{
	/* the notes kept so far were chosen by the old filter: feed again */
	if (tl->log_tid != tid)
		tl->win_valid = tl->fed_valid = false;
	tl->log_tid = tid;
}

static int build_window(struct timeline *tl, uint64_t t0, uint64_t t1)
{
	struct tl_window *w = &tl->win;
	struct open_ctx oc = { tl, 0 };
	size_t nt;
	int err;

	w->t0 = t0;
	w->t1 = t1;
	tl->nout = 0;
	if ((err = list_threads(tl, &nt)))
		return err;
	for (size_t i = 0; i < tl->nspans; i++)
		if ((err = add_out(tl, &tl->spans[i].s, tl->spans[i].busy)))
			return err;
	model_open_spans(tl->m, t1, on_open, &oc);
	if (oc.err)
		return oc.err;
	if ((err = sum_threads(tl)) || (err = build_locks(tl, w)))
		return err;
	nt = drop_gone(tl->out_threads, nt, t0);
	qsort(tl->out_threads, nt, sizeof(*tl->out_threads), cmp_thread);

	/* every note fed is before t1 (feeding stopped there), oldest first */
	w->nlog = tl->nnotes;
	for (size_t i = 0; i < tl->nnotes; i++)
		tl->out_log[i] = tl->notes[(tl->note_head + i) % TL_LOG_MAX];
	w->log = tl->out_log;
	w->ncpus = tl->ncpus;
	w->spans = tl->out_spans;
	w->nspans = tl->nout;
	w->threads = tl->out_threads;
	w->nthreads = nt;
	if ((err = tl_funcs(tl)))
		return err;
	w->holder = model_lock_holder(tl->m);
	w->lost = tl->lost;
	w->first_ns = tl->first_ns;
	w->last_ns = tl->last_ns;
	w->ended = tl->ended;
	w->merged_ns = tl->grain;
	tl_hand_window(tl);
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
	/* a live cursor overtaken by the ring matters only when feeding on;
	 * spans merged for a window four times as wide are too coarse for
	 * this one (the same window, read on, never starts over) */
	if (!tl->fed_valid || t1 < tl->fed_ts || t0 < tl->keep_from ||
	    (!tl->r && tl->live_i < tl->base && t1 > tl->fed_ts) ||
	    (tl->grain && (t1 - t0) < tl->grain_w / 4)) {
		if ((err = restart(tl, t0)))
			return err;
	}
	tl->want_t0 = t0;
	tl->want_t1 = t1;
	if ((err = feed_until(tl, t1)))
		return err;	/* -EAGAIN: the feed goes on at the next call */
	compact(tl, t0);
	if ((err = build_window(tl, t0, t1)))
		return err;
	tl->win_valid = true;
	tl->win_count = tl->count;
	tl->win_ended = tl->ended;
	*out = &tl->win;
	return 0;
}
