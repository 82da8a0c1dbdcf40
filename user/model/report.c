/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * report.c - trace summary (contract in report.h). The model does the
 * interpreting; this file only listens to its HOLD/WAIT spans (histograms),
 * to the hand-off tracker (model/handoff.h, the definition export shares)
 * and reads the totals at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "model/describe.h"
#include "model/funcstat.h"
#include "model/handoff.h"
#include "model/model.h"
#include "model/report.h"
#include "trace/trace_reader.h"
#include "util/json.h"

/* Hand-offs are measured per lock from its last hold: at most this many
 * locks are remembered, then the memory starts over (a hand-off across the
 * restart is not measured). */
#define HOLDS_MAX (1u << 16)
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

struct report {
	struct trace_meta meta;
	bool have_meta;
	struct model *m;
	struct report_summary s;
	bool seen;			/* any event fed */
	struct handoff *hand;		/* which acquisitions were hand-offs */
	uint64_t *handoff;		/* LL_BUCKETS */
	struct trace_cost cost;		/* what recording cost the program */
	bool has_cost;
	bool finished;			/* report_finish() ran: numbers are final */
	struct funcstat *funcs;		/* hold / wait by thread and Python function */
	bool oom;			/* funcs ran out of memory: feeding fails */
};

static void on_span(const struct model_span *sp, void *ctx)
{
	struct report *rp = ctx;
	uint64_t d = sp->end_ns - sp->start_ns;	/* the model never goes backwards */
	struct handoff_span hs;

	handoff_span(rp->hand, sp, &hs);
	if (sp->flags & SPAN_F_OTHER)
		return;
	if (sp->func != MODEL_NO_FUNC && funcstat_span(rp->funcs, sp))
		rp->oom = true;
	if (sp->kind == SPAN_WAIT)
		rp->s.wait_hist[fmt_hist_bucket(d)]++;
	else if (sp->kind == SPAN_HOLD)
		rp->s.hold_hist[fmt_hist_bucket(d)]++;
}

static void on_handoff(const struct handoff_info *hi, void *ctx)
{
	struct report *rp = ctx;

	rp->handoff[ll_index(hi->acquire_ns - hi->release_ns)]++;
	rp->s.handoffs++;
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
		.trace_flags = meta ? meta->flags : 0,
	};

	rp->m = model_new(&o);
	rp->handoff = calloc(LL_BUCKETS, sizeof(*rp->handoff));
	if (!rp->m || !rp->handoff || handoff_new(&rp->hand, on_handoff, rp) ||
	    funcstat_new(&rp->funcs, NULL, 0)) {
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
	handoff_free(rp->hand);
	funcstat_free(rp->funcs);
	free(rp->handoff);
	free(rp);
}

void report_set_names(struct report *rp, const struct trace_names *names)
{
	struct funcstat *fs;

	model_set_names(rp->m, names);
	if (!funcstat_new(&fs, names, 0)) {	/* no span counted yet: a fresh one */
		funcstat_free(rp->funcs);
		rp->funcs = fs;
	}
}

struct funcstat *report_funcstat(const struct report *rp)
{
	return rp->funcs;
}

int report_feed(struct report *rp, const struct gs_event *evs, size_t n)
{
	if (!n)
		return 0;
	if (rp->finished || rp->oom)
		return rp->oom ? -ENOMEM : -EINVAL;
	rp->seen = true;
	for (size_t i = 0; i < n; i++) {
		handoff_before(rp->hand, rp->m, &evs[i]);
		int err = model_feed(rp->m, &evs[i]);

		if (!err)
			err = handoff_after(rp->hand, rp->m, &evs[i]);
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
	if (rp->oom)
		return -ENOMEM;
	/* the model clamps stray older events, so its clock is the last ts */
	s->last_ns = model_now(rp->m);
	if (!rp->seen)
		s->first_ns = s->last_ns = 0;
	else
		s->first_ns = model_origin(rp->m);
	err = model_finish(rp->m, s->last_ns);
	if (!err && rp->oom)
		err = -ENOMEM;
	if (err)
		return err;
	s->duration_ns = s->last_ns - s->first_ns;
	s->lost = model_lost(rp->m);
	s->clamped = model_clamped(rp->m);
	if (info) {
		if (info->lost > s->lost)
			s->lost = info->lost;
		s->recovered = info->recovered;
		s->bytes_unreadable = info->bytes_unreadable;
		s->unreadable_offset = info->file_bytes - info->bytes_unreadable;
	}

	size_t nt, nc;
	const struct model_thread *t = model_threads(rp->m, &nt);
	const struct model_cpu *c = model_cpus(rp->m, &nc);

	const struct model_folded *f = model_folded(rp->m);

	/* the threads the model dropped (beyond its cap) count too */
	s->acquisitions = f->acquisitions;
	s->hold_ns = f->hold_ns;
	s->wait_ns = f->wait_ns;
	s->busy_ns = 0;
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].traced)
			continue;
		s->acquisitions = gs_sat_add(s->acquisitions, t[i].acquisitions);
		s->hold_ns = gs_sat_add(s->hold_ns, t[i].hold_ns);
		s->wait_ns = gs_sat_add(s->wait_ns, t[i].wait_ns);
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
	return 0;
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

const struct trace_cost *report_cost(const struct report *rp)
{
	return rp->has_cost ? &rp->cost : NULL;
}

int report_read(struct report *rp, struct trace_reader *r)
{
	struct trace_info info;
	int ret;

	report_set_names(rp, trace_reader_names(r));
	ret = read_piped(rp, r);

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

const struct trace_meta *report_meta(const struct report *rp)
{
	return rp->have_meta ? &rp->meta : NULL;
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
	json_u64(&j, "clamped", s->clamped);
	json_u64(&j, "threads_folded", model_folded(rp->m)->threads);
	json_u64(&j, "locks_folded", model_folded(rp->m)->locks);
	json_bool(&j, "recovered", s->recovered);
	json_arr_begin(&j, "unreadable");
	if (s->recovered && s->bytes_unreadable) {
		json_obj_begin(&j, NULL);
		json_u64(&j, "offset", s->unreadable_offset);
		json_u64(&j, "bytes", s->bytes_unreadable);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_cost(&j, rp->has_cost ? &rp->cost : NULL);
	json_obj_end(&j);
	json_obj_begin(&j, "lock");
	json_u64(&j, "acquisitions", s->acquisitions);
	json_u64(&j, "hold_ns", s->hold_ns);
	json_hist(&j, "hold_hist_log2_us", s->hold_hist);
	json_hist(&j, "wait_hist_log2_us", s->wait_hist);
	json_u64(&j, "handoffs", s->handoffs);
	json_u64(&j, "handoff_p50_ns", s->handoff_p50_ns);
	json_obj_end(&j);
	json_arr_begin(&j, "threads");
	for (size_t i = 0; i < nt; i++) {
		char name[DESCRIBE_THREAD_MAX + 16];

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
	report_python_json(rp, &j);
	json_obj_end(&j);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
