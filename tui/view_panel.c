/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_panel.c - a framed text panel above the key line: lesson narration,
 * or the summary shown when a live program has ended. Text is wrapped at
 * spaces; '\n' starts a new line; what does not fit is cut.
 */
#include <string.h>
#include "tui/view.h"

static void panel_draw(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	const char *p = c->st->panel;
	int tw = r.w - 4, y = r.y + 1;

	view_rule(c, g, r.x, r.y, r.w, c->st->panel_title ? c->st->panel_title : "");
	if (!c->st->panel_title)
		grid_fill(g, r.x, r.y, r.w, 1, view_glyph(c, 0x2500, '-'),
			  (struct cell_style){ .attr = GA_DIM });
	while (p && *p && y < r.y + r.h && tw > 0) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p), cut = n;

		if (n > tw) {	/* break at the last space that fits */
			cut = tw;
			for (int i = tw; i > 0; i--)
				if (p[i] == ' ') {
					cut = i;
					break;
				}
		}
		char line[512];

		if (cut > (int)sizeof(line) - 1)
			cut = sizeof(line) - 1;
		memcpy(line, p, cut);
		line[cut] = '\0';
		grid_print(g, r.x + 2, y++, tw, STYLE_PLAIN, line);
		p += cut;
		while (*p == ' ')
			p++;
		if (*p == '\n' && cut == n)
			p++;
	}
}

const struct view view_panel = {
	.name = "panel",
	.draw = panel_draw,
};
