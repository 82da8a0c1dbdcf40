/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * events.h - hand-built events for the unit tests, spelled one way. A thread
 * belongs to process PID (define PID before including this; 100 if not);
 * tid 0 is the idle task (pid 0). Switches flag each non-idle side traced.
 */
#ifndef TEST_EVENTS_H
#define TEST_EVENTS_H
#include "util/gs_types.h"
#ifndef PID
#define PID 100
#endif
#ifndef GS_F_KEYFRAME
#define GS_F_KEYFRAME (1u << 7)	/* set by the trace reader only (trace_reader.h) */
#endif

static inline struct gs_event ev(uint64_t ts, uint8_t type, uint32_t tid, uint16_t cpu,
				 uint64_t a0, uint64_t a1)
{
	return (struct gs_event){ .ts_ns = ts, .pid = tid ? PID : 0, .tid = tid,
				  .cpu = cpu, .type = type, .arg0 = a0, .arg1 = a1 };
}

/* prev leaves cpu for next (0 = idle); prev_state 0 = preempted */
static inline struct gs_event sw(uint64_t ts, uint16_t cpu, uint32_t prev, uint32_t next,
				 uint64_t prev_state)
{
	struct gs_event e = ev(ts, GS_EV_SCHED_SWITCH, prev, cpu,
			       next | (uint64_t)(next ? PID : 0) << 32, prev_state);

	e.flags = (prev ? GS_F_TRACED_PREV : 0) | (next ? GS_F_TRACED_NEXT : 0);
	return e;
}

static inline struct gs_event name_ev(uint64_t ts, uint32_t tid, const char *name)
{
	struct gs_event e = ev(ts, GS_EV_THREAD_NAME, tid, 0, 0, 0);

	gs_event_set_name(&e, name);
	return e;
}

/* e as the trace reader hands out a keyframe copy after a seek */
static inline struct gs_event kf(struct gs_event e)
{
	e.flags |= GS_F_KEYFRAME;
	return e;
}

#endif
