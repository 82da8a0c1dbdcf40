/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * timeline.h - the window provider: what happened in a time window [t0, t1),
 * ready to draw. A view-model over the timeline model (model.h), which alone
 * interprets the events: it feeds the model the events up to t1 and hands
 * back the spans the model closed and those still open at t1, clipped to the
 * window, per-thread figures for the window, the thread states at t1 and the
 * recent notable events (lock, thread, I/O, lost) - everything the TUI views
 * need, and nothing about the screen. A window is the same whether the model
 * started at a keyframe after a seek or read every event from the start.
 *
 * Two sources:
 *  - a trace file: the timeline seeks (trace_reader_seek) to the block that
 *    holds t0 and feeds the model from that block's keyframe up to t1. It
 *    never reads more of the file than the window needs.
 *  - live events appended in memory (timeline_append), bounded: beyond
 *    opts.live_cap events the oldest are forgotten.
 *
 * Bounded: the work of one call (timeline_window: -EAGAIN), the spans kept
 * (a window too dense to draw span by span merges short neighbours, said in
 * merged_ns), the notes (the last TL_LOG_MAX), the stable numbers (they
 * start over after 65536 threads or locks).
 *
 * Queries are cached: asking for the same window twice with nothing new
 * appended does not decode again, and a window that only moved forward
 * (follow, play) feeds just the new events. Moving back or widening the
 * window to the left starts again from a keyframe (file) or from the oldest
 * event held (live).
 *
 * Threads get a stable number: their rank in the order they first show in
 * the whole trace (a file's thread-seen records; live, the events appended,
 * by the same rule), so a view gives each thread the same letter and colour
 * all along, wherever it starts reading (replay --at). A file without those
 * records numbers threads in the order the windows read meet them. Locks
 * are numbered in the order they first show in a window.
 *
 * The timeline owns all memory; a window is valid until the next call on the
 * timeline. Functions return 0 or a negative errno.
 */
#ifndef TIMELINE_H
#define TIMELINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/gs_types.h"
#include "model/model.h"
#include "trace/trace_meta.h"

struct timeline;
struct trace_reader;

struct timeline_opts {
	size_t live_cap;	/* live: events kept in memory; 0 = 512 Ki (20 MiB) */
};

/* One thread as seen in a window. */
struct tl_thread {
	uint32_t pid, tid;
	uint32_t index;		/* stable number: 0 = first thread ever seen */
	char name[72];		/* its label (describe_thread: a Python thread's name),
				 * printable; "" if unknown */
	uint8_t state;		/* enum model_state at t1 */
	int32_t cpu;		/* CPU at t1 (or last known), -1 unknown */
	bool traced;		/* false: another process (-a) */
	uint64_t hold_ns;	/* time holding at least one lock inside the window */
	uint64_t wait_ns;	/* time waiting for a lock inside the window */
	uint64_t cpu_ns;	/* time on a CPU inside the window */
	uint32_t acquisitions;	/* holds that began inside the window */
	uint64_t state_since_ns;/* when the state at t1 began */
};

/* A lock, as (process, address): forked processes each have their own lock
 * at the same address. */
struct tl_lock {
	uint32_t pid;		/* process whose lock it is */
	uint64_t addr;		/* its address there */
	uint32_t index;		/* stable number: 0 = first lock ever seen */
};

#define TL_LOCKS_MAX 8		/* locks a window tells apart; more share the last */

/* A notable event and what it means in plain words (describe.h). */
struct tl_note {
	struct gs_event ev;
	char text[200];		/* "worker-2 asks for the lock; ..." */
};

/* Where a thread held or waited for the lock in the window, by Python
 * function (model/funcstat.h): a hold belongs to the function running when
 * the thread let go, a wait to the one that asked. */
struct tl_func {
	uint32_t tid;
	bool wait;		/* false: holds, true: waits */
	uint32_t count;		/* holds (waits) in the window, cut at its edges */
	uint64_t ns;		/* their time inside the window */
	char name[56];		/* "Worker.run", "?" (unreadable), "(no Python code)" */
	char where[48];		/* "app.py:42" (file without directories), or "" */
};

#define TL_FUNCS_TOP 5		/* functions of each kind per thread */

