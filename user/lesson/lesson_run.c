/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson_run.c - the narration state machine and the closing table of a
 * lesson (see lesson.h); the lesson file itself is lesson.c's.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lesson/lesson.h"
#include "model/describe.h"
#include "model/model.h"
#include "trace/trace_cost.h"
#include "trace/trace_names.h"
#include "trace/trace_reader.h"
#include "util/fmt.h"

#define LONG_NS 1024000ull		/* "long" hold/wait: histogram bucket >= 11 */

/* ---- the narration state machine ------------------------------------------ */

struct lesson_run {
	const struct lesson *l;
	struct model *model;	/* our own, fed every event */
	uint32_t ncpus;
	uint64_t t0;		/* first event (0: none yet) */
	uint64_t now;		/* latest time seen in the data */
	uint64_t shown;		/* the narration's clock: a view's time, or
				 * (no view) the data's */
	uint64_t end_ns;	/* when the run ended (ended) */
	bool view_clock;	/* shown moves by lesson_run_time() only */
	uint64_t resumed;	/* shown when the teacher last went on */
	bool cut;		/* stopped before the run was over */
	bool failed;		/* ... because the program failed */
	char fail_why[64];
	uint64_t seen[GS_EV__COUNT];	/* events per kind so far */
	uint64_t long_holds, long_waits;
	uint64_t retakes;	/* acquisitions by the thread that last released */
	uint64_t last_lock;	/* the lock last released, and by whom */
	uint32_t last_releaser;
	double machine_busy;	/* cores busy machine-wide (live), < 0 unknown */
	struct trace_cost cost;	/* what tracing cost the program (live) */
	bool has_cost;
	size_t next;		/* next step to consider */
	int cur;		/* step on screen, -1 before the first */
	bool paused, ended, finished_model, changed;
	bool missed[LESSON_MAX_STEPS];
	uint64_t shown_at[LESSON_MAX_STEPS];
	uint64_t due_on[LESSON_MAX_STEPS];	/* LT_ON: when its event came (0: not yet) */
	uint64_t moment[LESSON_MAX_STEPS];	/* lesson_run_moment() */
};

/* Holds and waits of 1024 us or more, from the model's spans as the report
 * counts them (a release that names a Python function carries no hold time
 * in the event, and a span still open at the end counts too). */
static void on_span(const struct model_span *sp, void *ctx)
{
	struct lesson_run *r = ctx;

	if ((sp->flags & SPAN_F_OTHER) || sp->end_ns - sp->start_ns < LONG_NS)
		return;
	if (sp->kind == SPAN_HOLD)
		r->long_holds++;
	else if (sp->kind == SPAN_WAIT)
		r->long_waits++;
}

int lesson_run_new(struct lesson_run **out, const struct lesson *l,
		   const struct lesson_run_opts *opts)
{
	*out = NULL;
	struct lesson_run *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->l = l;
	r->cur = -1;
	r->machine_busy = -1;
	r->ncpus = opts && opts->ncpus ? opts->ncpus : 1;
	r->view_clock = opts && opts->view_clock;
	struct model_opts mo = { .ncpus = r->ncpus, .trace_flags = opts ? opts->trace_flags : 0,
				 .on_span = on_span, .ctx = r,
				 .span_kinds = 1u << SPAN_HOLD | 1u << SPAN_WAIT };
	r->model = model_new(&mo);
	if (!r->model) {
		free(r);
		return -ENOMEM;
	}
	model_set_names(r->model, opts ? opts->names : NULL);
	*out = r;
	return 0;
}

void lesson_run_free(struct lesson_run *r)
{
	if (!r)
		return;
	model_free(r->model);
	free(r);
}

/* The narration reached the end of the run. */
static bool over(const struct lesson_run *r)
{
	return r->ended && r->shown >= r->end_ns;
}

/* When step k's trigger fired (0: not yet). */
static uint64_t fired(const struct lesson_run *r, size_t k, const struct lesson_step *s)
{
	switch (s->trigger) {
	case LT_AT:
		return r->t0 ? r->t0 + s->at_ns : 0;
	case LT_ON:
		return r->due_on[k];
	case LT_END:
		return r->ended ? r->end_ns : 0;
	}
	return 0;
}

/* Has step k's moment come, on the narration's clock? */
static bool due(struct lesson_run *r, size_t k, const struct lesson_step *s)
{
	switch (s->trigger) {
	case LT_AT:
		return r->t0 && r->shown >= r->t0 && r->shown - r->t0 >= s->at_ns;
	case LT_ON:
		return r->due_on[k] && r->shown >= r->due_on[k];
	case LT_END:
		return over(r);
	}
	return false;
}

