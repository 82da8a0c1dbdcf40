/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * crt.c - curses, and nothing else touches it (see crt.h). Like htop's
 * CRT.c: init, colours, keys, restore. Rendering happened before, into a
 * grid; here each cell only becomes a curses cell.
 */
#define NCURSES_WIDECHAR 1
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <ncursesw/curses.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "tui/crt.h"

static bool active;
static struct grid *shown;	/* what the screen holds: only changes are sent */
static bool has_color;
static bool have_termios;
static struct termios saved_termios;
static volatile sig_atomic_t interrupted;

/* Signals crt_init() catches, and what they did before: crt_done() puts
 * that back, so a caller that goes on after the view (a live recording
 * being finished) gets Ctrl-C and a crash handled as it set them up. */
static const int caught[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGINT, SIGTERM, SIGHUP };
#define NCAUGHT (sizeof(caught) / sizeof(caught[0]))
static struct sigaction saved_sa[NCAUGHT];
static bool have_saved_sa;

void crt_probe(bool *unicode, bool *color)
{
	const char *term = getenv("TERM"), *nc = getenv("NO_COLOR");

	/* the character set only: numbers keep their '.' whatever the locale */
	setlocale(LC_CTYPE, "");
	*unicode = !strcmp(nl_langinfo(CODESET), "UTF-8");
	*color = !(nc && nc[0]) && !(term && !strcmp(term, "dumb"));
}

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Async-signal-safe: put the tty back by hand, then die of the signal.
 * Mouse tracking off (X10, button, any-motion, SGR and urxvt encodings),
 * keypad and cursor keys back to normal, attributes reset, the cursor
 * shown, the normal screen back. */
