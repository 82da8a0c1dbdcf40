/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * model.c - the timeline model (contract in model.h).
 *
 * Data model: every thread is two parallel records, the public struct
 * model_thread (handed out as an array) and a private struct thr holding the
 * open-span bookkeeping. A thread is found by tid, a lock by (address, pid),
 * through hash maps of indexes (util/hash.h): feeding an event costs O(1)
 * whatever the number of threads and locks, and allocates only when a table
 * grows. Each CPU has one record saying who occupies it since when (and that
 * thread's index, so closing a CPU span needs no lookup); each lock, (pid,
 * address), one record saying who holds it since when. The locks a thread
 * holds form a doubly linked list through those records, newest first, so
 * taking, dropping, "drop them all" (RELEASED of address 0, exit) and "the
 * lock taken last" are O(1) per lock whatever the nesting.
 *
 * Bounded: a traced program can touch millions of locks (--lock ...:arg0 on
 * malloc) and start and end threads without end. The lock table holds at
 * most MODEL_LOCKS_MAX: free locks sit in a list by when they were last
 * released (through the same newer/older links a held lock uses for its
 * holder's list), and a new lock beyond the cap takes the slot of the one
 * free longest, whose totals are folded into struct model_folded. Threads
 * that can go (exited, or -a tasks, off CPU, holding and waiting for
 * nothing) are queued when they become so; beyond MODEL_THREADS_MAX a new
 * thread takes the slot of the first queued one that still can go (stale
 * entries are dropped as they are met: each queueing pays for one look).
 * Threads that cannot go are never dropped, so the table exceeds the cap
 * only by threads that live at the same time.
 *
 * A thread's state is derived (derive()) from a few facts (waiting, on which
 * CPU, holding, off-CPU reason, exited); every handler changes facts and then
 * calls thr_update(), which closes the STATE span when the derived state
 * changed. Every fact carries the time it was learnt, so keyframes (older
 * events after a seek, in any order) only apply when they are newer than what
 * is already known: for in-order events that test always passes.
 *
 * Long file: one state machine. Every handler reads and changes the same
 * private facts (threads, CPUs, locks, open spans) and the invariants that
 * tie them together; apart, those facts would have to be public.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>
#include "model/model.h"
#include "trace/trace_meta.h"
#include "util/grow.h"
#include "util/hash.h"
#ifndef GS_F_KEYFRAME		/* as in trace_reader.h, set by the reader only */
#define GS_F_KEYFRAME (1u << 7)
#endif

#define NO_CPU (-1)
#define NO_LOCK UINT32_MAX
#define NO_THR UINT32_MAX
#define OTHER_GUESS_NS 1000000ull	/* model.h: an unfollowed occupant's stay */

struct thr {
	uint64_t cpu_change_ns;	/* when on_cpu last changed */
	uint64_t lock_change_ns;/* when holding/waiting last changed */
	uint64_t io_since_ns;	/* IO_BEGIN, while in_io */
	uint64_t native_since_ns;/* NATIVE_BEGIN, while in_native */
	uint64_t exit_ns;	/* THREAD_EXIT / PROC_EXIT, once exited */
	uint64_t held_since_ns;	/* holding at least one lock since (nlocks > 0) */
	int32_t on_cpu;		/* core it runs on now, NO_CPU when off */
	uint32_t held;		/* lock index of the newest hold, NO_LOCK if none */
	uint8_t off_state;	/* MS_RUNNABLE / MS_SLEEPING / MS_UNKNOWN when off CPU */
	bool exited;		/* THREAD_EXIT / PROC_EXIT seen */
	uint64_t release_func;	/* the RELEASED being handled says this function */
	bool queued;		/* in the model's gone queue */
};

struct lck {
	uint32_t holder_idx;	/* the holder's thread index (while holder != 0) */
	uint32_t newer, older;	/* held: the holder's other held locks; free: the
				 * locks freed after / before it (lock index or
				 * NO_LOCK) */
};

struct mcpu {
	uint64_t lock;		/* the occupant's `lock` (the span is split where it changes) */
	uint32_t idx;		/* the occupant's thread index (valid if tid != 0) */
	bool known;		/* a switch (or inference) told us who runs */
	bool followed;		/* the occupant's departure will be recorded (model.h) */
};

struct model {
	struct model_opts opts;
	struct model_thread *pub;	/* threads, first-seen order */
	struct thr *priv;		/* parallel to pub */
	size_t nthr, cap_thr;
	struct hmap thr_index;		/* {tid} -> index in pub/priv */
	struct model_cpu *cpus;
	struct mcpu *cpriv;
	size_t ncpus;
	struct model_lock *locks;
	struct lck *lpriv;		/* parallel to locks */
	size_t nlocks, cap_locks;
	struct hmap lock_index;		/* {addr, pid} -> index in locks */
	uint32_t free_oldest, free_newest; /* free locks, by when they were freed */
	uint32_t *gone;			/* ring of thread indexes that may go */
	size_t gone_head, gone_n, gone_cap;
	struct model_folded folded;	/* what the dropped threads and locks counted */
	uint64_t now;			/* last non-keyframe ts */
	uint64_t origin;		/* first non-keyframe ts */
	bool started;			/* origin is set */
	bool silent;			/* handling a keyframe event */
	uint64_t lost;			/* sum of LOST counts (saturating) */
	uint64_t clamped;		/* sum of TIME_CLAMPED counts (saturating) */
	uint32_t last_tid;		/* one-entry lookup cache */
	size_t last_idx;
	const struct trace_names *names;	/* not owned (model_set_names) */
};

static inline uint64_t dur(uint64_t start, uint64_t end)
{
	return end > start ? end - start : 0;
}

/* Time of [start, end) that counts in totals: none for keyframes, and only
 * from the origin on (a span opened by a keyframe started before it). */
static inline uint64_t counted(const struct model *m, uint64_t start, uint64_t end)
{
	if (m->silent)
		return 0;
	if (start < m->origin)
		start = m->origin;
	return dur(start, end);
}

