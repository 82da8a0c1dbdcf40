/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* toprows.c - rates of `gilscope top` from two snapshots (see toprows.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/toprows.h"
#include "util/fmt.h"
#include "util/grow.h"
#include "util/search.h"

static const struct gilsnap_thread *find_thread(const struct gilsnap *s,
						const struct gilsnap_proc *p, uint32_t tid)
{
	return search_u32(s->threads + p->first, p->nthreads, sizeof(*s->threads),
			  offsetof(struct gilsnap_thread, tid), tid);
}

/* cur - prev of a counter; a counter that went down started over (a
 * reused pid, an evicted entry): all of cur is new then. */
static uint64_t delta(uint64_t cur, uint64_t prev)
{
	return cur >= prev ? cur - prev : cur;
}

struct sample {			/* what rates are made of */
	uint64_t hold_ns, wait_ns, acq, handoffs;
};

static void rate(struct toprow *r, struct sample c, const struct sample *p, uint64_t ns)
{
	struct sample z = { 0 };
	double s = ns / 1e9;

	if (!ns)
		return;
	if (!p)
		p = &z;
	r->rated = true;
	r->held = (double)delta(c.hold_ns, p->hold_ns) / ns;
	r->waited = (double)delta(c.wait_ns, p->wait_ns) / ns;
	r->acq_per_s = delta(c.acq, p->acq) / s;
	r->handoffs_per_s = delta(c.handoffs, p->handoffs) / s;
	/* a hold cannot pass the interval: only clock skew between the
	 * reading and the in-progress part can make it look so */
	if (r->held > 1.0)
		r->held = 1.0;
}

static struct toprow *add(struct toprows *o)
{
	if (grow_array(&o->rows, &o->cap, o->n + 1, sizeof(*o->rows)))
		return NULL;
	memset(&o->rows[o->n], 0, sizeof(o->rows[0]));
	return &o->rows[o->n++];
}

int toprows_compute(struct toprows *o, const struct gilsnap *prev, const struct gilsnap *cur)
{
	uint64_t ns = prev && prev->ts_ns && cur->ts_ns > prev->ts_ns ? cur->ts_ns - prev->ts_ns : 0;

	o->n = o->nprocs = o->traced = o->untraceable = 0;
	o->interval_ns = ns;
	for (size_t i = 0; i < cur->nprocs; i++) {
		const struct gilsnap_proc *p = &cur->procs[i];
		const struct gilsnap_proc *pp = ns ? gilsnap_find(prev, p->pid) : NULL;
		struct sample ps, c = { p->hold_ns, p->wait_ns, p->t.acquisitions, p->t.handoffs };
		struct toprow *r = add(o);

		if (!r)
			return -ENOMEM;
		o->nprocs++;
		if (p->state == GILSNAP_TRACED)
			o->traced++;
		else
			o->untraceable++;
		r->pid = p->pid;
		r->nthreads = p->nthreads;
		r->state = p->state;
		r->exited = p->exited;
		r->holding = p->holder != 0;
		r->longest_ns = p->longest_ns;
		r->hold_ns = p->hold_ns;
		r->wait_ns = p->wait_ns;
		fmt_printable(r->name, sizeof(r->name), p->comm, sizeof(p->comm));
		snprintf(r->why, sizeof(r->why), "%s", p->why);
		fmt_printable(r->func, sizeof(r->func), p->func, sizeof(r->func) - 1);
		if (pp)
			ps = (struct sample){ pp->hold_ns, pp->wait_ns, pp->t.acquisitions,
					      pp->t.handoffs };
		if (p->state == GILSNAP_TRACED)
			rate(r, c, pp ? &ps : NULL, ns);
		for (size_t k = 0; k < p->nthreads; k++) {
			const struct gilsnap_thread *t = &cur->threads[p->first + k];
			const struct gilsnap_thread *pt = pp ? find_thread(prev, pp, t->tid) : NULL;
			struct sample ts = { t->hold_ns, t->wait_ns, t->t.acquisitions, t->t.handoffs };
			struct sample pts;
			struct toprow *tr = add(o);

			if (!tr)
				return -ENOMEM;
			r = &o->rows[o->n - 2 - k];	/* the process row (add may move rows) */
			r->waiting |= t->waiting;
			tr->pid = t->pid;
			tr->tid = t->tid;
			tr->state = p->state;
			tr->exited = p->exited;
			tr->holding = t->holding;
			tr->waiting = t->waiting;
			tr->longest_ns = t->longest_ns;
			tr->hold_ns = t->hold_ns;
			tr->wait_ns = t->wait_ns;
			fmt_thread_label(tr->name, sizeof(tr->name), t->name, sizeof(t->name), NULL,
					 t->pid, t->tid);
			fmt_printable(tr->func, sizeof(tr->func), t->func, sizeof(tr->func) - 1);
			if (pt)
				pts = (struct sample){ pt->hold_ns, pt->wait_ns, pt->t.acquisitions,
						       pt->t.handoffs };
			rate(tr, ts, pt ? &pts : NULL, ns);
		}
	}
	return 0;
}

void toprows_free(struct toprows *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}
