/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * promexp.c - Prometheus series of the always-on counters (see promexp.h).
 *
 * State across snapshots: the processes with series (pe_proc, sorted by
 * pid), each with its threads that have a series of their own (pe_thread)
 * and its "(other)" series; the processes past the limit, whose growth
 * goes to the one pid="(other)" series. A series' values are the maximum
 * of what it showed and what the snapshot says, field by field, so they
 * never go down.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/promexp.h"
#include "util/fmt.h"
#include "util/grow.h"
#include "util/hash.h"
#include "util/search.h"

#define REASONS_MAX 8		/* distinct "not traceable" reasons counted apart */

struct pe_vals {
	uint64_t hold_ns, wait_ns, acq, handoffs;
	uint64_t waits, wait_done_ns;	/* the histogram's count and sum */
	uint64_t hist[GILSTAT_HIST];
};

struct pe_thread {
	uint32_t tid;
	char label[GILSNAP_NAME_MAX];	/* fixed when the series began */
	struct pe_vals v;
	bool seen;			/* in the latest snapshot */
};

struct pe_proc {
	uint32_t pid;
	char comm[16];
	struct pe_thread *th;		/* threads with a series, at most max_threads */
	size_t nth, cap_th;
	struct hmap folded;		/* tids counted under (other): tid -> 1 */
	struct hmap waiting;		/* tids waiting for a name: tid -> first seen (ns) */
	struct pe_vals other;		/* thread="(other)" */
	bool has_other;			/* (other) is shown (once non-zero, for good) */
	bool seen;
};

struct pe_folded {			/* a process past max_procs */
	uint32_t pid;
	struct pe_vals last;		/* what it had at the last snapshot */
	bool seen;
};

struct pe_reason {
	char why[GILSNAP_WHY_MAX];
	size_t n;
};

struct promexp {
	struct promexp_opts o;
	struct pe_proc *procs;		/* ascending pid after each update */
	size_t nprocs, cap_procs;
	struct pe_folded *fp;
	size_t nfp, cap_fp;
	struct pe_vals other_proc;	/* pid="(other)" */
	bool has_other_proc;
	uint64_t dropped_threads, dropped_procs;
	size_t traced;			/* gauges of the last update */
	struct pe_reason reasons[REASONS_MAX + 1];	/* the last: every other reason */
	size_t nreasons;
	uint32_t files_traced, files_untraceable;
	uint64_t wall_ns;
};

/* ---- values ------------------------------------------------------------------- */

static void vals_of(struct pe_vals *v, const struct gilstat_totals *t, uint64_t hold,
		    uint64_t wait)
{
	v->hold_ns = hold;
	v->wait_ns = wait;
	v->acq = t->acquisitions;
	v->handoffs = t->handoffs;
	v->waits = t->waits;
	v->wait_done_ns = t->wait_ns;
	memcpy(v->hist, t->hist, sizeof(v->hist));
}

#define EACH_FIELD(v) ((uint64_t *)(v))
#define NFIELDS (sizeof(struct pe_vals) / sizeof(uint64_t))

/* a = max(a, b), field by field */
static void vals_max(struct pe_vals *a, const struct pe_vals *b)
{
	uint64_t *x = EACH_FIELD(a);
	const uint64_t *y = (const uint64_t *)b;

	for (size_t i = 0; i < NFIELDS; i++)
		if (y[i] > x[i])
			x[i] = y[i];
}

static void vals_add(struct pe_vals *a, const struct pe_vals *b)
{
	uint64_t *x = EACH_FIELD(a);
	const uint64_t *y = (const uint64_t *)b;

	for (size_t i = 0; i < NFIELDS; i++)
		x[i] += y[i];
}

/* a -= b, field by field, never below 0 */
static void vals_sub(struct pe_vals *a, const struct pe_vals *b)
{
	uint64_t *x = EACH_FIELD(a);
	const uint64_t *y = (const uint64_t *)b;

	for (size_t i = 0; i < NFIELDS; i++)
		x[i] = x[i] > y[i] ? x[i] - y[i] : 0;
}

