/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyread_code.c - code objects to (qualname, filename, first line), with a
 * cache that is validated on every use (see pyread.h).
 *
 * An entry remembers what the code object held (type, name and filename
 * pointers, first line) and the exact bytes of both strs (from the length
 * field to the end of the characters) that its names were decoded from.
 * A use re-reads all of that in one process_vm_readv and compares: equal
 * means the object at that address still is that code object pointing at
 * those very strings, so the names are right whatever was freed and
 * reallocated in between. Anything else is read from scratch; the id
 * stays only if the names came out the same.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "record/pyread_priv.h"

struct fingerprint {
	uint64_t type, name_p, file_p;
	int32_t line;
};

static bool same(const struct fingerprint *a, const struct fingerprint *b)
{
	return a->type == b->type && a->name_p == b->name_p && a->file_p == b->file_p &&
	       a->line == b->line;
}

static size_t code_hdr_len(const struct pyread *r)
{
	static const enum pyl_field f[] = { PYL_OB_TYPE, PYL_CODE_NAME, PYL_CODE_QUALNAME,
					    PYL_CODE_FILENAME, PYL_CODE_FIRSTLINENO };
	int64_t end = 0;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (r->l.off[f[i]] != PYL_UNKNOWN && r->l.off[f[i]] + 8 > end)
			end = r->l.off[f[i]] + 8;
	return (size_t)end;
}

static void fingerprint(const struct pyread *r, const uint8_t *hdr, struct fingerprint *fp)
{
	int64_t qual = pyr_off(r, PYL_CODE_QUALNAME);

	memcpy(&fp->type, hdr + pyr_off(r, PYL_OB_TYPE), 8);
	memcpy(&fp->name_p, hdr + (qual != PYL_UNKNOWN ? qual : pyr_off(r, PYL_CODE_NAME)), 8);
	memcpy(&fp->file_p, hdr + pyr_off(r, PYL_CODE_FILENAME), 8);
	memcpy(&fp->line, hdr + pyr_off(r, PYL_CODE_FIRSTLINENO), 4);
}

static void entry_free(struct code_entry *e)
{
	for (int i = 0; i < 2; i++)
		free(e->bytes[i]);
	free(e->qualname);
	free(e->filename);
	memset(e, 0, sizeof(*e));
}

void pyr_cache_free(struct pyread *r)
{
	for (size_t i = 0; i < r->nentries; i++)
		entry_free(&r->entries[i]);
	free(r->entries);
	r->entries = NULL;
	r->nentries = 0;
	hmap_clear(&r->cache);
}

/* Does entry e still describe the code object at its address? One read. */
static bool still_valid(struct pyread *r, const struct code_entry *e)
{
	uint8_t hdr[256], *b0 = malloc(e->span[0].iov_len), *b1 = malloc(e->span[1].iov_len);
	size_t hlen = code_hdr_len(r);
	struct iovec local[3] = { { hdr, hlen }, { b0, e->span[0].iov_len }, { b1, e->span[1].iov_len } };
	struct iovec remote[3] = { { (void *)(uintptr_t)e->addr, hlen }, e->span[0], e->span[1] };
	struct fingerprint fp;
	bool ok = false;

	if (b0 && b1 && hlen <= sizeof(hdr) && !pyr_readv(r, local, remote, 3)) {
		fingerprint(r, hdr, &fp);
		ok = same(&fp, &(struct fingerprint){ e->type, e->name_p, e->file_p, e->line }) &&
		     !memcmp(b0, e->bytes[0], e->span[0].iov_len) &&
		     !memcmp(b1, e->bytes[1], e->span[1].iov_len);
	}
	free(b0);
	free(b1);
	return ok;
}

/* Read code object addr from scratch into e. */
static int read_entry(struct pyread *r, uint64_t addr, struct code_entry *e)
{
	char *name = malloc(PYREAD_NAME_MAX), *file = malloc(PYREAD_FILE_MAX);
	uint8_t hdr[256], again[256];
	size_t hlen = code_hdr_len(r);
	struct fingerprint fp, fp2;
	int err = name && file ? 0 : -ENOMEM;

	memset(e, 0, sizeof(*e));
	if (!err && hlen > sizeof(hdr))
		err = -ENOTSUP;
	if (!err)
		err = pyr_read(r, addr, hdr, hlen);
	if (!err) {
		fingerprint(r, hdr, &fp);
		if (fp.type != pyr_sym(r, PYL_SYM_CODE_TYPE))
			err = pyr_fail(r, PYR_F_TYPE, -EINVAL);
	}
	if (!err)
		err = pyr_str(r, fp.name_p, name, PYREAD_NAME_MAX, &e->span[0], &e->bytes[0]);
	if (!err)
		err = pyr_str(r, fp.file_p, file, PYREAD_FILE_MAX, &e->span[1], &e->bytes[1]);
	/* the code object must still point at the strings just read */
	if (!err)
		err = pyr_read(r, addr, again, hlen);
	if (!err) {
		fingerprint(r, again, &fp2);
		if (!same(&fp, &fp2))
			err = pyr_fail(r, PYR_F_READ, -EAGAIN);
	}
	if (!err) {
		e->addr = addr;
		e->type = fp.type;
		e->name_p = fp.name_p;
		e->file_p = fp.file_p;
		e->line = fp.line;
		e->qualname = strdup(name);
		e->filename = strdup(file);
		if (!e->qualname || !e->filename)
			err = -ENOMEM;
	}
	free(name);
	free(file);
	if (err)
		entry_free(e);
	return err;
}

int pyread_code(struct pyread *r, uint64_t addr, const struct pyread_code **out)
{
	struct code_entry fresh, *e = NULL;
	uint64_t idx, old_id = 0;
	bool cached;
	int err;

	r->maps_gen++;
	if ((err = pyr_check_ptr(r, addr, 8)))
		return err;
	cached = hmap_get(&r->cache, hkey_u64(addr), &idx);
	if (cached) {
		e = &r->entries[idx];
		if (still_valid(r, e)) {
			r->st.cache_hits++;
			goto done;
		}
		r->st.cache_stale++;
	}
	r->st.cache_misses++;
	if ((err = read_entry(r, addr, &fresh)))
		return err;
	if (cached) {
		/* the same names under the same id; anything else is another function */
		if (e->line == fresh.line && !strcmp(e->qualname, fresh.qualname) &&
		    !strcmp(e->filename, fresh.filename))
			old_id = e->id;
		entry_free(e);
	} else {
		if (r->nentries == PYREAD_CACHE_MAX)
			pyr_cache_free(r);	/* bounded: start over */
		if (r->nentries % 64 == 0) {
			struct code_entry *n = realloc(r->entries, (r->nentries + 64) * sizeof(*n));

			if (!n) {
				entry_free(&fresh);
				return -ENOMEM;
			}
			r->entries = n;
		}
		idx = r->nentries;
		if ((err = hmap_put(&r->cache, hkey_u64(addr), idx))) {
			entry_free(&fresh);
			return err;
		}
		r->nentries++;
		e = &r->entries[idx];
	}
	*e = fresh;
	e->id = old_id ? old_id : r->next_id++;
done:
	r->out = (struct pyread_code){ .addr = addr, .id = e->id, .firstlineno = e->line,
				       .name_ptr = e->name_p, .file_ptr = e->file_p,
				       .qualname = e->qualname,
				       .filename = e->filename };
	*out = &r->out;
	return 0;
}
