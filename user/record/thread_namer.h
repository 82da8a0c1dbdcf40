/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * thread_namer.h - the recorder's THREAD_NAME events: every traced thread
 * gets the kernel's name of it (/proc/PID/task/TID/comm) at the first event
 * that shows it, so that the model knows more than "tid N" for threads that
 * never name themselves; a name the program gave (gilrt's THREAD_NAME)
 * wins. Each tid is named once (past THREAD_NAMER_MAX tids remembered,
 * all are forgotten and named again when seen), except a thread that still
 * has its process's first thread's name: it may name itself after its
 * first events (Python 2 through prctl), so it is looked at again at its
 * events, 50 ms apart, for two seconds, and named again when it did.
 *
 * The caller fills the struct (zeroed first) and frees it with
 * thread_namer_free(); names go into ro like any event. Functions return
 * 0 or a negative errno (-ENOMEM, or ro's).
 */
#ifndef RECORD_THREAD_NAMER_H
#define RECORD_THREAD_NAMER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/gs_types.h"
#include "util/hash.h"
#include "record/recorder.h"

#define THREAD_NAMER_MAX (1u << 20)

struct thread_namer {
	struct hmap named;		/* tids that have a THREAD_NAME already */
	struct reorder *ro;		/* where the names go */
	pid_t root;			/* the target, named root_name when gone already */
	const char *root_name;		/* (its comm at the start; "" unknown) */
	bool all_tasks;			/* -a: untraced tasks are named too */
};

/* The threads event e shows, named if they were not yet. */
int thread_namer_event(struct thread_namer *n, const struct gs_event *e);
/* Every thread of pid, which runs already, named at ts. */
int thread_namer_existing(struct thread_namer *n, pid_t pid, uint64_t ts);
void thread_namer_free(struct thread_namer *n);

#endif
