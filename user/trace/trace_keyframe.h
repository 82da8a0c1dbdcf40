/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_keyframe.h - private to trace_writer: the "sticky" context that
 * starts every block so that it can be decoded alone after a seek. Fed every
 * appended event in order; snapshot() gives, sorted by append order (so by
 * ts), the events that still describe the present:
 *
 *   per CPU (cpu < GST_KF_MAX_CPUS)  the last SCHED_SWITCH on it
 *   per thread (tid != 0)            the last THREAD_START, THREAD_NAME,
 *                                    IO_BEGIN/IO_END, NATIVE_BEGIN/NATIVE_END,
 *                                    off-CPU event (SCHED_SWITCH as prev, or
 *                                    SCHED_WAKEUP), and per lock it holds or
 *                                    waits for (up to GST_KF_LOCKS_PER_THREAD
 *                                    locks, least recently used replaced) the
 *                                    LOCK_ACQUIRED or LOCK_REQUEST that says
 *                                    so: a RELEASED ends a hold (of address
 *                                    0: all of them), a LOCK_FAILED a wait,
 *                                    and other events for address 0 (no lock)
 *                                    are left out
 *   per child pid                    the PROC_FORK that created it
 *
 * THREAD_EXIT / PROC_EXIT of a tid drop its entries (PROC_EXIT of a group
 * leader also its PROC_FORK). At most GST_KF_MAX_THREADS threads and
 * GST_KF_MAX_FORKS forks are kept; past that the least recently active
 * quarter of the threads (or the oldest fork) is dropped, so a snapshot never
 * exceeds GST_KF_MAX_EVENTS. Owns its memory, allocated once in new().
 */
#ifndef TRACE_KEYFRAME_H
#define TRACE_KEYFRAME_H
#include <stddef.h>
#include "util/gs_types.h"

#define GST_KF_MAX_CPUS		1024
#define GST_KF_MAX_THREADS	1024
#define GST_KF_LOCKS_PER_THREAD	4
#define GST_KF_MAX_FORKS	1024
#define GST_KF_THREAD_SLOTS	(5 + GST_KF_LOCKS_PER_THREAD)
#define GST_KF_MAX_EVENTS	(GST_KF_MAX_CPUS + GST_KF_MAX_FORKS + \
				 GST_KF_MAX_THREADS * GST_KF_THREAD_SLOTS)

struct gst_keyframe;

int gst_keyframe_new(struct gst_keyframe **out);
void gst_keyframe_free(struct gst_keyframe *k);
void gst_keyframe_update(struct gst_keyframe *k, const struct gs_event *ev);
/* Write the current context into out (room for GST_KF_MAX_EVENTS); returns
 * how many events were written. */
size_t gst_keyframe_snapshot(struct gst_keyframe *k, struct gs_event *out);

#endif
