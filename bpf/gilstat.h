/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilstat.h - the always-on counters of `gilscope top` and `gilscope
 * exporter`, shared by bpf/gilstat.bpf.c and user space. Fixed-width types
 * only, like gilscope.h (included by BPF C after vmlinux.h and by user
 * space after gs_types.h).
 *
 * No events: uprobes on CPython's take_gil and drop_gil (entry) add to
 * totals kept in two maps, so what the traced programs pay is the probes
 * alone and user space reads the maps when it likes. take_gil is probed
 * at its condition wait call (a take that waits) and its one call right
 * after it took the GIL (every take), where the file has both (every
 * CPython 3.6-3.13 here): one trap for a take that does not wait; else at
 * its entry and return (a trap and a return trampoline, two programs).
 *
 *   threads   LRU hash, tid -> struct gilstat_thread (GILSTAT_MAX_THREADS).
 *             A thread's entry is removed when it exits. When the map is
 *             full the least recently active thread is evicted: its
 *             finished holds and waits are already in its process's
 *             totals; a hold or wait it had in progress is not counted,
 *             and it starts over at its next GIL call.
 *   procs     LRU hash, tgid -> struct gilstat_proc (GILSTAT_MAX_PROCS):
 *             the process's totals, which outlive its threads' entries.
 *             Marked exited (exited_ns) when its last thread exits; user
 *             space reads it once more and removes it. A new process that
 *             reuses the pid of an exited one starts from zero.
 *   execs     ring buffer of struct gilstat_exec: a process called exec()
 *             (user space looks whether it became a Python interpreter).
 *   pycfg     array, GILSTAT_MAX_FILES struct gs_py_cfg (gilscope.h): how
 *             to find the running code object in each probed interpreter
 *             file. A file's probes carry its index + 1 as their attach
 *             cookie (0: no functions for that file); user space writes
 *             the entry before it attaches.
 *   funcs     LRU hash, struct gilstat_func_key (thread, code object) ->
 *             struct gilstat_func (GILSTAT_MAX_FUNCS): the GIL hold time
 *             of the interval by the function running when the hold ended
 *             (a hold belongs to the function that lets go, as in a
 *             recording: bpf/gilscope.h). Only threads of files with a
 *             pycfg entry have any. The code object is read at drop_gil's
 *             entry (bpf/gs_pycode.h, 4-5 reads of the thread's memory,
 *             about 0.1 us each) and sent as gs_pyaddr_pack() with its
 *             fingerprint, or GS_PYADDR_NONE / GS_PYADDR_FAULT; user
 *             space names it. At most once per GILSTAT_WALK_NS per thread:
 *             a hold that ends sooner after the thread's last read goes to
 *             what that read found (walk_code). Exact for threads that
 *             release the GIL less often (CPython's switch interval is
 *             5 ms), and for every hold of GILSTAT_WALK_NS or more (it
 *             began that long after the last read); a thread that lets
 *             go thousands of times a second (I/O in a loop) is read
 *             1,000 times a second, its shorter holds counted in the
 *             function it was last seen in.
 *
 * Times are CLOCK_MONOTONIC ns (bpf_ktime_get_ns). Holds and waits still
 * in progress are not in the totals: request_ns / acquired_ns say since
 * when, and user space adds them up to the moment it reads. request_ns is
 * when the take began to wait (its first pass of the wait call), or with
 * entry probes when it entered take_gil; a thread that was waiting when
 * the probes came counts from its next pass (at most one switch interval,
 * 5 ms, late; with entry probes that wait is not counted at all).
 *
 * The longest wait per interval: user space bumps the global epoch
 * (gilstat.bpf.c's `epoch`) when an interval starts; a finished wait
 * longer than max_wait_ns, or the first one of a newer epoch, sets
 * max_wait_ns and max_epoch. So max_wait_ns is the longest wait finished
 * in epoch max_epoch, without user space ever writing to an entry. A
 * funcs entry counts the same way: hold_ns is the holds of epoch `epoch`
 * (the first hold of a newer epoch starts it over).
 */
#ifndef GILSTAT_H
#define GILSTAT_H

/* Wait histogram: bucket k counts the waits of at most 2^k us (k = 0: at
 * most 1 us); the last bucket also counts everything longer. */
#define GILSTAT_HIST 26
#define GILSTAT_MAX_THREADS 16384	/* threads tracked at once, all processes */
#define GILSTAT_MAX_PROCS 4096		/* processes tracked at once */
#define GILSTAT_MAX_FILES 256		/* interpreter files with a pycfg entry */
#define GILSTAT_MAX_FUNCS 8192		/* (thread, function) hold totals at once */
#define GILSTAT_WALK_NS 1000000ull	/* funcs: a thread's code is read at most this often */

struct gilstat_totals {
	__u64 hold_ns;		/* finished holds */
	__u64 wait_ns;		/* finished timed waits (the histogram's sum) */
	__u64 acquisitions;	/* takes that got the GIL */
	__u64 waits;		/* acquisitions whose wait was timed, 0 for a take that
				 * found the GIL free (the histogram's count) */
	__u64 handoffs;		/* acquisitions after another thread's release, while waiting */
	__u64 max_wait_ns;	/* longest wait finished in epoch max_epoch */
	__u64 max_epoch;	/* the epoch max_wait_ns belongs to */
	__u64 hist[GILSTAT_HIST];	/* timed waits by length, see GILSTAT_HIST */
};

struct gilstat_thread {
	struct gilstat_totals t;	/* this thread's */
	__u64 request_ns;	/* asked for the GIL since (0: not asking, see above) */
	__u64 acquired_ns;	/* holds the GIL since (0: does not) */
	__u64 walk_ns;		/* funcs: its running code was last read then (0: never) */
	__u64 walk_code;	/* funcs: what that read found (gilstat_func_key.code) */
	__u32 pid;		/* its process (tgid) */
	__u32 pad;		/* zero */
};

struct gilstat_proc {
	struct gilstat_totals t;	/* the process's, over every thread it had */
	__u64 last_release_ns;	/* when a thread last dropped the GIL */
	__u64 exited_ns;	/* its last thread exited then (0: alive) */
	__u32 last_release_tid;	/* which thread that was */
	__u32 holder;		/* tid holding the GIL now (0: none) */
	char comm[16];		/* the kernel's name of the thread that made the entry */
};

struct gilstat_func_key {
	__u32 tid;		/* the thread that held the GIL */
	__u32 pid;		/* its process */
	__u64 code;		/* gs_pyaddr_pack(), GS_PYADDR_NONE or GS_PYADDR_FAULT */
};

struct gilstat_func {
	__u64 hold_ns;		/* holds ended in epoch `epoch` in this function */
	__u64 epoch;
};

struct gilstat_exec {
	__u32 pid;		/* the process that exec'd */
	__u32 pad;		/* zero */
};

#endif /* GILSTAT_H */
