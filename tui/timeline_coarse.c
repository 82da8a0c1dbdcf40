/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * timeline_coarse.c - keeps a dense window's spans bounded (see
 * timeline_impl.h). A million lock holds in one window cannot be drawn one
 * by one anyway: a column shows the one span that covers most of it. When
 * the timeline holds TL_SPANS_SOFT closed spans, neighbours on one track
 * (a CPU's strip; all holds; all waits) that are both shorter than a grain
 * (the window cut into TL_GRAIN_CELLS) merge into one span that looks like
 * its longest part; if that does not halve them, the grain doubles. A
 * window whose spans never reach the bound is exact, span for span.
 */
#include <stdlib.h>
#include "tui/timeline_impl.h"
#include "util/search.h"

/* The track a span is drawn on, as far as merging goes. */
static uint64_t track(const struct model_span *s)
{
	return (uint64_t)s->kind << 32 | (s->kind == SPAN_CPU ? s->cpu : 0u);
}

static int by_track(const void *a, const void *b)
{
	const struct model_span *x = &((const struct tl_span *)a)->s;
	const struct model_span *y = &((const struct tl_span *)b)->s;
	uint64_t tx = track(x), ty = track(y);

	return cmp_u64(tx, ty) ?: cmp_u64(x->start_ns, y->start_ns);
}

static size_t merge(struct tl_span *v, size_t n, uint64_t grain)
{
	size_t k = 0;

	qsort(v, n, sizeof(*v), by_track);
	for (size_t i = 0; i < n; i++) {
		struct tl_span *c = k ? &v[k - 1] : NULL;
		const struct model_span *s = &v[i].s;

		if (c && track(&c->s) == track(s) && c->s.end_ns - c->s.start_ns < grain &&
		    s->end_ns - s->start_ns < grain && s->start_ns <= c->s.end_ns + grain) {
			uint64_t start = c->s.start_ns, end = c->s.end_ns > s->end_ns ? c->s.end_ns
										: s->end_ns;

			uint64_t busy = gs_sat_add(c->busy, v[i].busy);

			if (v[i].best > c->best)	/* it looks like its longest part */
				*c = v[i];
			c->s.start_ns = start;
			c->s.end_ns = end;
			c->busy = busy;
			continue;
		}
		v[k++] = v[i];
	}
	return k;
}

void tl_coarsen(struct timeline *tl)
{
	uint64_t w = tl->want_t1 > tl->want_t0 ? tl->want_t1 - tl->want_t0 : 1;
	uint64_t g = w / TL_GRAIN_CELLS ? w / TL_GRAIN_CELLS : 1;

	if (tl->grain > g)
		g = tl->grain;
	if (w > tl->grain_w)
		tl->grain_w = w;
	for (;;) {
		tl->grain = g;
		tl->nspans = merge(tl->spans, tl->nspans, g);
		/* at a grain as wide as the window every track is a few spans */
		if (tl->nspans <= TL_SPANS_SOFT / 2 || g >= w)
			break;
		g *= 2;
	}
	/* thousands of CPU tracks may stay above it: not again too soon */
	tl->coarsen_at = tl->nspans * 2 > TL_SPANS_SOFT ? tl->nspans * 2 : TL_SPANS_SOFT;
}
