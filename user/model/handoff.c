/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * handoff.c - hand-off tracking (definition and contract in handoff.h).
 *
 * Per lock: how many releases it has seen (gen), how many threads wait for
 * it between events, the last release and the current hold. Per thread that
 * waits: which lock, and the lock's gen when the wait began. B's
 * acquisition of L is a hand-off iff B's wait began at an older gen than
 * L's now (a release happened while it waited) and L's last release was by
 * another thread.
 *
 * Waiter counts change only in handoff_after(), from the model's view of
 * the event's thread before and after the event (an event changes the wait
 * of its own thread only), so while an event is being fed they are the
 * counts from before it. A release is given a flow id when that count is
 * not zero: every thread that can take the lock over from it was counted,
 * since its wait began in an earlier event. So every hand-off finds a flow
 * id on the hold it follows, and report and export count the same ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/handoff.h"
#include "trace/trace_reader.h"
#include "util/grow.h"
#include "util/hash.h"

struct hlock {
	uint64_t addr;
	uint32_t pid;
	uint32_t waiters;	/* threads waiting now (between events) */
	uint64_t gen;		/* releases so far */
	uint32_t rel_tid;	/* the last release: whose, 0 = none yet */
	uint64_t rel_start, rel_end, rel_flow;
	uint32_t cur_tid;	/* the current hold, as its acquisition was seen */
	uint64_t cur_start, cur_flow;
	bool cur_valid;
};

struct hthr {
	uint32_t tid;
	uint64_t wait_lock;	/* as the tracker last saw it, 0 = none */
	uint32_t wait_pid;
	uint64_t wait_gen;	/* the lock's gen when the wait began */
	uint32_t wait_count;	/* the lock's waiters just after it began */
};

struct handoff {
	handoff_fn fn;
	void *ctx;
	struct hlock *locks;
	size_t nlocks, cap_locks;
	struct hmap lock_index;	/* {addr, pid} -> index in locks */
	struct hthr *thr;
	size_t nthr, cap_thr;
	struct hmap thr_index;	/* {tid} -> index in thr */
	uint64_t flows;		/* flow ids given out */
	uint64_t count;		/* hand-offs */
	/* one-entry caches: a thread's events, a lock's, come in runs */
	uint32_t last_tid;
	size_t last_thr;	/* valid if last_thr < nthr */
	struct hkey last_lock;
	size_t last_lk;		/* valid if last_lk < nlocks */
	/* the event being fed */
	bool in_event;		/* between before() and after() of a lock-related event */
	uint64_t pre_wait;	/* its thread's wait before it */
	uint32_t pre_pid;
	uint64_t pre_acq;	/* its thread's acquisitions before it */
	size_t pre_idx;		/* its index in model_threads(), SIZE_MAX if new */
};

/* Locks and threads remembered while idle: beyond this many, a new one first
 * forgets every idle one (no waiter, no hold; a waiting thread's lock is
 * never idle), so a trace of a million locks keeps a bounded table. An idle
 * lock's history does not matter: a hand-off needs a release *during* a
 * wait, and a lock with a waiter is kept. */
#define HANDOFF_IDLE_MAX 16384

static void forget_idle_locks(struct handoff *h)
{
	size_t j = 0;

	hmap_clear(&h->lock_index);
	for (size_t i = 0; i < h->nlocks; i++) {
		struct hlock *l = &h->locks[i];

		if (!l->waiters && !l->cur_valid)
			continue;
		h->locks[j] = *l;
		hmap_put(&h->lock_index, (struct hkey){ l->addr, l->pid }, j++);	/* fits */
	}
	h->nlocks = j;
	h->last_lk = SIZE_MAX;
}

static void forget_idle_threads(struct handoff *h)
{
	size_t j = 0;

	hmap_clear(&h->thr_index);
	for (size_t i = 0; i < h->nthr; i++) {
		if (!h->thr[i].wait_lock)
			continue;
		h->thr[j] = h->thr[i];
		hmap_put(&h->thr_index, hkey_u64(h->thr[i].tid), j++);	/* fits */
	}
	h->nthr = j;
	h->last_thr = SIZE_MAX;
}

static struct hlock *lock_get(struct handoff *h, uint32_t pid, uint64_t addr)
{
	uint64_t i;

