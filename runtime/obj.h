/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * obj.h - values and reference-counted objects of the gilrt VM.
 *
 * A value (rt_val) is one machine word: a small integer when the low bit is
 * set (63-bit, wraps), else a pointer to a heap object (0 is None). Objects
 * carry a reference count that, as in CPython, is a plain load-add-store:
 * the interpreter lock is what keeps it right. Whoever holds a value owns
 * one reference; rt_incref()/rt_decref() move ownership, and the last
 * decref frees the object.
 *
 * Static objects (RT_OBJ_STATIC) are never freed by a decref: the creator
 * frees them with rt_obj_free_static(). They let the "unsafe" scenario
 * corrupt counts without crashing; a count that reaches zero or below is
 * recorded (rt_obj_underflows()) instead.
 */
#ifndef GILRT_OBJ_H
#define GILRT_OBJ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uintptr_t rt_val;

#define RT_NONE ((rt_val)0)
#define RT_OBJ_STATIC 1u

struct rt_obj {
	long refcnt;		/* references; updated without atomics on purpose */
	unsigned kind;		/* enum rt_kind */
	unsigned flags;		/* RT_OBJ_STATIC */
};

enum rt_kind { RT_KIND_INT, RT_KIND_NONE, RT_KIND_LIST };

static inline rt_val rt_int_val(int64_t i)
{
	return (rt_val)(((uint64_t)i << 1) | 1u);
}

static inline bool rt_is_int(rt_val v)
{
	return v & 1u;
}

static inline int64_t rt_int(rt_val v)
{
	return (int64_t)v >> 1;
}

static inline struct rt_obj *rt_obj(rt_val v)
{
	return (struct rt_obj *)v;
}

static inline enum rt_kind rt_kind_of(rt_val v)
{
	if (rt_is_int(v))
		return RT_KIND_INT;
	return v ? (enum rt_kind)rt_obj(v)->kind : RT_KIND_NONE;
}

void rt_obj_dealloc(struct rt_obj *o);

/* The racy read-modify-write CPython does; relaxed atomics keep it defined C. */
static inline void rt_incref(rt_val v)
{
	if (v && !rt_is_int(v)) {
		struct rt_obj *o = rt_obj(v);
		long r = __atomic_load_n(&o->refcnt, __ATOMIC_RELAXED);

		__atomic_store_n(&o->refcnt, r + 1, __ATOMIC_RELAXED);
	}
}

static inline void rt_decref(rt_val v)
{
	if (v && !rt_is_int(v)) {
		struct rt_obj *o = rt_obj(v);
		long r = __atomic_load_n(&o->refcnt, __ATOMIC_RELAXED) - 1;

		__atomic_store_n(&o->refcnt, r, __ATOMIC_RELAXED);
		if (r <= 0)
			rt_obj_dealloc(o);
	}
}

/* A new empty list with one reference (the caller's), or RT_NONE if out of memory. */
rt_val rt_list_new(unsigned flags);
/* Append v to list; the list takes over the caller's reference to v. 0 or -ENOMEM. */
int rt_list_append(rt_val list, rt_val v);
size_t rt_list_len(rt_val list);
/* Borrowed item i (no reference added), i < len. */
rt_val rt_list_get(rt_val list, size_t i);
/* Replace item i (i < len); takes the caller's reference to v, drops the old item. */
void rt_list_set(rt_val list, size_t i, rt_val v);

/* Free a static object whatever its count (its items are decref'd). */
void rt_obj_free_static(rt_val v);
/* Heap objects alive in this process (allocated, not yet freed). */
long rt_obj_live(void);
/* Times a static object's count fell to zero or below. */
long rt_obj_underflows(void);

#endif /* GILRT_OBJ_H */
