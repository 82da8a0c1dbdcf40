/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * perfetto_event.c - the Perfetto writer's events (contract in perfetto.h):
 * scheduling written from the model's view of each core, wakeups,
 * migrations, task births, renames and ends as ftrace events, and drop
 * requests as instants with a flow to the release they asked for.
 *
 * A switch is written where the model's occupant of a core differs from the
 * one written last, checked after every event on the cores it may have
 * changed: where a CPU span ended, the event's own core, and where its
 * tasks were. So Perfetto's CPU time per thread is the model's, which is
 * report's, inferences included (a lock event placing its thread on a core
 * no switch announced).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/perfetto_impl.h"
#include "trace/trace_reader.h"
#include "util/grow.h"

static void comm_of(const struct model *m, uint32_t tid, char out[17])
{
	const struct model_thread *t = tid ? model_thread(m, tid) : NULL;

	memset(out, 0, 17);
	if (t)
		memcpy(out, t->name, sizeof(t->name) < 16 ? sizeof(t->name) : 16);
}

/* A whole FtraceEvent of field fe with body p->msg on cpu. */
static void ftrace_event(struct pf *p, uint32_t cpu, uint64_t ts, uint32_t common_pid,
			 uint32_t fe)
{
	if (p->msg.oom || pfs_event(p->sched, cpu, ts, common_pid, fe, &p->msg))
		p->oom = true;
	pb_reset(&p->msg);
}

void pfi_idle_comm(char out[17], uint32_t cpu)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "swapper/%u", cpu);
	memset(out, 0, 17);
	memcpy(out, buf, strnlen(buf, 16));
}

void pfi_process_free(struct pf *p, const struct model *m, uint32_t cpu, uint64_t ts,
		      uint32_t tid)
{
	char comm[17];
	uint64_t state;

	/* a tid born here may be born again once freed (reuse) */
	if (hmap_get(&p->born, hkey_u64(tid), &state))
		hmap_put(&p->born, hkey_u64(tid), BORN_FREED);

	comm_of(m, tid, comm);
	pb_str(&p->msg, 1, comm);	/* SchedProcessFreeFtraceEvent.comm */
	pb_varint(&p->msg, 2, tid);	/* .pid */
	pb_varint(&p->msg, 3, PFS_PRIO);	/* .prio */
	ftrace_event(p, cpu, ts, tid, FE_SCHED_PROCESS_FREE);
}

/* Writes a switch on core c if the model's occupant differs from ours. */
static void sync_cpu(struct pf *p, const struct model *m, uint32_t c, const struct gs_event *ev)
{
	size_t n;
	const struct model_cpu *cpus = model_cpus(m, &n);

	if (c >= n || c >= p->ncur)
		return;
	uint32_t want = cpus[c].tid, have = p->cur[c];

	if (want == have)
		return;
	uint64_t ts = cpus[c].since_ns;	/* when the occupant changed */
	uint64_t state = 0;
	char comm[17];

	/* the task that leaves says why in its own switch event; anything
	 * else (an eviction the model inferred) leaves it runnable */
	if (have && ev && ev->type == GS_EV_SCHED_SWITCH && ev->tid == have)
		state = pfs_report_state(ev->arg1);
	if (want)
		comm_of(m, want, comm);
	else
		pfi_idle_comm(comm, c);
	if (pfs_switch(p->sched, c, ts, state, want, comm))
		p->oom = true;
	p->st.switches++;
	p->cur[c] = want;
	if (have) {
		uint64_t v;

		if (hmap_get(&p->on_cpu, hkey_u64(have), &v) && v == c + 1)
			hmap_del(&p->on_cpu, hkey_u64(have));
		/* an exited task is freed once it runs nowhere */
		const struct model_thread *t = model_thread(m, have);
		bool runs = t && (t->state == MS_RUNNING_LOCKED || t->state == MS_RUNNING_FREE);

		if (!runs && hmap_del(&p->exiting, hkey_u64(have)))
			pfi_process_free(p, m, c, ts, have);
	}
	if (!want)
		return;
	uint64_t was;

	/* the task came from another core (it left there with no CPU span
	 * if it stayed no time): that core changed too */
	if (hmap_get(&p->on_cpu, hkey_u64(want), &was) && was != c + 1) {
		hmap_del(&p->on_cpu, hkey_u64(want));
		sync_cpu(p, m, (uint32_t)(was - 1), ev);
	}
	if (hmap_put(&p->on_cpu, hkey_u64(want), c + 1))
		p->oom = true;
}

