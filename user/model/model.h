/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * model.h - the timeline model: events in (time order), out come spans
 * (half-open intervals) of what every thread, core and lock did, plus
 * running per-thread and per-core totals. The TUI, `report` and `export` all
 * read this one model; none of them interprets raw events on its own.
 *
 * Feeding: model_feed() each event in non-decreasing ts order (an event
 * older than the one before is treated as if it happened at that one's time,
 * so no duration is ever negative). Events with GS_F_KEYFRAME set (given by
 * the reader after a seek, with their original, older ts) set state only:
 * they never count in totals and emit no span, but a span they open starts at
 * their true ts. Among keyframes the newest information wins (a CPU's latest
 * switch, a thread's latest lock event), whatever their order. Totals count
 * time from the first non-keyframe event after new/reset (the "origin") on.
 * Whenever a span closes the model calls opts.on_span (if set).
 * model_finish(end) closes every open span at end.
 *
 * Locks nest: a thread may hold several locks at once (an outer mutex while
 * it takes and drops an inner one). Each (thread, lock) hold starts at its
 * ACQUIRED and ends at its own RELEASED, with a SPAN_HOLD of its own; a
 * thread waits for at most one lock at a time. A thread's hold_ns counts the
 * time it held at least one lock (nested holds are not added up); a lock's
 * hold_ns the time that lock was held.
 *
 * Robustness: an event a thread emits itself (lock, I/O, native) places it
 * on ev->cpu if no SCHED_SWITCH said so (traces that start mid-run, lost
 * events); ACQUIRED without REQUEST counts an acquisition with no wait;
 * ACQUIRED of a lock the thread already holds changes nothing; RELEASED of
 * a lock it does not hold only clears state; lock address 0 is no lock
 * (REQUEST/ACQUIRED/DROP_REQUEST/LOCK_FAILED for it are ignored, RELEASED of
 * it ends every hold of the thread); DROP_REQUEST from a thread not known to
 * wait starts its wait; ACQUIRED while the model thinks another thread holds
 * the same lock ends that hold first (its RELEASED got lost); REQUEST of a
 * lock the thread holds ends that hold (same reason).
 *
 * A thread's state is derived with this priority: waiting for a lock (between
 * LOCK_REQUEST and LOCK_ACQUIRED, on or off a CPU) > on a CPU holding a lock >
 * on a CPU without it (native code, I/O, or no lock in use) > exited (after
 * THREAD_EXIT/PROC_EXIT, once off its CPU) > runnable (woken or preempted,
 * not on a CPU) or sleeping, whichever happened last.
 *
 * Untraced tasks (SCHED_SWITCH without GS_F_TRACED_*) get SPAN_F_OTHER CPU
 * spans and count in model_cpu.other_ns, only for the time the recording
 * shows they had the CPU. Without -a only switches touching a traced task are
 * recorded, so an untraced task's departure is known only when the recording
 * holds it ("followed"): with -a (TRACE_META_ALL_TASKS) always; with
 * TRACE_META_HANDOVER when a traced task handed it the CPU (the kernel side
 * then records that CPU's next switch); never in traces made before that.
 * An occupant that is not followed is known to arrive, not to leave (even a
 * later switch away from it may end one of several turns it took with other
 * programs, unseen): the model ends its stay at the next event on that CPU
 * (a switch, a traced thread's own event) and at most OTHER_GUESS_NS (1 ms,
 * about the median stay measured with -a) after it came: a guess, flagged
 * SPAN_F_GUESS, after which the CPU counts as idle. So no core is grey for
 * seconds because the task it was given to went idle unseen.
 *
 * CPU spans are split wherever the running thread's `lock` (the lock it
 * took last among those it holds) changes, so a view can light exactly the
 * part where a holder ran, and a span's lock and SPAN_F_LOCKED hold for all
 * of it.
 *
 * The model owns its memory; pointers it returns are valid until the next
 * feed/finish/reset/free call. Functions return 0 or a negative errno.
 */
#ifndef MODEL_H
#define MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include "util/gs_types.h"

enum model_state {
	MS_UNKNOWN = 0,
	MS_SLEEPING,		/* off CPU, blocked (not on the lock) */
	MS_RUNNABLE,		/* off CPU, wants one */
	MS_WAITING,		/* waiting for the lock */
	MS_RUNNING_LOCKED,	/* on a CPU, holds a lock */
	MS_RUNNING_FREE,	/* on a CPU holding no lock (native, I/O, no lock) */
	MS_EXITED,
	MS__COUNT
};