/* Bring on every step whose moment came, stopping at a pause. */
static void advance(struct lesson_run *r)
{
	while (!r->paused && !r->cut && r->next < lesson_nsteps(r->l)) {
		const struct lesson_step *s = lesson_step(r->l, r->next);
		bool ok = due(r, r->next, s);
		if (!ok && over(r)) {
			r->missed[r->next] = true;
			ok = true;
		}
		if (!ok)
			return;
		/* its moment: when it fired, or when the class went on from the
		 * step before, whichever is later (a view never goes back) */
		uint64_t m = r->missed[r->next] ? r->end_ns : fired(r, r->next, s);
		if (m < r->resumed)
			m = r->resumed;
		if (!m || m > r->shown)
			m = r->shown;
		r->moment[r->next] = m;
		r->cur = (int)r->next;
		r->shown_at[r->next] = r->t0 && m > r->t0 ? m - r->t0 : 0;
		r->next++;
		r->paused = s->pause;
		r->changed = true;
	}
}

int lesson_run_event(struct lesson_run *r, const struct gs_event *ev)
{
	if (ev->flags & GS_F_KEYFRAME)
		return 0;
	if (r->ended)
		return 0;
	if (!r->t0)
		r->t0 = ev->ts_ns ? ev->ts_ns : 1;
	if (ev->ts_ns > r->now)
		r->now = ev->ts_ns;
	if (!r->view_clock && r->now > r->shown)
		r->shown = r->now;
	if (ev->type < GS_EV__COUNT) {
		r->seen[ev->type]++;
		/* an event step's moment: when its count-th event came */
		for (size_t k = 0; k < lesson_nsteps(r->l) && k < LESSON_MAX_STEPS; k++) {
			const struct lesson_step *s = lesson_step(r->l, k);

			if (s->trigger == LT_ON && s->ev_type == ev->type &&
			    r->seen[ev->type] == s->count)
				r->due_on[k] = r->now;
		}
	}
	if (ev->type == GS_EV_LOCK_ACQUIRED && ev->arg0 == r->last_lock &&
	    ev->tid == r->last_releaser)
		r->retakes++;
	if (ev->type == GS_EV_LOCK_RELEASED) {
		r->last_lock = ev->arg0;
		r->last_releaser = ev->tid;
	}
	int rc = model_feed(r->model, ev);
	advance(r);
	return rc;
}

void lesson_run_time(struct lesson_run *r, uint64_t now_ns)
{
	if (!r->view_clock && now_ns > r->now)
		r->now = now_ns;
	if (now_ns > r->shown)
		r->shown = now_ns;
	advance(r);
}

/* The narration's clock reaches ns (it never goes back) and the model
 * closes its open spans there, once: the run has ended or was cut. */
static void finish_model(struct lesson_run *r, uint64_t ns)
{
	if (ns > r->now)
		r->now = ns;
	if (!r->finished_model) {
		model_finish(r->model, r->now);
		r->finished_model = true;
	}
}

void lesson_run_end(struct lesson_run *r, uint64_t end_ns)
{
	if (r->cut)
		return;
	finish_model(r, end_ns);
	r->ended = true;
	r->end_ns = r->now;
	if (!r->view_clock && r->now > r->shown)
		r->shown = r->now;
	advance(r);
}

void lesson_run_stop(struct lesson_run *r, uint64_t at_ns)
{
	if (r->ended || r->cut)
		return;
	finish_model(r, at_ns);
	r->cut = true;
}

void lesson_run_fail(struct lesson_run *r, const char *why)
{
	lesson_run_stop(r, 0);
	if (!r->cut)
		return;	/* it had ended already */
	r->failed = true;
	r->paused = false;
	r->changed = true;
	snprintf(r->fail_why, sizeof(r->fail_why), "%s", why);
}

void lesson_run_set_names(struct lesson_run *r, const struct trace_names *names)
{
	model_set_names(r->model, names);
}

void lesson_run_continue(struct lesson_run *r)
{
	if (!r->paused)
		return;
	r->paused = false;
	r->changed = true;
	r->resumed = r->shown;
	advance(r);
}

uint64_t lesson_run_moment(const struct lesson_run *r, size_t step)
{
	return step < LESSON_MAX_STEPS ? r->moment[step] : 0;
}

int lesson_run_current(const struct lesson_run *r) { return r->cur; }
bool lesson_run_paused(const struct lesson_run *r) { return r->paused; }
bool lesson_run_ended(const struct lesson_run *r) { return r->ended; }
bool lesson_run_cut(const struct lesson_run *r) { return r->cut; }
bool lesson_run_failed(const struct lesson_run *r) { return r->failed; }
bool lesson_run_over(const struct lesson_run *r) { return over(r) || r->failed; }

