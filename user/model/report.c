/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * report.c - trace summary (contract in report.h). The model does the
 * interpreting; this file only listens to its HOLD/WAIT spans (histograms,
 * hand-offs) and reads its totals at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "model/describe.h"
#include "model/model.h"
#include "model/report.h"
#include "trace/trace_reader.h"
#include "util/hash.h"
#include "util/json.h"

/* Log-linear histogram for hand-off latencies: exact below 128 ns, then
 * 64 steps per power of two. Bounded (30 KiB) however long the trace. */
#define LL_EXACT 128
#define LL_STEPS 64
#define LL_BUCKETS (LL_EXACT + (64 - 7) * LL_STEPS)

static size_t ll_index(uint64_t v)
{
	if (v < LL_EXACT)
		return (size_t)v;
	unsigned e = 63 - (unsigned)__builtin_clzll(v);	/* >= 7 */

	return LL_EXACT + (e - 7) * LL_STEPS + ((v >> (e - 6)) & (LL_STEPS - 1));
}

/* middle of bucket i */
static uint64_t ll_value(size_t i)
{
	if (i < LL_EXACT)
		return i;
	unsigned e = (unsigned)((i - LL_EXACT) / LL_STEPS) + 7;
	uint64_t sub = (i - LL_EXACT) % LL_STEPS;
	uint64_t step = 1ull << (e - 6);

	return ((LL_STEPS + sub) << (e - 6)) + step / 2;
}

struct last_hold {
	uint64_t lock;
	uint32_t pid;
	uint64_t end_ns;
	uint32_t tid;
};

struct report {
	struct trace_meta meta;
	bool have_meta;
	struct model *m;
	struct report_summary s;
	bool seen;			/* any event fed */
	struct last_hold *holds;	/* per lock: the last hold seen */
	size_t nholds, cap_holds;
	struct hmap hold_index;		/* {lock, pid} -> index in holds */
	uint64_t *handoff;		/* LL_BUCKETS */
	bool oom;			/* a span could not be recorded */
	struct trace_cost cost;		/* what recording cost the program */
	bool has_cost;
	bool finished;			/* report_finish() ran: numbers are final */
};

static struct last_hold *last_hold(struct report *rp, uint32_t pid, uint64_t lock)
{
	uint64_t i;

	if (hmap_get(&rp->hold_index, (struct hkey){ lock, pid }, &i))
		return &rp->holds[i];
	if (rp->nholds == rp->cap_holds) {
		size_t cap = rp->cap_holds ? rp->cap_holds * 2 : 4;
		struct last_hold *h = realloc(rp->holds, cap * sizeof(*h));

		if (!h)
			return NULL;
		rp->holds = h;
		rp->cap_holds = cap;
	}
	if (hmap_put(&rp->hold_index, (struct hkey){ lock, pid }, rp->nholds))
		return NULL;
	struct last_hold *h = &rp->holds[rp->nholds++];

	memset(h, 0, sizeof(*h));
	h->lock = lock;
	h->pid = pid;
	return h;
}

static void on_span(const struct model_span *sp, void *ctx)
{
	struct report *rp = ctx;
	uint64_t d = sp->end_ns - sp->start_ns;	/* the model never goes backwards */

	if (sp->flags & SPAN_F_OTHER)
		return;
	if (sp->kind == SPAN_WAIT) {
		rp->s.wait_hist[fmt_hist_bucket(d)]++;
	} else if (sp->kind == SPAN_HOLD) {
		rp->s.hold_hist[fmt_hist_bucket(d)]++;
		/* holds of one lock close in the order they began, so the
		 * previous one seen is the one this acquisition followed */
		struct last_hold *h = last_hold(rp, sp->pid, sp->lock);

		if (!h) {
			rp->oom = true;
			return;
		}
		if (h->tid && h->tid != sp->tid && sp->start_ns >= h->end_ns) {
			rp->handoff[ll_index(sp->start_ns - h->end_ns)]++;
			rp->s.handoffs++;
		}
		h->tid = sp->tid;
		h->end_ns = sp->end_ns;
	}
}

