/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * top_impl.h - the state of `gilscope top` (tui/top.h), shared by its
 * controller (top.c: keys, layout, the loop) and its drawing (view_top.c).
 */
#ifndef TUI_TOP_IMPL_H
#define TUI_TOP_IMPL_H
#include "tui/top.h"

struct top {
	struct top_opts o;
	char scope[64];			/* o.scope points here */
	struct toprows rows;		/* a copy of the last rows given */
	uint8_t sort;			/* enum top_sort */
	bool reverse;			/* the other order of that column */
	bool all_open;			/* every process shows its threads... */
	uint32_t open[TOP_OPEN_MAX];	/* ...but these (or, without all_open, only these) */
	size_t nopen;
	uint32_t sel_pid, sel_tid;	/* the selected row (follows it when rows move) */
	bool have_sel;
	size_t scroll;			/* first row of the layout shown */
	char filter[TOP_FILTER_MAX];	/* rows shown contain it ("" = all) */
	bool editing;			/* typing the filter */
	bool help;			/* the help overlay is open */
	bool paused;			/* the numbers stand still */
	uint32_t interval_ms;
	char message[128];		/* a note on the key line, "" none */
	size_t *vis;			/* the layout: indexes into rows.rows, in order */
	size_t nvis, cap_vis;
};

/* Recomputes t->vis from the rows, sort, filter and open processes. */
int top_layout(struct top *t);
/* Rows of the table on a screen h rows high. */
int top_table_rows(int h);
/* Where the selection is in t->vis (0 if nothing is selected). */
size_t top_selected(const struct top *t);

#endif
