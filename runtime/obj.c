/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * obj.c - see obj.h. The live-object count is atomic (unlike refcounts):
 * it is the test's witness that counts balance, so it must not race itself.
 */
#include <errno.h>
#include <stdlib.h>
#include "obj.h"
#include "rt_util.h"

struct rt_list {
	struct rt_obj hdr;	/* kind RT_KIND_LIST */
	size_t len;		/* items in use */
	size_t cap;		/* items allocated */
	rt_val *items;		/* each item owns one reference */
};

static long live_objects;
static long static_underflows;

static struct rt_list *as_list(rt_val v)
{
	return (struct rt_list *)rt_obj(v);
}

rt_val rt_list_new(unsigned flags)
{
	struct rt_list *l = calloc(1, sizeof(*l));

	if (!l)
		return RT_NONE;
	l->hdr.refcnt = 1;
	l->hdr.kind = RT_KIND_LIST;
	l->hdr.flags = flags;
	__atomic_add_fetch(&live_objects, 1, __ATOMIC_RELAXED);
	return (rt_val)l;
}

int rt_list_append(rt_val list, rt_val v)
{
	struct rt_list *l = as_list(list);
	rt_val *items = rt_grow(l->items, &l->cap, l->len, sizeof(*items), 4);

	if (!items)
		return -ENOMEM;
	l->items = items;
	l->items[l->len++] = v;
	return 0;
}

size_t rt_list_len(rt_val list)
{
	return as_list(list)->len;
}

rt_val rt_list_get(rt_val list, size_t i)
{
	return as_list(list)->items[i];
}

void rt_list_set(rt_val list, size_t i, rt_val v)
{
	struct rt_list *l = as_list(list);
	rt_val old = l->items[i];

	l->items[i] = v;
	rt_decref(old);
}

static void list_free(struct rt_list *l)
{
	for (size_t i = 0; i < l->len; i++)
		rt_decref(l->items[i]);
	free(l->items);
	free(l);
	__atomic_sub_fetch(&live_objects, 1, __ATOMIC_RELAXED);
}

void rt_obj_dealloc(struct rt_obj *o)
{
	if (o->flags & RT_OBJ_STATIC) {
		__atomic_add_fetch(&static_underflows, 1, __ATOMIC_RELAXED);
		return;
	}
	if (o->kind == RT_KIND_LIST)
		list_free((struct rt_list *)o);
}

void rt_obj_free_static(rt_val v)
{
	if (v && !rt_is_int(v) && rt_kind_of(v) == RT_KIND_LIST)
		list_free(as_list(v));
}

long rt_obj_live(void)
{
	return __atomic_load_n(&live_objects, __ATOMIC_RELAXED);
}

long rt_obj_underflows(void)
{
	return __atomic_load_n(&static_underflows, __ATOMIC_RELAXED);
}