/* cur - last; a field that went down started over: all of cur then */
static void vals_delta(struct pe_vals *d, const struct pe_vals *cur, const struct pe_vals *last)
{
	uint64_t *x = EACH_FIELD(d);
	const uint64_t *c = (const uint64_t *)cur, *l = (const uint64_t *)last;

	for (size_t i = 0; i < NFIELDS; i++)
		x[i] = c[i] >= l[i] ? c[i] - l[i] : c[i];
}

static bool vals_zero(const struct pe_vals *a)
{
	const uint64_t *x = (const uint64_t *)a;

	for (size_t i = 0; i < NFIELDS; i++)
		if (x[i])
			return false;
	return true;
}

/* ---- the state ---------------------------------------------------------------- */

int promexp_new(struct promexp **out, const struct promexp_opts *o)
{
	struct promexp *e = calloc(1, sizeof(*e));

	*out = e;
	if (!e)
		return -ENOMEM;
	e->o = *o;
	if (!e->o.max_threads)
		e->o.max_threads = 32;
	if (!e->o.max_procs)
		e->o.max_procs = 256;
	return 0;
}

static void proc_free(struct pe_proc *p)
{
	free(p->th);
	hmap_free(&p->folded);
	hmap_free(&p->waiting);
}

/* procs[0 .. sorted) are in pid order (the ones an update adds come after) */
static struct pe_proc *find_proc(struct promexp *e, uint32_t pid, size_t sorted)
{
	return search_u32(e->procs, sorted, sizeof(*e->procs), offsetof(struct pe_proc, pid), pid);
}

static struct pe_folded *find_folded(struct promexp *e, uint32_t pid)
{
	for (size_t i = 0; i < e->nfp; i++)
		if (e->fp[i].pid == pid)
			return &e->fp[i];
	return NULL;
}

/* A process past max_procs: its growth goes to pid="(other)". */
static int fold_proc(struct promexp *e, const struct gilsnap_proc *p)
{
	struct pe_folded *f = find_folded(e, p->pid);
	struct pe_vals cur, d;

	vals_of(&cur, &p->t, p->hold_ns, p->wait_ns);
	if (!f) {
		if (grow_array(&e->fp, &e->cap_fp, e->nfp + 1, sizeof(*e->fp)))
			return -ENOMEM;
		f = &e->fp[e->nfp++];
		memset(f, 0, sizeof(*f));
		f->pid = p->pid;
		e->dropped_procs++;
	}
	vals_delta(&d, &cur, &f->last);
	vals_add(&e->other_proc, &d);
	e->has_other_proc = true;
	f->last = cur;
	f->seen = true;
	return 0;
}

static int tid_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct pe_thread *)a)->tid, y = ((const struct pe_thread *)b)->tid;

	return x < y ? -1 : x > y;
}