static inline void emit_f(struct model *m, uint8_t kind, uint64_t start, uint64_t end,
			  const struct model_thread *t, uint16_t cpu, uint64_t lock,
			  uint8_t state, uint32_t flags, uint64_t func)
{
	if (m->silent || !m->opts.on_span ||
	    (m->opts.span_kinds && !(m->opts.span_kinds & (1u << kind))))
		return;
	struct model_span s = {
		.start_ns = start,
		.end_ns = end > start ? end : start,
		.lock = lock,
		.pid = t->pid,
		.tid = t->tid,
		.cpu = cpu,
		.kind = kind,
		.state = state,
		/* a CPU span says itself whether its occupant was traced */
		.flags = flags | (kind == SPAN_CPU || t->traced ? 0 : SPAN_F_OTHER),
		.func = func,
	};
	m->opts.on_span(&s, m->opts.ctx);
}

static inline void emit(struct model *m, uint8_t kind, uint64_t start, uint64_t end,
			const struct model_thread *t, uint16_t cpu, uint64_t lock,
			uint8_t state, uint32_t flags)
{
	emit_f(m, kind, start, end, t, cpu, lock, state, flags, MODEL_NO_FUNC);
}

/* ---- tables ------------------------------------------------------------- */

static ssize_t thr_lookup(const struct model *m, uint32_t tid)
{
	uint64_t i;

	return hmap_get(&m->thr_index, hkey_u64(tid), &i) ? (ssize_t)i : -1;
}

/* thr_lookup() behind a one-entry cache: consecutive events of one thread
 * (request, acquired, released) are the common case. */
static inline ssize_t thr_find(struct model *m, uint32_t tid)
{
	if (tid == m->last_tid && m->last_idx < m->nthr)
		return (ssize_t)m->last_idx;
	ssize_t i = thr_lookup(m, tid);

	if (i >= 0) {
		m->last_tid = tid;
		m->last_idx = (size_t)i;
	}
	return i;
}

/* Room for need elements in two arrays indexed alike (the public record
 * and the model's own), which share one capacity. After a failure *cap
 * still fits both (a grown first array only has room to spare). */
static int grow_both(void *a, size_t asz, void *b, size_t bsz, size_t *cap, size_t need)
{
	size_t ca = *cap, cb = *cap;

	if (grow_array(a, &ca, need, asz) || grow_array(b, &cb, need, bsz))
		return -ENOMEM;
	*cap = ca < cb ? ca : cb;
	return 0;
}

/* Queue thread i as one that may go (checked again when its turn comes). */
static void gone_push(struct model *m, size_t i)
{
	if (m->priv[i].queued)
		return;
	if (m->gone_n == m->gone_cap) {
		size_t cap = m->gone_cap ? m->gone_cap * 2 : 64;
		uint32_t *g = malloc(cap * sizeof(*g));

		if (!g)
			return;	/* it stays: memory over the cap, not a failure */
		for (size_t k = 0; k < m->gone_n; k++)
			g[k] = m->gone[(m->gone_head + k) % m->gone_cap];
		free(m->gone);
		m->gone = g;
		m->gone_cap = cap;
		m->gone_head = 0;
	}
	m->gone[(m->gone_head + m->gone_n++) % m->gone_cap] = (uint32_t)i;
	m->priv[i].queued = true;
}

/* Exited or another process's task, off CPU, holding and waiting for
 * nothing: nothing will refer to it but its totals. */
static bool can_go(const struct model *m, size_t i)
{
	const struct model_thread *t = &m->pub[i];
	const struct thr *p = &m->priv[i];

	return (p->exited || !t->traced) && p->on_cpu == NO_CPU && !t->nlocks && !t->wait_lock &&
	       p->held == NO_LOCK;
}

/* A slot freed by folding the first queued thread that may go, or -1. */
static ssize_t thr_take_slot(struct model *m)
{
	while (m->gone_n) {
		uint32_t i = m->gone[m->gone_head];
		struct model_thread *t = &m->pub[i];
		struct model_folded *f = &m->folded;

		m->gone_head = (m->gone_head + 1) % m->gone_cap;
		m->gone_n--;
		m->priv[i].queued = false;
		if (i >= m->nthr || !can_go(m, i))
			continue;
		if (t->traced) {
			f->threads++;
			f->acquisitions = gs_sat_add(f->acquisitions, t->acquisitions);
			f->hold_ns = gs_sat_add(f->hold_ns, t->hold_ns);
			f->wait_ns = gs_sat_add(f->wait_ns, t->wait_ns);
			f->cpu_ns = gs_sat_add(f->cpu_ns, t->cpu_ns);
			f->ctx_switches = gs_sat_add(f->ctx_switches, t->ctx_switches);
			f->migrations = gs_sat_add(f->migrations, t->migrations);
		} else {
			f->other_threads++;
		}
		hmap_del(&m->thr_index, hkey_u64(t->tid));
		if (m->last_idx == i)
			m->last_tid = 0;
		return (ssize_t)i;
	}
	return -1;
}

/* The thread tid, created if new. Returns its index or a negative errno. */
static ssize_t thr_get(struct model *m, uint32_t pid, uint32_t tid)
{
	ssize_t i = thr_find(m, tid);

	if (i >= 0) {
		if (pid && !m->pub[i].pid)
			m->pub[i].pid = pid;
		return i;
	}
	if (m->nthr >= MODEL_THREADS_MAX && (i = thr_take_slot(m)) >= 0) {
		if (hmap_put(&m->thr_index, hkey_u64(tid), (uint64_t)i))
			return -ENOMEM;	/* the slot stays unused */
		goto init;
	}
	if (grow_both(&m->pub, sizeof(*m->pub), &m->priv, sizeof(*m->priv), &m->cap_thr,
		      m->nthr + 1))
		return -ENOMEM;
	i = (ssize_t)m->nthr;
	if (hmap_put(&m->thr_index, hkey_u64(tid), (uint64_t)i))
		return -ENOMEM;
	m->nthr++;
init:
	memset(&m->pub[i], 0, sizeof(m->pub[i]));
	memset(&m->priv[i], 0, sizeof(m->priv[i]));
	m->pub[i].pid = pid;
	m->pub[i].tid = tid;
	m->pub[i].cpu = -1;
	m->pub[i].wait_func = m->pub[i].hold_func = MODEL_NO_FUNC;
	m->priv[i].on_cpu = NO_CPU;
	m->priv[i].held = NO_LOCK;
	m->priv[i].release_func = MODEL_NO_FUNC;
	m->last_tid = tid;
	m->last_idx = (size_t)i;
	gone_push(m, (size_t)i);	/* -a tasks that never run may go too */
	return i;
}