enum span_kind {
	SPAN_CPU = 1,	/* a task occupied a CPU (cpu set) */
	SPAN_HOLD,	/* a thread held a lock (lock set) */
	SPAN_WAIT,	/* a thread waited for a lock (lock set) */
	SPAN_STATE,	/* a thread was in one enum model_state (state set) */
	SPAN_IO,	/* a thread was in blocking I/O (IO_BEGIN..IO_END) */
	SPAN_NATIVE,	/* a thread ran native code with the lock released */
};

enum span_flags {
	SPAN_F_LOCKED = 1 << 0,	/* SPAN_CPU: the thread held a lock throughout */
	SPAN_F_OTHER = 1 << 1,	/* the task is not in the traced tree (-a) */
	SPAN_F_OPEN = 1 << 2,	/* closed by model_finish(), not by an event */
	SPAN_F_GUESS = 1 << 3,	/* SPAN_CPU of an untraced task whose departure was not
				 * recorded: its end is the model's bound (see above) */
};

struct model_span {
	uint64_t start_ns;	/* inclusive */
	uint64_t end_ns;	/* exclusive */
	uint64_t lock;		/* lock address for HOLD/WAIT (with pid: which lock);
				 * CPU: the thread's `lock` (0 = none), else 0 */
	uint32_t pid, tid;	/* the thread (tid 0 = idle, on SPAN_CPU never emitted) */
	uint16_t cpu;		/* SPAN_CPU: the core; others: core at start or 0xffff */
	uint8_t kind;		/* enum span_kind */
	uint8_t state;		/* SPAN_STATE: enum model_state */
	uint32_t flags;		/* enum span_flags */
};

struct model_thread {
	uint32_t pid, tid;
	char name[16];		/* kernel comm or THREAD_NAME; "" if unknown */
	uint8_t state;		/* enum model_state now */
	int32_t cpu;		/* CPU it is on now, or last one; -1 unknown */
	bool traced;		/* in the traced tree (false: -a "other" task) */
	uint64_t acquisitions;	/* LOCK_ACQUIRED count */
	uint64_t hold_ns;	/* total time holding at least one lock */
	uint64_t wait_ns;	/* total time waiting for a lock */
	uint64_t cpu_ns;	/* total time on a CPU */
	uint64_t ctx_switches;	/* times switched out */
	uint64_t migrations;	/* SCHED_MIGRATE count */
	uint64_t drop_requests;	/* DROP_REQUEST issued by this thread */
	uint64_t state_since_ns;/* when the current state began */
	/* (fields below added after the first version; describe.c reads them) */
	uint64_t lock;		/* of the locks held now, the one taken last; 0 = none */
	uint64_t wait_lock;	/* lock waited for now, 0 = none */
	uint64_t hold_since_ns;	/* start of the hold of `lock`, or (none held) of
				 * the last finished hold */
	uint64_t wait_since_ns;	/* start of the current or last wait */
	uint64_t last_hold_ns;	/* length of the last finished hold */
	uint64_t last_wait_ns;	/* length of the last finished wait */
	bool in_io;		/* between IO_BEGIN and IO_END */
	bool in_native;		/* between NATIVE_BEGIN and NATIVE_END */
	/* (added with nested locks) */
	uint32_t nlocks;	/* locks held now */
	uint64_t hold_end_ns;	/* when the last finished hold ended */
};

struct model_cpu {
	uint32_t tid;		/* running now (0 idle) */
	uint32_t pid;
	uint64_t busy_ns;	/* time running traced tasks */
	uint64_t lock_held_ns;	/* time running a traced task that held a lock */
	/* (added after the first version) */
	uint64_t since_ns;	/* the current occupant (tid != 0) runs since */
	uint64_t other_ns;	/* time running untraced tasks (-a) */
	bool locked;		/* the current occupant holds a lock */
	bool other;		/* the current occupant is not traced (-a) */
};

