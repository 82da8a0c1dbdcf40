/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * crt.h - the terminal, and the only code that touches curses: start and
 * stop, colours, keys, copying a grid out. The terminal is restored on
 * crt_done(), at exit(), and on fatal signals (SIGSEGV, SIGABRT, SIGBUS,
 * SIGFPE, SIGILL: restored, then the signal is re-raised). SIGINT, SIGTERM
 * and SIGHUP only set a flag (crt_interrupted) so the caller ends cleanly.
 *
 * One terminal per process: the functions keep global state.
 */
#ifndef CRT_H
#define CRT_H
#include <stdbool.h>
#include "tui/grid.h"

/* Key codes beyond Unicode; printable keys are their own code. */
enum crt_key {
	CRT_KEY_NONE = -1,
	CRT_KEY_LEFT = 0x110000,
	CRT_KEY_RIGHT,
	CRT_KEY_UP,
	CRT_KEY_DOWN,
	CRT_KEY_RESIZE,
	CRT_KEY_ENTER,
	CRT_KEY_BACKSPACE,
	CRT_KEY_ESC,
	CRT_KEY_HOME,
	CRT_KEY_END,
	CRT_KEY_CLICK,		/* left button pressed: where is crt_click_at() */
	CRT_KEY_WHEEL_UP,	/* the wheel: where is crt_click_at() too */
	CRT_KEY_WHEEL_DOWN,
	CRT_KEY_PGUP,
	CRT_KEY_PGDN,
};

/* What the terminal can do, before starting: UTF-8 locale, colours allowed
 * (NO_COLOR unset, TERM not "dumb"). Sets LC_CTYPE from the environment. */
void crt_probe(bool *unicode, bool *color);
/* Takes over the terminal. color: use colours if it has them. Returns 0 or
 * -ENOTTY (stdin/stdout is not a terminal) / -EIO. */
int crt_init(bool color);
/* Does the terminal really show colours (after crt_init)? */
bool crt_color(void);
void crt_size(int *w, int *h);
/* Copy g to the screen (sizes may differ: clipped) and show it. */
void crt_draw(const struct grid *g);
/* The next key, waiting up to timeout_ms (0: don't wait, -1: forever);
 * CRT_KEY_NONE if none. */
int crt_key(int timeout_ms);
/* Where the last CRT_KEY_CLICK or wheel turn was (cell column and row). */
void crt_click_at(int *x, int *y);
/* The fd to poll() for keys. */
int crt_fd(void);
/* Set by SIGINT/SIGTERM/SIGHUP after crt_init. */
bool crt_interrupted(void);
/* Gives the terminal back as it was. Idempotent; safe before crt_init. */
void crt_done(void);

#endif
