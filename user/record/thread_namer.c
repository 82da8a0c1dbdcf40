/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* thread_namer.c - the kernel's names of traced threads (see thread_namer.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "record/thread_namer.h"
#include "util/proc.h"

/*
 * A thread is named at its first event, but a new thread has its creator's
 * name until it names itself (prctl(PR_SET_NAME), as Python 2 scripts do
 * with ctypes), which it can do only after its first events: such a thread
 * is looked at again at its events, RETRY_NS apart, RETRIES times at most,
 * and named again if its name changed. The map's value for a tid: NAMED
 * (done), or (last look in ms << 8) | looks so far.
 */
#define NAMED 1
#define RETRY_NS 50000000ull	/* 50 ms */
#define RETRIES 40		/* two seconds of looking */

/* 1 if tid was added, 0 if already there, negative errno. */
static int named_put(struct hmap *named, uint32_t tid, uint64_t v)
{
	if (named->n >= THREAD_NAMER_MAX)	/* churn: forget, names are only repeated */
		hmap_clear(named);
	return hmap_put(named, hkey_u64(tid), v) ?: 1;
}

static int named_add(struct hmap *named, uint32_t tid)
{
	uint64_t v;

	if (!tid || hmap_get(named, hkey_u64(tid), &v))
		return 0;
	return named_put(named, tid, NAMED);
}

/* Whether tid (not its process's first thread) still has the name it
 * inherited: its process's first thread's. */
static bool inherited_name(pid_t pid, pid_t tid, const char *name)
{
	char lead[16];

	return tid != pid && !proc_comm(pid, pid, lead) && !strcmp(lead, name);
}

static int push_name(struct thread_namer *n, uint64_t ts, pid_t pid, pid_t tid, const char *name)
{
	struct gs_event e = { .ts_ns = ts, .pid = pid, .tid = tid, .type = GS_EV_THREAD_NAME };

	gs_event_set_name(&e, name);
	return reorder_push(n->ro, &e, 1);
}

/* A thread that had its creator's name: has it named itself since? */
static int look_again(struct thread_namer *n, uint64_t ts, pid_t pid, pid_t tid, uint64_t v)
{
	uint64_t last_ms = v >> 8, looks = v & 0xff;
	char name[16];
	int err;

	if (ts / 1000000 < last_ms + RETRY_NS / 1000000)
		return 0;
	if (proc_comm(pid, tid, name))
		return named_put(&n->named, tid, NAMED) < 0 ? -ENOMEM : 0;	/* gone */
	if (inherited_name(pid, tid, name)) {
		v = looks + 1 >= RETRIES ? NAMED : (ts / 1000000) << 8 | (looks + 1);
		return named_put(&n->named, tid, v) < 0 ? -ENOMEM : 0;
	}
	if ((err = named_put(&n->named, tid, NAMED)) < 0)
		return err;
	return push_name(n, ts, pid, tid, name);
}

/* First sight of a traced thread: give it the kernel's name. */
static int name_thread(struct thread_namer *n, uint64_t ts, pid_t pid, pid_t tid)
{
	char name[16];
	uint64_t v;
	int added;

	if (tid && hmap_get(&n->named, hkey_u64(tid), &v))
		return v == NAMED ? 0 : look_again(n, ts, pid, tid, v);
	added = named_add(&n->named, tid);
	if (added <= 0)
		return added;
	if (proc_comm(pid, tid, name)) {
		if (tid != n->root || !n->root_name || !n->root_name[0])
			return 0;	/* gone already; the model says "tid N" */
		snprintf(name, sizeof(name), "%s", n->root_name);
	} else if (inherited_name(pid, tid, name) &&
		   named_put(&n->named, tid, (ts / 1000000) << 8) < 0) {
		return -ENOMEM;
	}
	return push_name(n, ts, pid, tid, name);
}

int thread_namer_event(struct thread_namer *n, const struct gs_event *e)
{
	bool all = n->all_tasks;
	int err;

	switch (e->type) {
	case GS_EV_THREAD_NAME:		/* gilrt named it: that wins */
		return e->tid && named_put(&n->named, e->tid, NAMED) < 0 ? -ENOMEM : 0;
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