static void sync_task(struct pf *p, const struct model *m, uint32_t tid, const struct gs_event *ev)
{
	uint64_t v;

	if (tid && hmap_get(&p->on_cpu, hkey_u64(tid), &v))
		sync_cpu(p, m, (uint32_t)(v - 1), ev);
}

int pfi_grow_cur(struct pf *p, size_t n)
{
	if (n <= p->ncur)
		return 0;
	uint32_t *c = realloc(p->cur, n * sizeof(*c));

	if (!c)
		return -ENOMEM;
	memset(c + p->ncur, 0, (n - p->ncur) * sizeof(*c));
	p->cur = c;
	p->ncur = n;
	return 0;
}

/* A drop request: an instant in the asker's wait, with a flow to the
 * holder's next release of the lock. */
static void drop_request(struct pf *p, const struct model *m, const struct gs_event *ev,
			 uint64_t ts)
{
	const struct model_thread *t = model_thread(m, ev->tid);
	uint32_t pid = t ? t->pid : ev->pid, holder = (uint32_t)ev->arg1;
	size_t nl;
	const struct model_lock *locks = model_locks(m, &nl);

	for (size_t i = 0; !holder && i < nl; i++)
		if (locks[i].addr == ev->arg0 && locks[i].pid == pid)
			holder = locks[i].holder;
	struct trk *tr = pfi_track(p, pid, ev->tid, TK_LOCK, ev->arg0);
	uint64_t flow = 0, i;

	if (!tr) {
		p->oom = true;
		return;
	}
	if (holder && holder != ev->tid) {
		struct hkey k = { ev->arg0, pid };

		if (!hmap_get(&p->drop_index, k, &i)) {
			if (grow_array(&p->drops, &p->cap_drops, p->ndrops + 1, sizeof(*p->drops))) {
				p->oom = true;
				return;
			}
			if (hmap_put(&p->drop_index, k, p->ndrops)) {
				p->oom = true;
				return;
			}
			i = p->ndrops++;
			p->drops[i].n = 0;
		}
		struct drops *d = &p->drops[i];

		if (d->n == PF_MAX_DROPS) {	/* the oldest never saw its release */
			memmove(d->flow, d->flow + 1, (PF_MAX_DROPS - 1) * sizeof(d->flow[0]));
			memmove(d->holder, d->holder + 1, (PF_MAX_DROPS - 1) * sizeof(d->holder[0]));
			d->n--;
		}
		flow = DROP_FLOW(++p->drop_ids);
		d->flow[d->n] = flow;
		d->holder[d->n++] = holder;
	}
	pfi_instant(p, tr->uuid, ts, NULL, 1, flow);
}

