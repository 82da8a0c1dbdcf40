/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_top.c - the always-on mode without the kernel: hand-made snapshots
 * (model/gilsnap.h) -> `top`'s rates (model/toprows.h) and screen
 * (tui/top.h, golden files in tests/golden/top_*.txt), and -> the
 * exporter's series (model/promexp.h): values, histogram, label limits,
 * counters that never go down, escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "model/gilsnap.h"
#include "model/promexp.h"
#include "model/toprows.h"
#include "tui/crt.h"
#include "tui/grid.h"
#include "tui/top.h"
#include "golden.h"

#define MS 1000000ull
#define S 1000000000ull

/* ---- building snapshots --------------------------------------------------------- */

static struct gilsnap_proc *proc(struct gilsnap *s, uint32_t pid, const char *comm,
				 uint64_t hold, uint64_t wait, uint64_t acq)
{
	struct gilsnap_proc *p = gilsnap_add_proc(s, pid);

	CHECK(p != NULL);
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->hold_ns = p->t.hold_ns = hold;
	p->wait_ns = p->t.wait_ns = wait;
	p->t.acquisitions = acq;
	p->t.waits = acq;
	p->t.handoffs = acq / 2;
	return p;
}

/* A thread of the last process; its waits all in the histogram bucket of
 * wait / acq (bucket k: at most 2^k us). */
static struct gilsnap_thread *thread(struct gilsnap *s, uint32_t tid, const char *name,
				     uint64_t hold, uint64_t wait, uint64_t acq, unsigned k)
{
	struct gilsnap_thread *t = gilsnap_add_thread(s, tid);

	CHECK(t != NULL);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->hold_ns = t->t.hold_ns = hold;
	t->wait_ns = t->t.wait_ns = wait;
	t->t.acquisitions = acq;
	t->t.waits = acq;
	t->t.handoffs = acq / 2;
	t->t.hist[k] = acq;
	return t;
}

/* Two Pythons and a stripped one, at time ts (seconds), scaled by f. */
static void scene(struct gilsnap *s, uint64_t ts, uint64_t f)
{
	struct gilsnap_proc *p;

	gilsnap_clear(s);
	s->ts_ns = ts * S;
	s->wall_ns = 1700000000 * S + ts * S;
	s->files_traced = 1;
	s->files_untraceable = 1;
	p = proc(s, 4242, "python3.11", f * 990 * MS, f * 1000 * MS, f * 40);
	p->holder = 4242;
	p->longest_ns = 900 * MS;
	p->names = true;
	thread(s, 4242, "MainThread", f * 980 * MS, 0, f * 20, 0)->holding = true;
	thread(s, 4250, "waiter", f * 10 * MS, f * 1000 * MS, f * 20, 20)->waiting = true;
	s->threads[s->nthreads - 1].longest_ns = 900 * MS;
	p = proc(s, 5151, "python3.11", 0, 0, 0);
	p->state = GILSNAP_UNTRACEABLE;
	snprintf(p->why, sizeof(p->why), "stripped");
	proc(s, 6000, "worker", f * 300 * MS, f * 100 * MS, f * 300);
	thread(s, 6000, "MainThread", f * 300 * MS, f * 100 * MS, f * 300, 10);
}

/* ---- toprows -------------------------------------------------------------------- */

static const struct toprow *find_row(const struct toprows *r, uint32_t pid, uint32_t tid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->rows[i].pid == pid && r->rows[i].tid == tid)
			return &r->rows[i];
	return NULL;
}

