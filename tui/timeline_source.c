/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * timeline_source.c - where a timeline's events come from (see timeline.h):
 * a ring of live events in memory, or a trace file read through its reader;
 * the cursor that feeds the model; searches for lock events (the viewer's
 * step keys); and the threads' stable numbers. The window itself is built in timeline.c.
 */
#include <errno.h>
#include "tui/timeline_impl.h"
#include "trace/trace_names.h"
#include "trace/trace_reader.h"

/* a search for the next lock event reads at most about this many events
 * (a key must not freeze the viewer on a trace without lock events) */
#define SEARCH_EVENTS (1u << 20)
#define BACK_SEARCH_BLOCKS 16

uint32_t tl_reg_index(struct timeline *tl, uint32_t tid)
{
	uint64_t i;

	if (hmap_get(&tl->reg, hkey_u64(tid), &i))
		return (uint32_t)i;
	i = tl->reg.n;
	return hmap_put(&tl->reg, hkey_u64(tid), i) ? UINT32_MAX : (uint32_t)i;
}

void tl_number_file_threads(struct timeline *tl)
{
	struct trace_thread_seen ts;

	for (size_t i = 0; i < TL_REG_AHEAD && trace_names_seen_at(trace_reader_names(tl->r), i, &ts);
	     i++)
		tl_reg_index(tl, ts.tid);
}

/* Number threads as a file's thread-seen records would (the writer's rule),
 * so that live and replay give a thread the same letter. */
static void number_threads(struct timeline *tl, const struct gs_event *e)
{
	uint32_t pid[2], tid[2];
	size_t n = gst_event_threads(e, pid, tid);

	for (size_t i = 0; i < n && tl->reg.n < TL_REG_AHEAD; i++)
		if (tid[i] != tl->reg_last)
			tl_reg_index(tl, tl->reg_last = tid[i]);
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
			tl->lost = gs_sat_add(tl->lost, e->arg0);
		number_threads(tl, e);
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

uint64_t timeline_appended(const struct timeline *tl)
{
	return tl->count;
}

int tl_source_seek(struct timeline *tl, uint64_t t0)
{
	tl->batch = NULL;
	tl->batch_n = tl->batch_i = 0;
	tl->eof = false;
	if (tl->r)
		return trace_reader_seek(tl->r, t0);
	tl->live_i = tl->base;
	return 0;
}

int tl_source_peek(struct timeline *tl, const struct gs_event **ev)
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

void tl_source_next(struct timeline *tl)
{
	if (tl->r)
		tl->batch_i++;
	else
		tl->live_i++;
}

static bool is_lock_event(uint8_t type)
{
	return (type >= GS_EV_LOCK_REQUEST && type <= GS_EV_DROP_REQUEST) ||
	       type == GS_EV_LOCK_FAILED;
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
	uint64_t lo = live_lower_bound(tl, ts + 1);	/* first with ts_ns > ts */

	if (ts == UINT64_MAX)
		lo = tl->count;
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
		uint64_t read = 0;

		if ((err = trace_reader_seek(tl->r, ts)))
			return err;
		while ((err = trace_reader_next(tl->r, &ev)) > 0) {
			if (!(ev.flags & GS_F_KEYFRAME) && ev.ts_ns > ts &&
			    is_lock_event(ev.type)) {
				*out = ev.ts_ns;
				return 0;
			}
			if (++read >= SEARCH_EVENTS)
				return -ERANGE;
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
	return -ERANGE;
}
