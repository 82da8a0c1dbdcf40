/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_reader.h - reads a .gst trace (see traces/FORMAT.md) in bounded memory.
 *
 * open() reads the header and the footer index. A file without a valid footer
 * (recorder killed, disk full) is recovered by scanning blocks from the start
 * up to the first one that is truncated or fails its CRC; info.recovered says
 * so and info.bytes_unreadable says how much was left behind.
 *
 * Reading is block by block; only one decoded block is held at a time.
 * After open() (or rewind()) events come from the first block. seek(ts) moves
 * to the block that contains ts (the last block whose first event is <= ts):
 * next() then yields that block's keyframe events first, each with
 * GS_F_KEYFRAME set in flags and its original ts_ns (older than the block),
 * then every event of the block from its start, then the following blocks.
 * Keyframe events are only given after a seek, never during a plain
 * sequential read (where the state they describe was already seen).
 *
 * The reader owns all memory it hands out; a batch pointer is valid until
 * the next call on the reader. Functions return 0 or a negative errno;
 * -EBADMSG means the file is corrupt (a one-line reason is in
 * trace_reader_error()). A block that fails its checks while reading makes
 * next()/next_batch() return -EBADMSG once; calling again goes on with the
 * following block. After trace_reader_skip_bad(r, true) such a block is
 * skipped without an error and counted (info.bad_blocks, bad_events), each
 * block once however often it is read; trace_reader_skip_note() says so.
 */
#ifndef TRACE_READER_H
#define TRACE_READER_H
#include <stdbool.h>
#include <stddef.h>
#include "util/gs_types.h"
#include "trace/trace_meta.h"
#include "trace/trace_names.h"

/* Set by the reader on keyframe (context) events; never written by BPF. */
#define GS_F_KEYFRAME (1u << 7)

struct trace_reader;

struct trace_info {
	uint64_t events;		/* events in readable blocks */
	uint64_t lost;			/* sum of LOST counts */
	uint64_t blocks;		/* readable blocks */
	uint64_t first_ns, last_ns;	/* first and last event time */
	uint64_t file_bytes;		/* size of the file */
	uint64_t bytes_unreadable;	/* bytes after the last good block (recovery) */
	bool recovered;			/* footer missing or bad: blocks were scanned */
	uint64_t bad_blocks;		/* damaged blocks skipped (skip_bad mode) */
	uint64_t bad_events;		/* events the index says they held */
};

/* Open a regular file. On -EBADMSG, trace_reader_error(NULL) says why. */
int trace_reader_open(struct trace_reader **out, const char *path);
const struct trace_meta *trace_reader_meta(const struct trace_reader *r);
void trace_reader_info(const struct trace_reader *r, struct trace_info *info);
/* Next event: 1 and *ev filled, 0 at the end, or a negative errno. */
int trace_reader_next(struct trace_reader *r, struct gs_event *ev);
/* Next batch of up to one block's events (faster): 1 with evs and n set, 0 at end. */
int trace_reader_next_batch(struct trace_reader *r, const struct gs_event **evs, size_t *n);
/* Position at the block containing ts (see above). ts before the first
 * event goes to the first block, after the last to the last block. Reads
 * nothing: an error shows at the next read. */
int trace_reader_seek(struct trace_reader *r, uint64_t ts_ns);
int trace_reader_rewind(struct trace_reader *r);
/* The names the file carries (threads, functions; see trace_names.h for
 * the lookups), all loaded at open, with a footer through the names index,
 * without one by the recovery scan: known after any seek without reading
 * more of the file. Owned by the reader, valid until close; never NULL. */
const struct trace_names *trace_reader_names(const struct trace_reader *r);
/* One-line description of the last error, or "" (owned by the reader). After
 * a recovered open it says what was recovered and why the scan stopped.
 * With r == NULL: why the last trace_reader_open() of this thread failed. */
const char *trace_reader_error(const struct trace_reader *r);
/* Skip damaged blocks while reading (default off: -EBADMSG once each). */
void trace_reader_skip_bad(struct trace_reader *r, bool on);
/* "skipped 1 damaged block, 65536 events (block 3: payload CRC mismatch)"
 * into buf when blocks were skipped; returns how many (0: buf untouched). */
uint64_t trace_reader_skip_note(const struct trace_reader *r, char *buf, size_t len);
void trace_reader_close(struct trace_reader *r);

#endif
