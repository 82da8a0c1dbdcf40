/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * report_text.c - the human-readable report (report_write_text, contract in
 * report.h), written from the report's public numbers and its model. Its
 * length is bounded whatever the trace: a million locks or a hundred
 * thousand threads give a line each to the busiest few and one line to the
 * rest, not a line each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/describe.h"
#include "model/model.h"
#include "model/report.h"
#include "trace/trace_cost.h"
#include "util/search.h"

/* What the lines left out add up to. */
struct rest {
	uint64_t n, acq, hold_ns, wait_ns, cpu_ns;
};

struct pick {
	size_t i;	/* index in the model's array */
	uint64_t key;	/* how busy: larger first */
};

static int by_key(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	return cmp_u64(y->key, x->key) ?: cmp_u64(x->i, y->i);
}

static int by_index(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	return cmp_u64(x->i, y->i);
}

/* Keeps the max busiest of picks[0..n) (their first-seen order kept);
 * returns how many. */
static size_t busiest(struct pick *picks, size_t n, size_t max)
{
	if (n <= max)
		return n;
	qsort(picks, n, sizeof(*picks), by_key);
	qsort(picks, max, sizeof(*picks), by_index);
	return max;
}

/* The name column: 12 wide, names of up to 16 bytes; longer names (a
 * Python thread's) widen it for all, up to NAME_W_MAX bytes. */
#define NAME_W 12
#define NAME_CUT 16
#define NAME_W_MAX 32

static void thread_line(FILE *f, const struct model *m, const struct model_thread *t,
			uint64_t dur, int name_w)
{
	char name[DESCRIBE_THREAD_MAX + 16], a[32], b[32], d[32], e[32], g[32], h[32];

	fprintf(f, "  %-7u %-*.*s %6llu %9s %7s %9s %7s %9s %7s %7llu %5llu\n", t->tid, name_w,
		name_w > NAME_CUT ? name_w : NAME_CUT,
		describe_thread(name, sizeof(name), m, t, t->tid),
		(unsigned long long)t->acquisitions,
		fmt_duration(a, sizeof(a), t->hold_ns), fmt_percent(b, sizeof(b), t->hold_ns, dur),
		fmt_duration(d, sizeof(d), t->wait_ns), fmt_percent(e, sizeof(e), t->wait_ns, dur),
		fmt_duration(g, sizeof(g), t->cpu_ns), fmt_percent(h, sizeof(h), t->cpu_ns, dur),
		(unsigned long long)t->ctx_switches, (unsigned long long)t->migrations);
}

static void rest_add(struct rest *r, uint64_t n, uint64_t acq, uint64_t hold, uint64_t wait,
		     uint64_t cpu)
{
	r->n = gs_sat_add(r->n, n);
	r->acq = gs_sat_add(r->acq, acq);
	r->hold_ns = gs_sat_add(r->hold_ns, hold);
	r->wait_ns = gs_sat_add(r->wait_ns, wait);
	r->cpu_ns = gs_sat_add(r->cpu_ns, cpu);
}

static int threads(FILE *f, const struct model *m, uint64_t dur)
{
	size_t nt, n = 0, shown;
	const struct model_thread *t = model_threads(m, &nt);
	const struct model_folded *fo = model_folded(m);
	struct pick *p = malloc((nt ? nt : 1) * sizeof(*p));
	struct rest r = { 0 };
	char a[32], b[32], d[32], e[32], g[32];

	int name_w = NAME_W;
	char name[DESCRIBE_THREAD_MAX + 16];

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < nt; i++)
		if (t[i].traced)
			p[n++] = (struct pick){ i, gs_sat_add(t[i].cpu_ns,
							      gs_sat_add(t[i].hold_ns, t[i].wait_ns)) };
	shown = busiest(p, n, REPORT_TEXT_THREADS);
	for (size_t k = 0; k < shown; k++) {
		int w = (int)strlen(describe_thread(name, sizeof(name), m, &t[p[k].i], t[p[k].i].tid));

		if (w > NAME_CUT && w > name_w)
			name_w = w < NAME_W_MAX ? w : NAME_W_MAX;
	}
	fprintf(f, "\nthreads              %*s%6s %9s %7s %9s %7s %9s %7s %7s %5s\n",
		name_w - NAME_W, "", "acq", "hold", "hold%", "wait", "wait%", "cpu", "cpu%", "ctxsw",
		"migr");
	for (size_t k = 0; k < shown; k++)
		thread_line(f, m, &t[p[k].i], dur, name_w);
	for (size_t k = shown; k < n; k++) {
		const struct model_thread *x = &t[p[k].i];

		rest_add(&r, 1, x->acquisitions, x->hold_ns, x->wait_ns, x->cpu_ns);
	}
	rest_add(&r, fo->threads, fo->acquisitions, fo->hold_ns, fo->wait_ns, fo->cpu_ns);
	if (r.n)
		fprintf(f, "  ... %s more threads%s: %s acquisitions, held %s, waited %s, on CPU %s\n",
			fmt_count(a, sizeof(a), r.n), fo->threads ? " (most exited)" : "",
			fmt_count(b, sizeof(b), r.acq), fmt_duration(d, sizeof(d), r.hold_ns),
			fmt_duration(e, sizeof(e), r.wait_ns), fmt_duration(g, sizeof(g), r.cpu_ns));
	free(p);
	return 0;
}