int report_new(struct report **out, const struct trace_meta *meta)
{
	struct report *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return -ENOMEM;
	if (meta) {
		rp->meta = *meta;
		rp->meta.command[sizeof(rp->meta.command) - 1] = '\0';
		rp->have_meta = true;
	}
	struct model_opts o = {
		.ncpus = meta ? meta->ncpus : 0,
		.on_span = on_span,
		.ctx = rp,
		.span_kinds = 1u << SPAN_HOLD | 1u << SPAN_WAIT,
	};

	rp->m = model_new(&o);
	rp->handoff = calloc(LL_BUCKETS, sizeof(*rp->handoff));
	if (!rp->m || !rp->handoff) {
		report_free(rp);
		return -ENOMEM;
	}
	*out = rp;
	return 0;
}

void report_free(struct report *rp)
{
	if (!rp)
		return;
	model_free(rp->m);
	free(rp->holds);
	hmap_free(&rp->hold_index);
	free(rp->handoff);
	free(rp);
}

int report_feed(struct report *rp, const struct gs_event *evs, size_t n)
{
	if (!n)
		return 0;
	if (rp->finished)
		return -EINVAL;
	rp->seen = true;
	for (size_t i = 0; i < n; i++) {
		int err = model_feed(rp->m, &evs[i]);

		if (err)
			return err;
	}
	rp->s.events += n;
	return rp->oom ? -ENOMEM : 0;
}

int report_finish(struct report *rp, const struct trace_info *info)
{
	struct report_summary *s = &rp->s;
	int err;

	if (rp->finished)	/* the open spans were counted once already */
		return 0;
	rp->finished = true;
	/* the model clamps stray older events, so its clock is the last ts */
	s->last_ns = model_now(rp->m);
	if (!rp->seen)
		s->first_ns = s->last_ns = 0;
	else
		s->first_ns = model_origin(rp->m);
	err = model_finish(rp->m, s->last_ns);
	if (err)
		return err;
	s->duration_ns = s->last_ns - s->first_ns;
	s->lost = model_lost(rp->m);
	if (info) {
		if (info->lost > s->lost)
			s->lost = info->lost;
		s->recovered = info->recovered;
		s->bytes_unreadable = info->bytes_unreadable;
	}

	size_t nt, nc;
	const struct model_thread *t = model_threads(rp->m, &nt);
	const struct model_cpu *c = model_cpus(rp->m, &nc);

	s->acquisitions = s->hold_ns = s->wait_ns = s->busy_ns = 0;
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].traced)
			continue;
		s->acquisitions += t[i].acquisitions;
		s->hold_ns += t[i].hold_ns;
		s->wait_ns += t[i].wait_ns;
	}
	for (size_t i = 0; i < nc; i++)
		s->busy_ns += c[i].busy_ns;
	s->cpus = rp->have_meta && rp->meta.ncpus ? rp->meta.ncpus : (uint32_t)nc;
	s->parallelism = s->duration_ns ? (double)s->busy_ns / (double)s->duration_ns : 0.0;

	s->handoff_p50_ns = 0;
	if (s->handoffs) {
		uint64_t want = (s->handoffs + 1) / 2, cum = 0;

		for (size_t i = 0; i < LL_BUCKETS; i++) {
			cum += rp->handoff[i];
			if (cum >= want) {
				s->handoff_p50_ns = ll_value(i);
				break;
			}
		}
	}
	return rp->oom ? -ENOMEM : 0;
}

/*
 * Reading overlaps decoding with modelling: a helper thread decodes batches
 * into a small ring of buffers while this thread feeds the model, so on two
 * cores `report` runs at about the speed of the slower of the two instead of
 * their sum. Memory stays bounded: RING buffers of at most one block each.
 */
#define RING 3

struct slot {
	struct gs_event *ev;
	size_t n, cap;
};

struct pipe {
	struct trace_reader *r;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot slot[RING];
	size_t head, tail;	/* filled slots are [tail, head), counts mod RING */
	int done;		/* producer finished: 0 at end, or its error */
	bool finished;		/* done is valid */
	bool stop;		/* consumer gave up */
};