static void on_fatal(int sig)
{
	static const char reset[] = "\033[?1000l\033[?1002l\033[?1003l\033[?1006l\033[?1015l"
				    "\033[?1l\033>\033[0m\033[?25h\033[?1049l\r\n";

	if (have_termios)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	if (active) {
		ssize_t r = write(STDOUT_FILENO, reset, sizeof(reset) - 1);

		(void)r;	/* nothing more we could do */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void at_exit(void)
{
	crt_done();
}

int crt_init(bool color)
{
	struct sigaction sa;
	static bool registered;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	have_termios = tcgetattr(STDIN_FILENO, &saved_termios) == 0;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NCAUGHT; i++) {
		bool stop = caught[i] == SIGINT || caught[i] == SIGTERM || caught[i] == SIGHUP;

		sa.sa_handler = stop ? on_interrupt : on_fatal;
		/* no SA_RESTART for the stops: poll() returns EINTR */
		sa.sa_flags = stop ? 0 : SA_RESETHAND;
		sigaction(caught[i], &sa, have_saved_sa ? NULL : &saved_sa[i]);
	}
	have_saved_sa = true;
	if (!registered) {
		atexit(at_exit);
		registered = true;
	}
	if (!initscr())
		return -EIO;
	active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	/* clicks and the wheel; presses only, at once (no click timing).
	 * Shift + drag still selects text in most terminals. */
	mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	has_color = false;
	if (color && has_colors() && start_color() == OK) {
		use_default_colors();
		has_color = true;
		/* pair 1 + fg * GC__COUNT + bg; GC_DEFAULT is the terminal's own (-1) */
		for (int fg = 0; fg < GC__COUNT; fg++)
			for (int bg = 0; bg < GC__COUNT; bg++) {
				int p = 1 + fg * GC__COUNT + bg;

				if (p < COLOR_PAIRS)
					init_pair(p, fg ? fg - 1 : -1, bg ? bg - 1 : -1);
			}
	}
	return 0;
}

bool crt_color(void)
{
	return has_color;
}

void crt_size(int *w, int *h)
{
	getmaxyx(stdscr, *h, *w);
}

static bool same_cell(const struct cell *a, const struct cell *b)
{
	return a->ch == b->ch && a->st.fg == b->st.fg && a->st.bg == b->st.bg &&
	       a->st.attr == b->st.attr;
}

void crt_draw(const struct grid *g)
{
	int w, h;

	crt_size(&w, &h);
	if (!shown || shown->w != g->w || shown->h != g->h) {
		grid_free(shown);
		shown = grid_new(g->w, g->h);	/* NULL: every cell is sent */
		if (shown)
			shown->cells[0].ch = 0;	/* differs from any cell */
		clear();
	}
	for (int y = 0; y < h && y < g->h; y++) {
		for (int x = 0; x < w && x < g->w; x++) {
			const struct cell *c = grid_cell(g, x, y);
			struct cell *was = shown ? grid_at(shown, x, y) : NULL;
			wchar_t wc[2] = { (wchar_t)c->ch, 0 };
			attr_t a = 0;
			short pair = 0;
			cchar_t cc;

			if (was && same_cell(was, c))
				continue;
			if (was)
				*was = *c;

			if (c->st.attr & GA_BOLD)
				a |= A_BOLD;
			if (c->st.attr & GA_DIM)
				a |= A_DIM;
			if (c->st.attr & GA_REVERSE)
				a |= A_REVERSE;
			if (c->st.attr & GA_UNDERLINE)
				a |= A_UNDERLINE;
			if (has_color && (c->st.fg || c->st.bg)) {
				int p = 1 + c->st.fg * GC__COUNT + c->st.bg;

				pair = p < COLOR_PAIRS ? (short)p : 0;
			}
			setcchar(&cc, wc, a, pair, NULL);
			/* the bottom-right cell scrolls some terminals: insert it */
			if (y == h - 1 && x == w - 1)
				mvins_wch(y, x, &cc);
			else
				mvadd_wch(y, x, &cc);
		}
	}
	wnoutrefresh(stdscr);
	doupdate();
}

static int click_x, click_y;

static int mouse_key(void)
{
	MEVENT ev;

	if (getmouse(&ev) != OK)
		return CRT_KEY_NONE;
	click_x = ev.x;
	click_y = ev.y;
	if (ev.bstate & BUTTON4_PRESSED)
		return CRT_KEY_WHEEL_UP;
	if (ev.bstate & BUTTON5_PRESSED)
		return CRT_KEY_WHEEL_DOWN;
	if (!(ev.bstate & BUTTON1_PRESSED))
		return CRT_KEY_NONE;
	return CRT_KEY_CLICK;
}

void crt_click_at(int *x, int *y)
{
	*x = click_x;
	*y = click_y;
}

int crt_key(int timeout_ms)
{
	wint_t wc;
	int r;

	timeout(timeout_ms);
	r = get_wch(&wc);
	if (r == ERR)
		return CRT_KEY_NONE;
	if (r == KEY_CODE_YES) {
		switch (wc) {
		case KEY_LEFT: return CRT_KEY_LEFT;
		case KEY_RIGHT: return CRT_KEY_RIGHT;
		case KEY_UP: return CRT_KEY_UP;
		case KEY_DOWN: return CRT_KEY_DOWN;
		case KEY_RESIZE: return CRT_KEY_RESIZE;
		case KEY_ENTER: return CRT_KEY_ENTER;
		case KEY_BACKSPACE: return CRT_KEY_BACKSPACE;
		case KEY_HOME: return CRT_KEY_HOME;
		case KEY_END: return CRT_KEY_END;
		case KEY_PPAGE: return CRT_KEY_PGUP;
		case KEY_NPAGE: return CRT_KEY_PGDN;
		case KEY_BTAB: return '\t';
		case KEY_MOUSE: return mouse_key();
		default: return CRT_KEY_NONE;
		}
	}
	switch (wc) {
	case '\r':
	case '\n': return CRT_KEY_ENTER;
	case 127:
	case 8: return CRT_KEY_BACKSPACE;
	case 27: return CRT_KEY_ESC;
	default: return (int)wc;
	}
}

int crt_fd(void)
{
	return STDIN_FILENO;
}

bool crt_interrupted(void)
{
	return interrupted;
}

void crt_done(void)
{
	if (!active)
		return;
	active = false;
	grid_free(shown);
	shown = NULL;
	curs_set(1);
	mousemask(0, NULL);	/* the terminal's own mouse handling back */
	endwin();
	if (have_termios)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	if (have_saved_sa) {
		for (size_t i = 0; i < NCAUGHT; i++)
			sigaction(caught[i], &saved_sa[i], NULL);
		have_saved_sa = false;
	}
}
