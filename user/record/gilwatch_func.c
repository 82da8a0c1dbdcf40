/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilwatch_func.c - `top`'s function column (gilwatch.h, opts.functions):
 * per thread and per process, the function that held the GIL most in the
 * interval.
 *
 * Why in the kernel and not by sampling: a sample of "who holds the GIL,
 * in which frame" at each refresh sees one moment a second, and a thread
 * that hands the GIL over every 5 ms is caught at random; the kernel side
 * adds every hold, as it ends, to the function running then (bpf/gilstat.h
 * funcs), for 3-4 reads of the thread's memory per GIL cycle. That leaves
 * the hold still going on at the snapshot (a C call that keeps the GIL for
 * 15 s ends after it): it counts, up to the interval's length, for the
 * function its thread runs now, read from the process here. So a process
 * whose one thread is stuck in a C call shows that call's caller, not the
 * little functions the others ran in the gaps.
 *
 * Names come from the process's reader (the one that reads its thread
 * names, gilwatch_snap.c), which validates what it caches (pyread.h). A
 * code object freed and its address reused since the hold shows as "?"
 * (the fingerprint the kernel side sent no longer matches), never as
 * another function; so does a frame the kernel side could not read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "record/gilwatch_impl.h"
#include "record/pylayout.h"
#include "util/search.h"

#define NO_CODE "(no Python code)"	/* as a recording's report says */

bool gw_file_cfg(const char *path, uint64_t dev, uint64_t ino, struct gs_py_cfg *c)
{
	struct pylayout *l = malloc(sizeof(*l));	/* 4 KiB of path: not on the stack */
	struct stat st;
	char why[512];
	bool ok;

	/* a file replaced meanwhile would give another file's offsets: the
	 * reads would fail or name nothing ("?"), but better none at all */
	ok = l && !pylayout_load(l, path, why, sizeof(why)) &&
	     pylayout_bpf_cfg(l, c, why, sizeof(why)) && !stat(path, &st) &&
	     (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
	free(l);
	return ok;
}

struct cand {		/* hold time of a thread in a function */
	uint32_t pid, tid;
	uint64_t code;	/* gs_pyaddr_pack(), GS_PYADDR_NONE or GS_PYADDR_FAULT */
	uint64_t ns;
};

static int by_thread(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return cmp_u64(x->pid, y->pid) ?:
	       cmp_u64(x->tid, y->tid) ?:
	       cmp_u64(x->code, y->code);
}

static int by_code(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return cmp_u64(x->code, y->code);
}

/* The code object tid of the process read by r runs now, packed as the
 * kernel side packs it; GS_PYADDR_NONE when it runs none, FAULT when it
 * cannot be read. th: r's threads (n), listed with their code. */
static uint64_t code_now(struct pyread *r, const struct pyread_thread *th, size_t n, uint32_t tid)
{
	const struct pyread_code *c;

	for (size_t i = 0; i < n; i++) {
		if (th[i].tid != tid)
			continue;
		if (!th[i].code)
			return GS_PYADDR_NONE;
		if (pyread_code(r, th[i].code, &c))
			return GS_PYADDR_FAULT;
		return gs_pyaddr_pack(c->addr, gs_py_fingerprint(c->firstlineno, c->name_ptr,
								 c->file_ptr));
	}
	return GS_PYADDR_FAULT;
}

/* The name of packed code object code of the process read by r, into buf. */
static void name_of(struct pyread *r, uint64_t code, char *buf, size_t len)
{
	const struct pyread_code *c;
	uint32_t fp;

	if (code == GS_PYADDR_NONE) {
		snprintf(buf, len, "%s", NO_CODE);
		return;
	}
	snprintf(buf, len, "?");
	if (code == GS_PYADDR_FAULT || pyread_code(r, gs_pyaddr_addr(code), &c))
		return;
	fp = gs_py_fingerprint(c->firstlineno, c->name_ptr, c->file_ptr);
	if ((uint16_t)(fp ^ fp >> 16) == gs_pyaddr_fp(code))	/* the one the hold ended in */
		snprintf(buf, len, "%s", c->qualname);
}

/* Adds, for each thread of sp holding the GIL at the snapshot, its hold in
 * progress (up to interval_ns) to the function it runs now. */
static size_t add_holders(struct gilwatch *w, struct gw_proc *kp, const struct gilsnap *s,
			  const struct gilsnap_proc *sp, uint64_t interval_ns, struct cand *c,
			  size_t n)
{
	size_t nth = 0;
	bool listed = false;

	for (size_t k = 0; k < sp->nthreads; k++) {
		const struct gilsnap_thread *st = &s->threads[sp->first + k];
		uint64_t part = st->hold_ns - st->t.hold_ns;

		if (!st->holding || !part)
			continue;
		if (!listed) {	/* once per process, and only for one with a holder */
			listed = true;
			pyread_threads(kp->rd, w->pt, PYREAD_MAX_THREADS, &nth, PYREAD_CODE);
		}
		c[n++] = (struct cand){ st->pid, st->tid, code_now(kp->rd, w->pt, nth, st->tid),
					part < interval_ns ? part : interval_ns };
	}
	return n;
}

/* Sums the runs of equal (pid, tid, code) or (code) in c[0..n), sorted so;
 * the number left. */
static size_t merge(struct cand *c, size_t n, bool per_thread)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (k && c[k - 1].code == c[i].code &&
		    (!per_thread || (c[k - 1].pid == c[i].pid && c[k - 1].tid == c[i].tid)))
			c[k - 1].ns += c[i].ns;
		else
			c[k++] = c[i];
	}
	return k;
}