	if (h->last_lk < h->nlocks && h->last_lock.a == addr && h->last_lock.b == pid)
		return &h->locks[h->last_lk];
	if (hmap_get(&h->lock_index, (struct hkey){ addr, pid }, &i)) {
		h->last_lock = (struct hkey){ addr, pid };
		h->last_lk = (size_t)i;
		return &h->locks[i];
	}
	if (h->nlocks >= HANDOFF_IDLE_MAX)
		forget_idle_locks(h);
	if (grow_array(&h->locks, &h->cap_locks, h->nlocks + 1, sizeof(*h->locks)) ||
	    hmap_put(&h->lock_index, (struct hkey){ addr, pid }, h->nlocks))
		return NULL;
	struct hlock *l = &h->locks[h->nlocks++];

	memset(l, 0, sizeof(*l));
	l->addr = addr;
	l->pid = pid;
	return l;
}

static struct hthr *thr_get(struct handoff *h, uint32_t tid, bool create)
{
	uint64_t i;

	if (h->last_thr < h->nthr && h->last_tid == tid)
		return &h->thr[h->last_thr];
	if (hmap_get(&h->thr_index, hkey_u64(tid), &i)) {
		h->last_tid = tid;
		h->last_thr = (size_t)i;
		return &h->thr[i];
	}
	if (create && h->nthr >= HANDOFF_IDLE_MAX)
		forget_idle_threads(h);
	if (!create ||
	    grow_array(&h->thr, &h->cap_thr, h->nthr + 1, sizeof(*h->thr)) ||
	    hmap_put(&h->thr_index, hkey_u64(tid), h->nthr))
		return NULL;
	struct hthr *t = &h->thr[h->nthr++];

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	return t;
}

int handoff_new(struct handoff **out, handoff_fn fn, void *ctx)
{
	struct handoff *h = calloc(1, sizeof(*h));

	*out = h;
	if (!h)
		return -ENOMEM;
	h->fn = fn;
	h->ctx = ctx;
	h->last_thr = h->last_lk = SIZE_MAX;
	return 0;
}

void handoff_free(struct handoff *h)
{
	if (!h)
		return;
	free(h->locks);
	free(h->thr);
	hmap_free(&h->lock_index);
	hmap_free(&h->thr_index);
	free(h);
}

uint64_t handoff_count(const struct handoff *h)
{
	return h ? h->count : 0;
}

/* The events after which a thread may wait, stop waiting or hold anew. */
static bool lock_related(const struct gs_event *ev)
{
	if (!ev->tid || (ev->flags & GS_F_KEYFRAME))
		return false;
	switch (ev->type) {
	case GS_EV_LOCK_REQUEST:
	case GS_EV_LOCK_ACQUIRED:
	case GS_EV_LOCK_RELEASED:
	case GS_EV_DROP_REQUEST:
	case GS_EV_LOCK_FAILED:
	case GS_EV_THREAD_START:
	case GS_EV_THREAD_EXIT:
	case GS_EV_PROC_EXIT:
		return true;
	default:
		return false;
	}
}

void handoff_before(struct handoff *h, const struct model *m, const struct gs_event *ev)
{
	h->in_event = lock_related(ev);
	if (!h->in_event)
		return;
	size_t n;
	const struct model_thread *all = model_threads(m, &n);
	const struct model_thread *t = model_thread(m, ev->tid);

	h->pre_wait = t ? t->wait_lock : 0;
	h->pre_pid = t ? t->pid : ev->pid;
	h->pre_acq = t ? t->acquisitions : 0;
	h->pre_idx = t ? (size_t)(t - all) : SIZE_MAX;
}

/* The event's thread after it: where it was before (the model's threads
 * never move in its array while it runs), else looked up. */
static const struct model_thread *thread_after(const struct handoff *h, const struct model *m,
					       uint32_t tid)
{
	size_t n;
	const struct model_thread *all = model_threads(m, &n);

	if (h->pre_idx < n && all[h->pre_idx].tid == tid)
		return &all[h->pre_idx];
	return model_thread(m, tid);
}

