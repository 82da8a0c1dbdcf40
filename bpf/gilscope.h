/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilscope.h - the one event record shared by the BPF programs, the recorder,
 * the trace file and the model. Fixed-width types only: this header is
 * included both by BPF C (after vmlinux.h) and by user space (after
 * <stdint.h> via gs_types.h), so it must not pull in kernel or libc headers.
 *
 * Every event is the same 40-byte struct. ts_ns is CLOCK_MONOTONIC
 * (bpf_ktime_get_ns). pid is the thread group id, tid the thread id, cpu the
 * core the event was produced on. What arg0/arg1 mean depends on type:
 *
 *   type               pid/tid is              arg0                    arg1
 *   LOCK_REQUEST       the thread that asks    lock address            -
 *   LOCK_ACQUIRED      the new holder          lock address            ns waited (0 = unknown)
 *   LOCK_RELEASED      the old holder          lock address            ns held (0 = unknown)
 *   DROP_REQUEST       the waiter that asks    lock address            holder tid (0 = unknown)
 *   THREAD_START       the new thread          -                       -
 *   THREAD_EXIT        the thread              -                       -
 *   THREAD_NAME        the thread              name bytes 0..7         name bytes 8..15 (NUL padded)
 *   SCHED_SWITCH       prev (leaves the cpu)   next tid | next pid<<32 prev_state (0 = preempted/runnable)
 *   SCHED_WAKEUP       the woken thread        target cpu              waker tid
 *   SCHED_MIGRATE      the moved thread        origin cpu              destination cpu
 *   IO_BEGIN/IO_END    the thread              fd                      ns blocked (END only)
 *   NATIVE_BEGIN/END   the thread              -                       ns with lock released (END only)
 *   PROC_FORK          the parent              child pid               -
 *   PROC_EXIT          the exiting thread      exit code (wait status) 1 = last thread: the process is gone
 *   LOST               (0/0)                   events lost             -
 *   LOCK_FAILED        the thread that gave up lock address            ns waited (0 = unknown)
 *                      (a trylock that failed, a timed wait that timed out: the
 *                      wait ends without the lock)
 *   TIME_CLAMPED       (0/0)                   events clamped          -
 *                      (written by the recorder, never by BPF: that many
 *                      events since the previous one carried a time given
 *                      by the traced program - gilrt's lock probes - that
 *                      lay outside [recording start, now]; their ts_ns was
 *                      clamped into it)
 *
 * flags: GS_F_TRACED_PREV / GS_F_TRACED_NEXT on SCHED_SWITCH say whether
 * prev / next belong to the traced process tree (with -a, untraced tasks are
 * recorded too and drawn as "someone else is here").
 */
#ifndef GILSCOPE_H
#define GILSCOPE_H

enum gs_event_type {
	GS_EV_NONE = 0,
	GS_EV_LOCK_REQUEST = 1,
	GS_EV_LOCK_ACQUIRED = 2,
	GS_EV_LOCK_RELEASED = 3,
	GS_EV_DROP_REQUEST = 4,
	GS_EV_THREAD_START = 5,
	GS_EV_THREAD_EXIT = 6,
	GS_EV_THREAD_NAME = 7,
	GS_EV_SCHED_SWITCH = 8,
	GS_EV_SCHED_WAKEUP = 9,
	GS_EV_SCHED_MIGRATE = 10,
	GS_EV_IO_BEGIN = 11,
	GS_EV_IO_END = 12,
	GS_EV_NATIVE_BEGIN = 13,
	GS_EV_NATIVE_END = 14,
	GS_EV_PROC_FORK = 15,
	GS_EV_PROC_EXIT = 16,
	GS_EV_LOST = 17,
	GS_EV_LOCK_FAILED = 18,
	GS_EV_TIME_CLAMPED = 19,
	GS_EV__COUNT
};

enum gs_event_flags {
	GS_F_TRACED_PREV = 1 << 0,	/* SCHED_SWITCH: prev is in the traced tree */
	GS_F_TRACED_NEXT = 1 << 1,	/* SCHED_SWITCH: next is in the traced tree */
	GS_F_TRACED = 1 << 2,		/* WAKEUP/MIGRATE/...: pid/tid is traced */
};

struct gs_event {
	__u64 ts_ns;	/* CLOCK_MONOTONIC, ns */
	__u32 pid;	/* thread group id of the subject */
	__u32 tid;	/* thread id of the subject */
	__u16 cpu;	/* core the event happened on */
	__u8 type;	/* enum gs_event_type */
	__u8 flags;	/* enum gs_event_flags */
	__u32 pad;	/* zero; keeps args 8-byte aligned */
	__u64 arg0;	/* see the table above */
	__u64 arg1;	/* see the table above */
};

/*
 * When a lock uprobe's acquire function got the lock, judged at its return
 * from the return value read as a C int (--lock SPEC's ok= field). A call
 * that did not get it ends its wait with LOCK_FAILED, not LOCK_ACQUIRED.
 */
enum gs_lock_ok {
	GS_LOCK_OK_ANY = 0,	/* always: void functions, CPython's take_gil */
	GS_LOCK_OK_ZERO = 1,	/* it returned 0: pthread_mutex_lock, sem_wait, mtx_lock */
	GS_LOCK_OK_NONZERO = 2,	/* it returned non-zero: a bool try_lock */
};

#endif /* GILSCOPE_H */
