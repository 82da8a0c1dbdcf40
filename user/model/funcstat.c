/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * funcstat.c - hold and wait time by thread and function (contract in
 * funcstat.h). Rows live in one array, found through a map of (pid, tid,
 * function); a second map counts each thread's rows for the cap, a third
 * caches which id a function id counts under (its first id with the same
 * name, file and line, found through a map of their hash).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/funcstat.h"
#include "model/model.h"
#include "trace/trace_names.h"
#include "util/grow.h"
#include "util/hash.h"
#include "util/search.h"

struct funcstat {
	const struct trace_names *names;
	uint32_t per_thread;
	struct funcstat_row *rows;
	size_t n, cap;
	struct hmap by_key;	/* {pid << 32 | tid, canon func} -> row */
	struct hmap per_thr;	/* {pid << 32 | tid} -> rows of the thread */
	struct hmap canon;	/* {func id, pid} -> the id it counts under */
	struct hmap by_name;	/* {hash of name, file, line; pid} -> first id */
	enum funcstat_order sorted;	/* how rows is sorted now */
	bool is_sorted;
};

int funcstat_new(struct funcstat **out, const struct trace_names *names, uint32_t per_thread)
{
	struct funcstat *fs = calloc(1, sizeof(*fs));

	*out = fs;
	if (!fs)
		return -ENOMEM;
	fs->names = names;
	fs->per_thread = per_thread ? per_thread : FUNCSTAT_PER_THREAD;
	return 0;
}

void funcstat_free(struct funcstat *fs)
{
	if (!fs)
		return;
	free(fs->rows);
	hmap_free(&fs->by_key);
	hmap_free(&fs->per_thr);
	hmap_free(&fs->canon);
	hmap_free(&fs->by_name);
	free(fs);
}

void funcstat_clear(struct funcstat *fs)
{
	fs->n = 0;
	fs->is_sorted = false;
	hmap_clear(&fs->by_key);
	hmap_clear(&fs->per_thr);
}

static uint64_t mix(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;	/* "ab","c" differs from "a","bc" */
}

/* The id func of pid counts under. */
static int canonical(struct funcstat *fs, uint32_t pid, uint64_t func, uint64_t *out)
{
	struct trace_func_name f, g;
	struct hkey k = { func, pid }, nk;
	uint64_t first;
	int err;

	*out = func;
	if (func < GS_FUNC_FIRST || !fs->names || hmap_get(&fs->canon, k, out))
		return 0;
	if (trace_names_func(fs->names, pid, func, &f)) {
		nk = (struct hkey){ mix(mix(0xcbf29ce484222325ull ^ (uint32_t)f.line, f.name), f.file),
				    pid };
		if (!hmap_get(&fs->by_name, nk, &first)) {
			if ((err = hmap_put(&fs->by_name, nk, func)))
				return err;
		} else if (trace_names_func(fs->names, pid, first, &g) && g.line == f.line &&
			   !strcmp(g.name, f.name) && !strcmp(g.file, f.file)) {
			*out = first;	/* a hash collision keeps its own id */
		}
	}
	return hmap_put(&fs->canon, k, *out);
}

/* The row of (pid, tid, func), made if there is room under the cap. */
static int row_of(struct funcstat *fs, uint32_t pid, uint32_t tid, uint64_t func,
		  struct funcstat_row **out)
{
	uint64_t thr = (uint64_t)pid << 32 | tid, i, cnt = 0;
	struct hkey k = { thr, func };
	int err;

