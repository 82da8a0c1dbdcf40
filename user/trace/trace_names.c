/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_names.c - see trace_names.h and traces/FORMAT.md "Names"; the
 * record codec is trace_names_codec.c.
 *
 * The store keeps one entry per (pid, tid) and per (pid, id) in arrays
 * indexed by hash maps, and every string once in an arena (file names
 * repeat across functions, so strings are deduplicated). Everything is
 * bounded: entries by GST_MAX_THREAD_NAMES / GST_MAX_FUNC_NAMES, string
 * bytes by GST_MAX_NAME_BYTES; what does not fit is counted as bad.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <stdio.h>
#include "util/crc32c.h"
#include "util/hash.h"
#include "trace/trace_codec.h"
#include "trace/trace_format.h"
#include "trace/trace_names.h"

#define BAD(msg) do { *why = (msg); return -EBADMSG; } while (0)

/* ---- the store ------------------------------------------------------------------------- */

struct th_entry {
	uint32_t pid, tid;
	uint64_t ts;
	uint32_t name;		/* offset in the arena */
};

struct fn_entry {
	uint32_t pid;
	int32_t line;
	uint64_t id;
	uint32_t name, file;
};

struct pr_entry {
	uint32_t pid;
	uint32_t key, value;	/* offsets in the arena */
};

struct trace_names {
	struct th_entry *th;
	size_t nth, thcap;
	struct fn_entry *fn;
	size_t nfn, fncap;
	struct pr_entry *pr;	/* few: looked up by a linear search */
	size_t npr, prcap;
	struct trace_thread_seen *seen;	/* in file order */
	size_t nseen, seencap;
	struct hmap th_by_key, fn_by_key, str_by_hash;
	char *arena;
	size_t used, cap;
	struct trace_names_info info;
	struct trace_cost cost;		/* the last cost record read */
	bool has_cost;
};

int trace_names_new(struct trace_names **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void trace_names_free(struct trace_names *n)
{
	if (!n)
		return;
	free(n->th);
	free(n->fn);
	free(n->pr);
	free(n->seen);
	free(n->arena);
	hmap_free(&n->th_by_key);
	hmap_free(&n->fn_by_key);
	hmap_free(&n->str_by_hash);
	free(n);
}

static int grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void *p;
	size_t c = *cap ? *cap : 64;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*(void **)pp, c * elem);
	if (!p)
		return -ENOMEM;
	*(void **)pp = p;
	*cap = c;
	return 0;
}