static int locks(FILE *f, const struct model *m, const struct report_summary *s, uint64_t dur)
{
	size_t nl, shown;
	const struct model_lock *l = model_locks(m, &nl);
	const struct model_folded *fo = model_folded(m);
	uint64_t all = gs_sat_add(nl, fo->locks);
	struct pick *p = malloc((nl ? nl : 1) * sizeof(*p));
	struct rest r = { 0 };
	char a[32], b[32], d[32], e[32];

	if (!p)
		return -ENOMEM;
	if (all > 1)
		fprintf(f, "\nlocks       %s acquisitions of %s locks, held %s in all, waited for %s "
			"in all", fmt_count(a, sizeof(a), s->acquisitions),
			fmt_count(d, sizeof(d), all), fmt_duration(b, sizeof(b), s->hold_ns),
			fmt_duration(e, sizeof(e), s->wait_ns));
	else
		fprintf(f, "\nlock        %s acquisitions, held %s (%s of the time), waited for %s "
			"in all", fmt_count(a, sizeof(a), s->acquisitions),
			fmt_duration(b, sizeof(b), s->hold_ns),
			fmt_percent(d, sizeof(d), s->hold_ns, dur), fmt_duration(e, sizeof(e), s->wait_ns));
	if (s->handoffs)
		fprintf(f, "\n            hand-off to another thread: median %s (%s hand-offs)",
			fmt_duration(a, sizeof(a), s->handoff_p50_ns),
			fmt_count(b, sizeof(b), s->handoffs));
	fputc('\n', f);
	/* several processes (procs) each have their own lock: one line each */
	for (size_t i = 0; i < nl; i++)
		p[i] = (struct pick){ i, l[i].hold_ns };
	shown = all > 1 ? busiest(p, nl, REPORT_TEXT_LOCKS) : 0;
	for (size_t k = 0; k < shown; k++) {
		const struct model_lock *x = &l[p[k].i];

		fprintf(f, "  pid %-7u lock %#llx: %s acquisitions, held %s (%s)\n", x->pid,
			(unsigned long long)x->addr, fmt_count(a, sizeof(a), x->acquisitions),
			fmt_duration(b, sizeof(b), x->hold_ns),
			fmt_percent(d, sizeof(d), x->hold_ns, dur));
	}
	for (size_t k = shown; all > 1 && k < nl; k++)
		rest_add(&r, 1, l[p[k].i].acquisitions, l[p[k].i].hold_ns, 0, 0);
	if (all > 1)
		rest_add(&r, fo->locks, fo->lock_acquisitions, fo->lock_hold_ns, 0, 0);
	if (r.n)
		fprintf(f, "  ... %s more locks: %s acquisitions, held %s\n",
			fmt_count(a, sizeof(a), r.n), fmt_count(b, sizeof(b), r.acq),
			fmt_duration(d, sizeof(d), r.hold_ns));
	free(p);
	return 0;
}

