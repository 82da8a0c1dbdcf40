/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * varint.h - LEB128 unsigned varints (7 bits a byte, low group first, high
 * bit = more follows; at most 10 bytes for a u64) and zigzag mapping of
 * signed deltas to small unsigned numbers, as used by the .gst block codec.
 *
 * varint_put() writes into a buffer the caller sized (VARINT_MAX per value).
 * varint_get() never reads at or past end: it returns 0 and advances *p, or
 * -1 on a truncated or overlong (> 10 bytes, or bits past 64) encoding.
 */
#ifndef VARINT_H
#define VARINT_H
#include <stdint.h>

#define VARINT_MAX 10

static inline uint8_t *varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

int varint_get_slow(const uint8_t **p, const uint8_t *end, uint64_t *v);

static inline int varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;

	if (__builtin_expect(q < end && *q < 0x80, 1)) {
		*v = *q;
		*p = q + 1;
		return 0;
	}
	if (__builtin_expect(end - q < VARINT_MAX, 0))
		return varint_get_slow(p, end, v);
	/* at least 10 bytes left: no bounds check per byte */
	uint64_t r = 0;

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		uint8_t b = *q++;

		r |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80) {
			if (shift == 63 && b > 1)
				return -1;
			*v = r;
			*p = q;
			return 0;
		}
	}
	return -1;
}

static inline uint64_t zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag64(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

#endif
