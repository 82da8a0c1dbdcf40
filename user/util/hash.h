/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * hash.h - the one hash map of gilscope: a key of two 64-bit words (a tid:
 * {tid, 0}; a lock: {address, pid}; a track: {pid << 32 | tid, 0}) to a
 * 64-bit value, usually an index into the caller's own array. Open
 * addressing with linear probing in a power-of-two table that doubles at
 * half load, and backward-shift deletion (no tombstones), so every
 * operation is O(1) on average whatever was inserted and removed before.
 *
 * A zeroed struct hmap is an empty map. The map owns its table; free it
 * with hmap_free() (which leaves an empty map). Functions that may allocate
 * return 0 or -ENOMEM; a failed insert leaves the map as it was.
 */
#ifndef UTIL_HASH_H
#define UTIL_HASH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hkey {
	uint64_t a, b;
};

struct hmap_slot {
	struct hkey key;
	uint64_t val;
	bool used;
};

struct hmap {
	struct hmap_slot *slot;	/* cap entries, or NULL while empty */
	size_t n;		/* keys held */
	size_t cap;		/* 0 or a power of two */
};

/* The value stored for key into *val: true if there is one. */
bool hmap_get(const struct hmap *m, struct hkey key, uint64_t *val);
/* Sets key to val (replacing any value). 0 or -ENOMEM. */
int hmap_put(struct hmap *m, struct hkey key, uint64_t val);
/* Removes key; true if it was there. */
bool hmap_del(struct hmap *m, struct hkey key);
/* Makes room for n keys, so that puts up to n keys never allocate (and
 * never fail). 0 or -ENOMEM. */
int hmap_reserve(struct hmap *m, size_t n);
/* Forgets every key, keeps the table for reuse. */
void hmap_clear(struct hmap *m);
void hmap_free(struct hmap *m);

static inline struct hkey hkey_u64(uint64_t a)
{
	return (struct hkey){ a, 0 };
}

#endif