static void cores(FILE *f, const struct report *rp, uint64_t dur)
{
	const struct report_summary *s = report_summary(rp);
	const struct trace_meta *meta = report_meta(rp);
	size_t nc, shown = 0;
	const struct model_cpu *c = model_cpus(report_model(rp), &nc);
	/* without -a only switches touching our tasks are recorded, so time
	 * of other tasks is known only in traces recorded with -a */
	bool others = meta && (meta->flags & TRACE_META_ALL_TASKS);
	uint64_t rest = 0;
	char a[32], b[32], d[32];

	fprintf(f, "\ncores       busy (traced)   lock held%s\n", others ? "   other tasks" : "");
	for (size_t i = 0; i < nc; i++) {
		/* the machine's CPUs, and any other an event named that saw use */
		if (i >= s->cpus && !c[i].busy_ns && !c[i].other_ns)
			continue;
		if (shown++ >= REPORT_TEXT_CPUS) {
			rest++;
			continue;
		}
		fprintf(f, "  CPU%-4zu %14s %11s", i, fmt_percent(a, sizeof(a), c[i].busy_ns, dur),
			fmt_percent(b, sizeof(b), c[i].lock_held_ns, dur));
		if (others)
			fprintf(f, " %13s", fmt_percent(d, sizeof(d), c[i].other_ns, dur));
		fputc('\n', f);
	}
	if (rest)
		fprintf(f, "  ... %s more CPUs\n", fmt_count(a, sizeof(a), rest));
}

int report_write_text(const struct report *rp, FILE *f, bool unicode)
{
	const struct report_summary *s = report_summary(rp);
	const struct trace_meta *meta = report_meta(rp);
	const struct model *m = report_model(rp);
	char a[32], b[32], d[32];
	char hist[FMT_HIST_BUCKETS * 96];
	uint64_t dur = s->duration_ns;
	int err;

	if (meta && meta->command[0])
		fprintf(f, "command     %s\n", fmt_printable(hist, sizeof(hist), meta->command,
							  sizeof(meta->command)));
	if (meta && (meta->host[0] || meta->adapter[0]))
		fprintf(f, "recorded    on %s, adapter %s\n",
			meta->host[0] ? fmt_printable(hist, 128, meta->host, sizeof(meta->host)) : "?",
			meta->adapter[0] ? fmt_printable(hist + 128, 128, meta->adapter,
							 sizeof(meta->adapter)) : "?");
	fprintf(f, "duration    %s, %s events, %s lost, %u CPUs\n", fmt_duration(a, sizeof(a), dur),
		fmt_count(b, sizeof(b), s->events), fmt_count(d, sizeof(d), s->lost), s->cpus);
	if (s->recovered)
		fprintf(f, "note        the trace was recovered from a truncated file (the recorder "
			"did not close it); it ends at the last complete block, %s bytes after it "
			"were unreadable\n", fmt_count(a, sizeof(a), s->bytes_unreadable));
	if (s->lost)
		fprintf(f, "warning     %s events were lost while recording: the timeline has gaps "
			"and totals may be short\n", fmt_count(a, sizeof(a), s->lost));
	if (s->clamped)
		fprintf(f, "warning     %s events carried a time from the traced program outside "
			"the recording; the recorder clamped them into it\n",
			fmt_count(a, sizeof(a), s->clamped));
	trace_cost_line(report_cost(rp), hist, sizeof(hist));
	fprintf(f, "cost        %s\n", hist);
	if (report_cost(rp) && trace_cost_warning(report_cost(rp), hist, sizeof(hist)))
		fprintf(f, "            %s\n", hist);

	if ((err = threads(f, m, dur)) || (err = locks(f, m, s, dur)))
		return err;
	if (fmt_hist_used(s->hold_hist, FMT_HIST_BUCKETS)) {
		fputs("\nhold times (how long the lock was kept each time)\n", f);
		fputs(fmt_hist(hist, sizeof(hist), s->hold_hist, FMT_HIST_BUCKETS, 40, unicode), f);
	}
	if (fmt_hist_used(s->wait_hist, FMT_HIST_BUCKETS)) {
		fputs("\nwait times (from asking for the lock to getting it)\n", f);
		fputs(fmt_hist(hist, sizeof(hist), s->wait_hist, FMT_HIST_BUCKETS, 40, unicode), f);
	}

	cores(f, rp, dur);
	if ((err = report_python_text(rp, f)))	/* CPython: where the GIL was held */
		return err;
	fprintf(f, "\nparallelism %.2f cores busy on average, of %u\n", s->parallelism, s->cpus);
	/* the lesson, when the numbers tell it: threads queued on the lock
	 * while cores stood idle */
	if (s->cpus > 1 && s->parallelism < 1.2 && s->wait_ns > dur / 2)
		fprintf(f, "            threads waited %s for the lock in all: it lets one run at "
			"a time, so more threads do not add speed here\n",
			fmt_duration(a, sizeof(a), s->wait_ns));
	return ferror(f) ? -EIO : 0;
}
