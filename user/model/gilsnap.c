/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* gilsnap.c - the snapshot's arrays (contract in gilsnap.h). */
#include <stdlib.h>
#include <string.h>
#include "model/gilsnap.h"
#include "util/grow.h"
#include "util/search.h"

struct gilsnap_proc *gilsnap_add_proc(struct gilsnap *s, uint32_t pid)
{
	struct gilsnap_proc *p;

	if (grow_array(&s->procs, &s->cap_procs, s->nprocs + 1, sizeof(*s->procs)))
		return NULL;
	p = &s->procs[s->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->first = s->nthreads;
	return p;
}

struct gilsnap_thread *gilsnap_add_thread(struct gilsnap *s, uint32_t tid)
{
	struct gilsnap_thread *t;

	if (!s->nprocs || grow_array(&s->threads, &s->cap_threads, s->nthreads + 1,
				     sizeof(*s->threads)))
		return NULL;
	t = &s->threads[s->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->pid = s->procs[s->nprocs - 1].pid;
	s->procs[s->nprocs - 1].nthreads++;
	return t;
}

const struct gilsnap_proc *gilsnap_find(const struct gilsnap *s, uint32_t pid)
{
	return search_u32(s->procs, s->nprocs, sizeof(*s->procs), offsetof(struct gilsnap_proc, pid),
			  pid);
}

void gilsnap_clear(struct gilsnap *s)
{
	s->nprocs = s->nthreads = 0;
	s->ts_ns = s->wall_ns = 0;
	s->files_traced = s->files_untraceable = 0;
	s->execs_lost = 0;
}

void gilsnap_free(struct gilsnap *s)
{
	free(s->procs);
	free(s->threads);
	memset(s, 0, sizeof(*s));
}

void gilsnap_swap(struct gilsnap *a, struct gilsnap *b)
{
	struct gilsnap t = *a;

	*a = *b;
	*b = t;
}
