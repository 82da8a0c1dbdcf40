/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilwatch_snap.c - the watch's snapshots (the BPF counters joined with
 * what the watch knows of each process) and its Python thread names; see
 * gilwatch.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record/gilwatch_impl.h"
#include "util/fmt.h"
#include "util/grow.h"
#include "util/proc.h"
#include "util/search.h"

/* ---- thread names --------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
	const struct gw_name *x = a, *y = b;

	return cmp_u64(x->tid, y->tid);
}

const char *gw_name_of(const struct gw_proc *p, uint32_t tid)
{
	const struct gw_name *n = search_u32(p->names, p->nnames, sizeof(*p->names),
					     offsetof(struct gw_name, tid), tid);

	return n ? n->name : NULL;
}

/* Whether p's thread names are read, or a reader may still be opened
 * for them (one is not open yet only for want of a turn). */
static bool names_expected(const struct gilwatch *w, const struct gw_proc *p)
{
	if (w->o.no_names || !p->python || p->file < 0 || !w->files[p->file].ok)
		return false;
	return p->rd || (w->named < GILWATCH_NAMED &&
			 !(p->rd_failed_at && w->now - p->rd_failed_at < NAMES_RETRY_NS));
}

/* Re-reads the names of p (names_expected) if one of its threads has none
 * (p->missing), or they are old; opens its reader first if *attaches
 * allows one more. */
static void refresh_names(struct gilwatch *w, struct gw_proc *p, int *attaches)
{
	struct gw_name *names;
	char err[256];
	size_t n = 0, k = 0;

	if (p->names_at && w->now - p->names_at < (p->missing ? NAMES_MIN_NS : NAMES_MAX_NS))
		return;
	if (!p->rd) {
		/* the bound again: readers opened earlier in this pass count */
		if (*attaches >= ATTACH_PER_SNAPSHOT || w->named >= GILWATCH_NAMED)
			return;
		++*attaches;
		if (pyread_attach(&p->rd, p->pid, err, sizeof(err)) ||
		    !pyread_ready(p->rd, PYL_CAP_NAMES, err, sizeof(err))) {
			pyread_close(p->rd);
			p->rd = NULL;
			p->rd_failed_at = w->now;
			return;
		}
		w->named++;
	}
	p->names_at = w->now;
	/* a thread list cut at the bound, or a read that failed midway, still names some */
	pyread_threads(p->rd, w->pt, PYREAD_MAX_THREADS, &n, PYREAD_NAMES);
	names = n ? malloc(n * sizeof(*names)) : NULL;
	if (n && !names)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!w->pt[i].tid || !w->pt[i].named)
			continue;
		names[k].tid = w->pt[i].tid;
		/* a name from the program: printable, cut at a whole character */
		fmt_printable(names[k].name, sizeof(names[k].name), w->pt[i].name,
			      sizeof(names[k].name) - 1);
		k++;
	}
	if (k > 1)
		qsort(names, k, sizeof(*names), name_cmp);
	free(p->names);
	p->names = names;
	p->nnames = k;
}

static int age_cmp(const void *a, const void *b)
{
	const struct gw_age *x = a, *y = b;

	return x->start != y->start ? cmp_u64(x->start, y->start) : cmp_u64(x->i, y->i);
}

/*
 * Only ATTACH_PER_SNAPSHOT readers are opened per snapshot, so who goes
 * first matters: in the order of procs, a host that starts Pythons all
 * the time (a build, a test run: seen with ten a second) took every turn,
 * newcomers moving ahead as others exit, and a long-running program's
 * threads stayed "tid N". The oldest go first: a program that stays is
 * named within a few snapshots, whatever comes and goes after it.
 */
void gw_refresh_all_names(struct gilwatch *w, int *attaches)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nprocs; i++) {
		struct gw_proc *p = &w->procs[i];

		if (!names_expected(w, p))
			continue;
		if (p->rd || grow_array(&w->ages, &w->cap_ages, n + 1, sizeof(*w->ages)))
			refresh_names(w, p, attaches);	/* no reader to open (or no memory: in turn) */
		else
			w->ages[n++] = (struct gw_age){ p->start, i };
	}
	if (n > 1)
		qsort(w->ages, n, sizeof(*w->ages), age_cmp);
	for (size_t k = 0; k < n; k++)
		refresh_names(w, &w->procs[w->ages[k].i], attaches);
}

/* ---- the snapshot --------------------------------------------------------------- */

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int thread_cmp(const void *a, const void *b, void *ctx)
{
	const struct gilstat_reading *rd = ctx;
	const struct gilstat_thread_rec *x = &rd->threads[*(const uint32_t *)a];
	const struct gilstat_thread_rec *y = &rd->threads[*(const uint32_t *)b];

	return cmp_u64(x->v.pid, y->v.pid) ?: cmp_u64(x->tid, y->tid);
}

static uint64_t since(uint64_t now, uint64_t t)
{
	return t && now > t ? now - t : 0;
}

/* The thread's totals with what is in progress, into the snapshot's thread
 * and its process. */
