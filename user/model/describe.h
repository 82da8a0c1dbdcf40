/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * describe.h - one event as a sentence in plain words, for the TUI's event
 * log and lessons: "io-1, waiting 5.0 ms, asks worker-1 to drop the lock
 * (held 7.5 ms)", "worker-2 takes the lock after waiting 4.9 ms", "worker-1
 * leaves CPU1 (preempted); worker-2 runs". A duration is always said of
 * whom it is true.
 *
 * Call it right after model_feed(m, ev): thread names, how long a wait or
 * hold lasted and why a thread left its CPU come from the model's state
 * just after the event (durations carried in the event's args win when
 * they are non-zero). m may be NULL (then threads are "tid N").
 *
 * Writes a NUL-terminated sentence (no trailing newline, no timestamp) into
 * buf of size len, truncating if needed, and returns buf.
 */
#ifndef DESCRIBE_H
#define DESCRIBE_H
#include <stddef.h>
#include "util/gs_types.h"

struct model;

struct model_thread;

/* Longest thread / function name shown (bytes; longer ones are cut at a
 * character). */
#define DESCRIBE_THREAD_MAX 64
#define DESCRIBE_FUNC_MAX 80

/* A thread's label: the name its program gave it (a Python thread's name,
 * the latest, from model_names()), else fmt_thread_label() for the model
 * thread, its process's name taken from the model's thread tid == pid. m and
 * t may be NULL (then "tid N"). */
char *describe_thread(char *buf, size_t len, const struct model *m,
		      const struct model_thread *t, uint32_t tid);
/* Where a thread was, for an event line: " in `Worker.run` (app.py:42)"
 * (file without its directory), " in ?" (a function the recording could not
 * read, or not in the names), " outside Python code" (GS_FUNC_NONE), or ""
 * for MODEL_NO_FUNC. */
char *describe_func(char *buf, size_t len, const struct model *m, uint32_t pid, uint64_t func);
/* A function as tables and exports show it: its qualified name, *file
 * (NULL: none) and *line (0: none); "(no Python code)" for GS_FUNC_NONE, "?"
 * for one the recording could not read or names does not hold; NULL for
 * MODEL_NO_FUNC (nothing recorded). Strings are names' (raw: make them
 * printable before they reach a terminal). names may be NULL. */
struct trace_names;
const char *describe_func_name(const struct trace_names *names, uint32_t pid, uint64_t func,
			       const char **file, int32_t *line);
char *describe_event(const struct model *m, const struct gs_event *ev, char *buf, size_t len);

#endif
