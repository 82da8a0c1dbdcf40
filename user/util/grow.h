/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * grow.h - room in a growable array: one realloc policy for every array
 * that is appended to (doubling, so n appends cost O(n) copies).
 *
 * grow_array(&arr, &cap, need, sizeof(*arr)) makes *arr hold at least
 * `need` elements of `elem` bytes, *cap being how many it holds now (0 with
 * *arr NULL at first). It returns 0 (nothing moves when need <= *cap), or
 * -ENOMEM with *arr and *cap unchanged (the old array stays valid). The
 * capacity goes to GROW_MIN elements at least, then doubles.
 */
#ifndef UTIL_GROW_H
#define UTIL_GROW_H
#include <stddef.h>

#define GROW_MIN 16

/* pp: the address of the array pointer (any element type). */
int grow_array(void *pp, size_t *cap, size_t need, size_t elem);

#endif
