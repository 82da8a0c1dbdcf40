/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * handoff.h - the one definition of a lock hand-off, shared by `report`
 * (lock.handoffs and the hand-off latency) and `export` (a flow from each
 * release to the acquisition it let happen), so that the two always agree:
 *
 *   An acquisition of lock L by thread B is a hand-off when B was already
 *   waiting for L when the most recent release of L happened, and that
 *   release was another thread's. Its latency runs from that release to
 *   B's acquisition.
 *
 * "Already waiting" is in event order: B's wait began in an event before
 * the one that ended the other thread's hold (a REQUEST logged after a
 * RELEASED of the same nanosecond did not wait across it). A release is the
 * end of a hold span, whatever ended it: RELEASED, an ACQUIRED that shows
 * the RELEASED was lost, the thread's exit. Holds still open at the end of
 * the trace release nothing.
 *
 * Use: around each model_feed(m, ev) call handoff_before(h, m, ev) and
 * handoff_after(h, m, ev); in the model's on_span callback, pass every HOLD
 * and WAIT span to handoff_span() before using it. Keyframe events change
 * nothing here. The tracker keeps one small record per thread that waited
 * and per lock, like the model itself: bounded by threads and locks, never
 * by the length of the trace. Functions that allocate return 0 or -ENOMEM.
 */
#ifndef MODEL_HANDOFF_H
#define MODEL_HANDOFF_H
#include <stdint.h>
#include "model/model.h"

/* An acquisition that was a hand-off (given to the callback at once). */
struct handoff_info {
	uint64_t lock;		/* the lock: address ... */
	uint32_t pid;		/* ... in this process */
	uint32_t from_tid;	/* the thread that released it */
	uint64_t from_start_ns;	/* start of that thread's hold */
	uint64_t release_ns;	/* end of that hold */
	uint32_t to_tid;	/* the thread that waited and got it */
	uint64_t acquire_ns;	/* start of its hold */
	uint64_t flow;		/* the id handoff_span() gave the released hold */
};

/* What handoff_span() knows about a span (zero where it does not apply). */
struct handoff_span {
	uint64_t src_flow;	/* HOLD: the hold ended while another thread
				 * waited, so a hand-off may follow: its flow
				 * id (1, 2, ...), unique in the trace */
	uint64_t dst_flow;	/* HOLD: the hold began with a hand-off: the
				 * src_flow of the hold released to it */
	uint32_t waiters_begin;	/* WAIT: threads waiting for the lock just
				 * after this wait began (itself included) */
	uint32_t waiters_end;	/* WAIT: ... just after it ended */
};

typedef void (*handoff_fn)(const struct handoff_info *hi, void *ctx);

struct handoff;

/* fn (may be NULL) is called for every hand-off, from handoff_after(). */
int handoff_new(struct handoff **out, handoff_fn fn, void *ctx);
void handoff_before(struct handoff *h, const struct model *m, const struct gs_event *ev);
/* 0, or -ENOMEM (a record could not be made: that hand-off is not seen). */
int handoff_after(struct handoff *h, const struct model *m, const struct gs_event *ev);
/* For each HOLD and WAIT span the model closes; *out is filled (zeroed for
 * other kinds). */
void handoff_span(struct handoff *h, const struct model_span *s, struct handoff_span *out);
/* After a seek: the model was given a keyframe (the state at a block's
 * start, model.h) and the tracker nothing yet. Call this once, before the
 * first event after the keyframe: every thread the model then knows to
 * wait is taken as waiting since before any release to come, so a release
 * and an acquisition after the keyframe make the same hand-off as in a
 * read from the start. A keyframe does not say who released the lock last:
 * an acquisition whose release came before it is not seen as a hand-off.
 * 0 or -ENOMEM. */
int handoff_resume(struct handoff *h, const struct model *m);
/* Hand-offs seen so far. */
uint64_t handoff_count(const struct handoff *h);
void handoff_free(struct handoff *h);

#endif
