/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_writer.h - writes a .gst trace (see traces/FORMAT.md).
 *
 * Events are appended in non-decreasing ts_ns order and collected into a
 * block; a block is sealed (encoded, compressed, CRC32C'd, written with one
 * write) when it holds opts.block_events events, or when the caller flushes.
 * Each block starts with a keyframe: the "sticky" context events (who runs on
 * each CPU, who holds or waits for which lock, thread names, the process tree)
 * that make it decodable on its own after a seek. close() writes the footer
 * index and trailer. If the process dies, every sealed block stays readable.
 * Names of threads and functions go in names chunks between blocks, indexed
 * at close (trace_writer_thread_name / trace_writer_func_name below).
 *
 * The writer owns its memory; it does not own an fd passed to
 * trace_writer_fdopen() until that call succeeds, then it closes it on close.
 * All functions return 0 or a negative errno (-ENOSPC when the disk is full:
 * the file then still holds every block sealed before it).
 */
#ifndef TRACE_WRITER_H
#define TRACE_WRITER_H
#include <stddef.h>
#include "util/gs_types.h"
#include "trace/trace_cost.h"
#include "trace/trace_meta.h"

struct trace_writer;

struct trace_writer_opts {
	uint32_t block_events;	/* seal after this many events; 0 = default (65536),
				 * at most 1048576 (-EINVAL above) */
	int zstd_level;		/* 0 = default (3) */
};

struct trace_write_stats {
	uint64_t events;	/* events appended */
	uint64_t blocks;	/* blocks sealed */
	uint64_t bytes;		/* bytes written to the file */
	uint64_t lost;		/* sum of LOST event counts seen */
	uint64_t names;		/* name records accepted */
	uint64_t names_dropped;	/* name records over the format's limits, not stored */
};

/* Create path (O_EXCL: fails with -EEXIST if it exists) and write the header. */
int trace_writer_open(struct trace_writer **out, const char *path,
		      const struct trace_meta *meta,
		      const struct trace_writer_opts *opts);
/* Same on an fd the caller opened (for O_NOFOLLOW, owner changes, pipes...). */
int trace_writer_fdopen(struct trace_writer **out, int fd,
			const struct trace_meta *meta,
			const struct trace_writer_opts *opts);
/* Append n events; -EINVAL (and none appended) if one is older than the one
 * before it. pad and flag bit 7 (GS_F_KEYFRAME) are not stored. */
int trace_writer_append(struct trace_writer *w, const struct gs_event *ev, size_t n);
/*
 * Names (FORMAT.md "Names"): what a thread is called in its program (the
 * latest, learnt at ts_ns, wins in a reader) and what the function id that
 * events carry stands for. They are kept until the next block is written
 * (or flush/close) and written in a names chunk before it, so the names a
 * block needs are in the file before it. Strings are cut at a UTF-8
 * character to the format's limits; records past the file's limits are
 * dropped and counted (stats.names_dropped, and in the file). 0 or a
 * negative errno (a write error, as for events).
 */
int trace_writer_thread_name(struct trace_writer *w, uint32_t pid, uint32_t tid, uint64_t ts_ns,
			     const char *name);
int trace_writer_func_name(struct trace_writer *w, uint32_t pid, uint64_t id, int32_t line,
			   const char *name, const char *file);
/* A property of process pid (0: of the trace), "python.version" = "3.11.7":
 * a reader keeps the last value of each (pid, key). Few per file. */
int trace_writer_prop(struct trace_writer *w, uint32_t pid, const char *key, const char *value);
/* The tracing cost so far (trace_cost.h), written with the next names
 * chunk (at the next block or flush, or at close): a reader keeps the last
 * one. Not counted as a name. 0 or a negative errno. */
int trace_writer_cost(struct trace_writer *w, const struct trace_cost *c);
/* Seal the current block (if not empty) and write it out, after any names
 * waiting to be written. */
int trace_writer_flush(struct trace_writer *w);
/* Counters so far. */
void trace_writer_stats(const struct trace_writer *w, struct trace_write_stats *st);
/* Flush, write footer index and trailer, close, free. Safe on NULL.
 * On error the writer is still freed and the fd closed. */
int trace_writer_close(struct trace_writer *w);

#endif