static int cpus_grow(struct model *m, size_t n)
{
	if (n <= m->ncpus)
		return 0;
	struct model_cpu *c = realloc(m->cpus, n * sizeof(*c));

	if (!c)
		return -ENOMEM;
	m->cpus = c;
	struct mcpu *p = realloc(m->cpriv, n * sizeof(*p));

	if (!p)
		return -ENOMEM;
	m->cpriv = p;
	memset(&m->cpus[m->ncpus], 0, (n - m->ncpus) * sizeof(*c));
	memset(&m->cpriv[m->ncpus], 0, (n - m->ncpus) * sizeof(*p));
	m->ncpus = n;
	return 0;
}

/* A lock is an address in a process: after fork(), each process has its
 * own lock at the same address (gilrt procs). Its index, or NO_LOCK if it
 * was never acquired. */
static uint32_t lock_find(const struct model *m, uint32_t pid, uint64_t addr)
{
	uint64_t i;

	return hmap_get(&m->lock_index, (struct hkey){ addr, pid }, &i) ? (uint32_t)i : NO_LOCK;
}

/* Free locks form a list by when they were freed (oldest first). */
static void free_push(struct model *m, uint32_t li)
{
	struct lck *q = &m->lpriv[li];

	q->newer = NO_LOCK;
	q->older = m->free_newest;
	if (m->free_newest != NO_LOCK)
		m->lpriv[m->free_newest].newer = li;
	else
		m->free_oldest = li;
	m->free_newest = li;
}

static void free_remove(struct model *m, uint32_t li)
{
	struct lck *q = &m->lpriv[li];

	if (q->newer != NO_LOCK)
		m->lpriv[q->newer].older = q->older;
	else
		m->free_newest = q->older;
	if (q->older != NO_LOCK)
		m->lpriv[q->older].newer = q->newer;
	else
		m->free_oldest = q->newer;
	q->newer = q->older = NO_LOCK;
}

/* The table is full: the slot of the lock free the longest, its totals
 * folded; NO_LOCK if every lock is held. */
static uint32_t lock_take_slot(struct model *m)
{
	uint32_t li = m->free_oldest;
	struct model_lock *l;

	if (li == NO_LOCK)
		return NO_LOCK;
	l = &m->locks[li];
	free_remove(m, li);
	hmap_del(&m->lock_index, (struct hkey){ l->addr, l->pid });
	m->folded.locks++;
	m->folded.lock_acquisitions = gs_sat_add(m->folded.lock_acquisitions, l->acquisitions);
	m->folded.lock_hold_ns = gs_sat_add(m->folded.lock_hold_ns, l->hold_ns);
	return li;
}

/* The lock's index, created if new; NO_LOCK when out of memory (or, at the
 * cap, when every lock is held). */
static uint32_t lock_get(struct model *m, uint32_t pid, uint64_t addr)
{
	uint32_t i = lock_find(m, pid, addr);

	if (i != NO_LOCK)
		return i;
	if (m->nlocks >= MODEL_LOCKS_MAX) {
		i = lock_take_slot(m);
		if (i == NO_LOCK || hmap_put(&m->lock_index, (struct hkey){ addr, pid }, i))
			return NO_LOCK;	/* a taken slot stays unused */
		goto init;
	}
	if (grow_both(&m->locks, sizeof(*m->locks), &m->lpriv, sizeof(*m->lpriv), &m->cap_locks,
		      m->nlocks + 1))
		return NO_LOCK;
	if (m->nlocks >= NO_LOCK ||
	    hmap_put(&m->lock_index, (struct hkey){ addr, pid }, m->nlocks))
		return NO_LOCK;
	i = (uint32_t)m->nlocks++;
init:
	memset(&m->locks[i], 0, sizeof(m->locks[i]));
	m->locks[i].addr = addr;
	m->locks[i].pid = pid;
	m->lpriv[i] = (struct lck){ .newer = NO_LOCK, .older = NO_LOCK };
	free_push(m, i);
	return i;
}

/* Does thread i hold lock li? */
static inline bool holds(const struct model *m, size_t i, uint32_t li)
{
	return li != NO_LOCK && m->locks[li].holder == m->pub[i].tid &&
	       m->lpriv[li].holder_idx == i;
}

/* ---- state -------------------------------------------------------------- */

static uint8_t derive(const struct model_thread *t, const struct thr *p)
{
	if (t->wait_lock)
		return MS_WAITING;
	if (p->on_cpu != NO_CPU)
		return t->lock ? MS_RUNNING_LOCKED : MS_RUNNING_FREE;
	if (p->exited)
		return MS_EXITED;
	return p->off_state;
}

/* When a state derived from keyframes began: the time of the fact that
 * decides it, not the time of the keyframe that happened to come last. */
static uint64_t derived_since(const struct model_thread *t, const struct thr *p, uint8_t st)
{
	switch (st) {
	case MS_WAITING:
		return t->wait_since_ns;
	case MS_RUNNING_LOCKED:
		return p->held_since_ns > p->cpu_change_ns ? p->held_since_ns : p->cpu_change_ns;
	case MS_EXITED:
		return p->exit_ns;
	default:
		return p->cpu_change_ns;
	}
}

static inline void thr_update(struct model *m, size_t i, uint64_t ts)
{
	struct model_thread *t = &m->pub[i];
	struct thr *p = &m->priv[i];
	uint8_t st = derive(t, p);

	if (st == t->state)
		return;
	if (t->state != MS_UNKNOWN && ts > t->state_since_ns)
		emit(m, SPAN_STATE, t->state_since_ns, ts, t,
		     t->cpu < 0 ? 0xffff : (uint16_t)t->cpu, 0, t->state, 0);
	t->state = st;
	t->state_since_ns = m->silent ? derived_since(t, p, st) : ts;
}

