/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* search.c - binary search by a key at an offset (contract in search.h). */
#include <string.h>
#include "util/search.h"

size_t search_upper_u64(const void *base, size_t n, size_t size, size_t key_off, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;

		memcpy(&k, (const char *)base + mid * size + key_off, sizeof(k));
		if (k <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void *search_u32(const void *base, size_t n, size_t size, size_t key_off, uint32_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {	/* the first record with a key >= key */
		size_t mid = lo + (hi - lo) / 2;
		uint32_t k;

		memcpy(&k, (const char *)base + mid * size + key_off, sizeof(k));
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n)
		return NULL;
	uint32_t k;

	memcpy(&k, (const char *)base + lo * size + key_off, sizeof(k));
	return k == key ? (char *)base + lo * size : NULL;
}