static void test_toprows_rates(void)
{
	struct gilsnap a = { 0 }, b = { 0 };
	struct toprows rows = { 0 };
	const struct toprow *r;

	scene(&a, 10, 1);
	scene(&b, 12, 2);	/* 2 s later, twice the totals */
	CHECK(toprows_compute(&rows, NULL, &a) == 0);
	CHECK(rows.n == 6 && rows.nprocs == 3 && rows.traced == 2 && rows.untraceable == 1);
	CHECK(!rows.rows[0].rated);
	CHECK(toprows_compute(&rows, &a, &b) == 0);
	CHECK(rows.interval_ns == 2 * S);
	r = find_row(&rows, 4242, 0);
	CHECK(r && r->rated && r->nthreads == 2 && r->holding);
	/* held 0.99 s of 2 s; 1 s of waiting in 2 s; 40 acquisitions, 20 hand-offs */
	CHECKF(r && r->held > 0.4949 && r->held < 0.4951, "held %f", r ? r->held : -1);
	CHECKF(r && r->waited > 0.4999 && r->waited < 0.5001, "waited %f", r ? r->waited : -1);
	CHECK(r && r->acq_per_s == 20 && r->handoffs_per_s == 10);
	CHECK(r && r->longest_ns == 900 * MS && !strcmp(r->name, "python3.11"));
	r = find_row(&rows, 4242, 4250);
	CHECK(r && r->waiting && !strcmp(r->name, "waiter"));
	r = find_row(&rows, 5151, 0);
	CHECK(r && !r->rated && r->state == GILSNAP_UNTRACEABLE && !strcmp(r->why, "stripped"));
	/* a counter that went down started over (a reused pid): all of it is new */
	scene(&a, 10, 3);
	CHECK(toprows_compute(&rows, &a, &b) == 0);
	r = find_row(&rows, 6000, 0);
	CHECKF(r && r->acq_per_s == 300, "acq/s %f", r ? r->acq_per_s : -1);
	/* a thread without a name is "tid N" */
	b.threads[b.nthreads - 1].name[0] = '\0';
	CHECK(toprows_compute(&rows, &a, &b) == 0);
	r = find_row(&rows, 6000, 6000);
	CHECK(r && !strcmp(r->name, "tid 6000"));
	toprows_free(&rows);
	gilsnap_free(&a);
	gilsnap_free(&b);
}

/* ---- the exporter --------------------------------------------------------------- */

/* The exporter's text once it has taken the snapshot s (free it). */
static char *update_render(struct promexp *e, const struct gilsnap *s)
{
	char *text = NULL;
	size_t len = 0;

	CHECK(promexp_update(e, s) == 0);
	CHECK(promexp_render(e, &text, &len) == 0);
	CHECK(text && strlen(text) == len);
	return text;
}

/* The value of the sample line that starts with prefix (-1: none). */
static double value(const char *text, const char *prefix)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, prefix, strlen(prefix)) && l[strlen(prefix)] == ' ')
			return strtod(l + strlen(prefix) + 1, NULL);
	return -1;
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		n += !strncmp(l, prefix, strlen(prefix));
	return n;
}

#define WAITER "{pid=\"4242\",comm=\"python3.11\",tid=\"4250\",thread=\"waiter\""

