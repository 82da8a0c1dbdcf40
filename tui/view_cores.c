/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_cores.c - one strip per CPU: who ran there, column by column.
 * Colour: a block in the thread's colour, tall and bright where the thread
 * held the lock, low where it ran without it, grey for other processes.
 * Monochrome: the thread's letter, upper case with the lock, lower without.
 */
#include <stdio.h>
#include "tui/view.h"

static bool on_cpu(const struct view_ctx *c, const struct model_span *s, uintptr_t cpu)
{
	(void)c;
	return s->kind == SPAN_CPU && s->cpu == cpu;
}

static void cores_draw(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	struct lane_col cols[LANE_MAX];
	struct cell_style label = { .attr = GA_BOLD };

	for (int row = 0; row < r.h && row < c->cpu_rows; row++) {
		int y = r.y + row;

		grid_printf(g, r.x, y, c->label_w, label, "CPU%u", c->cpus[row]);
		view_lane(c, cols, on_cpu, (uintptr_t)c->cpus[row]);
		for (int k = 0; k < c->lane_w; k++) {
			const struct model_span *s = cols[k].s;
			const struct tl_thread *t;
			bool locked;
			uint32_t ch;

			if (!s)
				continue;
			t = s->flags & SPAN_F_OTHER ? NULL : view_thread(c, s->tid);
			locked = t && (s->flags & SPAN_F_LOCKED);
			if (!t)
				ch = view_glyph(c, 0x2591, '#');
			else if (c->st->color && !c->st->ascii)
				ch = locked ? 0x2587 : 0x2581;
			else
				ch = view_letter(c, t, !locked);
			grid_put(g, r.x + c->label_w + k, y, ch,
				 view_thread_style(c, t, locked));
		}
	}
}

const struct view view_cores = {
	.name = "cores",
	.draw = cores_draw,
};