/* When the occupant of core c, found gone at ts without a switch of its
 * own, left: at ts, or for an occupant whose departure the recording does
 * not hold, OTHER_GUESS_NS after it came at the latest (model.h). */
static uint64_t unseen_end(const struct model *m, uint16_t c, uint64_t ts)
{
	const struct model_cpu *cpu = &m->cpus[c];

	if (cpu->tid && cpu->other && !m->cpriv[c].followed &&
	    ts > cpu->since_ns + OTHER_GUESS_NS)
		return cpu->since_ns + OTHER_GUESS_NS;
	return ts;
}

/* End the CPU span on core c at ts (totals, span), keeping the occupant. */
static void cpu_close_span(struct model *m, uint16_t c, uint64_t ts, uint32_t extra)
{
	struct model_cpu *cpu = &m->cpus[c];

	if (!cpu->tid)
		return;
	uint32_t i = m->cpriv[c].idx;

	if (i >= m->nthr || m->pub[i].tid != cpu->tid)
		return;
	struct model_thread *t = &m->pub[i];
	uint64_t d = counted(m, cpu->since_ns, ts);

	t->cpu_ns += d;
	if (cpu->other) {
		cpu->other_ns += d;
	} else {
		cpu->busy_ns += d;
		if (cpu->locked)
			cpu->lock_held_ns += d;
	}
	if (ts > cpu->since_ns)
		emit(m, SPAN_CPU, cpu->since_ns, ts, t, c, cpu->locked ? m->cpriv[c].lock : 0, 0,
		     (cpu->locked ? SPAN_F_LOCKED : 0) | (cpu->other ? SPAN_F_OTHER : 0) | extra);
}

/* The thread on core c may have changed its lock: split the CPU span there. */
static void cpu_split(struct model *m, size_t i, uint64_t ts)
{
	struct model_thread *t = &m->pub[i];
	int32_t c = m->priv[i].on_cpu;

	if (c == NO_CPU || m->cpus[c].tid != t->tid)
		return;
	struct model_cpu *cpu = &m->cpus[c];
	bool locked = t->lock != 0;

	if (locked == cpu->locked && t->lock == m->cpriv[c].lock)
		return;
	if (ts > cpu->since_ns) {
		cpu_close_span(m, (uint16_t)c, ts, 0);
		cpu->since_ns = ts;
	}
	cpu->locked = locked;
	m->cpriv[c].lock = t->lock;
}

/* Take thread i off whatever CPU it is on (it left at ts). */
static void thr_off_cpu(struct model *m, size_t i, uint64_t ts, uint8_t off_state)
{
	struct thr *p = &m->priv[i];

	if (p->on_cpu != NO_CPU) {
		struct model_cpu *cpu = &m->cpus[p->on_cpu];

		if (cpu->tid == m->pub[i].tid) {
			cpu_close_span(m, (uint16_t)p->on_cpu, ts, 0);
			cpu->tid = 0;
			cpu->pid = 0;
			cpu->since_ns = ts;
		}
		p->on_cpu = NO_CPU;
	}
	p->off_state = off_state;
	p->cpu_change_ns = ts;
	thr_update(m, i, ts);
	if (p->exited || !m->pub[i].traced)
		gone_push(m, i);
}

/* Make core c idle at ts, taking its occupant off (state: runnable, since a
 * task we did not see leave was most likely preempted). An occupant whose
 * departure the recording does not hold left at unseen_end(). */
static void cpu_evict(struct model *m, uint16_t c, uint64_t ts)
{
	struct model_cpu *cpu = &m->cpus[c];

	if (cpu->tid) {
		uint32_t i = m->cpriv[c].idx;
		uint64_t end = unseen_end(m, c, ts);

		if (end < ts) {
			cpu_close_span(m, c, end, SPAN_F_GUESS);
			if (i < m->nthr && m->pub[i].tid == cpu->tid && m->priv[i].on_cpu == c) {
				cpu->tid = 0;	/* its span is closed: just take it off */
				m->priv[i].on_cpu = NO_CPU;
				m->priv[i].off_state = MS_RUNNABLE;
				m->priv[i].cpu_change_ns = end;
				thr_update(m, (size_t)i, end);
			}
		} else if (i < m->nthr && m->pub[i].tid == cpu->tid && m->priv[i].on_cpu == c) {
			thr_off_cpu(m, (size_t)i, ts, MS_RUNNABLE);
		} else {
			cpu_close_span(m, c, ts, 0);
		}
	}
	cpu->tid = 0;
	cpu->pid = 0;
	cpu->since_ns = ts;
}

/* Put thread i on core c at ts. */
static void thr_on_cpu(struct model *m, size_t i, uint16_t c, uint64_t ts)
{
	struct model_thread *t = &m->pub[i];
	struct thr *p = &m->priv[i];
	struct model_cpu *cpu = &m->cpus[c];

	if (p->on_cpu == c && cpu->tid == t->tid)
		return;
	if (p->on_cpu != NO_CPU)
		thr_off_cpu(m, i, ts, MS_RUNNABLE);
	if (cpu->tid)
		cpu_evict(m, c, ts);
	cpu->tid = t->tid;
	cpu->pid = t->pid;
	m->cpriv[c].idx = (uint32_t)i;
	cpu->since_ns = ts;
	cpu->locked = t->lock != 0;
	cpu->other = !t->traced;
	m->cpriv[c].lock = t->lock;
	m->cpriv[c].known = true;
	m->cpriv[c].followed = true;	/* on_switch says otherwise */
	p->on_cpu = c;
	p->cpu_change_ns = ts;
	t->cpu = c;
	thr_update(m, i, ts);
}

/* An event the thread emitted itself: it runs on ev->cpu right now. Not for
 * keyframes, whose cpu was true only at their old time. */
static void thr_here(struct model *m, size_t i, uint16_t c, uint64_t ts)
{
	m->pub[i].traced = true;
	if (m->silent)
		return;
	if (m->priv[i].on_cpu == c && m->cpus[c].tid == m->pub[i].tid) {
		m->cpus[c].other = false;
		return;
	}
	thr_on_cpu(m, i, c, ts);
}

/* ---- lock --------------------------------------------------------------- */

