/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * search.h - binary search in an array of records sorted by an unsigned
 * key at a fixed offset in each (a pid, a tid, a timestamp, an address):
 * one loop for every sorted table. base holds n records of size bytes;
 * key_off is offsetof() the key; the keys ascend (equal ones allowed).
 * cmp_u64 orders such tables: a qsort comparator on several keys chains
 * it, cmp_u64(x->pid, y->pid) ?: cmp_u64(x->ts, y->ts).
 */
#ifndef UTIL_SEARCH_H
#define UTIL_SEARCH_H
#include <stddef.h>
#include <stdint.h>

/* How many records have a key <= key: the index of the first with a
 * greater one (n if none). */
size_t search_upper_u64(const void *base, size_t n, size_t size, size_t key_off, uint64_t key);
/* A record whose uint32_t key is key, or NULL. */
void *search_u32(const void *base, size_t n, size_t size, size_t key_off, uint32_t key);

/* -1, 0 or 1 as a is below, equal to or above b (unsigned keys only). */
static inline int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

#endif
