/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * grid.h - an in-memory screen: a rectangle of cells, each one character
 * (a Unicode code point) with a foreground, a background and attributes.
 * Views draw into a grid; only tui/crt.c copies a grid to the terminal, and
 * tests compare grid_text() with golden files. See grid.c for the model.
 *
 * The grid owns its cells; grid_new() returns NULL on out-of-memory.
 * Drawing outside the grid is clipped silently (views need not check).
 */
#ifndef GRID_H
#define GRID_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Eight terminal colours; GC_DEFAULT leaves the terminal's own colour. */
enum grid_color {
	GC_DEFAULT = 0,
	GC_BLACK,
	GC_RED,
	GC_GREEN,
	GC_YELLOW,
	GC_BLUE,
	GC_MAGENTA,
	GC_CYAN,
	GC_WHITE,
	GC__COUNT
};

enum grid_attr {
	GA_BOLD = 1 << 0,	/* bright: "this thread holds the lock" */
	GA_DIM = 1 << 1,
	GA_REVERSE = 1 << 2,
	GA_UNDERLINE = 1 << 3,
};

struct cell_style {
	uint8_t fg;		/* enum grid_color */
	uint8_t bg;		/* enum grid_color */
	uint8_t attr;		/* enum grid_attr bits */
};

struct cell {
	uint32_t ch;		/* Unicode code point, never 0 (blank is ' ') */
	struct cell_style st;	/* how it looks */
};

struct grid {
	int w, h;		/* size in cells */
	struct cell *cells;	/* h rows of w cells, row-major */
};

#define STYLE_PLAIN ((struct cell_style){ 0 })

struct grid *grid_new(int w, int h);
void grid_free(struct grid *g);
/* Fill every cell with a blank in the default style. */
void grid_clear(struct grid *g);
/* The cell at (x, y), or NULL outside the grid. */
struct cell *grid_at(struct grid *g, int x, int y);
const struct cell *grid_cell(const struct grid *g, int x, int y);
void grid_put(struct grid *g, int x, int y, uint32_t ch, struct cell_style st);
/* Fill the w x h rectangle at (x, y) with ch. */
void grid_fill(struct grid *g, int x, int y, int w, int h, uint32_t ch,
	       struct cell_style st);
/* Write UTF-8 text from (x, y), at most maxw cells (maxw < 0: to the right
 * edge). Control characters and invalid bytes become '?'. Each code point
 * takes one cell (the views only use narrow characters). Returns the number
 * of cells written. */
int grid_print(struct grid *g, int x, int y, int maxw, struct cell_style st,
	       const char *utf8);
/* The cells grid_print() would take for utf8 without a limit. */
int grid_cells(const char *utf8);
/* printf-style grid_print (the text is truncated at 512 bytes). */
int grid_printf(struct grid *g, int x, int y, int maxw, struct cell_style st,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Set the style of the w cells from (x, y), keeping their characters. */
void grid_style(struct grid *g, int x, int y, int w, struct cell_style st);
/* Row y as UTF-8 into buf (trailing blanks trimmed). Returns its length,
 * or the length it would need, like snprintf. */
size_t grid_row_text(const struct grid *g, int y, char *buf, size_t len);
/* The whole grid as UTF-8 text, one line per row ending in '\n', trailing
 * blanks trimmed. Returns a malloc'ed string the caller frees, or NULL. */
char *grid_text(const struct grid *g);
/* Encode one code point as UTF-8 into out (4 bytes); returns its length. */
int grid_utf8_encode(uint32_t cp, char out[4]);

#endif
