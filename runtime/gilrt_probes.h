/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilrt_probes.h - the USDT probe contract of gilrt (provider "gilrt").
 *
 * THIS IS AN INTERFACE: the BPF side (bpf/gilscope.bpf.c, user/adapters)
 * attaches to these names and reads the arguments in this order. Change
 * nothing here without changing them. Every argument is cast to a 64-bit
 * integer (sdt.h records it as 8@...).
 *
 *   probe              arg0                 arg1                fired by / when
 *   gil_request        lock address         now                 a thread that asks for the lock
 *   gil_acquired       lock address         ns waited, now      the new holder, after it holds it
 *                                                               (waited = since its gil_request)
 *   gil_released       lock address         ns held, now        the holder, just before it lets go
 *                                                               (held = since its gil_acquired)
 *   gil_drop_request   lock address         holder tid          a waiter whose timed wait expired
 *                                                               and that asks the holder to drop
 *   thread_start       tid                  char *name          the new thread, first thing it does
 *                                                               (NUL-terminated, <= 15 chars)
 *   thread_exit        tid                  -                   the thread, last thing it does
 *   io_begin           fd                   -                   before blocking I/O (lock released)
 *   io_end             fd                   ns blocked          after it (lock still released)
 *   native_begin       0                    -                   C code starts with the lock released
 *   native_end         0                    ns in native code   C code done (lock still released)
 *
 * Each gil_acquired / gil_released fires exactly once per acquisition that
 * gilrt counts in its own statistics (--stats-json), and waited/held are the
 * very CLOCK_MONOTONIC differences gilrt adds to its wait_ns / hold_ns, so
 * a trace can be checked against the runtime's own numbers exactly.
 * "now" (the last argument of the three gil_* probes above) is the
 * CLOCK_MONOTONIC time in ns that gilrt read for its own accounting: the
 * tracer records it as the event's time instead of reading the clock again
 * (the same clock as bpf_ktime_get_ns), which is most of a lock event's cost.
 * Policy "none" has no lock: it fires no gil_* probes.
 *
 * Probes use USDT semaphores: gilrt_<probe>_semaphore is non-zero only while
 * a tracer is attached, so arguments that cost something are computed only
 * then; unattached, a probe site is a nop plus a load and a branch.
 *
 * Each site is a 5-byte nop (bpf/gs_usdt.h), not sdt.h's 1-byte one: on
 * kernels that optimize uprobes (x86-64, 6.18+) a hit is then a call and a
 * syscall instead of a breakpoint trap; the notes are the same standard
 * USDT notes (readelf -n, libbpf, bpftrace). The arguments are in %rdi,
 * %rsi, %rdx, in that order, where gilscope reads them without looking
 * the spec up.
 */
#ifndef GILRT_PROBES_H
#define GILRT_PROBES_H
#include <stdint.h>
#include "bpf/gs_usdt.h"

#define GILRT_SEMA(name) gilrt_##name##_semaphore
#define GILRT_DECLARE_SEMA(name)                                               \
	extern unsigned short GILRT_SEMA(name)                                 \
		__attribute__((section(".probes")))

GILRT_DECLARE_SEMA(gil_request);
GILRT_DECLARE_SEMA(gil_acquired);
GILRT_DECLARE_SEMA(gil_released);
GILRT_DECLARE_SEMA(gil_drop_request);
GILRT_DECLARE_SEMA(thread_start);
GILRT_DECLARE_SEMA(thread_exit);
GILRT_DECLARE_SEMA(io_begin);
GILRT_DECLARE_SEMA(io_end);
GILRT_DECLARE_SEMA(native_begin);
GILRT_DECLARE_SEMA(native_end);

/* True while a tracer is attached to probe NAME. */
#define GILRT_PROBE_ENABLED(name)                                              \
	__builtin_expect(__atomic_load_n(&GILRT_SEMA(name), __ATOMIC_RELAXED) != 0, 0)

/* In a child right after fork(): makes its probes safe on kernels whose
 * optimized uprobes do not survive fork (see probes.c). 0 or -1. */
int gilrt_probes_after_fork(void);

#define GILRT_PROBE1(name, a)                                                  \
	do {                                                                   \
		if (GILRT_PROBE_ENABLED(name))                                 \
			GS_USDT1(gilrt, name, GILRT_SEMA(name), a);            \
	} while (0)

#define GILRT_PROBE2(name, a, b)                                               \
	do {                                                                   \
		if (GILRT_PROBE_ENABLED(name))                                 \
			GS_USDT2(gilrt, name, GILRT_SEMA(name), a, b);         \
	} while (0)

#define GILRT_PROBE3(name, a, b, c)                                            \
	do {                                                                   \
		if (GILRT_PROBE_ENABLED(name))                                 \
			GS_USDT3(gilrt, name, GILRT_SEMA(name), a, b, c);      \
	} while (0)

#endif /* GILRT_PROBES_H */
