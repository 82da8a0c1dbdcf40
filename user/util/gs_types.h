/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* gs_types.h - user-space spelling of the kernel's fixed-width types, so that
 * bpf/gilscope.h can be shared with the BPF side unchanged. */
#ifndef GS_TYPES_H
#define GS_TYPES_H
#include <stdint.h>
#ifndef __u64
#include <linux/types.h>
#endif
#include "bpf/gilscope.h"

_Static_assert(sizeof(struct gs_event) == 40, "gs_event must stay 40 bytes");

#include <string.h>

/* a + b, or UINT64_MAX where the sum would wrap: every running total of
 * counts that come from outside (LOST events in a trace, or from a traced
 * program) is summed with it, so that two crafted counts of 2^64 - 1 give
 * "at least 2^64 - 1", never a small number. */
static inline uint64_t gs_sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* THREAD_NAME carries up to 15 name bytes in arg0..arg1, NUL padded. */
static inline void gs_event_set_name(struct gs_event *e, const char *name)
{
	char buf[16] = { 0 };

	memcpy(buf, name, strnlen(name, 15));
	memcpy(&e->arg0, buf, 8);
	memcpy(&e->arg1, buf + 8, 8);
}

/* The name of a THREAD_NAME event into out (always NUL-terminated). */
static inline void gs_event_name(const struct gs_event *e, char out[16])
{
	memcpy(out, &e->arg0, 8);
	memcpy(out + 8, &e->arg1, 8);
	out[15] = '\0';
}
#endif
