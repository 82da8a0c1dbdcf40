/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* gs_types.h - user-space spelling of the kernel's fixed-width types, so that
 * bpf/gilscope.h can be shared with the BPF side unchanged. */
#ifndef GS_TYPES_H
#define GS_TYPES_H
#include <stdint.h>
#ifndef __u64
#include <linux/types.h>
#endif
#include "../bpf/gilscope.h"

_Static_assert(sizeof(struct gs_event) == 40, "gs_event must stay 40 bytes");
#endif
