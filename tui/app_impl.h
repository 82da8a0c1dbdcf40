/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * app_impl.h - private to tui/app.c (lifecycle, time, frames, the terminal
 * loop) and tui/app_keys.c (what each key does). Nothing else includes it.
 */
#ifndef APP_IMPL_H
#define APP_IMPL_H
#include "tui/app.h"

enum prompt_kind { PROMPT_NONE = 0, PROMPT_GOTO, PROMPT_FIND };

struct app {
	struct app_opts o;		/* as given (the timeline is not ours) */
	struct tui_state st;		/* what tui_render draws from */
	int lane_cols;			/* lane width of the last frame */
	int screen_w, screen_h;		/* size of the last frame */
	char title[256];		/* st.title points here */
	char message[160];		/* st.message points here */
	uint64_t message_left;		/* ns until the note goes */
	char prompt[96];		/* st.prompt points here */
	enum prompt_kind prompt_kind;	/* a prompt takes the keys */
	char input[32];			/* what was typed at the prompt */
	char find[32];			/* the last search, for `n` */
	char *panel, *panel_title;	/* st.panel / panel_title (owned) */
	bool origin_set;		/* st.origin_ns is the first event */
	bool dirty;			/* something to draw that time does not show */
	uint64_t told_now;		/* now_ns when on_time was last called */
	bool quit;			/* q was pressed */
};

/* The recording's first and last event so far. */
void app_extent(const struct app *a, uint64_t *first, uint64_t *last);
/* The lanes' time span at the current zoom. */
uint64_t app_span(const struct app *a);
/* Nothing more will come: a replay, or a live source that ended. */
bool app_recorded(const struct app *a);
/* Move the right edge to ts, kept within the recording. */
void app_set_now(struct app *a, uint64_t ts);
/* The window the screen shows: [*t0, now), never before the first event. */
int app_window(struct app *a, uint64_t *t0, const struct tl_window **w);
/* Tell on_time if the view's time moved since it was last told. */
void app_time_moved(struct app *a);

#endif