void handoff_span(struct handoff *h, const struct model_span *s, struct handoff_span *out)
{
	memset(out, 0, sizeof(*out));
	if (s->kind == SPAN_WAIT) {
		struct hthr *t = thr_get(h, s->tid, false);
		struct hlock *l = lock_get(h, s->pid, s->lock);

		if (t && t->wait_lock == s->lock && t->wait_pid == s->pid)
			out->waiters_begin = t->wait_count;
		if (!l)
			return;
		if (h->in_event) {
			/* handoff_after() takes this thread off the count */
			out->waiters_end = l->waiters ? l->waiters - 1 : 0;
		} else {
			/* model_finish(): every open wait ends here */
			if (l->waiters)
				l->waiters--;
			out->waiters_end = l->waiters;
			if (t)
				t->wait_lock = 0;
		}
		return;
	}
	if (s->kind != SPAN_HOLD)
		return;
	struct hlock *l = lock_get(h, s->pid, s->lock);

	if (!l)
		return;
	if (l->cur_valid && l->cur_tid == s->tid && l->cur_start == s->start_ns)
		out->dst_flow = l->cur_flow;
	if (s->flags & SPAN_F_OPEN)
		return;		/* the trace ended, nothing was released */
	l->cur_valid = false;
	l->gen++;
	l->rel_tid = s->tid;
	l->rel_start = s->start_ns;
	l->rel_end = s->end_ns;
	l->rel_flow = l->waiters ? ++h->flows : 0;
	out->src_flow = l->rel_flow;
}

/* t waits for mt's lock from now: one more waiter, and t's wait remembers
 * the lock's generation and its place among the waiters. */
static int wait_begin(struct handoff *h, struct hthr *t, const struct model_thread *mt)
{
	struct hlock *l = lock_get(h, mt->pid, mt->wait_lock);

	if (!l || !t)
		return -ENOMEM;
	l->waiters++;
	t->wait_lock = mt->wait_lock;
	t->wait_pid = mt->pid;
	t->wait_gen = l->gen;
	t->wait_count = l->waiters;
	return 0;
}

int handoff_after(struct handoff *h, const struct model *m, const struct gs_event *ev)
{
	if (!h->in_event)
		return 0;
	h->in_event = false;
	const struct model_thread *mt = thread_after(h, m, ev->tid);

	if (!mt)
		return 0;
	struct hthr *t = thr_get(h, ev->tid, mt->wait_lock != 0);

	/* a new hold: judge it by the wait as it was before this event */
	if (ev->type == GS_EV_LOCK_ACQUIRED && mt->acquisitions > h->pre_acq) {
		struct hlock *l = lock_get(h, mt->pid, ev->arg0);

		if (!l)
			return -ENOMEM;
		bool handoff = t && h->pre_wait == ev->arg0 && t->wait_lock == ev->arg0 &&
			       t->wait_gen < l->gen && l->rel_tid && l->rel_tid != ev->tid &&
			       l->rel_flow;

		l->cur_valid = true;
		l->cur_tid = ev->tid;
		l->cur_start = model_now(m);
		l->cur_flow = handoff ? l->rel_flow : 0;
		if (handoff) {
			h->count++;
			if (h->fn) {
				struct handoff_info hi = {
					.lock = l->addr, .pid = l->pid, .from_tid = l->rel_tid,
					.from_start_ns = l->rel_start, .release_ns = l->rel_end,
					.to_tid = ev->tid, .acquire_ns = l->cur_start,
					.flow = l->rel_flow,
				};
				h->fn(&hi, h->ctx);
			}
		}
	}
	if (h->pre_wait == mt->wait_lock && (!t || t->wait_lock == mt->wait_lock))
		return 0;
	if (h->pre_wait) {
		struct hlock *l = lock_get(h, h->pre_pid, h->pre_wait);

		if (l && l->waiters)
			l->waiters--;
	}
	if (t)
		t->wait_lock = 0;
	return mt->wait_lock ? wait_begin(h, t, mt) : 0;
}

int handoff_resume(struct handoff *h, const struct model *m)
{
	size_t n;
	const struct model_thread *all = model_threads(m, &n);

	for (size_t i = 0; i < n; i++) {
		const struct model_thread *mt = &all[i];

		if (!mt->tid || !mt->wait_lock)
			continue;
		struct hthr *t = thr_get(h, mt->tid, true);

		if (!t)
			return -ENOMEM;
		if (t->wait_lock)
			continue;	/* its wait is known already */
		int rc = wait_begin(h, t, mt);

		if (rc)
			return rc;
	}
	return 0;
}