struct tl_window {
	uint64_t t0, t1;		/* the window asked for */
	uint32_t ncpus;			/* CPU lanes */
	const struct model_span *spans;	/* CPU, HOLD and WAIT spans clipped to
					 * [t0, t1), none empty, in no
					 * particular order */
	size_t nspans;
	const struct tl_thread *threads;/* traced threads known at t1, by index */
	size_t nthreads;
	const struct tl_note *log;	/* notable events (lock, thread, I/O,
					 * native, process, lost) before t1,
					 * oldest first, at most TL_LOG_MAX;
					 * only one thread's if filtered
					 * (timeline_log_filter) */
	size_t nlog;
	const struct tl_lock *locks;	/* locks held or waited for in the
					 * window, by index, at most TL_LOCKS_MAX */
	size_t nlocks;
	const struct tl_func *funcs;	/* per thread (in threads' order), its top
					 * TL_FUNCS_TOP holding then waiting,
					 * most time first; none without Python
					 * functions in the source */
	size_t nfuncs;
	uint32_t holder;		/* at t1, model_lock_holder() (0 = free) */
	uint64_t lost;			/* events lost in the whole file, or
					 * live so far */
	uint64_t first_ns, last_ns;	/* time covered by the source so far */
	bool ended;			/* the source will not grow */
	uint64_t merged_ns;		/* 0: every span as the model closed it;
					 * else the window was too dense and
					 * neighbouring spans shorter than this
					 * were merged (each looks like its
					 * longest part; per-thread figures
					 * count merged spans whole) */
};

#define TL_LOG_MAX 256

/* A timeline over a trace file; it takes ownership of r (closed on free). */
int timeline_open_reader(struct timeline **out, struct trace_reader *r,
			 const struct timeline_opts *opts);
/* A timeline over live events (timeline_append). */
int timeline_new_live(struct timeline **out, const struct trace_meta *meta,
		      const struct timeline_opts *opts);
/* The names of a live source's events (a recorder's store: thread names,
 * functions), or NULL; not owned. A file timeline has its reader's. */
struct trace_names;
void timeline_set_names(struct timeline *tl, const struct trace_names *names);
/* Live: append n events in non-decreasing ts order (an event older than what
 * was already drawn is clamped to that time). -EINVAL on a file timeline. */
int timeline_append(struct timeline *tl, const struct gs_event *ev, size_t n);
/* Live: no more events will come (the program exited). */
void timeline_end(struct timeline *tl);
/* True once no more events will come (a file, or after timeline_end). */
bool timeline_ended(const struct timeline *tl);
/* Header of the trace, or of the live recording. */
const struct trace_meta *timeline_meta(const struct timeline *tl);
/* First and last event time so far. */
void timeline_extent(const struct timeline *tl, uint64_t *first, uint64_t *last);
/* The window [t0, t1) (t0 < t1). *out stays valid until the next call.
 * Bounded work per call: -EAGAIN when TL_SLICE_EVENTS events were fed and
 * more are needed; call again (with this or any window: what was fed is
 * kept when it still applies), so that a viewer can read its keys in
 * between. */
int timeline_window(struct timeline *tl, uint64_t t0, uint64_t t1,
		    const struct tl_window **out);
/* Time of the nearest lock event (request, acquired, released, drop request)
 * strictly after ts (dir > 0) or strictly before it (dir < 0): 0 and *out,
 * -ENOENT if there is none, -ERANGE if there is none nearby (a file is
 * searched for about a million events at most). */
int timeline_find_lock_event(struct timeline *tl, uint64_t ts, int dir, uint64_t *out);
/* From the next window on, the log holds only the events of thread tid (its
 * own, and drop requests addressed to it); 0: every thread's. */
void timeline_log_filter(struct timeline *tl, uint32_t tid);
/* Which of win->locks a HOLD or WAIT span is about (0 if not found). */
size_t tl_lock_lane(const struct tl_window *w, const struct model_span *s);
/* Live: events appended so far (a counter that only grows). */
uint64_t timeline_appended(const struct timeline *tl);
/* Live, for measuring event-to-screen latency: of the events that a frame
 * showing [.., t1) shows for the first time, given the previous frame ended
 * at prev_t1 and had seen `seen` events appended, the oldest one's ts
 * (0 and *ts set; -ENOENT if the frame shows nothing new). */
int timeline_first_new(const struct timeline *tl, uint64_t prev_t1, uint64_t seen,
		       uint64_t t1, uint64_t *ts);
void timeline_free(struct timeline *tl);

#endif
