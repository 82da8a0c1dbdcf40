/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* thread_namer.c - the kernel's names of traced threads (see thread_namer.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "record/thread_namer.h"
#include "util/proc.h"

/* 1 if tid was added, 0 if already there, negative errno. */
static int named_add(struct hmap *named, uint32_t tid)
{
	uint64_t v;

	if (!tid || hmap_get(named, hkey_u64(tid), &v))
		return 0;
	if (named->n >= THREAD_NAMER_MAX)	/* churn: forget, names are only repeated */
		hmap_clear(named);
	return hmap_put(named, hkey_u64(tid), 1) ?: 1;
}

/* First sight of a traced thread: give it the kernel's name. */
static int name_thread(struct thread_namer *n, uint64_t ts, pid_t pid, pid_t tid)
{
	struct gs_event e = { .ts_ns = ts, .pid = pid, .tid = tid, .type = GS_EV_THREAD_NAME };
	char name[16];
	int added = named_add(&n->named, tid);

	if (added <= 0)
		return added;
	if (proc_comm(pid, tid, name)) {
		if (tid != n->root || !n->root_name || !n->root_name[0])
			return 0;	/* gone already; the model says "tid N" */
		snprintf(name, sizeof(name), "%s", n->root_name);
	}
	gs_event_set_name(&e, name);
	return reorder_push(n->ro, &e, 1);
}

int thread_namer_event(struct thread_namer *n, const struct gs_event *e)
{
	bool all = n->all_tasks;
	int err;

	switch (e->type) {
	case GS_EV_THREAD_NAME:		/* gilrt named it: that wins */
		return named_add(&n->named, e->tid) < 0 ? -ENOMEM : 0;
	case GS_EV_SCHED_SWITCH:	/* with -a, "someone else" gets a name too */
		if ((all || (e->flags & GS_F_TRACED_PREV)) &&
		    (err = name_thread(n, e->ts_ns, e->pid, e->tid)))
			return err;
		if (all || (e->flags & GS_F_TRACED_NEXT))
			return name_thread(n, e->ts_ns, e->arg0 >> 32, (uint32_t)e->arg0);
		return 0;
	case GS_EV_SCHED_WAKEUP:
	case GS_EV_SCHED_MIGRATE:
		return all || (e->flags & GS_F_TRACED) ? name_thread(n, e->ts_ns, e->pid, e->tid) : 0;
	case GS_EV_PROC_FORK:
	case GS_EV_LOST:
	case GS_EV_TIME_CLAMPED:
		return 0;
	default:
		return name_thread(n, e->ts_ns, e->pid, e->tid);
	}
}

struct existing {
	struct thread_namer *n;
	pid_t pid;
	uint64_t ts;
	int err;		/* of naming, not of listing: a process gone is no error */
};

static int name_one(void *ctx, pid_t tid)
{
	struct existing *x = ctx;

	return x->err = name_thread(x->n, x->ts, x->pid, tid);
}

int thread_namer_existing(struct thread_namer *n, pid_t pid, uint64_t ts)
{
	struct existing x = { n, pid, ts, 0 };

	proc_each_tid(pid, name_one, &x);
	return x.err;
}

void thread_namer_free(struct thread_namer *n)
{
	hmap_free(&n->named);
}
