/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lock_place.c - the pending and the followed lock of --lock (see
 * lock_place.h). Everything here is best effort: a lock that cannot be
 * placed leaves the filter as it was, and record/pipeline.c says so at the
 * end (pipeline_lock_warning).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "record/lock_place.h"

static void note(struct lock_place *lp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct lock_place *lp, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!lp->note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	lp->note(lp->note_ctx, line);
}

void lock_place_init(struct lock_place *lp, struct adapter_target *a,
		     void (*note_fn)(void *ctx, const char *line), void *note_ctx)
{
	memset(lp, 0, sizeof(*lp));
	lp->a = a;
	lp->maps_fd = -1;
	lp->mem_fd = -1;
	lp->note = note_fn;
	lp->note_ctx = note_ctx;
}

bool lock_place_wanted(const struct lock_place *lp)
{
	return lp->a && (lp->a->lock_pending || lp->a->lock_deref);
}

void lock_place_open(struct lock_place *lp, pid_t pid)
{
	char fn[64];

	if (!lp->a)
		return;
	if (lp->a->lock_pending && lp->maps_fd < 0) {
		snprintf(fn, sizeof(fn), "/proc/%d/maps", (int)pid);
		lp->maps_fd = open(fn, O_RDONLY | O_CLOEXEC);
	}
	if (lp->a->lock_deref && lp->mem_fd < 0) {
		snprintf(fn, sizeof(fn), "/proc/%d/mem", (int)pid);
		lp->mem_fd = open(fn, O_RDONLY | O_CLOEXEC);
	}
}

/* Sets the filter once the pending lock's file is mapped. */
static void place(struct lock_place *lp, struct recorder *r)
{
	struct adapter_target *a = lp->a;

	if (!a->lock_pending || lp->maps_fd < 0 || adapter_resolve_lock_addr_in(lp->maps_fd, a))
		return;
	if (!a->lock_deref && recorder_set_lock_filter(r, a->lock_addr))
		return;
	close(lp->maps_fd);
	lp->maps_fd = -1;
	if (!a->lock_deref)
		note(lp, "lock %s placed at 0x%llx", a->lock_sym, (unsigned long long)a->lock_addr);
}

/* =*VAR: the lock is what VAR points to now. Read on every poll (a few ms
 * apart): the pointer is set when the program creates its lock and may be
 * set again. The filter only decides what is kept from now on: nothing
 * recorded is lost when it moves, or when a read fails (the program has
 * gone, say: the last lock stays). */
static void follow(struct lock_place *lp, struct recorder *r)
{
	struct adapter_target *a = lp->a;
	uint64_t was;
	int rc;

	if (!a->lock_deref || a->lock_pending || lp->mem_fd < 0)
		return;
	was = a->lock_addr;
	rc = adapter_read_lock_ptr(lp->mem_fd, a);
	/* -EIO: the program is gone (or VAR's page is): its end is no news */
	if (rc < 0 && rc != -EIO && !lp->ptr_failed) {
		lp->ptr_failed = true;
		note(lp, "cannot read %s at 0x%llx (%s): the lock stays 0x%llx", a->lock_sym,
		     (unsigned long long)a->lock_var_addr, strerror(-rc), (unsigned long long)was);
	}
	if (rc <= 0 || recorder_set_lock_filter(r, a->lock_addr))
		return;
	if (was == ADAPTER_LOCK_UNSET)
		note(lp, "lock *%s placed at 0x%llx", a->lock_sym, (unsigned long long)a->lock_addr);
	else
		note(lp, "lock *%s moved from 0x%llx to 0x%llx", a->lock_sym, (unsigned long long)was,
		     (unsigned long long)a->lock_addr);
}

void lock_place_poll(struct lock_place *lp, struct recorder *r)
{
	if (!lp->a || !r)
		return;
	place(lp, r);
	follow(lp, r);
}

void lock_place_close(struct lock_place *lp)
{
	if (lp->maps_fd >= 0)
		close(lp->maps_fd);
	if (lp->mem_fd >= 0)
		close(lp->mem_fd);
	lp->maps_fd = lp->mem_fd = -1;
}