	if (hmap_get(&fs->by_key, k, &i)) {
		*out = &fs->rows[i];
		return 0;
	}
	hmap_get(&fs->per_thr, hkey_u64(thr), &cnt);
	if (func != FUNCSTAT_OTHER && cnt >= fs->per_thread)
		return row_of(fs, pid, tid, FUNCSTAT_OTHER, out);
	if (grow_array(&fs->rows, &fs->cap, fs->n + 1, sizeof(*fs->rows)))
		return -ENOMEM;
	if ((err = hmap_put(&fs->by_key, k, fs->n)) ||
	    (err = hmap_put(&fs->per_thr, hkey_u64(thr), cnt + 1)))
		return err;
	fs->rows[fs->n] = (struct funcstat_row){ .pid = pid, .tid = tid, .func = func };
	*out = &fs->rows[fs->n++];
	fs->is_sorted = false;
	return 0;
}

int funcstat_span(struct funcstat *fs, const struct model_span *s)
{
	struct funcstat_row *r;
	uint64_t func;
	int err;

	if ((s->kind != SPAN_HOLD && s->kind != SPAN_WAIT) || s->func == MODEL_NO_FUNC ||
	    (s->flags & SPAN_F_OTHER))
		return 0;
	if ((err = canonical(fs, s->pid, s->func, &func)) ||
	    (err = row_of(fs, s->pid, s->tid, func, &r)))
		return err;
	if (s->kind == SPAN_HOLD) {
		r->holds++;
		r->hold_ns += s->end_ns - s->start_ns;
	} else {
		r->waits++;
		r->wait_ns += s->end_ns - s->start_ns;
	}
	return 0;
}

static int cmp3(uint64_t a1, uint64_t b1, uint64_t a2, uint64_t b2, uint64_t a3, uint64_t b3)
{
	return cmp_u64(b1, a1) ?: cmp_u64(b2, a2) ?: cmp_u64(a3, b3);
}

static int by_hold(const void *a, const void *b)
{
	const struct funcstat_row *x = a, *y = b;
	int c = cmp3(x->hold_ns, y->hold_ns, x->wait_ns, y->wait_ns, x->func, y->func);

	return c ? c : cmp3(0, 0, 0, 0, (uint64_t)x->pid << 32 | x->tid, (uint64_t)y->pid << 32 | y->tid);
}

static int by_wait(const void *a, const void *b)
{
	const struct funcstat_row *x = a, *y = b;
	int c = cmp3(x->wait_ns, y->wait_ns, x->hold_ns, y->hold_ns, x->func, y->func);

	return c ? c : cmp3(0, 0, 0, 0, (uint64_t)x->pid << 32 | x->tid, (uint64_t)y->pid << 32 | y->tid);
}

/* Sorting moves rows: the key map is rebuilt (it cannot fail: same keys). */
static void sort_rows(struct funcstat *fs, enum funcstat_order order)
{
	if (fs->is_sorted && fs->sorted == order)
		return;
	if (fs->n)	/* rows is NULL until the first */
		qsort(fs->rows, fs->n, sizeof(*fs->rows), order == FUNCSTAT_BY_WAIT ? by_wait : by_hold);
	hmap_clear(&fs->by_key);
	for (size_t i = 0; i < fs->n; i++)
		hmap_put(&fs->by_key, (struct hkey){ (uint64_t)fs->rows[i].pid << 32 | fs->rows[i].tid,
						     fs->rows[i].func }, i);
	fs->sorted = order;
	fs->is_sorted = true;
}

const struct funcstat_row *funcstat_rows(struct funcstat *fs, enum funcstat_order order,
					 size_t *n)
{
	sort_rows(fs, order);
	*n = fs->n;
	return fs->rows;
}

size_t funcstat_thread(struct funcstat *fs, uint32_t pid, uint32_t tid,
		       enum funcstat_order order, struct funcstat_row *out, size_t max)
{
	size_t k = 0;

	sort_rows(fs, order);
	for (size_t i = 0; i < fs->n && k < max; i++) {
		const struct funcstat_row *r = &fs->rows[i];

		if (r->pid != pid || r->tid != tid ||
		    !(order == FUNCSTAT_BY_WAIT ? r->wait_ns || r->waits : r->hold_ns || r->holds))
			continue;
		out[k++] = *r;
	}
	return k;
}