bool lesson_run_done(const struct lesson_run *r)
{
	return r->failed || (over(r) && !r->paused && r->next >= lesson_nsteps(r->l));
}

bool lesson_run_changed(struct lesson_run *r)
{
	bool c = r->changed;
	r->changed = false;
	return c;
}

bool lesson_run_missed(const struct lesson_run *r, size_t step)
{
	return step < LESSON_MAX_STEPS && r->missed[step];
}

uint64_t lesson_run_shown_at(const struct lesson_run *r, size_t step)
{
	return step < LESSON_MAX_STEPS ? r->shown_at[step] : 0;
}

size_t lesson_run_text(const struct lesson_run *r, size_t step, char *buf, size_t len)
{
	size_t n = 0;
	if (!len)
		return 0;
	buf[0] = '\0';
	if (step >= lesson_nsteps(r->l))
		return 0;
	const struct lesson_step *s = lesson_step(r->l, step);
	for (size_t i = 0; i < s->nlines && n + 1 < len; i++) {
		int w = snprintf(buf + n, len - n, "%s%s", i ? "\n" : "", s->lines[i]);
		if (w < 0)
			break;
		n += (size_t)w < len - n ? (size_t)w : len - n - 1;
	}
	if (r->missed[step] && n + 1 < len) {
		int w = snprintf(buf + n, len - n, "\n(this moment did not happen in this run)");
		if (w > 0)
			n += (size_t)w < len - n ? (size_t)w : len - n - 1;
	}
	return n;
}

static double span_s(const struct lesson_run *r)
{
	return r->t0 && r->now > r->t0 ? (double)(r->now - r->t0) / 1e9 : 0;
}

double lesson_run_metric(const struct lesson_run *r, unsigned metric)
{
	double secs = span_s(r);
	size_t n, i;
	switch (metric) {
	case LM_PARALLELISM: {
		const struct model_cpu *c = model_cpus(r->model, &n);
		double busy = 0;
		for (i = 0; i < n; i++)
			busy += (double)c[i].busy_ns;
		return secs > 0 ? busy / 1e9 / secs : 0;
	}
	case LM_ACQUISITIONS:
		return (double)r->seen[GS_EV_LOCK_ACQUIRED];
	case LM_ACQ_PER_S:
		return secs > 0 ? (double)r->seen[GS_EV_LOCK_ACQUIRED] / secs : 0;
	case LM_LOCK_BUSY:
	case LM_HOLD_SHARE_MAX: {
		const struct model_thread *t = model_threads(r->model, &n);
		double held = 0, most = 0;
		for (i = 0; i < n; i++) {
			held += (double)t[i].hold_ns;
			if ((double)t[i].hold_ns > most)
				most = (double)t[i].hold_ns;
		}
		if (metric == LM_HOLD_SHARE_MAX)
			return held > 0 ? most / held : 0;
		return secs > 0 ? held / 1e9 / secs : 0;
	}
	case LM_PROCESSES:
	case LM_THREADS: {
		const struct model_thread *t = model_threads(r->model, &n);
		size_t count = 0;
		for (i = 0; i < n; i++) {
			if (!t[i].traced || !t[i].cpu_ns)
				continue;
			bool first = true;
			for (size_t j = 0; metric == LM_PROCESSES && j < i && first; j++)
				if (t[j].traced && t[j].cpu_ns && t[j].pid == t[i].pid)
					first = false;
			count += first;
		}
		return (double)count;
	}
	case LM_TAKEN_BACK:
		return r->seen[GS_EV_LOCK_ACQUIRED] ?
		       (double)r->retakes / (double)r->seen[GS_EV_LOCK_ACQUIRED] : 0;
	case LM_LONG_HOLDS:
		return (double)r->long_holds;
	case LM_LONG_WAITS:
		return (double)r->long_waits;
	}
	return 0;
}

void lesson_run_set_machine_busy(struct lesson_run *r, double cores)
{
	r->machine_busy = cores;
}

void lesson_run_set_cost(struct lesson_run *r, const struct trace_cost *c)
{
	r->has_cost = c != NULL;
	if (c)
		r->cost = *c;
}

/* Live: the recording's; replayed: the trace's (a names record), if any. */
static const struct trace_cost *run_cost(const struct lesson_run *r)
{
	const struct trace_names *n = model_names(r->model);

	if (r->has_cost)
		return &r->cost;
	return n ? trace_names_cost(n) : NULL;
}

/* ---- the closing table ---------------------------------------------------- */

struct table {
	char *buf;
	size_t width, max, n;
};

static void row(struct table *t, const char *fmt, ...)
{
	if (t->n >= t->max || t->width == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->buf + t->n * t->width, t->width, fmt, ap);
	va_end(ap);
	t->n++;
}