static void test_promexp_values(void)
{
	struct promexp_opts o = { 0 };
	struct gilsnap s = { 0 };
	struct promexp *e = NULL;
	char *t;

	scene(&s, 10, 1);
	CHECK(promexp_new(&e, &o) == 0);
	t = update_render(e, &s);
	CHECK(strstr(t, "# TYPE gilscope_gil_hold_seconds_total counter\n"));
	CHECK(strstr(t, "# TYPE gilscope_gil_wait_seconds histogram\n"));
	CHECK(strstr(t, "gilscope_gil_wait_seconds_total" WAITER "} 1.000000000\n"));
	CHECK(strstr(t, "gilscope_gil_hold_seconds_total" WAITER "} 0.010000000\n"));
	CHECK(value(t, "gilscope_gil_acquisitions_total" WAITER "}") == 20);
	CHECK(value(t, "gilscope_gil_handoffs_total" WAITER "}") == 10);
	/* 20 waits of 50 ms in bucket 20 (2^20 us = 1.048576 s): cumulative */
	CHECK(value(t, "gilscope_gil_wait_seconds_bucket" WAITER ",le=\"0.262144\"}") == 0);
	CHECK(value(t, "gilscope_gil_wait_seconds_bucket" WAITER ",le=\"1.048576\"}") == 20);
	CHECK(value(t, "gilscope_gil_wait_seconds_bucket" WAITER ",le=\"16.777216\"}") == 20);
	CHECK(value(t, "gilscope_gil_wait_seconds_bucket" WAITER ",le=\"+Inf\"}") == 20);
	CHECK(value(t, "gilscope_gil_wait_seconds_count" WAITER "}") == 20);
	CHECK(value(t, "gilscope_gil_wait_seconds_sum" WAITER "}") == 1.0);
	CHECK(count_lines(t, "gilscope_gil_wait_seconds_bucket" WAITER) == 14);
	CHECK(strstr(t, "le=\"0.000001\"") && strstr(t, "le=\"0.004096\""));
	/* the stripped one is counted, not given series */
	CHECK(!strstr(t, "pid=\"5151\""));
	CHECK(strstr(t, "gilscope_python_processes{traceable=\"false\",reason=\"stripped\"} 1\n"));
	CHECK(strstr(t, "gilscope_python_processes{traceable=\"true\",reason=\"\"} 2\n"));
	CHECK(strstr(t, "gilscope_snapshot_timestamp_seconds 1700000010.000000000\n"));
	/* nothing folded: no (other) */
	CHECK(!strstr(t, "thread=\"(other)\""));
	CHECK(promexp_series(e) == 3);
	free(t);
	promexp_free(e);
	gilsnap_free(&s);
}

/* Every sample line is NAME{LABELS} VALUE with quoted label values; every
 * family has HELP and TYPE before its samples. */
static void test_promexp_grammar(void)
{
	struct promexp_opts o = { 0 };
	struct gilsnap s = { 0 };
	struct promexp *e = NULL;
	char *t, *save = NULL;

	scene(&s, 10, 1);
	/* a name from the program with a quote, a backslash and a newline */
	snprintf(s.threads[1].name, sizeof(s.threads[1].name), "a\"b\\c\nd");
	snprintf(s.procs[0].comm, sizeof(s.procs[0].comm), "py\"x");
	CHECK(promexp_new(&e, &o) == 0);
	t = update_render(e, &s);
	CHECK(strstr(t, "comm=\"py\\\"x\",tid=\"4250\",thread=\"a\\\"b\\\\c?d\"}"));
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(l, ' ');
		bool quoted = false;

		if (!strncmp(l, "# HELP ", 7) || !strncmp(l, "# TYPE ", 7))
			continue;
		CHECKF(sp && strtod(sp + 1, NULL) >= 0, "line: %s", l);
		for (char *c = l; sp && c < sp; c++) {	/* no raw quote inside a value */
			if (*c == '\\' && quoted)
				c++;
			else if (*c == '"')
				quoted = !quoted;
		}
		CHECKF(!quoted, "unbalanced quotes: %s", l);
	}
	free(t);
	promexp_free(e);
	gilsnap_free(&s);
}

#define OTHER_4242 "{pid=\"4242\",comm=\"python3.11\",tid=\"\",thread=\"(other)\"}"

