/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * top.h - `gilscope top`: every Python process's GIL, like htop. A table
 * of processes (each can be opened to show its threads) with the share of
 * the interval the GIL was held and waited for, hand-offs and acquisitions
 * per second, the longest wait, and the function holding it most when the
 * Python-aware layer knows it; processes that cannot be traced are listed
 * with why ("not traceable: stripped"), never hidden.
 *
 * Like app.h, the pure part (top_set_rows, top_key, top_render) does not
 * touch the terminal, so tests drive it with keys and compare grids with
 * golden files; top_run() is the loop that adds the terminal (tui/crt.h)
 * and the clock.
 *
 * Keys: q quit, ? help, h/w/o/l/p/n sort by held, waited, hand-offs,
 * longest wait, pid, name (again: reverse order), / filter (Enter keeps
 * it, Esc clears it), up/down select, Enter opens or closes the selected
 * process's threads, t opens or closes them all, +/- refresh interval
 * (0.5, 1, 2, 5, 10 s), space pauses the numbers.
 */
#ifndef TUI_TOP_H
#define TUI_TOP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/gilsnap.h"
#include "model/toprows.h"
#include "tui/grid.h"

enum top_sort {
	TOP_SORT_HELD = 0,	/* largest first, like every number column */
	TOP_SORT_WAITED,
	TOP_SORT_HANDOFFS,
	TOP_SORT_LONGEST,
	TOP_SORT_PID,		/* smallest first, like the name */
	TOP_SORT_NAME,
	TOP_NSORT
};

#define TOP_FILTER_MAX 48	/* bytes of the filter */
#define TOP_OPEN_MAX 64		/* processes opened one by one */

struct top;

struct top_opts {
	bool ascii;		/* plain ASCII glyphs */
	bool color;		/* colours wanted */
	uint32_t interval_ms;	/* refresh interval (0: 1000) */
	const char *scope;	/* what is watched, for the title ("every process", "pid 42") */
};

/* A view with no rows yet, sorted by held, every process closed. o is
 * copied (its scope string too). 0 or -ENOMEM (*out is then NULL or to be
 * freed with top_free). */
int top_new(struct top **out, const struct top_opts *o);
/* Frees the view and its copy of the rows. Safe on NULL. */
void top_free(struct top *t);
/* The rows to show (copied; the caller keeps its own). */
int top_set_rows(struct top *t, const struct toprows *rows);
/* A key (a crt_key code or a character), with the screen's height for
 * paging. Returns 1 to quit, 0 otherwise. */
int top_key(struct top *t, int key, int screen_h);
/* Draw into g (its size is the screen's). 0 or -EINVAL. */
int top_render(struct top *t, struct grid *g);
/* The refresh interval chosen now (ms), and whether numbers are paused. */
uint32_t top_interval_ms(const struct top *t);
bool top_paused(const struct top *t);
/* A note on the key line until the next key (copied). */
void top_message(struct top *t, const char *msg);

/* The loop: snapshot(ctx, s) fills a new snapshot every interval (0 or a
 * negative errno, which ends the loop); work(ctx), if not NULL, is called
 * about every work_ms in between (the watch's discovery); until q, Ctrl-C
 * or an error. 0 or a negative errno (-ENOTTY when not on a terminal); the
 * terminal is restored on return. */
int top_run(struct top *t, int (*snapshot)(void *ctx, struct gilsnap *s),
	    void (*work)(void *ctx), uint32_t work_ms, void *ctx);

#endif
