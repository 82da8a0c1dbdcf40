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

/* A thread's label (fmt_thread_label()) for a model thread, its process's
 * name taken from the model's thread tid == pid. m and t may be NULL (then
 * "tid N"). */
char *describe_thread(char *buf, size_t len, const struct model *m,
		      const struct model_thread *t, uint32_t tid);
char *describe_event(const struct model *m, const struct gs_event *ev, char *buf, size_t len);

#endif