/* Threads past the limit and threads that ended go to (other), which only grows. */
static void test_promexp_limits(void)
{
	struct promexp_opts o = { .max_threads = 1, .max_procs = 1 };
	struct gilsnap s = { 0 };
	struct promexp *e = NULL;
	double other, other2;
	char *t;

	scene(&s, 10, 1);
	CHECK(promexp_new(&e, &o) == 0);
	t = update_render(e, &s);
	/* MainThread got the one series; the waiter went to (other); pid 6000 to pid="(other)" */
	CHECK(strstr(t, "thread=\"MainThread\"") && !strstr(t, "thread=\"waiter\""));
	other = value(t, "gilscope_gil_wait_seconds_total" OTHER_4242);
	CHECKF(other == 1.0, "other %f", other);
	CHECK(value(t, "gilscope_gil_acquisitions_total{pid=\"(other)\",comm=\"(other)\",tid=\"\","
		       "thread=\"(other)\"}") == 300);
	CHECK(value(t, "gilscope_series_dropped_total{kind=\"thread\"}") == 1);
	CHECK(value(t, "gilscope_series_dropped_total{kind=\"process\"}") == 1);
	free(t);
	/* later: pid 6000 grew by 300 more; the waiter is read a little lower
	 * than before (the kernel side read mid-update): (other) stays */
	scene(&s, 11, 2);
	s.threads[1].hold_ns = s.threads[1].t.hold_ns = 0;
	s.procs[0].hold_ns -= 20 * MS;
	t = update_render(e, &s);
	CHECK(value(t, "gilscope_gil_acquisitions_total{pid=\"(other)\",comm=\"(other)\",tid=\"\","
		       "thread=\"(other)\"}") == 600);
	other2 = value(t, "gilscope_gil_hold_seconds_total" OTHER_4242);
	CHECKF(other2 >= 0.01, "(other) hold went down to %f", other2);
	CHECK(value(t, "gilscope_series_dropped_total{kind=\"thread\"}") == 1);	/* the same thread */
	free(t);
	/* MainThread ends: its series goes, its numbers are in (other) from now on */
	scene(&s, 12, 3);
	s.procs[0].nthreads = 1;	/* only the waiter is left ... */
	s.threads[0] = s.threads[1];	/* ... in the first slot */
	s.procs[1].first = 1;
	memmove(&s.threads[1], &s.threads[2], (s.nthreads - 2) * sizeof(s.threads[0]));
	s.nthreads--;
	s.procs[2].first = 1;
	t = update_render(e, &s);
	CHECK(!strstr(t, "thread=\"MainThread\""));
	other = value(t, "gilscope_gil_hold_seconds_total" OTHER_4242);
	CHECKF(other >= 2.97 - 1e-9, "(other) hold %f", other);
	free(t);
	/* the process exits: its series go */
	gilsnap_clear(&s);
	s.ts_ns = 13 * S;
	t = update_render(e, &s);
	CHECK(!strstr(t, "pid=\"4242\""));
	CHECK(promexp_series(e) == 1);	/* pid="(other)" keeps its total */
	free(t);
	promexp_free(e);
	gilsnap_free(&s);
}

/* A thread whose name is not read yet waits for it (a label that never changes). */
static void test_promexp_name_wait(void)
{
	struct promexp_opts o = { 0 };
	struct gilsnap s = { 0 };
	struct promexp *e = NULL;
	char *t;

	scene(&s, 10, 1);
	s.threads[1].name[0] = '\0';
	CHECK(promexp_new(&e, &o) == 0);
	t = update_render(e, &s);
	CHECK(!strstr(t, "tid=\"4250\"") && !strstr(t, "thread=\"(other)\""));
	free(t);
	scene(&s, 11, 1);	/* named now */
	t = update_render(e, &s);
	CHECK(strstr(t, WAITER "}") && !strstr(t, "thread=\"(other)\""));
	free(t);
	/* a name that never comes: "tid N" after PROMEXP_NAME_WAIT_NS */
	promexp_free(e);
	CHECK(promexp_new(&e, &o) == 0);
	for (uint64_t ts = 10; ts <= 14; ts += 2) {
		scene(&s, ts, 1);
		s.threads[1].name[0] = '\0';
		t = update_render(e, &s);
		CHECKF(!strstr(t, "tid=\"4250\",thread=\"tid 4250\"") == (ts < 13), "at %llu s",
		       (unsigned long long)ts);
		free(t);
	}
	/* where names are not read at all, "tid N" at once */
	promexp_free(e);
	CHECK(promexp_new(&e, &o) == 0);
	scene(&s, 10, 1);
	s.procs[0].names = false;
	s.threads[1].name[0] = '\0';
	t = update_render(e, &s);
	CHECK(strstr(t, "tid=\"4250\",thread=\"tid 4250\"}"));
	free(t);
	promexp_free(e);
	gilsnap_free(&s);
}