static void end_wait(struct model *m, size_t i, uint64_t ts)
{
	struct model_thread *t = &m->pub[i];

	if (!t->wait_lock)
		return;
	uint64_t d = dur(t->wait_since_ns, ts);

	t->wait_ns += counted(m, t->wait_since_ns, ts);
	t->last_wait_ns = d;
	emit_f(m, SPAN_WAIT, t->wait_since_ns, ts, t, (uint16_t)(t->cpu < 0 ? 0xffff : t->cpu),
	       t->wait_lock, 0, 0, t->wait_func);
	t->wait_lock = 0;
}

/* Thread i takes lock li at ts (which it does not hold). */
static void hold_begin(struct model *m, size_t i, uint32_t li, uint64_t ts)
{
	struct model_thread *t = &m->pub[i];
	struct thr *p = &m->priv[i];
	struct model_lock *l = &m->locks[li];
	struct lck *q = &m->lpriv[li];

	free_remove(m, li);	/* the links now chain the holder's locks */
	l->holder = t->tid;
	l->since_ns = ts;
	q->holder_idx = (uint32_t)i;
	q->newer = NO_LOCK;
	q->older = p->held;
	if (p->held != NO_LOCK)
		m->lpriv[p->held].newer = li;
	p->held = li;
	if (!t->nlocks++)
		p->held_since_ns = ts;
	t->lock = l->addr;
	t->hold_since_ns = ts;
	if (!m->silent) {
		t->acquisitions++;
		l->acquisitions++;
	}
	cpu_split(m, i, ts);
}

/* Lock li's hold ends at ts (it is held). */
static void hold_end(struct model *m, uint32_t li, uint64_t ts)
{
	struct model_lock *l = &m->locks[li];
	struct lck *q = &m->lpriv[li];
	size_t i = q->holder_idx;
	struct model_thread *t = &m->pub[i];
	struct thr *p = &m->priv[i];

	l->hold_ns += counted(m, l->since_ns, ts);
	t->last_hold_ns = dur(l->since_ns, ts);
	t->hold_end_ns = ts;
	emit_f(m, SPAN_HOLD, l->since_ns, ts, t, (uint16_t)(t->cpu < 0 ? 0xffff : t->cpu),
	       l->addr, 0, 0, p->release_func);
	if (q->newer != NO_LOCK)
		m->lpriv[q->newer].older = q->older;
	else
		p->held = q->older;
	if (q->older != NO_LOCK)
		m->lpriv[q->older].newer = q->newer;
	if (!--t->nlocks)
		t->hold_ns += counted(m, p->held_since_ns, ts);
	if (p->held != NO_LOCK) {
		t->lock = m->locks[p->held].addr;
		t->hold_since_ns = m->locks[p->held].since_ns;
	} else {
		t->lock = 0;
		t->hold_since_ns = l->since_ns;
	}
	l->holder = 0;
	l->since_ns = ts;
	free_push(m, li);
	cpu_split(m, i, ts);
}

/* Every hold of thread i ends at ts (RELEASED of address 0, exit). */
static void end_holds(struct model *m, size_t i, uint64_t ts)
{
	while (m->priv[i].held != NO_LOCK)
		hold_end(m, m->priv[i].held, ts);
}

static void on_request(struct model *m, size_t i, const struct gs_event *ev, uint64_t ts)
{
	struct model_thread *t = &m->pub[i];
	struct thr *p = &m->priv[i];
	uint32_t li = lock_find(m, t->pid, ev->arg0);

	if (ts < p->lock_change_ns)
		return;
	if (holds(m, i, li))	/* asks for what it holds: a RELEASED got lost */
		hold_end(m, li, ts);
	if (t->wait_lock != ev->arg0) {
		end_wait(m, i, ts);
		t->wait_lock = ev->arg0;
		t->wait_since_ns = ts;
		t->wait_func = ev->flags & GS_F_FUNC ? ev->arg1 : MODEL_NO_FUNC;
	}
	p->lock_change_ns = ts;
}

static void on_acquired(struct model *m, size_t i, const struct gs_event *ev, uint64_t ts)
{
	struct thr *p = &m->priv[i];
	uint32_t li = lock_get(m, m->pub[i].pid, ev->arg0);

	if (li == NO_LOCK || ts < p->lock_change_ns)
		return;
	struct model_lock *l = &m->locks[li];

	end_wait(m, i, ts);
	p->lock_change_ns = ts;
	if (holds(m, i, li))
		return;
	/* a keyframe older than the lock's last change: this hold ended
	 * before what is known of the lock (newest news wins) */
	if (ts < l->since_ns)
		return;
	if (l->holder) {	/* its holder's RELEASED got lost */
		size_t h = m->lpriv[li].holder_idx;

		hold_end(m, li, ts);
		thr_update(m, h, ts);
	}
	hold_begin(m, i, li, ts);
}

static void on_released(struct model *m, size_t i, const struct gs_event *ev, uint64_t ts)
{
	struct thr *p = &m->priv[i];
	uint32_t li;

	if (ts < p->lock_change_ns)
		return;
	/* the hold (or holds) it ends belong to the function it names */
	p->release_func = ev->flags & GS_F_FUNC ? ev->arg1 : MODEL_NO_FUNC;
	m->pub[i].hold_func = p->release_func;
	if (!ev->arg0)
		end_holds(m, i, ts);
	else if (holds(m, i, li = lock_find(m, m->pub[i].pid, ev->arg0)))
		hold_end(m, li, ts);
	p->release_func = MODEL_NO_FUNC;
	p->lock_change_ns = ts;
}

/* An interval of thread i's own (IO, native code: no lock in it): from the
 * first begin to the end, one span; a begin inside it and an end outside
 * it (or before its begin) add nothing. */
static void own_span(struct model *m, size_t i, uint8_t kind, bool *in, uint64_t *since,
		     bool begin, uint16_t cpu, uint64_t ts)
{
	if (begin) {
		if (!*in) {
			*in = true;
			*since = ts;
		}
		return;
	}
	if (*in && ts >= *since)
		emit(m, kind, *since, ts, &m->pub[i], cpu, 0, 0, 0);
	*in = false;
}