static double pct(uint64_t part, double secs)
{
	return secs > 0 ? 100.0 * (double)part / 1e9 / secs : 0;
}

size_t lesson_run_table(const struct lesson_run *r, char *buf, size_t width, size_t max)
{
	struct table t = { .buf = buf, .width = width, .max = max };
	double secs = span_s(r);
	row(&t, "What this run measured");
	if (r->failed)
		row(&t, "  run time                %.2f s on %u cores, then the program failed (%s)",
		    secs, r->ncpus, r->fail_why);
	else
		row(&t, "  run time                %.2f s on %u cores%s", secs, r->ncpus,
		    r->cut ? ", then stopped: the run was cut short" : "");
	double par = lesson_run_metric(r, LM_PARALLELISM);
	row(&t, "  cores busy on average   %.2f", par);
	/* other programs took cores: claims about cores cannot hold then */
	if (r->machine_busy - par >= 0.25)
		row(&t, "  other programs          kept %.2f cores busy meanwhile",
		    r->machine_busy - par);
	row(&t, "  lock acquisitions       %.0f (%.0f per second)",
	    lesson_run_metric(r, LM_ACQUISITIONS), lesson_run_metric(r, LM_ACQ_PER_S));
	row(&t, "  lock held               %.1f %% of the time",
	    100 * lesson_run_metric(r, LM_LOCK_BUSY));
	row(&t, "  holds / waits >= 1 ms   %.0f / %.0f", lesson_run_metric(r, LM_LONG_HOLDS),
	    lesson_run_metric(r, LM_LONG_WAITS));
	/* the probes slow the program down: how much, honestly (a lock taken
	 * tens of thousands of times a second pays a lot) */
	const struct trace_cost *cost = run_cost(r);
	if (cost) {
		char line[160];
		trace_cost_line(cost, line, sizeof(line));
		row(&t, "  tracing cost            %s",
		    strncmp(line, "tracing cost ", 13) ? line : line + 13);
	}
	double acq = lesson_run_metric(r, LM_ACQUISITIONS);
	if (acq > 0)
		row(&t, "  taken right back        %.0f %% of acquisitions (by the thread that "
		    "just released)", 100.0 * (double)r->retakes / acq);
	size_t n;
	const struct model_thread *th = model_threads(r->model, &n);
	size_t shown = 0, busy = 0;
	for (size_t i = 0; i < n; i++)
		busy += th[i].traced && th[i].cpu_ns;
	/* leave room for the claims below the thread rows */
	size_t room = t.max > t.n + 2 + lesson_nclaims(r->l) ? t.max - t.n - 2 - lesson_nclaims(r->l) : 0;
	if (busy && room) {
		/* switches: how often it left a core (woken only to wait again: the old lock) */
		row(&t, "  %-16s %7s %7s %7s %7s %9s", "thread", "hold %", "wait %", "cpu %", "acq",
		    "switches");
		for (size_t i = 0; i < n && shown + 1 < room; i++) {
			if (!th[i].traced || !th[i].cpu_ns)
				continue;
			char name[24];
			/* the one naming rule (a Python thread's name first), cut to the column */
			describe_thread(name, 17, r->model, &th[i], th[i].tid);
			row(&t, "  %-16s %7.1f %7.1f %7.1f %7llu %9llu", name, pct(th[i].hold_ns, secs),
			    pct(th[i].wait_ns, secs), pct(th[i].cpu_ns, secs),
			    (unsigned long long)th[i].acquisitions,
			    (unsigned long long)th[i].ctx_switches);
			shown++;
		}
		if (shown < busy)
			row(&t, "  ... and %zu more threads", busy - shown);
	}
	for (size_t i = 0; i < lesson_nclaims(r->l); i++) {
		const struct lesson_claim *c = lesson_claim(r->l, i);
		double v = lesson_run_metric(r, c->metric);
		char want[48];
		snprintf(want, sizeof(want), "%s %s %g", lesson_metric_name(c->metric), lesson_op_name(c->op),
			 c->value);
		/* counts read better without decimals */
		bool ratio = c->metric == LM_PARALLELISM || c->metric == LM_LOCK_BUSY ||
			     c->metric == LM_HOLD_SHARE_MAX || c->metric == LM_TAKEN_BACK;
		/* a part of a run says nothing about what the whole run meets */
		row(&t, "  expected %-26s measured %-8.*f %s", want, ratio ? 2 : 0, v,
		    r->failed ? "not judged (it failed)" : r->cut ? "not judged (cut short)" :
		    lesson_claim_holds(c, v) ? "yes" : "NO");
	}
	return t.n;
}
