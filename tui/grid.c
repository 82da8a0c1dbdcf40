/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * grid.c - the in-memory screen every view draws into.
 *
 * Data model: a grid is w x h cells stored row-major in one array; a cell is
 * a whole Unicode code point (not bytes) plus a style (foreground colour,
 * background colour, attribute bits). There are no wide characters, no
 * combining marks and no cursor: every glyph the views use (box drawing,
 * blocks, arrows, Latin text) is one column wide, so cell x is screen column
 * x and clipping is a bounds check. Text enters as UTF-8 and is decoded once,
 * here; it leaves as UTF-8 (grid_text, for tests and golden files) or as
 * cells (tui/crt.c, for curses). Rendering a frame is: clear, let each view
 * write its rectangle, copy out - the grid holds no history, so the same
 * model and view state always give the same grid.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui/grid.h"

struct grid *grid_new(int w, int h)
{
	struct grid *g;

	if (w < 1 || h < 1)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->cells = calloc((size_t)w * h, sizeof(*g->cells));
	if (!g->cells) {
		free(g);
		return NULL;
	}
	g->w = w;
	g->h = h;
	grid_clear(g);
	return g;
}

void grid_free(struct grid *g)
{
	if (!g)
		return;
	free(g->cells);
	free(g);
}

void grid_clear(struct grid *g)
{
	size_t n = (size_t)g->w * g->h;

	for (size_t i = 0; i < n; i++) {
		g->cells[i].ch = ' ';
		g->cells[i].st = STYLE_PLAIN;
	}
}

struct cell *grid_at(struct grid *g, int x, int y)
{
	if (x < 0 || y < 0 || x >= g->w || y >= g->h)
		return NULL;
	return &g->cells[(size_t)y * g->w + x];
}

const struct cell *grid_cell(const struct grid *g, int x, int y)
{
	return grid_at((struct grid *)g, x, y);
}

void grid_put(struct grid *g, int x, int y, uint32_t ch, struct cell_style st)
{
	struct cell *c = grid_at(g, x, y);

	if (!c)
		return;
	c->ch = ch ? ch : ' ';
	c->st = st;
}

void grid_fill(struct grid *g, int x, int y, int w, int h, uint32_t ch,
	       struct cell_style st)
{
	for (int j = y; j < y + h; j++)
		for (int i = x; i < x + w; i++)
			grid_put(g, i, j, ch, st);
}

/* Decode one UTF-8 sequence; returns bytes used (>= 1), *cp = '?' if bad. */
static int utf8_decode(const unsigned char *s, uint32_t *cp)
{
	int n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		*cp = '?';
		return 1;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = '?';
			return i;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return n;
}

int grid_print(struct grid *g, int x, int y, int maxw, struct cell_style st,
	       const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	int n = 0;

	if (maxw < 0)
		maxw = g->w - x;
	while (*s && n < maxw) {
		uint32_t cp;

		s += utf8_decode(s, &cp);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			cp = '?';
		grid_put(g, x + n, y, cp, st);
		n++;
	}
	return n;
}

int grid_cells(const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	int n = 0;
	uint32_t cp;

	for (; *s; n++)
		s += utf8_decode(s, &cp);
	return n;
}

int grid_printf(struct grid *g, int x, int y, int maxw, struct cell_style st,
		const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return grid_print(g, x, y, maxw, st, buf);
}

void grid_style(struct grid *g, int x, int y, int w, struct cell_style st)
{
	for (int i = x; i < x + w; i++) {
		struct cell *c = grid_at(g, i, y);

		if (c)
			c->st = st;
	}
}

int grid_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t grid_row_text(const struct grid *g, int y, char *buf, size_t len)
{
	size_t n = 0;
	int last = -1;

	if (y < 0 || y >= g->h) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	for (int x = 0; x < g->w; x++)
		if (grid_cell(g, x, y)->ch != ' ')
			last = x;
	for (int x = 0; x <= last; x++) {
		char u[4];
		int k = grid_utf8_encode(grid_cell(g, x, y)->ch, u);

		for (int i = 0; i < k; i++, n++)
			if (n + 1 < len)
				buf[n] = u[i];
	}
	if (len)
		buf[n < len ? n : len - 1] = '\0';
	return n;
}

char *grid_text(const struct grid *g)
{
	size_t cap = (size_t)g->h * ((size_t)g->w * 4 + 1) + 1, n = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	for (int y = 0; y < g->h; y++) {
		n += grid_row_text(g, y, out + n, cap - n);
		out[n++] = '\n';
	}
	out[n] = '\0';
	return out;
}