static void on_drop_request(struct model *m, size_t i, const struct gs_event *ev, uint64_t ts)
{
	struct model_thread *t = &m->pub[i];
	struct thr *p = &m->priv[i];

	if (!m->silent)
		t->drop_requests++;
	if (ts < p->lock_change_ns)
		return;
	/* only a waiter asks the holder to drop: a lost (or, in a keyframe,
	 * superseded) REQUEST still means it waits */
	if (!t->wait_lock && !holds(m, i, lock_find(m, t->pid, ev->arg0))) {
		t->wait_lock = ev->arg0;
		t->wait_since_ns = ts;
		t->wait_func = MODEL_NO_FUNC;
		p->lock_change_ns = ts;
	}
}

/* ---- scheduling ----------------------------------------------------------- */

static int on_switch(struct model *m, const struct gs_event *ev, uint64_t ts)
{
	uint16_t c = ev->cpu;
	uint32_t next_tid = (uint32_t)ev->arg0;
	uint32_t next_pid = (uint32_t)(ev->arg0 >> 32);
	struct model_cpu *cpu = &m->cpus[c];

	/* a keyframe older than what we know of this core says nothing new
	 * about it, but may still be the latest word on prev */
	bool cpu_newer = !m->cpriv[c].known || ts >= cpu->since_ns;

	/* an occupant whose departure the recording does not hold stays
	 * OTHER_GUESS_NS at most, even if it is the one leaving now: other
	 * programs may have taken turns there unseen (model.h) */
	if (cpu_newer && cpu->tid && cpu->other && !m->cpriv[c].followed &&
	    unseen_end(m, c, ts) < ts)
		cpu_evict(m, c, ts);
	if (ev->tid) {
		ssize_t i = thr_get(m, ev->pid, ev->tid);

		if (i < 0)
			return (int)i;
		if (ev->flags & GS_F_TRACED_PREV)
			m->pub[i].traced = true;
		if (ts >= m->priv[i].cpu_change_ns) {
			if (!m->silent)
				m->pub[i].ctx_switches++;
			m->pub[i].cpu = c;	/* after a seek, the only word on its core */
			thr_off_cpu(m, (size_t)i, ts, ev->arg1 == 0 ? MS_RUNNABLE : MS_SLEEPING);
		}
	}
	if (!cpu_newer)
		return 0;
	/* the occupant leaves, or (not the prev of this switch, its departure
	 * unrecorded) it left unseen and may come back now */
	if (cpu->tid && (cpu->tid != next_tid ||
			 (cpu->tid != ev->tid && cpu->other && !m->cpriv[c].followed)))
		cpu_evict(m, c, ts);
	m->cpriv[c].known = true;
	if (!next_tid) {
		cpu->since_ns = ts;
		return 0;
	}
	ssize_t n = thr_get(m, next_pid, next_tid);

	if (n < 0)
		return (int)n;
	if (ev->flags & GS_F_TRACED_NEXT)
		m->pub[n].traced = true;
	if (ts >= m->priv[n].cpu_change_ns) {
		thr_on_cpu(m, (size_t)n, c, ts);
		/* will its departure be recorded? (model.h) */
		m->cpriv[c].followed = m->pub[n].traced ||
			(m->opts.trace_flags & TRACE_META_ALL_TASKS) ||
			((m->opts.trace_flags & TRACE_META_HANDOVER) &&
			 (ev->flags & GS_F_TRACED_PREV));
	} else {
		cpu->since_ns = ts;	/* newer news put it elsewhere */
	}
	return 0;
}

static void on_thread_exit(struct model *m, size_t i, uint64_t ts)
{
	struct model_thread *t = &m->pub[i];
	struct thr *p = &m->priv[i];

	end_wait(m, i, ts);
	end_holds(m, i, ts);
	if (t->in_io)
		emit(m, SPAN_IO, p->io_since_ns, ts, t, 0xffff, 0, 0, 0);
	if (t->in_native)
		emit(m, SPAN_NATIVE, p->native_since_ns, ts, t, 0xffff, 0, 0, 0);
	t->in_io = t->in_native = false;
	p->exited = true;
	p->exit_ns = ts;
	gone_push(m, i);	/* checked when its turn comes: off CPU by then */
}

/* ---- feeding ------------------------------------------------------------ */

static void copy_name(struct model_thread *t, const struct gs_event *ev)
{
	char n[16];

	gs_event_name(ev, n);
	if (n[0])
		memcpy(t->name, n, sizeof(n));
}

