/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gridtext.h - a rendered grid read back as text, for the unit tests of the
 * views: row() is row y's text (in a static buffer, valid until the next
 * call), find_row() the first row that starts with a prefix (or -1),
 * rows_with() how many rows hold a text. Include after tui/grid.h.
 */
#ifndef TESTS_GRIDTEXT_H
#define TESTS_GRIDTEXT_H
#include <string.h>

/* Row y of g as text. */
static inline const char *row(const struct grid *g, int y)
{
	static char buf[4096];

	grid_row_text(g, y, buf, sizeof(buf));
	return buf;
}

/* The row whose text starts with prefix, or -1. */
static inline int find_row(const struct grid *g, const char *prefix)
{
	for (int y = 0; y < g->h; y++)
		if (!strncmp(row(g, y), prefix, strlen(prefix)))
			return y;
	return -1;
}

/* How many rows hold text. */
static inline int rows_with(const struct grid *g, const char *text)
{
	int n = 0;

	for (int y = 0; y < g->h; y++)
		n += strstr(row(g, y), text) != NULL;
	return n;
}
#endif