void pf_event(struct pf *p, const struct model *m, const struct gs_event *ev)
{
	size_t ncpu;
	uint64_t ts = model_now(m);
	char comm[17];

	model_cpus(m, &ncpu);
	if (pfi_grow_cur(p, ncpu)) {
		p->oom = true;
		return;
	}
	if (p->touched_many) {
		for (size_t c = 0; c < ncpu; c++)
			sync_cpu(p, m, (uint32_t)c, ev);
	} else {
		for (size_t i = 0; i < p->ntouched; i++)
			sync_cpu(p, m, p->touched[i], ev);
	}
	p->ntouched = 0;
	p->touched_many = false;
	sync_cpu(p, m, ev->cpu, ev);
	sync_task(p, m, ev->tid, ev);
	if (ev->type == GS_EV_SCHED_SWITCH)
		sync_task(p, m, (uint32_t)ev->arg0, ev);
	if (ev->flags & GS_F_KEYFRAME)
		return;

	switch (ev->type) {
	case GS_EV_SCHED_WAKEUP:
		comm_of(m, ev->tid, comm);
		/* Perfetto takes the waker of a compact waking to be the task
		 * on that core: say it explicitly when that is not so */
		if (!ev->arg1 || (ev->cpu < p->ncur && p->cur[ev->cpu] == ev->arg1)) {
			if (pfs_waking(p->sched, ev->cpu, ts, ev->tid, (uint32_t)ev->arg0, comm))
				p->oom = true;
			break;
		}
		pb_str(&p->msg, 1, comm);		/* SchedWakingFtraceEvent.comm */
		pb_varint(&p->msg, 2, ev->tid);		/* .pid */
		pb_varint(&p->msg, 3, PFS_PRIO);	/* .prio */
		pb_varint(&p->msg, 4, 1);		/* .success */
		pb_varint(&p->msg, 5, ev->arg0);	/* .target_cpu */
		ftrace_event(p, ev->cpu, ts, (uint32_t)ev->arg1, FE_SCHED_WAKING);
		break;
	case GS_EV_SCHED_MIGRATE:
		comm_of(m, ev->tid, comm);
		pb_str(&p->msg, 1, comm);		/* SchedMigrateTaskFtraceEvent.comm */
		pb_varint(&p->msg, 2, ev->tid);		/* .pid */
		pb_varint(&p->msg, 3, PFS_PRIO);	/* .prio */
		pb_varint(&p->msg, 4, ev->arg0);	/* .orig_cpu */
		pb_varint(&p->msg, 5, ev->arg1);	/* .dest_cpu */
		ftrace_event(p, ev->cpu, ts, ev->tid, FE_SCHED_MIGRATE_TASK);
		break;
	case GS_EV_THREAD_START:
	case GS_EV_PROC_FORK: {
		/* the new task's creator: the process for a thread, the
		 * parent for a process; its comm is the creator's unless a
		 * name came first */
		bool thread = ev->type == GS_EV_THREAD_START;
		uint32_t child = thread ? ev->tid : (uint32_t)ev->arg0;
		uint32_t creator = thread ? ev->pid : ev->tid;
		uint64_t state;

		if (!child || child == creator || (!thread && ev->arg0 > UINT32_MAX))
			break;
		if (hmap_get(&p->born, hkey_u64(child), &state) && state == BORN_ALIVE)
			break;	/* said already (a tid's second start needs its end) */
		if (hmap_put(&p->born, hkey_u64(child), BORN_ALIVE)) {
			p->oom = true;
			break;
		}
		comm_of(m, child, comm);
		if (!comm[0])
			comm_of(m, creator, comm);
		pb_varint(&p->msg, 1, child);		/* TaskNewtaskFtraceEvent.pid */
		pb_str(&p->msg, 2, comm);		/* .comm */
		pb_varint(&p->msg, 3, thread ? CLONE_THREAD_FLAG : 0);	/* .clone_flags */
		ftrace_event(p, ev->cpu, ts, creator, FE_TASK_NEWTASK);
		break;
	}
	case GS_EV_THREAD_NAME:
		comm_of(m, ev->tid, comm);
		if (!comm[0])
			break;
		pb_varint(&p->msg, 1, ev->tid);		/* TaskRenameFtraceEvent.pid */
		pb_str(&p->msg, 3, comm);		/* .newcomm */
		ftrace_event(p, ev->cpu, ts, ev->tid, FE_TASK_RENAME);
		break;
	case GS_EV_THREAD_EXIT:
	case GS_EV_PROC_EXIT:
		/* freed once it has left its core, as the kernel does */
		if (pfi_has(&p->on_cpu, ev->tid)) {
			if (hmap_put(&p->exiting, hkey_u64(ev->tid), 1))
				p->oom = true;
		} else {
			pfi_process_free(p, m, ev->cpu, ts, ev->tid);
		}
		break;
	case GS_EV_DROP_REQUEST:
		if (ev->tid && ev->arg0)
			drop_request(p, m, ev, ts);
		break;
	default:
		break;
	}
}