struct model_lock {
	uint64_t addr;		/* lock address */
	uint32_t pid;		/* process it lives in: after fork() each process
				 * has its own lock at the same address */
	uint32_t holder;	/* tid holding it now, 0 = free */
	uint64_t since_ns;	/* when holder last changed (held: the hold's start) */
	uint64_t acquisitions;	/* LOCK_ACQUIRED count */
	uint64_t hold_ns;	/* total time held */
};

/*
 * The tables are bounded (see model.c): beyond MODEL_LOCKS_MAX locks a new
 * one takes the slot of the lock free the longest; beyond MODEL_THREADS_MAX
 * threads a new one takes the slot of one that exited (or a -a task) and
 * is off CPU, holding nothing. What those counted is summed here, so totals
 * over model_threads()/model_locks() plus these stay complete. Threads
 * that live at the same time are never dropped.
 */
#define MODEL_LOCKS_MAX 16384
#define MODEL_THREADS_MAX 16384

struct model_folded {
	uint64_t threads;		/* traced threads dropped from the table */
	uint64_t other_threads;		/* -a tasks dropped (their totals are not kept) */
	uint64_t acquisitions;		/* the traced threads' totals, summed */
	uint64_t hold_ns, wait_ns, cpu_ns;
	uint64_t ctx_switches, migrations;
	uint64_t locks;			/* locks dropped from the table */
	uint64_t lock_acquisitions;	/* their totals, summed */
	uint64_t lock_hold_ns;
};

typedef void (*model_span_fn)(const struct model_span *span, void *ctx);

struct model_opts {
	uint32_t ncpus;		/* from trace_meta; grows if an event names a higher cpu */
	model_span_fn on_span;	/* may be NULL */
	void *ctx;
	uint32_t span_kinds;	/* bits 1 << SPAN_x wanted by on_span; 0 = all */
	uint32_t trace_flags;	/* the recording's TRACE_META_* flags: which untraced
				 * tasks' departures it holds (0: none, as in old traces) */
};

struct model;

struct model *model_new(const struct model_opts *opts);
int model_feed(struct model *m, const struct gs_event *ev);
/* Close every open span at end_ns (flag SPAN_F_OPEN). Totals include them.
 * end_ns earlier than the last event counts as the last event's time. The
 * state is kept and its spans reopen at end_ns, so feeding may go on (a live
 * view can call this to flush totals). */
int model_finish(struct model *m, uint64_t end_ns);
/* Show every span still open as if it ended at end_ns (SPAN_F_OPEN set),
 * by calling fn(span, ctx) (not opts.on_span), without changing the model
 * or its totals: what a live view draws up to "now". The span pointer is
 * valid during the call only. */
void model_open_spans(struct model *m, uint64_t end_ns, model_span_fn fn, void *ctx);
/* Forget everything (threads, totals, open spans), keep opts. */
void model_reset(struct model *m);
void model_free(struct model *m);

/* Threads in the table, in first-seen order but for slots that a dropped
 * thread left to a newer one (see struct model_folded). */
const struct model_thread *model_threads(const struct model *m, size_t *n);
const struct model_thread *model_thread(const struct model *m, uint32_t tid);
const struct model_cpu *model_cpus(const struct model *m, size_t *n);
/* The thread that took a lock last among the locks held now (0 = all are
 * free); ties go to the lower (pid, addr). With one lock: its holder.
 * O(locks seen). */
uint32_t model_lock_holder(const struct model *m);
/* Locks in the table (a lock is (pid, addr)), in first-seen order but for
 * reused slots, at most MODEL_LOCKS_MAX. */
const struct model_lock *model_locks(const struct model *m, size_t *n);
/* The lock at addr in process pid, or NULL if never acquired. */
const struct model_lock *model_lock(const struct model *m, uint32_t pid, uint64_t addr);
/* ts of the last event fed (non-keyframe), 0 before any. */
uint64_t model_now(const struct model *m);
/* Start of the totals (first non-keyframe event), 0 before any. */
uint64_t model_origin(const struct model *m);
/* What threads and locks dropped from the tables counted (never NULL). */
const struct model_folded *model_folded(const struct model *m);
/* Sum of LOST event counts fed (not keyframes), saturating at UINT64_MAX. */
uint64_t model_lost(const struct model *m);
/* Sum of TIME_CLAMPED counts fed (not keyframes), saturating: events whose
 * time the traced program gave and the recorder had to clamp. */
uint64_t model_clamped(const struct model *m);

#endif
