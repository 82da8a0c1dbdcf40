/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_keyframe.c - the sticky context of trace_keyframe.h. Threads live in
 * a dense array indexed through a hash map on tid (util/hash.h, sized once
 * for GST_KF_MAX_THREADS), so exits and evictions stay O(1) / amortised
 * O(log n) even when -a traces churn through thousands of tasks.
 * Every stored event carries its append sequence number, which orders the
 * snapshot exactly as the events were appended (ts ties included).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "trace/trace_format.h"
#include "trace/trace_keyframe.h"
#include "util/hash.h"
#include "util/search.h"

_Static_assert(GST_KF_MAX_EVENTS <= GST_MAX_KEYFRAME,
	       "the keyframe bound must fit what a reader accepts");

enum { S_START, S_NAME, S_IO, S_NATIVE, S_OFFCPU, S_LOCK0 };

struct kf_slot {
	struct gs_event ev;
	uint64_t seq;		/* append number; 0 = empty slot */
};

struct kf_thread {
	uint32_t tid;
	uint64_t active;	/* seq of the last event stored for it */
	struct kf_slot s[GST_KF_THREAD_SLOTS];
};

struct gst_keyframe {
	uint64_t seq;					/* events seen */
	struct kf_slot cpu[GST_KF_MAX_CPUS];
	struct kf_slot fork[GST_KF_MAX_FORKS];		/* oldest first */
	size_t nfork;
	struct kf_thread thr[GST_KF_MAX_THREADS];
	size_t nthr;
	struct hmap index;				/* {tid} -> index into thr */
	struct kf_slot scratch[GST_KF_MAX_EVENTS];	/* snapshot sorting */
};

static void index_rebuild(struct gst_keyframe *k)
{
	hmap_clear(&k->index);
	for (size_t i = 0; i < k->nthr; i++)
		hmap_put(&k->index, hkey_u64(k->thr[i].tid), i);	/* reserved: cannot fail */
}

int gst_keyframe_new(struct gst_keyframe **out)
{
	struct gst_keyframe *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	if (hmap_reserve(&k->index, GST_KF_MAX_THREADS)) {
		free(k);
		return -ENOMEM;
	}
	*out = k;
	return 0;
}

void gst_keyframe_free(struct gst_keyframe *k)
{
	if (k)
		hmap_free(&k->index);
	free(k);
}

static int by_value(const void *a, const void *b)
{
	return cmp_u64(*(const uint64_t *)a, *(const uint64_t *)b);
}

/* Drop the least recently active quarter of the threads. */
static void evict_threads(struct gst_keyframe *k)
{
	uint64_t *act = (uint64_t *)k->scratch;	/* scratch is free between snapshots */
	size_t n = 0;

	for (size_t i = 0; i < k->nthr; i++)
		act[i] = k->thr[i].active;
	qsort(act, k->nthr, sizeof(*act), by_value);
	uint64_t cut = act[k->nthr / 4];

	for (size_t i = 0; i < k->nthr; i++)
		if (k->thr[i].active >= cut)
			k->thr[n++] = k->thr[i];
	k->nthr = n;
	index_rebuild(k);
}

static struct kf_thread *thread_get(struct gst_keyframe *k, uint32_t tid)
{
	uint64_t i;

	if (hmap_get(&k->index, hkey_u64(tid), &i))
		return &k->thr[i];
	if (k->nthr == GST_KF_MAX_THREADS)
		evict_threads(k);
	struct kf_thread *t = &k->thr[k->nthr];

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	hmap_put(&k->index, hkey_u64(tid), k->nthr++);	/* reserved: cannot fail */
	return t;
}

static void thread_drop(struct gst_keyframe *k, uint32_t tid)
{
	uint64_t i;

	if (!hmap_get(&k->index, hkey_u64(tid), &i))
		return;
	hmap_del(&k->index, hkey_u64(tid));
	if (i != --k->nthr) {
		k->thr[i] = k->thr[k->nthr];
		hmap_put(&k->index, hkey_u64(k->thr[i].tid), i);
	}
}

static void slot_set(struct kf_slot *s, const struct gs_event *ev, uint64_t seq)
{
	s->ev = *ev;
	s->seq = seq;
}

static struct kf_slot *lock_slot(struct kf_thread *t, uint64_t lock)
{
	struct kf_slot *best = &t->s[S_LOCK0];

	for (int i = 0; i < GST_KF_LOCKS_PER_THREAD; i++) {
		struct kf_slot *s = &t->s[S_LOCK0 + i];

		if (s->seq && s->ev.arg0 == lock)
			return s;
		if (s->seq < best->seq)
			best = s;	/* an empty one (seq 0) wins, else the oldest */
	}
	return best;
}