static void add_thread(struct gilsnap_proc *sp, struct gilsnap_thread *st,
		       const struct gilstat_thread_rec *r, const struct gilstat_reading *rd)
{
	uint64_t held = since(rd->now_ns, r->v.acquired_ns), waited = since(rd->now_ns, r->v.request_ns);
	uint64_t longest = r->v.t.max_epoch == rd->epoch ? r->v.t.max_wait_ns : 0;

	st->t = r->v.t;
	st->hold_ns = r->v.t.hold_ns + held;
	st->wait_ns = r->v.t.wait_ns + waited;
	st->holding = r->v.acquired_ns != 0;
	st->waiting = r->v.request_ns != 0;
	st->longest_ns = waited > longest ? waited : longest;
	sp->hold_ns += held;
	sp->wait_ns += waited;
	if (st->longest_ns > sp->longest_ns)
		sp->longest_ns = st->longest_ns;
	if (st->holding)
		sp->holder = st->tid;
}

int gw_build(struct gilwatch *w, const struct gilstat_reading *rd, struct gilsnap *s)
{
	struct hmap bpf_proc = { 0 };
	size_t np = 0, ti = 0, need = w->nprocs + rd->nprocs + rd->nthreads;
	uint64_t k;
	int r = 0;

	if (grow_array(&w->pidlist, &w->cap_pidlist, need, sizeof(*w->pidlist)))
		return -ENOMEM;
	/* which processes: the known Pythons, and whoever the counters name */
	for (size_t i = 0; i < w->nprocs; i++)
		if (w->procs[i].python)
			w->pidlist[np++] = w->procs[i].pid;
	for (size_t i = 0; i < rd->nprocs; i++) {
		if (gw_wanted(w, rd->procs[i].pid))
			w->pidlist[np++] = rd->procs[i].pid;
		if (hmap_put(&bpf_proc, hkey_u64(rd->procs[i].pid), i))
			r = -ENOMEM;
	}
	for (size_t i = 0; i < rd->nthreads; i++) {
		w->order[i] = i;
		if (gw_wanted(w, rd->threads[i].v.pid))
			w->pidlist[np++] = rd->threads[i].v.pid;
	}
	if (np > 1)
		qsort(w->pidlist, np, sizeof(*w->pidlist), u32_cmp);
	if (rd->nthreads > 1)
		qsort_r(w->order, rd->nthreads, sizeof(*w->order), thread_cmp, (void *)rd);
	for (size_t i = 0; !r && i < np; i++) {
		uint32_t pid = w->pidlist[i];
		struct gw_proc *kp = gw_known(w, pid);
		struct gilsnap_proc *sp;

		if (i && pid == w->pidlist[i - 1])
			continue;
		if (!(sp = gilsnap_add_proc(s, pid))) {
			r = -ENOMEM;
			break;
		}
		if (kp) {
			memcpy(sp->comm, kp->comm, sizeof(sp->comm));
			/* promexp.h: a new thread's series waits for its name */
			sp->names = names_expected(w, kp);
			/* a Python whose file is not probed; one the watch could not
			 * look at (its memory map unreadable) is in the snapshot only
			 * because the counters have it: traced */
			if (kp->python && (kp->file < 0 || !w->files[kp->file].ok)) {
				sp->state = GILSNAP_UNTRACEABLE;
				snprintf(sp->why, sizeof(sp->why), "%s",
					 kp->file >= 0 ? w->files[kp->file].why : kp->why);
			}
		}
		if (hmap_get(&bpf_proc, hkey_u64(pid), &k)) {
			if (!sp->comm[0] && rd->procs[k].v.comm[0])	/* gone before we could look */
				memcpy(sp->comm, rd->procs[k].v.comm, sizeof(sp->comm));
			sp->t = rd->procs[k].v.t;
			sp->hold_ns = sp->t.hold_ns;
			sp->wait_ns = sp->t.wait_ns;
			sp->exited = rd->procs[k].v.exited_ns != 0;
			if (sp->t.max_epoch == rd->epoch)
				sp->longest_ns = sp->t.max_wait_ns;
		}
		if (!sp->comm[0] && proc_comm(pid, pid, sp->comm))
			snprintf(sp->comm, sizeof(sp->comm), "?");
		/* its threads: the next ones in (pid, tid) order */
		while (ti < rd->nthreads && rd->threads[w->order[ti]].v.pid < pid)
			ti++;
		for (; ti < rd->nthreads && rd->threads[w->order[ti]].v.pid == pid; ti++) {
			const struct gilstat_thread_rec *tr = &rd->threads[w->order[ti]];
			struct gilsnap_thread *st = gilsnap_add_thread(s, tr->tid);
			const char *nm;

			if (!st) {
				r = -ENOMEM;
				break;
			}
			add_thread(sp, st, tr, rd);
			if (kp && (nm = gw_name_of(kp, tr->tid)))
				snprintf(st->name, sizeof(st->name), "%s", nm);
		}
	}
	hmap_free(&bpf_proc);
	return r;
}