/* Nothing to show, and a Python that has not taken its GIL since we came:
 * the gauges, no series, nothing undefined (UBSan runs this too). */
static void test_promexp_empty(void)
{
	struct promexp_opts o = { 0 };
	struct gilsnap s = { 0 };
	struct promexp *e = NULL;
	char *t;

	CHECK(promexp_new(&e, &o) == 0);
	t = update_render(e, &s);
	CHECK(strstr(t, "gilscope_python_processes{traceable=\"true\",reason=\"\"} 0\n"));
	CHECK(!strstr(t, "pid=\""));
	free(t);
	proc(&s, 77, "python3", 0, 0, 0);
	t = update_render(e, &s);
	CHECK(strstr(t, "gilscope_python_processes{traceable=\"true\",reason=\"\"} 1\n"));
	CHECK(!strstr(t, "pid=\"77\""));
	CHECK(promexp_series(e) == 0);
	free(t);
	promexp_free(e);
	gilsnap_free(&s);
}

/* ---- the view ------------------------------------------------------------------- */

static struct top *top_of(struct toprows *rows, bool ascii)
{
	struct top_opts o = { .ascii = ascii, .interval_ms = 1000 };
	struct gilsnap a = { 0 }, b = { 0 };
	struct top *t = NULL;

	scene(&a, 10, 1);
	scene(&b, 12, 2);
	CHECK(toprows_compute(rows, &a, &b) == 0);
	CHECK(top_new(&t, &o) == 0);
	CHECK(top_set_rows(t, rows) == 0);
	gilsnap_free(&a);
	gilsnap_free(&b);
	return t;
}

static const char *row_text(const struct grid *g, int y)
{
	static char buf[512];

	grid_row_text(g, y, buf, sizeof(buf));
	return buf;
}

static void test_top_golden(void)
{
	struct toprows rows = { 0 };
	struct top *t = top_of(&rows, true);
	struct grid *g = grid_new(100, 12);

	CHECK(t && g);
	CHECK(top_render(t, g) == 0);
	golden("top_100x12_ascii", g);
	CHECK(top_key(t, 't', 12) == 0);	/* every thread */
	CHECK(top_render(t, g) == 0);
	golden("top_100x12_threads", g);
	grid_free(g);
	g = grid_new(80, 26);
	CHECK(top_key(t, '?', 26) == 0);
	CHECK(top_render(t, g) == 0);
	golden("top_80x26_help", g);
	grid_free(g);
	top_free(t);
	toprows_free(&rows);
}

