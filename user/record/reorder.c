/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * reorder.c - the recorder's reorder window (see recorder.h).
 *
 * Events arrive in ring buffer order: each CPU stages its events and hands
 * them to the ring in batches (bpf/gilscope.bpf.c), so the stream is runs of
 * one CPU's events in time order, the CPUs' batches interleaved: nearly
 * sorted. New events collect unsorted in `in`; release() sorts them with a
 * stable merge sort that skips already-ordered runs (linear on sorted input),
 * merges them into `held` (sorted, ties keep arrival order) and delivers the
 * prefix up to the cutoff. An event older than what was already delivered
 * cannot be put in its place any more: it is clamped to the last delivered
 * time and counted, so the sink's order guarantee always holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "record/recorder.h"
#include "util/search.h"

struct reorder {
	struct gs_event *held;	/* sorted, not yet delivered */
	struct gs_event *in;	/* arrived since the last merge, arrival order */
	struct gs_event *tmp;	/* scratch for sorting and merging */
	size_t nheld, nin;
	size_t alloc;		/* capacity of each array (grows up to cap) */
	size_t cap;		/* at most this many events held in total */
	uint64_t last_ns;	/* ts of the last delivered event */
	uint64_t late;		/* events clamped to last_ns */
	recorder_sink_fn sink;
	void *ctx;
};

int reorder_new(struct reorder **out, size_t cap, recorder_sink_fn sink, void *ctx)
{
	struct reorder *ro = calloc(1, sizeof(*ro));

	*out = NULL;
	if (!ro)
		return -ENOMEM;
	ro->cap = cap < 16 ? 16 : cap;
	ro->sink = sink;
	ro->ctx = ctx;
	*out = ro;
	return 0;
}

void reorder_free(struct reorder *ro)
{
	if (!ro)
		return;
	free(ro->held);
	free(ro->in);
	free(ro->tmp);
	free(ro);
}

size_t reorder_held(const struct reorder *ro)
{
	return ro->nheld + ro->nin;
}

uint64_t reorder_late(const struct reorder *ro)
{
	return ro->late;
}

uint64_t reorder_floor(const struct reorder *ro)
{
	return ro->last_ns;
}

static int grow(struct reorder *ro, size_t need)
{
	size_t n = ro->alloc ? ro->alloc : 1024;
	struct gs_event *p;

	while (n < need)
		n *= 2;
	if (n > ro->cap)
		n = ro->cap;
	if (n < need)
		return -ENOBUFS;
	if (!(p = realloc(ro->held, n * sizeof(*p))))
		return -ENOMEM;
	ro->held = p;
	if (!(p = realloc(ro->in, n * sizeof(*p))))
		return -ENOMEM;
	ro->in = p;
	if (!(p = realloc(ro->tmp, n * sizeof(*p))))
		return -ENOMEM;
	ro->tmp = p;
	ro->alloc = n;
	return 0;
}

/* Stable merge of sorted a[0..na) and b[0..nb) into out; ties take a first. */
static void merge(struct gs_event *out, const struct gs_event *a, size_t na,
		  const struct gs_event *b, size_t nb)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na && j < nb)
		out[k++] = b[j].ts_ns < a[i].ts_ns ? b[j++] : a[i++];
	memcpy(out + k, a + i, (na - i) * sizeof(*a));
	memcpy(out + k + na - i, b + j, (nb - j) * sizeof(*b));
}

/* Bottom-up stable merge sort of v[0..n) using tmp[0..n). */
static void sort_events(struct gs_event *v, struct gs_event *tmp, size_t n)
{
	for (size_t w = 1; w < n; w *= 2) {
		bool moved = false;

		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;

			if (mid == hi || v[mid - 1].ts_ns <= v[mid].ts_ns) {
				if (moved)
					memcpy(tmp + lo, v + lo, (hi - lo) * sizeof(*v));
				continue;
			}
			if (!moved) {
				memcpy(tmp, v, lo * sizeof(*v));
				moved = true;
			}
			merge(tmp + lo, v + lo, mid - lo, v + mid, hi - mid);
		}
		if (moved)
			memcpy(v, tmp, n * sizeof(*v));
	}
}

/* Sorts `in` and merges it into `held`. */
static void absorb(struct reorder *ro)
{
	if (!ro->nin)
		return;
	sort_events(ro->in, ro->tmp, ro->nin);
	if (ro->nheld && ro->in[0].ts_ns < ro->held[ro->nheld - 1].ts_ns) {
		merge(ro->tmp, ro->held, ro->nheld, ro->in, ro->nin);
		memcpy(ro->held, ro->tmp, (ro->nheld + ro->nin) * sizeof(*ro->held));
	} else {
		memcpy(ro->held + ro->nheld, ro->in, ro->nin * sizeof(*ro->in));
	}
	ro->nheld += ro->nin;
	ro->nin = 0;
}

/* Delivers held[0..n) (clamping stragglers) and drops them from held. */
static int deliver(struct reorder *ro, size_t n)
{
	int err = 0;

	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (ro->held[i].ts_ns < ro->last_ns) {
			ro->held[i].ts_ns = ro->last_ns;
			ro->late++;
		}
		ro->last_ns = ro->held[i].ts_ns;
	}
	err = ro->sink(ro->ctx, ro->held, n);
	memmove(ro->held, ro->held + n, (ro->nheld - n) * sizeof(*ro->held));
	ro->nheld -= n;
	return err;
}

int reorder_release(struct reorder *ro, uint64_t cutoff_ns)
{
	absorb(ro);
	/* up to the first held event newer than the cutoff */
	return deliver(ro, search_upper_u64(ro->held, ro->nheld, sizeof(*ro->held),
					    offsetof(struct gs_event, ts_ns), cutoff_ns));
}

int reorder_push(struct reorder *ro, const struct gs_event *ev, size_t n)
{
	int err;

	while (n) {
		size_t room, take;

		if (ro->nheld + ro->nin == ro->cap) {
			/* full: give up waiting for the oldest half */
			absorb(ro);
			err = deliver(ro, ro->nheld / 2 ? ro->nheld / 2 : ro->nheld);
			if (err)
				return err;
		}
		if (ro->nheld + ro->nin + 1 > ro->alloc) {
			err = grow(ro, ro->nheld + ro->nin + (n < ro->cap ? n : 1));
			if (err == -ENOBUFS)
				err = grow(ro, ro->cap);
			if (err)
				return err;
		}
		room = ro->alloc - ro->nheld - ro->nin;
		take = n < room ? n : room;
		memcpy(ro->in + ro->nin, ev, take * sizeof(*ev));
		ro->nin += take;
		ev += take;
		n -= take;
	}
	return 0;
}
