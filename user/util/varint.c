/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* varint.c - the multi-byte path of varint_get() (see varint.h). */
#include "util/varint.h"

int varint_get_slow(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t r = 0;

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		if (q >= end)
			return -1;
		uint8_t b = *q++;

		/* the 10th byte may only carry bit 63 */
		if (shift == 63 && b > 1)
			return -1;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			*p = q;
			return 0;
		}
	}
	return -1;
}