static void *decode_thread(void *arg)
{
	struct pipe *p = arg;
	const struct gs_event *evs;
	size_t n;
	int ret;

	while ((ret = trace_reader_next_batch(p->r, &evs, &n)) > 0) {
		pthread_mutex_lock(&p->mu);
		while (p->head - p->tail == RING && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		bool stop = p->stop;
		struct slot *s = &p->slot[p->head % RING];

		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		/* the slot is ours until head moves past it */
		if (n > s->cap) {
			struct gs_event *ev = realloc(s->ev, n * sizeof(*ev));

			if (!ev) {
				ret = -ENOMEM;
				break;
			}
			s->ev = ev;
			s->cap = n;
		}
		memcpy(s->ev, evs, n * sizeof(*evs));
		s->n = n;
		pthread_mutex_lock(&p->mu);
		p->head++;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->done = ret < 0 ? ret : 0;
	p->finished = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int read_plain(struct report *rp, struct trace_reader *r)
{
	const struct gs_event *evs;
	size_t n;
	int ret;

	while ((ret = trace_reader_next_batch(r, &evs, &n)) > 0) {
		ret = report_feed(rp, evs, n);
		if (ret)
			return ret;
	}
	return ret;
}

static int read_piped(struct report *rp, struct trace_reader *r)
{
	struct pipe p = { .r = r };
	pthread_t th;
	int ret = 0;

	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (pthread_create(&th, NULL, decode_thread, &p)) {
		ret = 1;	/* no thread: read in line */
		goto out;
	}
	for (;;) {
		pthread_mutex_lock(&p.mu);
		while (p.head == p.tail && !p.finished)
			pthread_cond_wait(&p.cv, &p.mu);
		if (p.head == p.tail) {		/* finished and drained */
			ret = p.done;
			pthread_mutex_unlock(&p.mu);
			break;
		}
		struct slot *s = &p.slot[p.tail % RING];

		pthread_mutex_unlock(&p.mu);
		ret = report_feed(rp, s->ev, s->n);
		pthread_mutex_lock(&p.mu);
		p.tail++;
		if (ret)
			p.stop = true;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		if (ret)
			break;
	}
	pthread_join(th, NULL);
out:
	for (int i = 0; i < RING; i++)
		free(p.slot[i].ev);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	return ret;
}

void report_set_cost(struct report *rp, const struct trace_cost *c)
{
	rp->has_cost = c != NULL;
	if (c)
		rp->cost = *c;
}

int report_read(struct report *rp, struct trace_reader *r)
{
	struct trace_info info;
	int ret = read_piped(rp, r);

	report_set_cost(rp, trace_names_cost(trace_reader_names(r)));
	if (ret > 0)
		ret = read_plain(rp, r);
	if (ret < 0)
		return ret;
	trace_reader_info(r, &info);
	return report_finish(rp, &info);
}

const struct report_summary *report_summary(const struct report *rp)
{
	return &rp->s;
}

const struct model *report_model(const struct report *rp)
{
	return rp->m;
}

/* ---- output ---------------------------------------------------------------- */

static void json_hist(struct json *j, const char *key, const uint64_t *h)
{
	size_t n = fmt_hist_used(h, FMT_HIST_BUCKETS);

	json_arr_begin(j, key);
	for (size_t i = 0; i < n; i++)
		json_u64(j, NULL, h[i]);
	json_arr_end(j);
}

/* trace.overhead_*: what recording cost the program, null when not known */
static void json_cost(struct json *j, const struct trace_cost *c)
{
	double pct = trace_cost_pct(c);

	if (c)
		json_u64(j, "overhead_ns", c->overhead_ns);
	else
		json_null(j, "overhead_ns");
	if (pct >= 0)
		json_f64(j, "overhead_pct", pct, 2);
	else
		json_null(j, "overhead_pct");
	if (c && c->program_cpu_ns)
		json_u64(j, "program_cpu_ns", c->program_cpu_ns);
	else
		json_null(j, "program_cpu_ns");
	json_arr_begin(j, "overhead_probes");
	for (uint32_t i = 0; c && i < c->nrows; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "probe", c->row[i].probe);
		json_u64(j, "hits", c->row[i].hits);
		json_u64(j, "ns_per_hit", c->row[i].ns_per_hit);
		json_obj_end(j);
	}
	json_arr_end(j);
}

int report_write_json(const struct report *rp, FILE *f)
{
	const struct report_summary *s = &rp->s;
	size_t nt, nc;
	const struct model_thread *t = model_threads(rp->m, &nt);
	const struct model_cpu *c = model_cpus(rp->m, &nc);
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_obj_begin(&j, "trace");
	json_u64(&j, "events", s->events);
	json_u64(&j, "lost", s->lost);
	json_u64(&j, "duration_ns", s->duration_ns);
	json_u64(&j, "cpus", s->cpus);
	json_strn(&j, "command", rp->have_meta ? rp->meta.command : "", sizeof(rp->meta.command));
	json_cost(&j, rp->has_cost ? &rp->cost : NULL);
	json_obj_end(&j);
	json_obj_begin(&j, "lock");
	json_u64(&j, "acquisitions", s->acquisitions);
	json_u64(&j, "hold_ns", s->hold_ns);
	json_hist(&j, "hold_hist_log2_us", s->hold_hist);
	json_hist(&j, "wait_hist_log2_us", s->wait_hist);
	json_u64(&j, "handoff_p50_ns", s->handoff_p50_ns);
	json_obj_end(&j);
	json_arr_begin(&j, "threads");
	for (size_t i = 0; i < nt; i++) {
		char name[24];

		if (!t[i].traced)
			continue;
		json_obj_begin(&j, NULL);
		json_u64(&j, "pid", t[i].pid);
		json_u64(&j, "tid", t[i].tid);
		json_str(&j, "name", describe_thread(name, sizeof(name), rp->m, &t[i], t[i].tid));
		json_u64(&j, "acquisitions", t[i].acquisitions);
		json_u64(&j, "hold_ns", t[i].hold_ns);
		json_u64(&j, "wait_ns", t[i].wait_ns);
		json_u64(&j, "cpu_ns", t[i].cpu_ns);
		json_u64(&j, "ctx_switches", t[i].ctx_switches);
		json_u64(&j, "migrations", t[i].migrations);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "cores");
	for (size_t i = 0; i < nc; i++) {
		json_obj_begin(&j, NULL);
		json_u64(&j, "cpu", i);
		json_u64(&j, "busy_ns", c[i].busy_ns);
		json_u64(&j, "lock_held_ns", c[i].lock_held_ns);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_f64(&j, "parallelism", s->parallelism, 3);
	json_obj_end(&j);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

int report_write_text(const struct report *rp, FILE *f, bool unicode)
{
	const struct report_summary *s = &rp->s;
	size_t nt, nc;
	const struct model_thread *t = model_threads(rp->m, &nt);
	const struct model_cpu *c = model_cpus(rp->m, &nc);
	char a[32], b[32], d[32], e[32], g[32], h[32];
	char hist[FMT_HIST_BUCKETS * 96];
	uint64_t dur = s->duration_ns;

	if (rp->have_meta && rp->meta.command[0])
		fprintf(f, "command     %s\n", fmt_printable(hist, sizeof(hist), rp->meta.command,
							  sizeof(rp->meta.command)));
	if (rp->have_meta && (rp->meta.host[0] || rp->meta.adapter[0]))
		fprintf(f, "recorded    on %s, adapter %s\n",
			rp->meta.host[0] ? fmt_printable(hist, 128, rp->meta.host,
							 sizeof(rp->meta.host)) : "?",
			rp->meta.adapter[0] ? fmt_printable(hist + 128, 128, rp->meta.adapter,
							    sizeof(rp->meta.adapter)) : "?");
	fprintf(f, "duration    %s, %s events, %s lost, %u CPUs\n", fmt_duration(a, sizeof(a), dur),
		fmt_count(b, sizeof(b), s->events), fmt_count(d, sizeof(d), s->lost), s->cpus);
	if (s->recovered)
		fprintf(f, "note        the trace was recovered from a truncated file (the recorder "
			"did not close it); it ends at the last complete block, %s bytes after it "
			"were unreadable\n", fmt_count(a, sizeof(a), s->bytes_unreadable));
	if (s->lost)
		fprintf(f, "warning     %s events were lost while recording: the timeline has gaps "
			"and totals may be short\n", fmt_count(a, sizeof(a), s->lost));
	trace_cost_line(rp->has_cost ? &rp->cost : NULL, hist, sizeof(hist));
	fprintf(f, "cost        %s\n", hist);
	if (rp->has_cost && trace_cost_warning(&rp->cost, hist, sizeof(hist)))
		fprintf(f, "            %s\n", hist);

	fprintf(f, "\nthreads              %6s %9s %7s %9s %7s %9s %7s %7s %5s\n", "acq", "hold",
		"hold%", "wait", "wait%", "cpu", "cpu%", "ctxsw", "migr");
	for (size_t i = 0; i < nt; i++) {
		char name[24];

		if (!t[i].traced)
			continue;
		fprintf(f, "  %-7u %-12.16s %6llu %9s %7s %9s %7s %9s %7s %7llu %5llu\n", t[i].tid,
			describe_thread(name, sizeof(name), rp->m, &t[i], t[i].tid),
			(unsigned long long)t[i].acquisitions,
			fmt_duration(a, sizeof(a), t[i].hold_ns),
			fmt_percent(b, sizeof(b), t[i].hold_ns, dur),
			fmt_duration(d, sizeof(d), t[i].wait_ns),
			fmt_percent(e, sizeof(e), t[i].wait_ns, dur),
			fmt_duration(g, sizeof(g), t[i].cpu_ns),
			fmt_percent(h, sizeof(h), t[i].cpu_ns, dur),
			(unsigned long long)t[i].ctx_switches, (unsigned long long)t[i].migrations);
	}

	size_t nl;
	const struct model_lock *l = model_locks(rp->m, &nl);

	if (nl > 1)
		fprintf(f, "\nlocks       %s acquisitions of %zu locks, held %s in all, waited for %s "
			"in all", fmt_count(a, sizeof(a), s->acquisitions), nl,
			fmt_duration(b, sizeof(b), s->hold_ns), fmt_duration(e, sizeof(e), s->wait_ns));
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
	for (size_t i = 0; nl > 1 && i < nl; i++)
		fprintf(f, "  pid %-7u lock %#llx: %s acquisitions, held %s (%s)\n", l[i].pid,
			(unsigned long long)l[i].addr, fmt_count(a, sizeof(a), l[i].acquisitions),
			fmt_duration(b, sizeof(b), l[i].hold_ns),
			fmt_percent(d, sizeof(d), l[i].hold_ns, dur));
	if (fmt_hist_used(s->hold_hist, FMT_HIST_BUCKETS)) {
		fputs("\nhold times (how long the lock was kept each time)\n", f);
		fputs(fmt_hist(hist, sizeof(hist), s->hold_hist, FMT_HIST_BUCKETS, 40, unicode), f);
	}
	if (fmt_hist_used(s->wait_hist, FMT_HIST_BUCKETS)) {
		fputs("\nwait times (from asking for the lock to getting it)\n", f);
		fputs(fmt_hist(hist, sizeof(hist), s->wait_hist, FMT_HIST_BUCKETS, 40, unicode), f);
	}

	/* without -a only switches touching our tasks are recorded, so time
	 * of other tasks is known only in traces recorded with -a */
	bool others = rp->have_meta && (rp->meta.flags & TRACE_META_ALL_TASKS);

	fprintf(f, "\ncores       busy (traced)   lock held%s\n", others ? "   other tasks" : "");
	for (size_t i = 0; i < nc; i++) {
		fprintf(f, "  CPU%-4zu %14s %11s", i, fmt_percent(a, sizeof(a), c[i].busy_ns, dur),
			fmt_percent(b, sizeof(b), c[i].lock_held_ns, dur));
		if (others)
			fprintf(f, " %13s", fmt_percent(d, sizeof(d), c[i].other_ns, dur));
		fputc('\n', f);
	}
	fprintf(f, "\nparallelism %.2f cores busy on average, of %u\n", s->parallelism, s->cpus);
	/* the lesson, when the numbers tell it: threads queued on the lock
	 * while cores stood idle */
	if (s->cpus > 1 && s->parallelism < 1.2 && s->wait_ns > dur / 2)
		fprintf(f, "            threads waited %s for the lock in all: it lets one run at "
			"a time, so more threads do not add speed here\n",
			fmt_duration(a, sizeof(a), s->wait_ns));
	return ferror(f) ? -EIO : 0;
}
