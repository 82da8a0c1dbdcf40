/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_names.h - the names a trace carries besides its events (FORMAT.md
 * "Names"): a thread's name as its program knows it, longer than the
 * kernel's 15 bytes (latest wins, with the time it was learnt), what a
 * function id stands for (name, file, first line), properties of a
 * process ((pid, key) -> value: "python.version" = "3.11.7"; latest wins),
 * and the order in which threads first show in the events (so that a
 * reader that starts in the middle numbers threads as one that read all).
 * The trace layer stores strings and ids only; what they mean is the
 * recorder's business.
 *
 * Three parts:
 *   - the record codec (pure functions over buffers) the writer and reader
 *     share, and the names-chunk header;
 *   - struct trace_names, the reader's store: every name of a file, loaded
 *     when it is opened, bounded (GST_MAX_* in trace_format.h), looked up
 *     by (pid, tid), (pid, id) and (pid, key); a recorder fills one the
 *     same way, record by record (trace_names_put_*), for its live views;
 *   - the types the reader's lookups hand out.
 * Strings handed out are owned by the store, NUL-terminated, with control
 * bytes replaced by '?' (they reach terminals).
 */
#ifndef TRACE_NAMES_H
#define TRACE_NAMES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/gs_types.h"
#include "trace/trace_cost.h"

struct trace_thread_name {
	uint32_t pid, tid;
	uint64_t ts_ns;		/* when the name was learnt (the trace's clock) */
	const char *name;
};

struct trace_func_name {
	uint32_t pid;
	int32_t line;		/* first line, 0 if unknown */
	uint64_t id;		/* as the events carry it */
	const char *name;	/* qualified name */
	const char *file;
};

/* The properties gilscope's recorder writes (FORMAT.md "Properties"). */
#define TRACE_PROP_LOCK_NOUN "lock.noun"	  /* pid 0: "GIL" (what the lock is called) */
#define TRACE_PROP_PY_VERSION "python.version"	  /* traced pid: "3.11.7" */
#define TRACE_PROP_PY_EXE "python.executable"	  /* traced pid: the interpreter it runs */
#define TRACE_PROP_PY_MISSING "python.missing"	  /* traced pid: why Python names or
						   * functions are missing (one line) */

struct trace_prop {
	uint32_t pid;		/* 0: the trace as a whole */
	const char *key;	/* "python.version" */
	const char *value;
};

/* A thread's first event: the trace's threads in the order they first show. */
struct trace_thread_seen {
	uint32_t pid, tid;
	uint64_t ts_ns;
};

struct trace_names_info {
	uint64_t threads;	/* distinct (pid, tid) with a name */
	uint64_t funcs;		/* distinct (pid, id) */
	uint64_t seen;		/* thread-seen records kept */
	uint64_t records;	/* name records read (thread-seen ones are in seen) */
	uint64_t dropped;	/* records the writer dropped (over its limits) */
	uint64_t bad;		/* records or chunks unreadable or over the reader's limits */
};

/* ---- codec ---------------------------------------------------------------------------- */

/* Encoded size bound of one record with strings of these lengths (before cutting). */
size_t gst_name_rec_bound(size_t name_len, size_t file_len);
/* Append a record to out (room bytes); returns its size, 0 if it does not fit.
 * Strings are cut to GST_NAME_MAX / GST_FILE_MAX at a UTF-8 character. */
size_t gst_name_thread_put(uint8_t *out, size_t room, uint32_t pid, uint32_t tid,
			   uint64_t ts_ns, const char *name);
size_t gst_name_func_put(uint8_t *out, size_t room, uint32_t pid, uint64_t id, int32_t line,
			 const char *name, const char *file);
/* A thread-seen record (GST_NAME_SEEN bytes: GST_NAME_REC_HDR + 16). */
size_t gst_name_seen_put(uint8_t *out, size_t room, uint32_t pid, uint32_t tid, uint64_t ts_ns);
/* The traced threads event e makes a reader meet, for thread-seen records.
 * Returns how many
 * (0..2) it put in pid[] and tid[]: its own pid/tid (not 0, and for
 * scheduler events only when flagged traced), a traced SCHED_SWITCH next,
 * a PROC_FORK's child. The writer and the live timeline both number
 * threads by this rule, so that they agree. */
