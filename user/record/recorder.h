/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * recorder.h - records a traced program: loads and attaches the BPF side
 * (loader.h), starts or attaches to the target, drains the ring buffer on a
 * timer (never woken per event), merges the events of all CPUs into time
 * order with a bounded reorder window, adds what only user space knows
 * (LOST counts, names of threads that existed before the probes), and hands
 * the ordered events to a sink callback: the trace writer, a live model, both.
 *
 * Use from a plain loop:      recorder_start(); recorder_run(); recorder_stop();
 * Use from a TUI event loop:  poll recorder_fd() for POLLIN next to your own
 *                             fds; on POLLIN call recorder_poll(); when it
 *                             returns 1 the target is gone (or the duration
 *                             is over): call recorder_stop().
 *
 * Guarantees to the sink: events come in non-decreasing ts_ns order, in
 * batches; an event that arrives later than the reorder window allows is
 * clamped to the last delivered time and counted in stats.late (never
 * dropped, never out of order). A time the traced program gave (gilrt's lock
 * probes carry their own) is trusted only inside [the recorder's start, the
 * moment it was read]: outside, it is clamped into that range and counted
 * in stats.clamped and in TIME_CLAMPED events given to the sink (a program
 * cannot stretch the time axis). Events reach the sink at most
 * drain_ms + window_ms after they happened. The flush callback runs at
 * least every flush_ms while recording and once at the end, so a killed
 * recorder loses at most that much of the file.
 *
 * With argv the program is started held (blocked before exec) until the
 * probes are attached and its pid is traced, then released
 * (record/target.h); under sudo it runs as the invoking user unless
 * opts.as_root. If opts.stop becomes non-zero before the release (a signal
 * while the probes attach), the held child exits without ever running and
 * recorder_start() fails with -EINTR. The recorder ends the program it
 * started only when asked (recorder_end_target()); a -p process is never
 * signalled, and stop/destroy leave any target running. It keeps the
 * privileges it was given: dropping them once attached is the caller's
 * decision (record/pipeline.h does).
 * Memory is bounded (the reorder buffer is capped; beyond the cap the oldest
 * events are released early and counted in stats.late if that reorders).
 *
 * The recorder owns its memory and fds; opts and the strings it points to
 * must stay valid until recorder_destroy(). Functions return 0 or a negative
 * errno; recorder_start() also writes a one-line reason into err.
 */
#ifndef RECORDER_H
#define RECORDER_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/gs_types.h"
#include "record/loader.h"
#include "trace/trace_cost.h"
#include "trace/trace_meta.h"

struct recorder;

/* Receives n ordered events; a negative errno return stops the recording
 * (recorder_poll/run return it). */
typedef int (*recorder_sink_fn)(void *ctx, const struct gs_event *ev, size_t n);
/* Makes everything given to the sink durable (e.g. trace_writer_flush). */
typedef int (*recorder_flush_fn)(void *ctx);

struct recorder_opts {
	pid_t pid;			/* -p: trace this running process, or 0 */
	char *const *argv;		/* -- CMD ARGS: start this (NULL-terminated), or NULL */
	const struct lock_target *lock;	/* --python/--lock target; NULL = gilrt USDT probes */
	const char *adapter;		/* name for the trace meta: "gilrt", "python", "lock:SPEC" */
	const struct gs_py_cfg *py;	/* --python: function capture (loader_opts.py), or NULL */
	bool all_tasks;			/* -a: record other tasks' scheduling too */
	bool floor;			/* benchmark: empty programs on the gilrt probes, no events */
	bool as_root;			/* argv under sudo: run it as root, not as SUDO_UID */
	/* while recorder_start() runs: non-zero = give up before the target
	 * runs (e.g. set by a SIGINT/SIGTERM handler); NULL: never */
	const volatile sig_atomic_t *stop;
	uint64_t duration_ns;		/* stop after this long (0 = when the target exits) */
	uint32_t drain_ms;		/* ring buffer drain period; 0 = 15 */
	uint32_t window_ms;		/* reorder window; 0 = 20 */
	uint32_t flush_ms;		/* flush period; 0 = 1000 */
	uint32_t ringbuf_bytes;		/* BPF ring buffer size; 0 = default (tests use
					 * a tiny one to provoke LOST events) */
	bool cost;			/* count the probe hits the recording causes and
					 * calibrate what one costs (record/cost.h,
					 * calibrate.h: a few hundred ms before the target
					 * runs); recorder_cost() gives the result */
	int child_stdout;		/* argv: dup2 this onto the child's stdout and
					 * stderr (e.g. /dev/null under a TUI); 0 or -1:
					 * inherit (so a zeroed opts inherits) */
	/* argv: called once the child has exec'd, stopped before its first
	 * instruction (ptrace exec stop), e.g. to find a lock's address in the
	 * new image and set the filter (record/pipeline.c); NULL = not stopped */
	void (*on_exec)(void *exec_ctx, struct recorder *r, pid_t pid);
	void *exec_ctx;			/* passed to on_exec */
	recorder_sink_fn sink;		/* required */
	recorder_flush_fn flush;	/* optional */
	void *ctx;			/* passed to sink and flush */
};

