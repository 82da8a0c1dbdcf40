/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * timeline_handoff.c - which acquisitions were hand-offs, for the window's
 * handoff (timeline.h). The timeline does not judge them itself: it runs
 * the tracker `report` and `export` count with (model/handoff.h) beside its
 * model, fed the same events from the same starting point, and keeps the
 * last hand-off it reported. After a seek the tracker learns from the model
 * who was waiting at the keyframe (handoff_resume), so a window read from a
 * keyframe marks what one read from the start does (but for the limit
 * handoff.h states).
 */
#include <errno.h>
#include "model/handoff.h"
#include "tui/timeline_impl.h"
#include "trace/trace_reader.h"

static void on_handoff(const struct handoff_info *hi, void *ctx)
{
	struct timeline *tl = ctx;

	tl->hand_last = (struct tl_handoff){
		.pid = hi->pid, .lock = hi->lock,
		.from_tid = hi->from_tid, .to_tid = hi->to_tid,
		.release_ns = hi->release_ns,
		/* the event's own time: where a step stops (the model's may
		 * be later for an event out of order) */
		.at_ns = tl->hand_ev->ts_ns,
	};
}

int tl_hand_reset(struct timeline *tl)
{
	handoff_free(tl->hand);
	tl->hand = NULL;
	tl->hand_resumed = false;
	tl->hand_last = (struct tl_handoff){ 0 };
	return handoff_new(&tl->hand, on_handoff, tl);
}

int tl_hand_feed(struct timeline *tl, const struct gs_event *ev)
{
	int err;

	if (!tl->hand)
		return model_feed(tl->m, ev);
	/* out of memory in the tracker loses a mark, not the session */
	if (!tl->hand_resumed && !(ev->flags & GS_F_KEYFRAME)) {
		tl->hand_resumed = true;
		(void)handoff_resume(tl->hand, tl->m);
	}
	handoff_before(tl->hand, tl->m, ev);
	err = model_feed(tl->m, ev);
	tl->hand_ev = ev;
	(void)handoff_after(tl->hand, tl->m, ev);
	return err;
}

void tl_hand_span(struct timeline *tl, const struct model_span *s)
{
	struct handoff_span hs;

	if (tl->hand && (s->kind == SPAN_HOLD || s->kind == SPAN_WAIT))
		handoff_span(tl->hand, s, &hs);
}

void tl_hand_window(struct timeline *tl)
{
	struct tl_window *w = &tl->win;

	if (tl->hand_last.to_tid && tl->hand_last.at_ns + 1 == w->t1)
		w->handoff = tl->hand_last;
	else
		w->handoff = (struct tl_handoff){ 0 };
}

void tl_hand_free(struct timeline *tl)
{
	handoff_free(tl->hand);
	tl->hand = NULL;
}
