/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * timeline_sink.c - a live timeline fed by a recording (timeline_sink.h).
 */
#include "tui/timeline.h"
#include "tui/timeline_sink.h"

static int tl_begin(void *ctx, const struct trace_meta *meta)
{
	return timeline_new_live(ctx, meta, NULL);
}

static int tl_events(void *ctx, const struct gs_event *ev, size_t n)
{
	struct timeline **tl = ctx;

	return timeline_append(*tl, ev, n);
}

const struct pipeline_sink timeline_sink = {
	.begin = tl_begin,
	.events = tl_events,
};
