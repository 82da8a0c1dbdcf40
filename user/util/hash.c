/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * hash.c - open addressing map (contract in hash.h). Tids and addresses are
 * dense or aligned, so keys are mixed (a 64-bit multiply-xorshift) before
 * they pick a slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/hash.h"

static inline size_t home(struct hkey k, size_t cap)
{
	uint64_t h = k.a * 0x9E3779B97F4A7C15ull ^ (k.b + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;

	h ^= h >> 31;
	return (size_t)h & (cap - 1);
}

static inline bool same(struct hkey x, struct hkey y)
{
	return x.a == y.a && x.b == y.b;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const struct hmap *m, struct hkey key)
{
	size_t i = home(key, m->cap);

	while (m->slot[i].used && !same(m->slot[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int resize(struct hmap *m, size_t cap)
{
	struct hmap_slot *s = calloc(cap, sizeof(*s)), *old = m->slot;
	size_t oldcap = m->cap;

	if (!s)
		return -ENOMEM;
	m->slot = s;
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].used)
			s[find(m, old[i].key)] = old[i];
	free(old);
	return 0;
}

static int grow(struct hmap *m)
{
	return resize(m, m->cap ? m->cap * 2 : 64);
}

int hmap_reserve(struct hmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 64;

	while (cap < 2 * n)
		cap *= 2;
	return cap > m->cap ? resize(m, cap) : 0;
}

bool hmap_get(const struct hmap *m, struct hkey key, uint64_t *val)
{
	size_t i;

	if (!m->n)
		return false;
	i = find(m, key);
	if (!m->slot[i].used)
		return false;
	*val = m->slot[i].val;
	return true;
}

int hmap_put(struct hmap *m, struct hkey key, uint64_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	i = find(m, key);
	if (!m->slot[i].used) {
		m->slot[i].used = true;
		m->slot[i].key = key;
		m->n++;
	}
	m->slot[i].val = val;
	return 0;
}

bool hmap_del(struct hmap *m, struct hkey key)
{
	size_t mask = m->cap - 1, i, j;

	if (!m->n)
		return false;
	i = find(m, key);
	if (!m->slot[i].used)
		return false;
	/* backward shift: pull later members of the cluster into the hole
	 * when the hole lies on their way from their home slot */
	for (j = (i + 1) & mask; m->slot[j].used; j = (j + 1) & mask) {
		size_t h = home(m->slot[j].key, m->cap);

		if (((j - h) & mask) >= ((j - i) & mask)) {
			m->slot[i] = m->slot[j];
			i = j;
		}
	}
	memset(&m->slot[i], 0, sizeof(m->slot[i]));
	m->n--;
	return true;
}

void hmap_clear(struct hmap *m)
{
	if (m->slot)
		memset(m->slot, 0, m->cap * sizeof(*m->slot));
	m->n = 0;
}

void hmap_free(struct hmap *m)
{
	free(m->slot);
	m->slot = NULL;
	m->n = m->cap = 0;
}