/* The threads of snapshot process sp into series of pp. */
static int update_threads(struct promexp *e, struct pe_proc *pp, const struct gilsnap *s,
			  const struct gilsnap_proc *sp)
{
	struct hmap folded = { 0 }, waiting = { 0 };
	struct pe_vals other, cur;
	uint64_t n;
	int r = 0;

	vals_of(&other, &sp->t, sp->hold_ns, sp->wait_ns);
	for (size_t i = 0; i < pp->nth; i++)
		pp->th[i].seen = false;
	for (size_t k = 0; !r && k < sp->nthreads; k++) {
		const struct gilsnap_thread *t = &s->threads[sp->first + k];
		struct hkey key = hkey_u64(t->tid);
		struct pe_thread *th = NULL;

		vals_of(&cur, &t->t, t->hold_ns, t->wait_ns);
		for (size_t i = 0; i < pp->nth && !th; i++)
			if (pp->th[i].tid == t->tid)
				th = &pp->th[i];
		if (th) {
			vals_max(&th->v, &cur);
			th->seen = true;
			vals_sub(&other, &cur);
			continue;
		}
		if (hmap_get(&pp->folded, key, &n)) {	/* stays in (other) */
			r = hmap_put(&folded, key, 1);
			continue;
		}
		if (!hmap_get(&pp->waiting, key, &n))
			n = s->ts_ns;
		if (sp->names && !t->name[0] && s->ts_ns - n < PROMEXP_NAME_WAIT_NS) {
			vals_sub(&other, &cur);	/* in no series until it has its name */
			r = hmap_put(&waiting, key, n);
			continue;
		}
		if (pp->nth >= e->o.max_threads) {
			e->dropped_threads++;
			r = hmap_put(&folded, key, 1);
			continue;
		}
		if ((r = grow_array(&pp->th, &pp->cap_th, pp->nth + 1, sizeof(*pp->th))))
			break;
		th = &pp->th[pp->nth++];
		memset(th, 0, sizeof(*th));
		th->tid = t->tid;
		fmt_thread_label(th->label, sizeof(th->label), t->name, sizeof(t->name), NULL,
				 t->pid, t->tid);
		th->v = cur;
		th->seen = true;
		vals_sub(&other, &cur);
	}
	/* threads that ended: their series end, their numbers are in (other) */
	for (size_t i = pp->nth; i-- > 0;)
		if (!pp->th[i].seen)
			pp->th[i] = pp->th[--pp->nth];
	if (pp->nth > 1)	/* a stable order to read */
		qsort(pp->th, pp->nth, sizeof(*pp->th), tid_cmp);
	hmap_free(&pp->folded);
	hmap_free(&pp->waiting);
	pp->folded = folded;
	pp->waiting = waiting;
	if (pp->has_other || !vals_zero(&other)) {
		vals_max(&pp->other, &other);
		pp->has_other = true;
	}
	return r;
}

static void count_reason(struct promexp *e, const char *why)
{
	size_t i;

	for (i = 0; i < e->nreasons; i++)
		if (!strcmp(e->reasons[i].why, why))
			break;
	if (i == e->nreasons) {
		if (e->nreasons == REASONS_MAX) {
			i = REASONS_MAX;	/* "other" */
			snprintf(e->reasons[i].why, sizeof(e->reasons[i].why), "other");
		} else {
			e->nreasons++;
			snprintf(e->reasons[i].why, sizeof(e->reasons[i].why), "%s", why);
			e->reasons[i].n = 0;
		}
	}
	e->reasons[i].n++;
}

static int pid_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct pe_proc *)a)->pid, y = ((const struct pe_proc *)b)->pid;

	return x < y ? -1 : x > y;
}

int promexp_update(struct promexp *e, const struct gilsnap *s)
{
	size_t sorted = e->nprocs;
	int r = 0;

	e->traced = 0;
	e->nreasons = 0;
	e->reasons[REASONS_MAX].n = 0;
	e->files_traced = s->files_traced;
	e->files_untraceable = s->files_untraceable;
	e->wall_ns = s->wall_ns;
	for (size_t i = 0; i < e->nprocs; i++)
		e->procs[i].seen = false;
	for (size_t i = 0; i < e->nfp; i++)
		e->fp[i].seen = false;
	for (size_t i = 0; !r && i < s->nprocs; i++) {
		const struct gilsnap_proc *sp = &s->procs[i];
		struct pe_proc *pp;

		if (sp->state != GILSNAP_TRACED) {
			count_reason(e, sp->why[0] ? sp->why : "unknown");
			continue;
		}
		e->traced++;
		/* a snapshot names each pid once: a new one is never found twice */
		pp = find_proc(e, sp->pid, sorted);
		if (!pp && find_folded(e, sp->pid)) {
			r = fold_proc(e, sp);
			continue;
		}
		if (!pp) {
			if (e->nprocs >= e->o.max_procs) {
				r = fold_proc(e, sp);
				continue;
			}
			if ((r = grow_array(&e->procs, &e->cap_procs, e->nprocs + 1,
					    sizeof(*e->procs))))
				break;
			pp = &e->procs[e->nprocs++];
			memset(pp, 0, sizeof(*pp));
			pp->pid = sp->pid;
			fmt_printable(pp->comm, sizeof(pp->comm), sp->comm, sizeof(sp->comm) - 1);
		}
		pp->seen = true;
		r = update_threads(e, pp, s, sp);
	}
	/* processes gone: their series end */
	for (size_t i = e->nprocs; i-- > 0;)
		if (!e->procs[i].seen) {
			proc_free(&e->procs[i]);
			e->procs[i] = e->procs[--e->nprocs];
		}
	if (e->nprocs > 1)
		qsort(e->procs, e->nprocs, sizeof(*e->procs), pid_cmp);
	for (size_t i = e->nfp; i-- > 0;)
		if (!e->fp[i].seen)
			e->fp[i] = e->fp[--e->nfp];
	return r;
}