int model_feed(struct model *m, const struct gs_event *ev)
{
	uint64_t ts = ev->ts_ns;
	ssize_t i;
	int err;

	if (!m || !ev)
		return -EINVAL;
	m->silent = (ev->flags & GS_F_KEYFRAME) != 0;
	if (!m->silent) {
		if (!m->started) {
			m->started = true;
			m->origin = ts;
			m->now = ts;
		}
		if (ts < m->now)
			ts = m->now;
		m->now = ts;
	}
	if (ev->cpu >= m->ncpus && (err = cpus_grow(m, (size_t)ev->cpu + 1)))
		return err;

	switch (ev->type) {
	case GS_EV_SCHED_SWITCH:
		err = on_switch(m, ev, ts);
		if (err)
			return err;
		break;
	case GS_EV_LOST:
		if (!m->silent)
			m->lost = gs_sat_add(m->lost, ev->arg0);
		break;
	case GS_EV_TIME_CLAMPED:
		if (!m->silent)
			m->clamped = gs_sat_add(m->clamped, ev->arg0);
		break;
	case GS_EV_LOCK_REQUEST:
	case GS_EV_LOCK_ACQUIRED:
	case GS_EV_LOCK_RELEASED:
	case GS_EV_DROP_REQUEST:
	case GS_EV_LOCK_FAILED:
	case GS_EV_IO_BEGIN:
	case GS_EV_IO_END:
	case GS_EV_NATIVE_BEGIN:
	case GS_EV_NATIVE_END:
		if (!ev->tid)
			break;
		i = thr_get(m, ev->pid, ev->tid);
		if (i < 0)
			return (int)i;
		thr_here(m, (size_t)i, ev->cpu, ts);
		/* address 0 is "no lock": a request, grant or failure for it
		 * says nothing (a release of it ends every hold) */
		if (!ev->arg0 && (ev->type == GS_EV_LOCK_REQUEST || ev->type == GS_EV_LOCK_ACQUIRED ||
				  ev->type == GS_EV_DROP_REQUEST || ev->type == GS_EV_LOCK_FAILED)) {
			thr_update(m, (size_t)i, ts);
			break;
		}
		switch (ev->type) {
		case GS_EV_LOCK_REQUEST:
			on_request(m, (size_t)i, ev, ts);
			break;
		case GS_EV_LOCK_ACQUIRED:
			on_acquired(m, (size_t)i, ev, ts);
			break;
		case GS_EV_LOCK_RELEASED:
			on_released(m, (size_t)i, ev, ts);
			break;
		case GS_EV_DROP_REQUEST:
			on_drop_request(m, (size_t)i, ev, ts);
			break;
		case GS_EV_LOCK_FAILED:
			/* the wait ends without the lock: no acquisition, no hold */
			if (ts >= m->priv[i].lock_change_ns && m->pub[i].wait_lock == ev->arg0) {
				end_wait(m, (size_t)i, ts);
				m->priv[i].lock_change_ns = ts;
			}
			break;
		case GS_EV_IO_BEGIN:
		case GS_EV_IO_END:
			own_span(m, (size_t)i, SPAN_IO, &m->pub[i].in_io, &m->priv[i].io_since_ns,
				 ev->type == GS_EV_IO_BEGIN, ev->cpu, ts);
			break;
		case GS_EV_NATIVE_BEGIN:
		case GS_EV_NATIVE_END:
			own_span(m, (size_t)i, SPAN_NATIVE, &m->pub[i].in_native,
				 &m->priv[i].native_since_ns, ev->type == GS_EV_NATIVE_BEGIN, ev->cpu,
				 ts);
			break;
		}
		thr_update(m, (size_t)i, ts);
		break;
	case GS_EV_THREAD_START:
	case GS_EV_THREAD_EXIT:
	case GS_EV_THREAD_NAME:
	case GS_EV_PROC_EXIT:
	case GS_EV_SCHED_WAKEUP:
	case GS_EV_SCHED_MIGRATE:
		if (!ev->tid)
			break;
		i = thr_get(m, ev->pid, ev->tid);
		if (i < 0)
			return (int)i;
		struct model_thread *t = &m->pub[i];
		struct thr *p = &m->priv[i];

		switch (ev->type) {
		case GS_EV_THREAD_START:
			t->traced = true;
			if (p->exited && ts >= p->exit_ns) {	/* tid reused */
				end_wait(m, (size_t)i, ts);
				end_holds(m, (size_t)i, ts);
				p->exited = false;
				t->pid = ev->pid;
				t->name[0] = '\0';
			}
			if (p->on_cpu == NO_CPU && p->off_state == MS_UNKNOWN) {
				p->off_state = MS_RUNNABLE;
				p->cpu_change_ns = ts;
			}
			break;
		case GS_EV_THREAD_EXIT:
		case GS_EV_PROC_EXIT:
			t->traced = true;
			if (!p->exited)
				on_thread_exit(m, (size_t)i, ts);
			break;
		case GS_EV_THREAD_NAME:
			copy_name(t, ev);
			break;
		case GS_EV_SCHED_WAKEUP:
			if (ev->flags & GS_F_TRACED)
				t->traced = true;
			if (p->on_cpu == NO_CPU && ts >= p->cpu_change_ns) {
				p->off_state = MS_RUNNABLE;
				p->cpu_change_ns = ts;
			}
			break;
		case GS_EV_SCHED_MIGRATE:
			if (ev->flags & GS_F_TRACED)
				t->traced = true;
			if (!m->silent)
				t->migrations++;
			if (p->on_cpu == NO_CPU && ts >= p->cpu_change_ns)
				t->cpu = (int32_t)(uint32_t)ev->arg1;
			break;
		}
		thr_update(m, (size_t)i, ts);
		break;
	case GS_EV_PROC_FORK:
		if (ev->tid) {
			i = thr_get(m, ev->pid, ev->tid);
			if (i < 0)
				return (int)i;
			m->pub[i].traced = true;
		}
		if (ev->arg0 && ev->arg0 <= UINT32_MAX) {
			i = thr_get(m, (uint32_t)ev->arg0, (uint32_t)ev->arg0);
			if (i < 0)
				return (int)i;
			m->pub[i].traced = true;
			if (m->priv[i].on_cpu == NO_CPU && m->priv[i].off_state == MS_UNKNOWN) {
				m->priv[i].off_state = MS_RUNNABLE;
				m->priv[i].cpu_change_ns = ts;
				thr_update(m, (size_t)i, ts);
			}
		}
		break;
	default:
		break;
	}
	m->silent = false;
	return 0;
}

/* Every open span up to end_ns, flagged SPAN_F_OPEN. Closing (finish) also
 * counts them and restarts them at end_ns; peeking only shows them. */