/* One process: its threads' functions from c[0..n) (its candidates, by
 * thread), its own from their sum by function (scratch: n more). */
static void fill_proc(struct pyread *r, struct gilsnap *s, struct gilsnap_proc *sp,
		      const struct cand *c, size_t n, struct cand *scratch)
{
	const struct cand *best = NULL;
	size_t t = 0;

	for (size_t i = 0, j; i < n; i = j) {	/* c is by tid: a run per thread */
		size_t top = i;

		for (j = i; j < n && c[j].tid == c[i].tid; j++)
			if (c[j].ns > c[top].ns)
				top = j;
		while (t < sp->nthreads && s->threads[sp->first + t].tid < c[i].tid)
			t++;
		/* a thread the snapshot lacks (its entry evicted) counts for the process */
		if (t < sp->nthreads && s->threads[sp->first + t].tid == c[i].tid)
			name_of(r, c[top].code, s->threads[sp->first + t].func,
				sizeof(s->threads[sp->first + t].func));
	}
	memcpy(scratch, c, n * sizeof(*c));
	qsort(scratch, n, sizeof(*scratch), by_code);
	n = merge(scratch, n, false);
	for (size_t i = 0; i < n; i++)
		if (!best || scratch[i].ns > best->ns)
			best = &scratch[i];
	if (best)
		name_of(r, best->code, sp->func, sizeof(sp->func));
}

int gw_funcs(struct gilwatch *w, const struct gilstat_reading *rd, struct gilsnap *s,
	     uint64_t interval_ns)
{
	size_t n = 0, cap = rd->nfuncs + s->nthreads, i = 0;
	struct cand *c = malloc((cap ? cap : 1) * 2 * sizeof(*c));

	if (!c)
		return -ENOMEM;
	for (size_t k = 0; k < rd->nfuncs; k++) {
		const struct gilstat_func_rec *f = &rd->funcs[k];

		if (f->hold_ns && gw_wanted(w, (pid_t)f->k.pid))
			c[n++] = (struct cand){ f->k.pid, f->k.tid, f->k.code, f->hold_ns };
	}
	for (size_t k = 0; k < s->nprocs; k++) {
		struct gw_proc *kp = gw_known(w, (pid_t)s->procs[k].pid);

		if (kp && kp->rd && kp->file >= 0 && w->files[kp->file].funcs)
			n = add_holders(w, kp, s, &s->procs[k], interval_ns, c, n);
	}
	qsort(c, n, sizeof(*c), by_thread);
	n = merge(c, n, true);
	/* both in pid order: each process takes its run of candidates */
	for (size_t k = 0; k < s->nprocs; k++) {
		struct gilsnap_proc *sp = &s->procs[k];
		struct gw_proc *kp = gw_known(w, (pid_t)sp->pid);
		size_t first;

		while (i < n && c[i].pid < sp->pid)
			i++;
		for (first = i; i < n && c[i].pid == sp->pid; i++)
			;
		if (kp && kp->rd && i > first)
			fill_proc(kp->rd, s, sp, c + first, i - first, c + cap);
	}
	free(c);
	return 0;
}