/* A lock event of thread t: its slot says whether t holds or waits for
 * the lock now, as the model will read it (model.h): ACQUIRED and REQUEST
 * are that state, a RELEASED ends a hold (of address 0: every hold), a
 * LOCK_FAILED a wait, and other events for address 0 mean nothing. Slots
 * of ended states are emptied, so that the least recently used slot given
 * to a new lock is not that of a lock still held. */
static void lock_update(struct kf_thread *t, const struct gs_event *ev, uint64_t seq)
{
	for (int i = 0; i < GST_KF_LOCKS_PER_THREAD; i++) {
		struct kf_slot *s = &t->s[S_LOCK0 + i];
		bool ends = (ev->type == GS_EV_LOCK_RELEASED && s->ev.type == GS_EV_LOCK_ACQUIRED) ||
			    (ev->type == GS_EV_LOCK_FAILED && s->ev.type == GS_EV_LOCK_REQUEST);

		if (s->seq && ends && (!ev->arg0 || s->ev.arg0 == ev->arg0))
			s->seq = 0;
	}
	if (ev->arg0 && (ev->type == GS_EV_LOCK_REQUEST || ev->type == GS_EV_LOCK_ACQUIRED))
		slot_set(lock_slot(t, ev->arg0), ev, seq);
	t->active = seq;
}

static void fork_drop(struct gst_keyframe *k, size_t i)
{
	memmove(&k->fork[i], &k->fork[i + 1], (k->nfork - i - 1) * sizeof(k->fork[0]));
	k->nfork--;
}

static void fork_add(struct gst_keyframe *k, const struct gs_event *ev, uint64_t seq)
{
	for (size_t i = 0; i < k->nfork; i++)
		if (k->fork[i].ev.arg0 == ev->arg0) {
			fork_drop(k, i);
			break;
		}
	if (k->nfork == GST_KF_MAX_FORKS)
		fork_drop(k, 0);
	slot_set(&k->fork[k->nfork++], ev, seq);
}

void gst_keyframe_update(struct gst_keyframe *k, const struct gs_event *ev)
{
	uint64_t seq = ++k->seq;
	int slot;

	switch (ev->type) {
	case GS_EV_SCHED_SWITCH:
		if (ev->cpu < GST_KF_MAX_CPUS)
			slot_set(&k->cpu[ev->cpu], ev, seq);
		slot = S_OFFCPU;
		break;
	case GS_EV_SCHED_WAKEUP:
		slot = S_OFFCPU;
		break;
	case GS_EV_THREAD_START:
		slot = S_START;
		break;
	case GS_EV_THREAD_NAME:
		slot = S_NAME;
		break;
	case GS_EV_IO_BEGIN:
	case GS_EV_IO_END:
		slot = S_IO;
		break;
	case GS_EV_NATIVE_BEGIN:
	case GS_EV_NATIVE_END:
		slot = S_NATIVE;
		break;
	case GS_EV_LOCK_REQUEST:
	case GS_EV_LOCK_ACQUIRED:
	case GS_EV_LOCK_RELEASED:
	case GS_EV_LOCK_FAILED:
		slot = S_LOCK0;
		break;
	case GS_EV_PROC_FORK:
		fork_add(k, ev, seq);
		return;
	case GS_EV_PROC_EXIT:
		if (ev->tid == ev->pid)
			for (size_t i = k->nfork; i-- > 0;)
				if (k->fork[i].ev.arg0 == ev->pid)
					fork_drop(k, i);
		thread_drop(k, ev->tid);
		return;
	case GS_EV_THREAD_EXIT:
		thread_drop(k, ev->tid);
		return;
	default:
		return;
	}
	if (ev->tid == 0)	/* the idle task is only interesting per CPU */
		return;

	struct kf_thread *t = thread_get(k, ev->tid);

	if (slot == S_LOCK0) {
		lock_update(t, ev, seq);
		return;
	}
	slot_set(&t->s[slot], ev, seq);
	t->active = seq;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct kf_slot *x = a, *y = b;

	return cmp_u64(x->seq, y->seq);
}

size_t gst_keyframe_snapshot(struct gst_keyframe *k, struct gs_event *out)
{
	struct kf_slot *s = k->scratch;
	size_t n = 0;

	for (size_t i = 0; i < GST_KF_MAX_CPUS; i++)
		if (k->cpu[i].seq)
			s[n++] = k->cpu[i];
	for (size_t i = 0; i < k->nfork; i++)
		s[n++] = k->fork[i];
	for (size_t i = 0; i < k->nthr; i++)
		for (int j = 0; j < GST_KF_THREAD_SLOTS; j++)
			if (k->thr[i].s[j].seq)
				s[n++] = k->thr[i].s[j];
	qsort(s, n, sizeof(*s), cmp_seq);
	/* a SCHED_SWITCH can sit in both a CPU and its prev's off-CPU slot */
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (!m || s[i].seq != s[i - 1].seq)
			out[m++] = s[i].ev;
	return m;
}