static void open_spans(struct model *m, uint64_t end_ns, bool close)
{
	for (size_t c = 0; c < m->ncpus; c++) {
		struct model_cpu *cpu = &m->cpus[c];
		ssize_t i;

		uint64_t end;

		if (!cpu->tid || end_ns <= cpu->since_ns)
			continue;
		end = unseen_end(m, (uint16_t)c, end_ns);
		if (close && end < end_ns) {
			cpu_evict(m, (uint16_t)c, end_ns);	/* gone by now, unseen */
		} else if (close) {
			cpu_close_span(m, (uint16_t)c, end_ns, SPAN_F_OPEN);
			cpu->since_ns = end_ns;
		} else if ((i = thr_lookup(m, cpu->tid)) >= 0) {
			emit(m, SPAN_CPU, cpu->since_ns, end, &m->pub[i], (uint16_t)c,
			     cpu->locked ? m->cpriv[c].lock : 0, 0,
			     (end < end_ns ? SPAN_F_GUESS : SPAN_F_OPEN) |
			     (cpu->locked ? SPAN_F_LOCKED : 0) | (cpu->other ? SPAN_F_OTHER : 0));
		}
	}
	for (size_t i = 0; i < m->nthr; i++) {
		struct model_thread *t = &m->pub[i];
		struct thr *p = &m->priv[i];
		uint16_t c = (uint16_t)(t->cpu < 0 ? 0xffff : t->cpu);

		if (t->wait_lock) {
			emit_f(m, SPAN_WAIT, t->wait_since_ns, end_ns, t, c, t->wait_lock, 0,
			       SPAN_F_OPEN, t->wait_func);
			if (close) {
				t->wait_ns += counted(m, t->wait_since_ns, end_ns);
				t->wait_since_ns = end_ns;
			}
		}
		for (uint32_t li = p->held; li != NO_LOCK; li = m->lpriv[li].older) {
			struct model_lock *l = &m->locks[li];

			emit(m, SPAN_HOLD, l->since_ns, end_ns, t, c, l->addr, 0, SPAN_F_OPEN);
			if (close) {
				l->hold_ns += counted(m, l->since_ns, end_ns);
				l->since_ns = end_ns;
			}
		}
		if (t->nlocks && close) {
			t->hold_ns += counted(m, p->held_since_ns, end_ns);
			p->held_since_ns = end_ns;
			t->hold_since_ns = end_ns;
		}
		if (t->in_io) {
			emit(m, SPAN_IO, p->io_since_ns, end_ns, t, c, 0, 0, SPAN_F_OPEN);
			if (close)
				p->io_since_ns = end_ns;
		}
		if (t->in_native) {
			emit(m, SPAN_NATIVE, p->native_since_ns, end_ns, t, c, 0, 0, SPAN_F_OPEN);
			if (close)
				p->native_since_ns = end_ns;
		}
		if (t->state != MS_UNKNOWN && end_ns > t->state_since_ns) {
			emit(m, SPAN_STATE, t->state_since_ns, end_ns, t, c, 0, t->state,
			     SPAN_F_OPEN);
			if (close)
				t->state_since_ns = end_ns;
		}
	}
}

int model_finish(struct model *m, uint64_t end_ns)
{
	if (!m)
		return -EINVAL;
	if (end_ns < m->now)
		end_ns = m->now;
	if (!m->started) {
		m->started = true;
		m->origin = end_ns;
	}
	m->now = end_ns;
	m->silent = false;
	open_spans(m, end_ns, true);
	return 0;
}

void model_open_spans(struct model *m, uint64_t end_ns, model_span_fn fn, void *ctx)
{
	if (!m || !fn)
		return;
	struct model_opts saved = m->opts;

	if (end_ns < m->now)
		end_ns = m->now;
	m->opts.on_span = fn;
	m->opts.ctx = ctx;
	m->opts.span_kinds = 0;
	m->silent = false;
	open_spans(m, end_ns, false);
	m->opts = saved;
}

struct model *model_new(const struct model_opts *opts)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (opts)
		m->opts = *opts;
	m->free_oldest = m->free_newest = NO_LOCK;
	if (cpus_grow(m, m->opts.ncpus ? m->opts.ncpus : 1)) {
		model_free(m);
		return NULL;
	}
	return m;
}

void model_set_names(struct model *m, const struct trace_names *names)
{
	if (m)
		m->names = names;
}

const struct trace_names *model_names(const struct model *m)
{
	return m ? m->names : NULL;
}

void model_reset(struct model *m)
{
	if (!m)
		return;
	m->nthr = 0;
	m->nlocks = 0;
	m->free_oldest = m->free_newest = NO_LOCK;
	m->gone_head = m->gone_n = 0;
	memset(&m->folded, 0, sizeof(m->folded));
	hmap_clear(&m->thr_index);
	hmap_clear(&m->lock_index);
	memset(m->cpus, 0, m->ncpus * sizeof(*m->cpus));
	memset(m->cpriv, 0, m->ncpus * sizeof(*m->cpriv));
	m->now = m->origin = 0;
	m->started = m->silent = false;
	m->lost = 0;
	m->clamped = 0;
	m->last_tid = 0;
	m->last_idx = 0;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	free(m->pub);
	free(m->priv);
	hmap_free(&m->thr_index);
	hmap_free(&m->lock_index);
	free(m->cpus);
	free(m->cpriv);
	free(m->locks);
	free(m->lpriv);
	free(m->gone);
	free(m);
}

const struct model_thread *model_threads(const struct model *m, size_t *n)
{
	*n = m ? m->nthr : 0;
	return m ? m->pub : NULL;
}

const struct model_thread *model_thread(const struct model *m, uint32_t tid)
{
	if (!m)
		return NULL;
	ssize_t i = thr_lookup(m, tid);

	return i < 0 ? NULL : &m->pub[i];
}

const struct model_cpu *model_cpus(const struct model *m, size_t *n)
{
	*n = m ? m->ncpus : 0;
	return m ? m->cpus : NULL;
}

uint32_t model_lock_holder(const struct model *m)
{
	const struct model_lock *best = NULL;

	/* decided by the state alone, not by the order locks were first seen
	 * (which differs after a seek) */
	for (size_t i = 0; m && i < m->nlocks; i++) {
		const struct model_lock *l = &m->locks[i];

		if (l->holder && (!best || l->since_ns > best->since_ns ||
				  (l->since_ns == best->since_ns &&
				   (l->pid < best->pid || (l->pid == best->pid && l->addr < best->addr)))))
			best = l;
	}
	return best ? best->holder : 0;
}

const struct model_lock *model_lock(const struct model *m, uint32_t pid, uint64_t addr)
{
	uint32_t i = m ? lock_find(m, pid, addr) : NO_LOCK;

	return i == NO_LOCK ? NULL : &m->locks[i];
}

const struct model_lock *model_locks(const struct model *m, size_t *n)
{
	*n = m ? m->nlocks : 0;
	return m ? m->locks : NULL;
}

uint64_t model_now(const struct model *m)
{
	return m ? m->now : 0;
}

uint64_t model_origin(const struct model *m)
{
	return m ? m->origin : 0;
}

uint64_t model_lost(const struct model *m)
{
	return m ? m->lost : 0;
}

const struct model_folded *model_folded(const struct model *m)
{
	static const struct model_folded none;

	return m ? &m->folded : &none;
}

uint64_t model_clamped(const struct model *m)
{
	return m ? m->clamped : 0;
}