size_t gst_event_threads(const struct gs_event *e, uint32_t pid[2], uint32_t tid[2]);
/* A property: key cut to GST_KEY_MAX, value to GST_VALUE_MAX bytes. */
size_t gst_name_prop_put(uint8_t *out, size_t room, uint32_t pid, const char *key,
			 const char *value);

struct gst_names_hdr {
	uint32_t payload_len, raw_len, nrec, payload_crc, seq, dropped;
};
void gst_names_hdr_put(uint8_t out[32], const struct gst_names_hdr *h);
/* Parse and check a names-chunk header (magic, CRC, limits); 0 or -EBADMSG, *why. */
int gst_names_hdr_get(const uint8_t in[32], struct gst_names_hdr *h, const char **why);

/* ---- the store ------------------------------------------------------------------------- */

struct trace_names;

int trace_names_new(struct trace_names **out);
void trace_names_free(struct trace_names *n);
/* Add the nrec records of a decompressed chunk. -EBADMSG (with *why) if
 * its structure is broken, and then nothing of it is kept; records of an
 * unknown kind are skipped; past the store's limits records are counted
 * as bad. -ENOMEM. */
int trace_names_add_chunk(struct trace_names *n, const uint8_t *raw, size_t len, uint32_t nrec,
			  const char **why);
/* What the writer said it dropped (keeps the largest); a bad chunk. */
void trace_names_note_dropped(struct trace_names *n, uint64_t dropped);
void trace_names_note_bad(struct trace_names *n);
/* One record at a time, as a recorder learns it (the store it shows live
 * views; the same checks and limits as a file's records): 0, -ENOSPC past
 * the store's limits (counted as bad), -EINVAL, -ENOMEM. */
int trace_names_put_thread(struct trace_names *n, uint32_t pid, uint32_t tid, uint64_t ts_ns,
			   const char *name);
int trace_names_put_func(struct trace_names *n, uint32_t pid, uint64_t id, int32_t line,
			 const char *name, const char *file);
int trace_names_put_prop(struct trace_names *n, uint32_t pid, const char *key, const char *value);

/*
 * Reading them from a file (fd, read with pread, never past limit):
 * load_chunk() checks and loads the names chunk at off, which must be chunk
 * number seq: 0 and *next (the offset after it), -EBADMSG with the reason in
 * why, or another negative errno. load_index() looks for the names index
 * that ends right before the footer at footer_off and loads every chunk it
 * lists (a damaged chunk is counted as bad and skipped): 1 if there was an
 * index, 0 if none (a trace without names), a negative errno.
 */
int trace_names_load_chunk(struct trace_names *n, int fd, uint64_t off, uint64_t limit,
			   uint32_t seq, uint64_t *next, char *why, size_t whylen);
int trace_names_load_index(struct trace_names *n, int fd, uint64_t data_start, uint64_t footer_off);

bool trace_names_thread(const struct trace_names *n, uint32_t pid, uint32_t tid,
			struct trace_thread_name *out);
bool trace_names_func(const struct trace_names *n, uint32_t pid, uint64_t id,
		      struct trace_func_name *out);
/* The value of property key of pid (0: of the trace), or NULL. */
const char *trace_names_prop(const struct trace_names *n, uint32_t pid, const char *key);
/* The i-th of each, in no particular order; false past the end. */
bool trace_names_thread_at(const struct trace_names *n, size_t i, struct trace_thread_name *out);
bool trace_names_func_at(const struct trace_names *n, size_t i, struct trace_func_name *out);
bool trace_names_prop_at(const struct trace_names *n, size_t i, struct trace_prop *out);
/* The i-th thread-seen record in file order (the order threads first show). */
bool trace_names_seen_at(const struct trace_names *n, size_t i, struct trace_thread_seen *out);
void trace_names_info(const struct trace_names *n, struct trace_names_info *info);
/* The tracing cost the file recorded last (its chunks carry cost records
 * too, trace_cost.h), or NULL if none. Owned by the store. */
const struct trace_cost *trace_names_cost(const struct trace_names *n);

#endif