static uint64_t fnv(const uint8_t *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

/* The arena offset of string s[0..len) (stored once); -ENOSPC past the limit. */
static int intern(struct trace_names *n, const uint8_t *s, size_t len, uint32_t *off)
{
	struct hkey k = { fnv(s, len), len };
	uint64_t at;
	int err;

	if (hmap_get(&n->str_by_hash, k, &at) && !memcmp(n->arena + at, s, len) &&
	    n->arena[at + len] == '\0') {
		*off = (uint32_t)at;
		return 0;
	}
	if (n->used + len + 1 > GST_MAX_NAME_BYTES)
		return -ENOSPC;
	if ((err = grow(&n->arena, &n->cap, n->used + len + 1, 1)))
		return err;
	for (size_t i = 0; i < len; i++)	/* control bytes would reach terminals */
		n->arena[n->used + i] = s[i] && (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
	n->arena[n->used + len] = '\0';
	*off = (uint32_t)n->used;
	n->used += len + 1;
	/* a colliding hash keeps the older string indexed: only dedup is lost */
	if (!hmap_get(&n->str_by_hash, k, &at) && (err = hmap_put(&n->str_by_hash, k, *off)))
		return err;
	return 0;
}

static int add_thread(struct trace_names *n, const uint8_t *b, size_t len)
{
	struct hkey k;
	uint64_t i;
	uint32_t name;
	bool known;
	int err;

	if (len < 16 || len - 16 > GST_NAME_MAX)
		return -EBADMSG;
	k = hkey_u64((uint64_t)get_le32(b) << 32 | get_le32(b + 4));
	known = hmap_get(&n->th_by_key, k, &i);
	if (known && get_le64(b + 8) < n->th[i].ts)
		return 0;	/* an older name: the latest wins */
	if (!known && n->nth == GST_MAX_THREAD_NAMES)
		return -ENOSPC;
	if ((err = intern(n, b + 16, len - 16, &name)))
		return err;
	if (!known) {
		if ((err = grow(&n->th, &n->thcap, n->nth + 1, sizeof(*n->th))) ||
		    (err = hmap_put(&n->th_by_key, k, n->nth)))
			return err;
		i = n->nth++;
	}
	n->th[i] = (struct th_entry){ get_le32(b), get_le32(b + 4), get_le64(b + 8), name };
	return 0;
}

static int add_func(struct trace_names *n, const uint8_t *b, size_t len)
{
	struct hkey k;
	uint64_t i;
	uint32_t name, file;
	size_t nl;
	bool known;
	int err;

	if (len < 18 || (nl = get_le16(b + 16)) > len - 18 || nl > GST_NAME_MAX ||
	    len - 18 - nl > GST_FILE_MAX)
		return -EBADMSG;
	k = (struct hkey){ get_le64(b + 8), get_le32(b) };
	known = hmap_get(&n->fn_by_key, k, &i);
	if (!known && n->nfn == GST_MAX_FUNC_NAMES)
		return -ENOSPC;
	if ((err = intern(n, b + 18, nl, &name)) || (err = intern(n, b + 18 + nl, len - 18 - nl, &file)))
		return err;
	if (!known) {
		if ((err = grow(&n->fn, &n->fncap, n->nfn + 1, sizeof(*n->fn))) ||
		    (err = hmap_put(&n->fn_by_key, k, n->nfn)))
			return err;
		i = n->nfn++;
	}
	n->fn[i] = (struct fn_entry){ get_le32(b), (int32_t)get_le32(b + 4), get_le64(b + 8), name, file };
	return 0;
}

static int add_prop(struct trace_names *n, const uint8_t *b, size_t len)
{
	uint32_t key, value;
	size_t kl, i;
	int err;

	if (len < 6 || (kl = get_le16(b + 4)) > len - 6 || kl == 0 || kl > GST_KEY_MAX ||
	    len - 6 - kl > GST_VALUE_MAX)
		return -EBADMSG;
	if ((err = intern(n, b + 6, kl, &key)) || (err = intern(n, b + 6 + kl, len - 6 - kl, &value)))
		return err;
	for (i = 0; i < n->npr; i++)	/* interned: same key, same offset */
		if (n->pr[i].pid == get_le32(b) && n->pr[i].key == key)
			break;
	if (i == n->npr) {
		if (n->npr == GST_MAX_PROPS)
			return -ENOSPC;
		if ((err = grow(&n->pr, &n->prcap, n->npr + 1, sizeof(*n->pr))))
			return err;
		n->npr++;
	}
	n->pr[i] = (struct pr_entry){ get_le32(b), key, value };
	return 0;
}

static int add_seen(struct trace_names *n, const uint8_t *b, size_t len)
{
	int err;

	if (len != 16)
		return -EBADMSG;
	if (n->nseen == GST_MAX_SEEN)
		return -ENOSPC;
	if ((err = grow(&n->seen, &n->seencap, n->nseen + 1, sizeof(*n->seen))))
		return err;
	n->seen[n->nseen++] = (struct trace_thread_seen){ get_le32(b), get_le32(b + 4),
							  get_le64(b + 8) };
	return 0;
}

/* A later record replaces an earlier one: it covers more of the recording. */
static int add_cost(struct trace_names *n, const uint8_t *b, size_t len)
{
	struct trace_cost c;

	if (trace_cost_get(b, len, &c))
		return -EBADMSG;
	n->cost = c;
	n->has_cost = true;
	return 0;
}

int trace_names_add_chunk(struct trace_names *n, const uint8_t *raw, size_t len, uint32_t nrec,
			  const char **why)
{
	size_t off = 0;

	/* the structure first, so that a broken chunk adds nothing */
	for (uint32_t r = 0; r < nrec; r++) {
		if (len - off < GST_NAME_REC_HDR)
			BAD("names record truncated");
		size_t body = get_le16(raw + off + 2);

		if (raw[off + 1] != 0 || body > len - off - GST_NAME_REC_HDR)
			BAD("names record overruns its chunk");
		off += GST_NAME_REC_HDR + body;
	}
	if (off != len)
		BAD("bytes after the last names record");
	for (off = 0; off < len;) {
		uint8_t kind = raw[off];
		size_t body = get_le16(raw + off + 2);
		const uint8_t *b = raw + off + GST_NAME_REC_HDR;
		int err = kind == GST_NAME_THREAD ? add_thread(n, b, body)
			: kind == GST_NAME_FUNC ? add_func(n, b, body)
			: kind == GST_NAME_PROP ? add_prop(n, b, body)
			: kind == GST_NAME_COST ? add_cost(n, b, body)
			: kind == GST_NAME_SEEN ? add_seen(n, b, body) : 0;

		if (err == -ENOMEM)
			return err;
		if (err)
			n->info.bad++;	/* malformed or over a limit: this record only */
		if (kind != GST_NAME_SEEN)
			n->info.records++;
		off += GST_NAME_REC_HDR + body;
	}
	return 0;
}

const struct trace_cost *trace_names_cost(const struct trace_names *n)
{
	return n->has_cost ? &n->cost : NULL;
}

void trace_names_note_dropped(struct trace_names *n, uint64_t dropped)
{
	if (dropped > n->info.dropped)
		n->info.dropped = dropped;
}

void trace_names_note_bad(struct trace_names *n)
{
	n->info.bad++;
}

/* One encoded record (at most rec bytes) added as if read from a chunk. */
static int put_one(struct trace_names *n, const uint8_t *rec, size_t len)
{
	const char *why;
	int err;

	if (!len)
		return -EINVAL;
	uint64_t bad = n->info.bad;

	if ((err = trace_names_add_chunk(n, rec, len, 1, &why)))
		return err;
	return n->info.bad != bad ? -ENOSPC : 0;
}

int trace_names_put_thread(struct trace_names *n, uint32_t pid, uint32_t tid, uint64_t ts_ns,
			   const char *name)
{
	uint8_t rec[GST_NAME_REC_HDR + 16 + GST_NAME_MAX];

	return put_one(n, rec, gst_name_thread_put(rec, sizeof(rec), pid, tid, ts_ns, name));
}

int trace_names_put_func(struct trace_names *n, uint32_t pid, uint64_t id, int32_t line,
			 const char *name, const char *file)
{
	uint8_t rec[GST_NAME_REC_HDR + 18 + GST_NAME_MAX + GST_FILE_MAX];

	return put_one(n, rec, gst_name_func_put(rec, sizeof(rec), pid, id, line, name, file));
}

int trace_names_put_prop(struct trace_names *n, uint32_t pid, const char *key, const char *value)
{
	uint8_t rec[GST_NAME_REC_HDR + 6 + GST_KEY_MAX + GST_VALUE_MAX];

	return put_one(n, rec, gst_name_prop_put(rec, sizeof(rec), pid, key, value));
}

static void th_out(const struct trace_names *n, const struct th_entry *e, struct trace_thread_name *o)
{
	*o = (struct trace_thread_name){ e->pid, e->tid, e->ts, n->arena + e->name };
}

static void fn_out(const struct trace_names *n, const struct fn_entry *e, struct trace_func_name *o)
{
	*o = (struct trace_func_name){ e->pid, e->line, e->id, n->arena + e->name, n->arena + e->file };
}

bool trace_names_thread(const struct trace_names *n, uint32_t pid, uint32_t tid,
			struct trace_thread_name *out)
{
	uint64_t i;

	if (!n || !hmap_get(&n->th_by_key, hkey_u64((uint64_t)pid << 32 | tid), &i))
		return false;
	th_out(n, &n->th[i], out);
	return true;
}

bool trace_names_func(const struct trace_names *n, uint32_t pid, uint64_t id,
		      struct trace_func_name *out)
{
	uint64_t i;

	if (!n || !hmap_get(&n->fn_by_key, (struct hkey){ id, pid }, &i))
		return false;
	fn_out(n, &n->fn[i], out);
	return true;
}

const char *trace_names_prop(const struct trace_names *n, uint32_t pid, const char *key)
{
	for (size_t i = 0; n && i < n->npr; i++)
		if (n->pr[i].pid == pid && !strcmp(n->arena + n->pr[i].key, key))
			return n->arena + n->pr[i].value;
	return NULL;
}

bool trace_names_prop_at(const struct trace_names *n, size_t i, struct trace_prop *out)
{
	if (!n || i >= n->npr)
		return false;
	*out = (struct trace_prop){ n->pr[i].pid, n->arena + n->pr[i].key, n->arena + n->pr[i].value };
	return true;
}

bool trace_names_seen_at(const struct trace_names *n, size_t i, struct trace_thread_seen *out)
{
	if (!n || i >= n->nseen)
		return false;
	*out = n->seen[i];
	return true;
}

bool trace_names_thread_at(const struct trace_names *n, size_t i, struct trace_thread_name *out)
{
	if (!n || i >= n->nth)
		return false;
	th_out(n, &n->th[i], out);
	return true;
}

bool trace_names_func_at(const struct trace_names *n, size_t i, struct trace_func_name *out)
{
	if (!n || i >= n->nfn)
		return false;
	fn_out(n, &n->fn[i], out);
	return true;
}

void trace_names_info(const struct trace_names *n, struct trace_names_info *info)
{
	if (!n) {
		memset(info, 0, sizeof(*info));
		return;
	}
	*info = n->info;
	info->threads = n->nth;
	info->funcs = n->nfn;
	info->seen = n->nseen;
}