size_t promexp_series(const struct promexp *e)
{
	size_t n = e->has_other_proc;

	for (size_t i = 0; i < e->nprocs; i++)
		n += e->procs[i].nth + e->procs[i].has_other;
	return n;
}

/* ---- text ----------------------------------------------------------------------- */

/* A label value: printable UTF-8, with \ and " escaped (fmt_printable has
 * made newlines and every other control character '?'). */
static void label(FILE *f, const char *name, const char *v, bool comma)
{
	fprintf(f, "%s%s=\"", comma ? "," : "", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

/* ns as seconds, exactly: "1.500000000" */
static void secs(FILE *f, uint64_t ns)
{
	fprintf(f, "%llu.%09llu", (unsigned long long)(ns / 1000000000ull),
		(unsigned long long)(ns % 1000000000ull));
}

enum pe_metric { PM_HOLD, PM_WAIT, PM_ACQ, PM_HANDOFFS, PM_HIST, PM_N };

static const struct {
	const char *name, *type, *help;
} metrics[PM_N] = {
	[PM_HOLD] = { "gilscope_gil_hold_seconds_total", "counter",
		      "Time the thread held the GIL, in progress included." },
	[PM_WAIT] = { "gilscope_gil_wait_seconds_total", "counter",
		      "Time the thread waited for the GIL in take_gil, in progress included." },
	[PM_ACQ] = { "gilscope_gil_acquisitions_total", "counter",
		     "Times the thread took the GIL." },
	[PM_HANDOFFS] = { "gilscope_gil_handoffs_total", "counter",
			  "Acquisitions right after another thread released the GIL while this one waited." },
	[PM_HIST] = { "gilscope_gil_wait_seconds", "histogram",
		      "Finished GIL waits by length." },
};

/* The exported buckets: 4^j us, j = 0..12 (1 us .. 16.8 s), of the log2
 * buckets 2^k us (k even); then +Inf. */
#define HIST_STEP 2

struct labels {
	const char *pid, *comm, *tid, *thread;
};

static void labelset(FILE *f, const struct labels *l)
{
	label(f, "pid", l->pid, false);
	label(f, "comm", l->comm, true);
	label(f, "tid", l->tid, true);
	label(f, "thread", l->thread, true);
}

/* A bucket bound of ns as a short decimal number of seconds: "0.000004", "16.777216". */
static const char *le(char *buf, size_t len, uint64_t ns)
{
	size_t n = (size_t)snprintf(buf, len, "%llu.%09llu", (unsigned long long)(ns / 1000000000ull),
				    (unsigned long long)(ns % 1000000000ull));

	while (n > 1 && n < len && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && n < len && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

static void sample(FILE *f, enum pe_metric m, const struct labels *l, const struct pe_vals *v)
{
	uint64_t cum = 0;
	char buf[32];

	if (m != PM_HIST) {
		fprintf(f, "%s{", metrics[m].name);
		labelset(f, l);
		fputs("} ", f);
		if (m == PM_HOLD)
			secs(f, v->hold_ns);
		else if (m == PM_WAIT)
			secs(f, v->wait_ns);
		else
			fprintf(f, "%llu", (unsigned long long)(m == PM_ACQ ? v->acq : v->handoffs));
		fputc('\n', f);
		return;
	}
	for (unsigned k = 0; k < GILSTAT_HIST; k++) {
		cum += v->hist[k];
		if (k % HIST_STEP || k + 1 >= GILSTAT_HIST)
			continue;
		fprintf(f, "%s_bucket{", metrics[m].name);
		labelset(f, l);
		fprintf(f, ",le=\"%s\"} %llu\n", le(buf, sizeof(buf), 1000ull << k),
			(unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{", metrics[m].name);
	labelset(f, l);
	fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	fprintf(f, "%s_sum{", metrics[m].name);
	labelset(f, l);
	fputs("} ", f);
	secs(f, v->wait_done_ns);
	fprintf(f, "\n%s_count{", metrics[m].name);
	labelset(f, l);
	fprintf(f, "} %llu\n", (unsigned long long)cum);
}

int promexp_render(const struct promexp *e, char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);
	char pid[16], tid[16];

	if (!f)
		return -ENOMEM;
	for (int m = 0; m < PM_N; m++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", metrics[m].name, metrics[m].help,
			metrics[m].name, metrics[m].type);
		for (size_t i = 0; i < e->nprocs; i++) {
			const struct pe_proc *p = &e->procs[i];
			struct labels l = { pid, p->comm, tid, NULL };

			snprintf(pid, sizeof(pid), "%u", p->pid);
			for (size_t k = 0; k < p->nth; k++) {
				snprintf(tid, sizeof(tid), "%u", p->th[k].tid);
				l.thread = p->th[k].label;
				sample(f, m, &l, &p->th[k].v);
			}
			if (p->has_other) {
				l.tid = "";
				l.thread = "(other)";
				sample(f, m, &l, &p->other);
				l.tid = tid;
			}
		}
		if (e->has_other_proc) {
			struct labels l = { "(other)", "(other)", "", "(other)" };

			sample(f, m, &l, &e->other_proc);
		}
	}
	fputs("# HELP gilscope_python_processes Python processes seen, traceable or not (and why not).\n"
	      "# TYPE gilscope_python_processes gauge\n", f);
	fprintf(f, "gilscope_python_processes{traceable=\"true\",reason=\"\"} %zu\n", e->traced);
	for (size_t i = 0; i <= REASONS_MAX; i++) {
		const struct pe_reason *r = &e->reasons[i];

		if ((i >= e->nreasons && i < REASONS_MAX) || !r->n)
			continue;
		fputs("gilscope_python_processes{traceable=\"false\"", f);
		label(f, "reason", r->why, true);
		fprintf(f, "} %zu\n", r->n);
	}
	fprintf(f, "# HELP gilscope_interpreter_files Interpreter files seen, probed or not.\n"
		"# TYPE gilscope_interpreter_files gauge\n"
		"gilscope_interpreter_files{traceable=\"true\"} %u\n"
		"gilscope_interpreter_files{traceable=\"false\"} %u\n",
		e->files_traced, e->files_untraceable);
	fprintf(f, "# HELP gilscope_series_dropped_total Threads and processes counted under "
		"\"(other)\" for the label limit.\n"
		"# TYPE gilscope_series_dropped_total counter\n"
		"gilscope_series_dropped_total{kind=\"thread\"} %llu\n"
		"gilscope_series_dropped_total{kind=\"process\"} %llu\n",
		(unsigned long long)e->dropped_threads, (unsigned long long)e->dropped_procs);
	fputs("# HELP gilscope_snapshot_timestamp_seconds When the values were read (Unix time).\n"
	      "# TYPE gilscope_snapshot_timestamp_seconds gauge\n"
	      "gilscope_snapshot_timestamp_seconds ", f);
	secs(f, e->wall_ns);
	fputc('\n', f);
	if (fclose(f))
		return -ENOMEM;
	return 0;
}

void promexp_free(struct promexp *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nprocs; i++)
		proc_free(&e->procs[i]);
	free(e->procs);
	free(e->fp);
	free(e);
}
