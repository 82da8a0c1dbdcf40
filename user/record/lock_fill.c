/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* lock_fill.c - lock events completed from a thread's history (see lock_fill.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "record/lock_fill.h"
#include "util/hash.h"

struct lock_fill {
	struct hmap req_lock;	/* {tid}: lock of the pending REQUEST */
	struct hmap req_ts;	/* {tid}: its time */
	struct hmap held;	/* {tid, lock}: time of the ACQUIRED */
	struct gs_event *buf;	/* output, up to twice the input */
	size_t cap;
	struct lock_fill_stats st;
};

int lock_fill_new(struct lock_fill **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void lock_fill_free(struct lock_fill *f)
{
	if (!f)
		return;
	hmap_free(&f->req_lock);
	hmap_free(&f->req_ts);
	hmap_free(&f->held);
	free(f->buf);
	free(f);
}

void lock_fill_stats(const struct lock_fill *f, struct lock_fill_stats *st)
{
	*st = f->st;
}

static void forget_thread(struct lock_fill *f, uint32_t tid)
{
	hmap_del(&f->req_lock, hkey_u64(tid));
	hmap_del(&f->req_ts, hkey_u64(tid));
}

/* An ACQUIRED or FAILED: its lock and wait from the pending REQUEST,
 * which is added first if there is none. Returns events written to o. */
static size_t on_end_of_wait(struct lock_fill *f, const struct gs_event *e, struct gs_event *o)
{
	struct hkey t = hkey_u64(e->tid);
	uint64_t lock = 0, since = 0;
	bool pending = hmap_get(&f->req_lock, t, &lock) && hmap_get(&f->req_ts, t, &since);
	size_t n = 0;

	if (e->arg0 && pending && lock != e->arg0)
		pending = false;	/* asked for another one: its end got lost */
	if (e->arg0)
		lock = e->arg0;
	if (!lock) {
		f->st.unknown++;
		return 0;
	}
	if (!pending) {	/* it did not have to wait */
		o[n] = *e;
		o[n].type = GS_EV_LOCK_REQUEST;
		o[n].arg0 = lock;
		o[n++].arg1 = 0;
		f->st.added++;
		since = e->ts_ns;
	}
	o[n] = *e;
	o[n].arg0 = lock;
	if (!o[n].arg1)
		o[n].arg1 = e->ts_ns - since;
	forget_thread(f, e->tid);
	if (e->type == GS_EV_LOCK_ACQUIRED)
		hmap_put(&f->held, (struct hkey){ e->tid, lock }, e->ts_ns);
	return n + 1;
}

int lock_fill_events(struct lock_fill *f, const struct gs_event *ev, size_t n,
		     const struct gs_event **out, size_t *nout)
{
	size_t k = 0;

	if (2 * n > f->cap) {
		struct gs_event *b = realloc(f->buf, 2 * n * sizeof(*b));

		if (!b)
			return -ENOMEM;
		f->buf = b;
		f->cap = 2 * n;
	}
	if (f->held.n + f->req_lock.n > LOCK_FILL_MAX) {
		hmap_clear(&f->held);
		hmap_clear(&f->req_lock);
		hmap_clear(&f->req_ts);
	}
	for (size_t i = 0; i < n; i++) {
		const struct gs_event *e = &ev[i];
		struct hkey t = hkey_u64(e->tid);
		uint64_t v;

		switch (e->type) {
		case GS_EV_LOCK_REQUEST:
			if (hmap_get(&f->req_lock, t, &v) && v == e->arg0) {
				f->st.dropped++;	/* still waiting for it */
				continue;
			}
			if (hmap_put(&f->req_lock, t, e->arg0) || hmap_put(&f->req_ts, t, e->ts_ns))
				return -ENOMEM;
			break;
		case GS_EV_LOCK_ACQUIRED:
		case GS_EV_LOCK_FAILED:
			k += on_end_of_wait(f, e, f->buf + k);
			continue;
		case GS_EV_LOCK_RELEASED:
			f->buf[k] = *e;
			if (hmap_get(&f->held, (struct hkey){ e->tid, e->arg0 }, &v)) {
				hmap_del(&f->held, (struct hkey){ e->tid, e->arg0 });
				/* a function there (GS_F_FUNC) is not a hold time */
				if (!e->arg1 && !(e->flags & GS_F_FUNC))
					f->buf[k].arg1 = e->ts_ns - v;
			}
			k++;
			continue;
		case GS_EV_THREAD_EXIT:
		case GS_EV_PROC_EXIT:
			forget_thread(f, e->tid);
			break;
		}
		f->buf[k++] = *e;
	}
	*out = f->buf;
	*nout = k;
	return 0;
}
