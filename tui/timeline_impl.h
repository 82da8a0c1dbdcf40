/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * timeline_impl.h - private to tui/timeline.c (the view-model: feeding the
 * model, building windows) and tui/timeline_source.c (where events come
 * from: the live ring or the trace reader, and searching them). Nothing
 * else includes it.
 */
#ifndef TIMELINE_IMPL_H
#define TIMELINE_IMPL_H
#include "tui/timeline.h"
#include "util/hash.h"

struct timeline {
	struct trace_reader *r;		/* file source, or NULL when live */
	struct trace_meta meta;
	uint32_t ncpus;
	struct model *m;		/* the one interpreter of the events */

	/* live source: a ring of cap events, absolute indices [base, count) */
	struct gs_event *ring;
	size_t cap;
	uint64_t base, count;
	uint64_t floor_ts;		/* appended events are clamped to this */
	uint64_t lost;			/* LOST counts (live), or the file's */
	bool ended;
	uint64_t first_ns, last_ns;

	/* feeding state */
	bool fed_valid;			/* false: next window starts over */
	uint64_t fed_ts;		/* every event with ts < fed_ts was fed */
	uint64_t keep_from;		/* closed spans are complete from here */
	const struct gs_event *batch;	/* file: current batch */
	size_t batch_n, batch_i;
	bool eof;
	uint64_t live_i;		/* live: next event to feed */

	struct tl_span *spans;		/* closed CPU, HOLD and WAIT spans */
	size_t nspans, capspans;
	uint64_t want_t0, want_t1;	/* the window being fed */
	uint64_t grain;			/* 0, or spans shorter than this are merged
					 * (timeline_coarse.c) */
	uint64_t grain_w;		/* ... for a window this wide */
	size_t coarsen_at;		/* merge when this many spans are kept */
	struct tl_note notes[TL_LOG_MAX];	/* the last notable events fed, a ring */
	size_t nnotes, note_head;	/* how many (<= TL_LOG_MAX), the oldest */

	uint32_t log_tid;		/* the log is this thread's only (0: all) */
	struct hmap reg;		/* {tid} -> stable thread index: in the order
					 * threads first show in the whole trace
					 * (thread-seen records; live: as appended,
					 * by the same rule), then as windows meet them */
	uint32_t reg_last;		/* the tid timeline_append registered last */
	struct hmap lock_reg;		/* {addr, pid} -> stable lock index */

	/* the window handed out, its cache key, and scratch for building it */
	struct tl_window win;
	bool win_valid;
	uint64_t win_count;
	bool win_ended;
	struct model_span *out_spans;
	uint64_t *out_busy;		/* parallel: the time each one stands for */
	size_t nout, capout, capbusy;
	struct tl_thread *out_threads;
	size_t capthreads;
	uint32_t *out_of;		/* stable thread index -> out_threads slot */
	size_t capout_of;
	struct tl_iv {			/* a thread's hold, for their union */
		uint64_t s, e;
		uint32_t tid;
	} *ivs;
	size_t capivs;
	struct tl_cand {		/* a lock of the window, before the cut */
		uint32_t pid, index;
		uint64_t addr;
		uint64_t first;		/* its first span's start in the window */
	} *cand;
	size_t capcand;
	struct tl_lock out_locks[TL_LOCKS_MAX];
	struct tl_note out_log[TL_LOG_MAX];
	struct funcstat *fs;		/* the window's functions (timeline_funcs.c) */
	struct tl_func *out_funcs;
	size_t capfuncs;
};

/* The window's Python functions into tl->win.funcs (timeline_funcs.c):
 * from the spans of the window, for the threads of the window. */
int tl_funcs(struct timeline *tl);
void tl_funcs_free(struct timeline *tl);
/* A closed span as the timeline keeps it: merged spans (coarse windows)
 * carry the identity of their longest part, which is `best` long. */
struct tl_span {
	struct model_span s;
	uint64_t best;	/* how long that part is */
	uint64_t busy;	/* how much of [start, end) its parts cover, summed */
};

/* Spans kept before merging starts; merging keeps them under it. */
#define TL_SPANS_SOFT (1u << 16)
/* A window is cut into this many grains when spans are merged: finer than
 * any column (LANE_MAX columns at most). */
#define TL_GRAIN_CELLS 4096u
/* Events fed per timeline_window() call before it says -EAGAIN. */
#define TL_SLICE_EVENTS (1u << 16)
/* Stable thread and lock numbers kept; beyond, numbering starts over. */
#define TL_REG_MAX (1u << 16)
/* Threads numbered ahead of any window (see reg) stop at half of that. */
#define TL_REG_AHEAD (TL_REG_MAX / 2)
uint32_t tl_reg_index(struct timeline *tl, uint32_t tid);
/* Number a file's threads in the order they first show in the whole file,
 * whichever part of it is read first (a file without thread-seen records,
 * older: in the order the windows read meet them). */
void tl_number_file_threads(struct timeline *tl);

/* Keep spans under TL_SPANS_SOFT by merging short neighbours (a coarser
 * grain each time it is not enough): timeline_coarse.c. */
void tl_coarsen(struct timeline *tl);

/* Grow *p (of *cap elements of size bytes) to hold need: 0 or -ENOMEM. */
int tl_grow(void **p, size_t *cap, size_t need, size_t size);
/* Point the source at t0 for a fresh feed: the file's block holding t0, or
 * the oldest live event held. 0 or a negative errno. */
int tl_source_seek(struct timeline *tl, uint64_t t0);
/* The next event to feed without consuming it: 1, 0 at the end, or -errno. */
int tl_source_peek(struct timeline *tl, const struct gs_event **ev);
/* Consume the event tl_source_peek() gave. */
void tl_source_next(struct timeline *tl);

#endif
