/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * app.h - the interactive viewer shared by `replay`, `live` and `lesson`:
 * keys change the view state, time moves (replay speed, or following the
 * newest live event), each frame asks the timeline for the window and
 * renders it (tui.h), and crt.h shows it.
 *
 * app_key(), app_tick() and app_render() do not touch the terminal, so tests
 * drive the viewer with keys and compare grids; app_run() is the loop that
 * adds the terminal. The app does not own the timeline; strings given to it
 * are copied.
 *
 * Time: st->now_ns is the right edge of what is shown ("t=" on the status
 * line), always within the recording: after its first event, at most just
 * after its last. A replay starts at the first event and plays at st->speed.
 * Live, the view follows the newest events; unpaused but behind them (a
 * lesson going on after a pause: st->follow false) it plays at st->speed
 * until it catches up, then follows again. t=0 is the first event, live and
 * replayed alike.
 *
 * app_run() draws a frame only when something changed, and sleeps in poll()
 * while nothing moves (paused, ended, at the end of a replay): no busy
 * redraws.
 */
#ifndef APP_H
#define APP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tui/grid.h"
#include "tui/timeline.h"
#include "tui/tui.h"

struct app;

struct app_opts {
	struct timeline *tl;	/* the data (not owned) */
	uint8_t mode;		/* enum tui_mode */
	bool ascii;		/* plain ASCII glyphs */
	bool color;		/* colours wanted */
	double speed;		/* replay speed; 0 = 1 */
	uint64_t at_ns;		/* replay: start this long after the first event */
	uint64_t ns_per_col;	/* initial zoom; 0 = 1 ms */
	const char *title;	/* traced command for the status line */
	uint32_t pid;		/* traced pid for the status line */
	/* live: an fd to poll next to the keyboard, and what to do when it is
	 * readable: return 0 to go on, 1 when the source has ended, or a
	 * negative errno to stop */
	int poll_fd;		/* -1: none */
	int (*on_poll)(void *ctx, struct app *a);
	/* `s`: save what was recorded; writes a one-line result into msg */
	int (*save)(void *ctx, char *msg, size_t len);
	/* called first with every key: return 1 if it used the key (lessons) */
	int (*on_key)(void *ctx, struct app *a, int key);
	/* called after the view's time (st->now_ns) moved, by play, follow, a
	 * key or a click: a lesson narrates up to it. May pause the view. */
	void (*on_time)(void *ctx, struct app *a);
	void *ctx;
};

int app_new(struct app **out, const struct app_opts *opts);
void app_free(struct app *a);
/* Apply one key (a crt_key code or a character). Returns 1 to quit. */
int app_key(struct app *a, int key);
/* A click at cell (x, y) of the last frame drawn: on the strips, lanes or
 * ruler it pauses there (that column becomes "now"); on a thread's row it
 * highlights that thread (again: none). Returns 0. */
int app_click(struct app *a, int x, int y);
/* The mouse wheel at cell (x, y) of the last frame (dir > 0: up, zoom in):
 * over the strips, lanes or ruler the time under the pointer stays where it
 * is; elsewhere it zooms like + and -. Returns 0. */
int app_wheel(struct app *a, int x, int y, int dir);
/* Let dt_ns of real time pass (playback, following, message expiry). */
void app_tick(struct app *a, uint64_t dt_ns);
/* Zoom so that the whole recording so far fits the lanes, its end at the
 * right edge (the `z` key; a lesson's closing table). */
void app_zoom_fit(struct app *a);
/* Draw the current frame into g (its size is the screen size). A damaged
 * part of a trace file gives an empty window with a note, not an error.
 * -EAGAIN: the window needs more reading than one call does (bounded, see
 * timeline_window); g is untouched, call again (app_run reads the keys in
 * between, so q works whatever the trace). */
int app_render(struct app *a, struct grid *g);
/* The view state, for callers that want to look or adjust. */
struct tui_state *app_state(struct app *a);
/* A note on the key line for a few seconds (copied). */
void app_message(struct app *a, const char *msg);
/* Text panel above the key line (copied); NULL text removes it. */
void app_panel(struct app *a, const char *title, const char *text);
/* The live source ended: stop following at its last event. */
void app_source_ended(struct app *a);
/* Run in the terminal until `q`, Ctrl-C or an error: 0 or a negative errno
 * (-ENOTTY when not on a terminal). The terminal is restored on return. */
int app_run(struct app *a);

#endif
