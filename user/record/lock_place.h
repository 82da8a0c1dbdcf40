/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lock_place.h - where a --lock filter's lock is, while the program runs.
 * Two cases need the running program (record/adapter.h): a lock variable in
 * a PIE or a library (placed once the file is mapped), and =*VAR, whose lock
 * is what the pointer VAR holds (read until non-null, then followed when it
 * changes). The BPF filter is moved each time; what it kept stays recorded.
 *
 *   lock_place_init(&lp, adapter, note, ctx)
 *   lock_place_open(&lp, pid)         at exec, or at once for -p PID: opens
 *                                     the maps/memory while we may (after
 *                                     the privilege drop the kernel refuses)
 *   lock_place_poll(&lp, recorder)    at exec and on every poll
 *   lock_place_close(&lp)
 * note(ctx, line) hears "lock X placed at 0x..." and the like (may be NULL).
 */
#ifndef LOCK_PLACE_H
#define LOCK_PLACE_H
#include <stdbool.h>
#include <sys/types.h>
#include "record/adapter.h"
#include "record/recorder.h"

struct lock_place {
	struct adapter_target *a;	/* the caller's; NULL: nothing to do */
	int maps_fd;			/* /proc/PID/maps while the lock is pending, or -1 */
	int mem_fd;			/* =*VAR: /proc/PID/mem, or -1 */
	bool ptr_failed;		/* =*VAR: a read failed (said once) */
	void (*note)(void *ctx, const char *line);
	void *note_ctx;
};

/* Nothing opened yet; a may be NULL (gilrt's probes). */
void lock_place_init(struct lock_place *lp, struct adapter_target *a,
		     void (*note)(void *ctx, const char *line), void *note_ctx);
/* Whether the adapter needs the program's files at exec (lock_place_open). */
bool lock_place_wanted(const struct lock_place *lp);
/* Opens what the adapter needs of process pid (idempotent). */
void lock_place_open(struct lock_place *lp, pid_t pid);
/* Places a pending lock and reads =*VAR; sets r's filter on a change. */
void lock_place_poll(struct lock_place *lp, struct recorder *r);
void lock_place_close(struct lock_place *lp);

#endif