static void test_top_keys(void)
{
	struct toprows rows = { 0 };
	struct top *t = top_of(&rows, true);
	struct grid *g = grid_new(100, 12);

	CHECK(t && g);
	/* held first: 4242 (49 %), 6000 (15 %), the stripped one last */
	top_render(t, g);
	CHECK(strstr(row_text(g, 2), "4242") && strstr(row_text(g, 3), "6000") &&
	      strstr(row_text(g, 4), "5151"));
	/* p: by pid; p again: the other way */
	top_key(t, 'p', 12);
	top_render(t, g);
	CHECK(strstr(row_text(g, 2), "4242") && strstr(row_text(g, 3), "5151"));
	top_key(t, 'p', 12);
	top_render(t, g);
	CHECK(strstr(row_text(g, 2), "6000") && strstr(row_text(g, 4), "4242"));
	/* o: hand-offs: 6000 (150/s) before 4242 (10/s) */
	top_key(t, 'o', 12);
	top_render(t, g);
	CHECK(strstr(row_text(g, 2), "6000"));
	/* a filter: typed after /, kept with Enter; a thread's name finds its process */
	top_key(t, '/', 12);
	top_key(t, 'w', 12);
	top_key(t, 'a', 12);
	top_key(t, 'i', 12);
	top_render(t, g);
	CHECK(strstr(row_text(g, 11), "filter: wai"));
	top_key(t, CRT_KEY_ENTER, 12);
	top_render(t, g);
	CHECK(strstr(row_text(g, 0), "filter: wai"));
	CHECK(strstr(row_text(g, 2), "4242") && strstr(row_text(g, 3), "`- waiter") &&
	      !strstr(row_text(g, 4), "6000"));
	top_key(t, CRT_KEY_ESC, 12);
	top_render(t, g);
	CHECK(strstr(row_text(g, 4), "5151") && !strstr(row_text(g, 0), "filter"));
	/* select the first row, open it with Enter, close it again */
	top_key(t, 'h', 12);
	top_key(t, CRT_KEY_DOWN, 12);	/* from 4242 (the filter's first) to 6000 */
	top_render(t, g);
	CHECK(grid_cell(g, 0, 3)->st.attr & GA_REVERSE);
	top_key(t, CRT_KEY_UP, 12);
	top_key(t, CRT_KEY_ENTER, 12);
	top_render(t, g);
	CHECK(grid_cell(g, 0, 2)->st.attr & GA_REVERSE);
	CHECK(strstr(row_text(g, 3), "|- MainThread") && strstr(row_text(g, 4), "`- waiter"));
	top_key(t, CRT_KEY_ENTER, 12);
	top_render(t, g);
	CHECK(strstr(row_text(g, 3), "6000"));
	/* the interval steps through 0.5 1 2 5 10 s */
	top_key(t, '+', 12);
	CHECK(top_interval_ms(t) == 2000);
	top_key(t, '-', 12);
	top_key(t, '-', 12);
	top_key(t, '-', 12);
	CHECK(top_interval_ms(t) == 500);
	top_key(t, ' ', 12);
	CHECK(top_paused(t));
	CHECK(top_key(t, 'q', 12) == 1);
	grid_free(g);
	top_free(t);
	toprows_free(&rows);
}

/* Nothing found (yet): the screen says so, and a filter that hides
 * everything says how to get the rows back; keys on an empty table are
 * harmless. */
static void test_top_empty(void)
{
	struct top_opts o = { .ascii = true };
	struct toprows rows = { 0 };
	struct grid *g = grid_new(80, 10);
	struct top *t = NULL;
	bool found = false;

	CHECK(top_new(&t, &o) == 0 && g);
	CHECK(top_set_rows(t, &rows) == 0);
	CHECK(top_render(t, g) == 0);
	CHECK(strstr(row_text(g, 0), "0 Python processes: 0 traced"));
	for (int y = 0; y < g->h; y++)
		found |= strstr(row_text(g, y), "no Python process found yet") != NULL;
	CHECK(found);
	CHECK(top_key(t, CRT_KEY_DOWN, 10) == 0 && top_key(t, CRT_KEY_ENTER, 10) == 0 &&
	      top_key(t, 'n', 10) == 0 && top_key(t, CRT_KEY_END, 10) == 0);
	grid_free(g);
	top_free(t);
	g = NULL;
	t = top_of(&rows, true);
	g = grid_new(80, 10);
	top_key(t, '/', 10);
	top_key(t, 'z', 10);
	top_key(t, CRT_KEY_ENTER, 10);
	CHECK(top_render(t, g) == 0);
	found = false;
	for (int y = 0; y < g->h; y++)
		found |= strstr(row_text(g, y), "no process matches the filter (Esc clears it)") != NULL;
	CHECK(found);
	/* a terminal too small: a line saying so, not a broken table */
	grid_free(g);
	g = grid_new(30, 4);
	CHECK(top_render(t, g) == 0 && strstr(row_text(g, 0), "too small"));
	grid_free(g);
	top_free(t);
	toprows_free(&rows);
}

int main(void)
{
	RUN(test_toprows_rates);
	RUN(test_promexp_values);
	RUN(test_promexp_grammar);
	RUN(test_promexp_limits);
	RUN(test_promexp_name_wait);
	RUN(test_promexp_empty);
	RUN(test_top_golden);
	RUN(test_top_keys);
	RUN(test_top_empty);
	return check_done();
}
