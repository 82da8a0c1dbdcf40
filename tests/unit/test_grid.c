/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_grid.c - the in-memory screen: clipping, UTF-8 in and out, styles. */
#include <stdlib.h>
#include "check.h"
#include "tui/grid.h"

static void test_new_clear(void)
{
	struct grid *g = grid_new(5, 3);
	char *t;

	CHECK(g && g->w == 5 && g->h == 3);
	if (!g)
		return;
	CHECK(grid_cell(g, 4, 2)->ch == ' ');
	CHECK(grid_cell(g, 5, 0) == NULL);
	CHECK(grid_cell(g, -1, 0) == NULL);
	t = grid_text(g);
	CHECKF(t && !strcmp(t, "\n\n\n"), "[%s]", t);
	free(t);
	CHECK(grid_new(0, 3) == NULL);
	CHECK(grid_new(3, -1) == NULL);
	grid_free(g);
	grid_free(NULL);
}

static void test_print_clip(void)
{
	struct grid *g = grid_new(6, 2);
	struct cell_style bold = { .fg = GC_RED, .attr = GA_BOLD };
	char buf[64];

	CHECK(grid_print(g, 2, 0, -1, bold, "hello") == 4);	/* clipped at the edge */
	grid_row_text(g, 0, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "  hell"), "[%s]", buf);
	CHECK(grid_cell(g, 2, 0)->st.fg == GC_RED);
	CHECK(grid_cell(g, 2, 0)->st.attr == GA_BOLD);
	CHECK(grid_cell(g, 1, 0)->st.attr == 0);
	CHECK(grid_print(g, 0, 1, 2, STYLE_PLAIN, "abc") == 2);	/* maxw */
	grid_print(g, -3, 5, -1, STYLE_PLAIN, "nowhere");	/* outside: ignored */
	grid_put(g, 100, 100, 'x', STYLE_PLAIN);
	grid_row_text(g, 1, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "ab"), "[%s]", buf);
	CHECK(grid_printf(g, 0, 1, -1, STYLE_PLAIN, "%d%%", 42) == 3);
	grid_row_text(g, 1, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "42%"), "[%s]", buf);
	grid_free(g);
}

static void test_utf8(void)
{
	struct grid *g = grid_new(8, 1);
	char buf[64], small[4];

	/* a 2-, 3- and 4-byte character take one cell each */
	CHECK(grid_print(g, 0, 0, -1, STYLE_PLAIN, "\u00b5\u2587\U0001F600x") == 4);
	CHECK(grid_cell(g, 0, 0)->ch == 0xb5);
	CHECK(grid_cell(g, 1, 0)->ch == 0x2587);
	CHECK(grid_cell(g, 2, 0)->ch == 0x1F600);
	grid_row_text(g, 0, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "\u00b5\u2587\U0001F600x"), "[%s]", buf);
	/* the needed length is returned even when the buffer is short */
	CHECK(grid_row_text(g, 0, small, sizeof(small)) == 10);
	CHECK(strlen(small) == 3);
	/* control characters and broken sequences become '?' */
	grid_clear(g);
	grid_print(g, 0, 0, -1, STYLE_PLAIN, "a\tb\xff\xe2\x96z");
	grid_row_text(g, 0, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "a?b??z"), "[%s]", buf);
	grid_free(g);
}

static void test_fill_style(void)
{
	struct grid *g = grid_new(4, 3);
	char *t;

	grid_fill(g, 1, 1, 10, 10, '#', STYLE_PLAIN);
	grid_style(g, 0, 0, 2, (struct cell_style){ .attr = GA_REVERSE });
	t = grid_text(g);
	CHECKF(t && !strcmp(t, "\n ###\n ###\n"), "[%s]", t);
	CHECK(grid_cell(g, 1, 0)->st.attr == GA_REVERSE);
	CHECK(grid_cell(g, 2, 0)->st.attr == 0);
	free(t);
	grid_put(g, 0, 0, 0, STYLE_PLAIN);	/* 0 is stored as a blank */
	CHECK(grid_cell(g, 0, 0)->ch == ' ');
	grid_free(g);
}

/* grid_cells counts what grid_print draws, bad UTF-8 included */
static void test_cells(void)
{
	static const char *const s[] = {
		"", "abc", "caf\xc3\xa9 \xe2\x96\x87", "\x80x", "a\xe2\x96", "\x01\x7f\xf0\x9f\x98\x80",
	};
	struct grid *g = grid_new(64, 1);

	CHECK(grid_cells("caf\xc3\xa9") == 4);
	for (size_t i = 0; g && i < sizeof(s) / sizeof(s[0]); i++)
		CHECKF(grid_cells(s[i]) == grid_print(g, 0, 0, -1, STYLE_PLAIN, s[i]),
		       "string %zu: %d cells", i, grid_cells(s[i]));
	grid_free(g);
}

int main(void)
{
	RUN(test_new_clear);
	RUN(test_print_clip);
	RUN(test_utf8);
	RUN(test_fill_style);
	RUN(test_cells);
	return check_done();
}