struct recorder_stats {
	uint64_t events;	/* events given to the sink (LOST events included) */
	uint64_t lost;		/* events the kernel side could not store */
	uint64_t late;		/* events older than the reorder window allowed (clamped) */
	uint64_t clamped;	/* events whose time, given by the traced program
				 * (gilrt's lock probes), lay outside [start, now]
				 * and was clamped into it (and stored as
				 * TIME_CLAMPED events) */
	uint64_t start_ns;	/* CLOCK_MONOTONIC when recording began */
	uint64_t end_ns;	/* ... and ended (0 while running) */
	pid_t pid;		/* the traced (root) process */
	bool exited;		/* the target has exited */
	int exit_status;	/* its wait status, if it was our child and exited */
	int ended_by;		/* 0, or the signal recorder_end_target() ended it
				 * with (SIGTERM, or SIGKILL after the grace) */
};

/* Opens/loads/attaches, starts or attaches to the target. On failure *out is
 * NULL, the target (if we started it) has been reaped, and err says why. */
int recorder_start(struct recorder **out, const struct recorder_opts *opts,
		   char *err, size_t errlen);
/* Fills the trace meta (ncpus, root pid, host, kernel, command, adapter,
 * start time, realtime offset) for the trace writer's header. */
void recorder_meta(const struct recorder *r, struct trace_meta *meta);
/* An fd that becomes readable when recorder_poll() has work (timer or exit). */
int recorder_fd(const struct recorder *r);
/* Does the pending work without blocking. 0: still recording; 1: finished
 * (target exited or duration over); negative errno: sink/flush/BPF error. */
int recorder_poll(struct recorder *r);
/* Blocks, polling, until finished, an error, or *stop becomes non-zero
 * (set it from a SIGINT/SIGTERM handler installed without SA_RESTART). */
int recorder_run(struct recorder *r, const volatile sig_atomic_t *stop);
/* Ends the program recorder_start() started, if it still runs, while still
 * recording (its exit is in the trace): SIGTERM, up to grace_ms for it to
 * exit, then SIGKILL; reaped either way (stats.ended_by says how). Never
 * signals a -p target. 0, -ESRCH when there was nothing to end, -EPERM when
 * it may not be signalled (a root program once the recorder is not root). */
int recorder_end_target(struct recorder *r, uint32_t grace_ms);
/* Looks again whether the target is gone (for an honest closing line),
 * waiting up to wait_ms for it to go (0: just look). */
void recorder_check_target(struct recorder *r, uint32_t wait_ms);
/* Final drain: delivers every held event and flushes. The sink is not
 * called after this. Idempotent. Returns the first sink/flush error, if any. */
int recorder_stop(struct recorder *r);
void recorder_stats(const struct recorder *r, struct recorder_stats *st);
/* What the recording has cost the traced program so far (opts.cost):
 * 0 and *out, or -ENODATA when not known (not asked, or the calibration
 * failed: recorder_cost_error() says why). The program's CPU time is the
 * child's own at its exit, else sampled from /proc every flush. */
int recorder_cost(const struct recorder *r, struct trace_cost *out);
const char *recorder_cost_error(const struct recorder *r);
/* Sets the traced lock's address once known (see adapter_resolve_lock_addr);
 * -EINVAL without a lock target or after stop. */
int recorder_set_lock_filter(struct recorder *r, uint64_t lock_addr);
/* Detaches the probes (see loader_destroy) and frees; stops first if
 * needed. Never kills the target. Safe on NULL. */
void recorder_destroy(struct recorder *r);

/*
 * The reorder window on its own (used by the recorder; exposed for tests).
 * Push events in arrival order; release(cutoff) delivers, in ts order, every
 * held event with ts_ns <= cutoff (UINT64_MAX: all). At most cap events are
 * held: pushing more releases the oldest first.
 */
struct reorder;
int reorder_new(struct reorder **out, size_t cap, recorder_sink_fn sink, void *ctx);
int reorder_push(struct reorder *ro, const struct gs_event *ev, size_t n);
int reorder_release(struct reorder *ro, uint64_t cutoff_ns);
size_t reorder_held(const struct reorder *ro);
uint64_t reorder_late(const struct reorder *ro);	/* events clamped so far */
/* The time of the last event delivered (0 before any): an event pushed
 * older than this will be delivered late (clamped to it). */
uint64_t reorder_floor(const struct reorder *ro);
void reorder_free(struct reorder *ro);

#endif
