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
 *   LOCK_REQUEST       the thread that asks    lock address            - (GS_F_FUNC: function id)
 *   LOCK_ACQUIRED      the new holder          lock address            ns waited (0 = unknown)
 *   LOCK_RELEASED      the old holder          lock address            ns held (0 = unknown;
 *                                                                      GS_F_FUNC: function id)
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
 *
 * Python functions (--python, traces/FORMAT.md "Functions"): GS_F_FUNC on a
 * LOCK_REQUEST or LOCK_RELEASED says arg1 is the function the thread ran:
 * at a request, the code that asks (a wait belongs to it); at a release,
 * the code running when it let go (the hold belongs to it). A function id
 * is GS_FUNC_NONE, GS_FUNC_UNKNOWN, or a name the trace's names records
 * give for (pid, id). A RELEASED that carries a function carries no hold
 * time (readers measure it from the events, as for 0). Between the kernel
 * and the recorder's Python stage (record/pyrec.h) a RELEASED carries in
 * arg1 the code object's address and 16 bits of its fingerprint
 * (gs_pyaddr_pack), or GS_PYADDR_NONE / GS_PYADDR_FAULT; the stage turns
 * it into an id, and gives the thread's next REQUEST the same one (the
 * kernel side reads nothing at a take), before any other consumer or the
 * file sees them.
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
	GS_F_FUNC = 1 << 3,		/* LOCK_REQUEST/LOCK_RELEASED: arg1 is a function */
};

/* Function ids (GS_F_FUNC) that name no function; 0 is never written (a
 * reader takes it as "not recorded"). */
#define GS_FUNC_NONE 1ull	/* the thread ran no Python code (no frame) */
#define GS_FUNC_UNKNOWN 2ull	/* it did, but which could not be read: "?" */
#define GS_FUNC_FIRST 3ull	/* the first id a names record may give */

/* arg1 of GS_F_FUNC events as the kernel side sends them, besides a packed
 * code object (gs_pyaddr_pack: never 0 or 1, its address is >= 4096). */
#define GS_PYADDR_NONE 0ull	/* no Python frame */
#define GS_PYADDR_FAULT 1ull	/* a read of the frame chain failed */

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
 * gilrt's USDT probes (runtime/gilrt_probes.h): how many of its arguments
 * each one's program reads. Each has two programs: NAME reads them from the
 * probe's spec, wherever it says they are; NAME_regs takes the first three
 * straight from %rdi, %rsi, %rdx, and is attached only to a binary whose
 * every site of that probe says exactly that (bpf/gs_usdt.h's sites).
 */
#define GS_GILRT_NARGS_gil_request 2
#define GS_GILRT_NARGS_gil_acquired 3
#define GS_GILRT_NARGS_gil_released 3
#define GS_GILRT_NARGS_gil_drop_request 2
#define GS_GILRT_NARGS_thread_start 2
#define GS_GILRT_NARGS_thread_exit 0
#define GS_GILRT_NARGS_io_begin 1
#define GS_GILRT_NARGS_io_end 2
#define GS_GILRT_NARGS_native_begin 0
#define GS_GILRT_NARGS_native_end 2

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

/*
 * Where the kernel side finds the code a CPython thread runs (--python),
 * from the interpreter's layout (record/pylayout.h); set once as read-only
 * data before the programs load. frames == GS_PYF_OFF: no function capture.
 * Offsets in bytes; -1 where the model has no such field.
 */
enum gs_py_frames {
	GS_PYF_OFF = 0,
	GS_PYF_OBJECT,		/* <=3.10: tstate->frame, a PyFrameObject: f_code */
	GS_PYF_CFRAME,		/* 3.11, 3.12: tstate->cframe->current_frame */
	GS_PYF_DIRECT,		/* 3.13+: tstate->current_frame */
};

#define GS_PY_CODE_SPAN 128	/* bytes of a code object read at once, at most */
#define GS_PY_FRAME_SPAN 96	/* bytes of an interpreter frame read at once, at most */

struct gs_py_cfg {
	__u32 frames;		/* enum gs_py_frames */
	__s32 drop_arg;		/* argument of drop_gil that is the PyThreadState * */
	__s32 ts_frame;		/* PyThreadState.frame / current_frame */
	__s32 ts_cframe;	/* PyThreadState.cframe (3.11, 3.12) */
	__s32 cframe_current;	/* _PyCFrame.current_frame */
	__s32 frame_code;	/* f_code / f_executable */
	__s32 frame_back;	/* f_back / previous */
	__s32 frame_owner;	/* owner byte (3.12+), -1 */
	__s32 frame_len;	/* bytes of a frame read at once (code, back, owner) */
	__s32 owned_by_cstack;	/* its value for a C entry frame, -1 */
	__s32 code_lo;		/* first byte of the code object read (fingerprint) */
	__s32 code_len;		/* bytes read from there (<= GS_PY_CODE_SPAN) */
	__s32 code_line;	/* co_firstlineno, from code_lo */
	__s32 code_name;	/* co_qualname (3.11+) / co_name pointer, from code_lo */
	__s32 code_file;	/* co_filename pointer, from code_lo */
};

/* The fingerprint of a code object that an event carries next to its
 * address: a code object freed, and its address reused by another before
 * user space reads it, then shows as a mismatch ("?") and never under the
 * wrong name. Same function in BPF and user space. */
static inline __u32 gs_py_fingerprint(__s32 firstlineno, __u64 name_ptr, __u64 file_ptr)
{
	__u64 h = (__u64)(__u32)firstlineno * 0x9e3779b97f4a7c15ull;

	h ^= (name_ptr >> 3) * 0xc2b2ae3d27d4eb4full;
	h ^= (file_ptr >> 3) * 0x165667b19e3779f9ull;
	h ^= h >> 29;
	return (__u32)(h ^ (h >> 32));
}

/* A code object's address (8-byte aligned, below 2^51) and its fingerprint
 * folded to 16 bits, in one arg. */
static inline __u64 gs_pyaddr_pack(__u64 addr, __u32 fp)
{
	return addr >> 3 | (__u64)(__u16)(fp ^ fp >> 16) << 48;
}

static inline __u64 gs_pyaddr_addr(__u64 v)
{
	return (v & ((1ull << 48) - 1)) << 3;
}

static inline __u16 gs_pyaddr_fp(__u64 v)
{
	return (__u16)(v >> 48);
}

#endif /* GILSCOPE_H */
