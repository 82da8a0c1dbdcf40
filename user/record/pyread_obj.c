/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyread_obj.c - CPython objects read from outside (see pyread.h): str,
 * int, dict lookups, instance attributes, threading's thread names, and
 * the validated cache of code objects. Representations come from the
 * layout's models; every length the target gives is bounded before use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "record/pyread_priv.h"

#define PYR_STR_MAX_CHARS 1024	/* characters read from one str */
#define PYR_LONG_MAX_DIGITS 5	/* enough for 64 bits in 15-bit digits */

/* ---- str ------------------------------------------------------------------------------- */

static size_t put_utf8(char *out, size_t room, uint32_t c)
{
	if (c >= 0xd800 && c <= 0xdfff)
		c = 0xfffd;	/* a lone surrogate is not UTF-8 */
	if (c < 0x80 && room >= 1) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800 && room >= 2) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000 && room >= 3) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	if (c < 0x110000 && room >= 4) {
		out[0] = (char)(0xf0 | c >> 18);
		out[1] = (char)(0x80 | (c >> 12 & 0x3f));
		out[2] = (char)(0x80 | (c >> 6 & 0x3f));
		out[3] = (char)(0x80 | (c & 0x3f));
		return 4;
	}
	if (c >= 0x110000 && room >= 3)
		return put_utf8(out, room, 0xfffd);
	return 0;	/* no room: the caller stops */
}

int pyr_str(struct pyread *r, uint64_t p, char *out, size_t cap, struct iovec *span,
	    uint8_t **bytes)
{
	int64_t olen = pyr_off(r, PYL_STR_LENGTH), ost = pyr_off(r, PYL_STR_STATE);
	size_t hlen = (size_t)pyr_off(r, PYL_STR_ASCII_SIZE), dataoff, n, o = 0, blen;
	uint8_t hdr[128], *buf, *data;
	uint32_t state;
	int64_t len;
	int err;

	out[0] = '\0';
	if (hlen > sizeof(hdr) || (size_t)ost + 4 > hlen || (size_t)olen + 8 > hlen ||
	    ost < olen)
		return -ENOTSUP;
	if ((err = pyr_check_type(r, p, PYL_SYM_UNICODE_TYPE)) || (err = pyr_read(r, p, hdr, hlen)))
		return err;
	memcpy(&len, hdr + olen, 8);
	memcpy(&state, hdr + ost, 4);
	unsigned kind = state >> pyr_off(r, PYL_STR_KIND_BIT) & 7;
	bool compact = state >> pyr_off(r, PYL_STR_COMPACT_BIT) & 1;
	bool ascii = state >> pyr_off(r, PYL_STR_ASCII_BIT) & 1;
	bool ready = pyr_off(r, PYL_STR_READY_BIT) == PYL_UNKNOWN ||
		     (state >> pyr_off(r, PYL_STR_READY_BIT) & 1);

	/* names are compact (one block); legacy strs are built by C code only */
	if (!compact || !ready || len < 0 || (kind != 1 && kind != 2 && kind != 4) ||
	    (ascii && kind != 1))
		return pyr_fail(r, PYR_F_STRING, -EINVAL);
	dataoff = ascii ? hlen : (size_t)pyr_off(r, PYL_STR_COMPACT_SIZE);
	n = len > PYR_STR_MAX_CHARS ? PYR_STR_MAX_CHARS : (size_t)len;
	if (n < (uint64_t)len)
		r->st.truncated++;
	/* one read from length to the end of the data: what is decoded is
	 * exactly the bytes a later validation compares */
	blen = dataoff + n * kind - (size_t)olen;
	buf = malloc(blen);
	if (!buf)
		return -ENOMEM;
	err = pyr_read(r, p + (uint64_t)olen, buf, blen);
	if (!err && (memcmp(buf, hdr + olen, 8) || memcmp(buf + (ost - olen), hdr + ost, 4)))
		err = pyr_fail(r, PYR_F_STRING, -EAGAIN);	/* it changed between reads */
	data = buf + dataoff - (size_t)olen;
	for (size_t i = 0; !err && i < n; i++) {
		uint32_t c = kind == 1 ? data[i] : kind == 2 ? (uint32_t)(data[2 * i] | data[2 * i + 1] << 8)
			   : (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 |
			     (uint32_t)data[4 * i + 2] << 16 | (uint32_t)data[4 * i + 3] << 24;
		size_t w = put_utf8(out + o, cap - 1 - o, c);

		if (!w) {
			r->st.truncated++;
			break;
		}
		o += w;
	}
	out[o] = '\0';
	if (!err && span) {
		span->iov_base = (void *)(uintptr_t)(p + (uint64_t)olen);
		span->iov_len = blen;
	}
	if (!err && bytes) {
		*bytes = buf;
		buf = NULL;
	}
	free(buf);
	return err;
}

/* Is the str at p exactly the ASCII name? (One read for short strs.) */
static int str_is(struct pyread *r, uint64_t p, const char *name, bool *eq)
{
	char buf[PYREAD_NAME_MAX];
	int err = pyr_str(r, p, buf, sizeof(buf), NULL, NULL);

	*eq = !err && !strcmp(buf, name);
	return err;
}

/* ---- int -------------------------------------------------------------------------------- */

/* A non-negative int that fits 64 bits (threading's idents). */
static int read_ulong(struct pyread *r, uint64_t p, uint64_t *val)
{
	int64_t osz = pyr_off(r, PYL_LONG_SIZE), odg = pyr_off(r, PYL_LONG_DIGITS);
	unsigned dsize = (unsigned)pyr_off(r, PYL_DIGIT_SIZE), bits = dsize == 4 ? 30 : 15;
	uint8_t d[PYR_LONG_MAX_DIGITS * 4];
	uint64_t tag, n, v = 0;
	int err;

	if ((dsize != 2 && dsize != 4) || (err = pyr_check_type(r, p, PYL_SYM_LONG_TYPE)) ||
	    (err = pyr_read(r, p + (uint64_t)osz, &tag, 8)))
		return dsize != 2 && dsize != 4 ? -ENOTSUP : err;
	if (r->l.longs == PYL_LONG_TAG) {
		if ((tag & 3) == 2)	/* negative */
			return pyr_fail(r, PYR_F_TYPE, -ERANGE);
		n = tag >> pyr_off(r, PYL_LONG_TAG_SHIFT);
	} else {
		if ((int64_t)tag < 0)
			return pyr_fail(r, PYR_F_TYPE, -ERANGE);
		n = tag;
	}
	if (n * bits > 64 + bits - 1 || n > PYR_LONG_MAX_DIGITS)
		return pyr_fail(r, PYR_F_TYPE, -ERANGE);
	if (n && (err = pyr_read(r, p + (uint64_t)odg, d, n * dsize)))
		return err;
	for (uint64_t i = n; i-- > 0;) {
		uint32_t dig = dsize == 4 ? (uint32_t)d[4 * i] | (uint32_t)d[4 * i + 1] << 8 |
					    (uint32_t)d[4 * i + 2] << 16 | (uint32_t)d[4 * i + 3] << 24
					  : (uint32_t)(d[2 * i] | d[2 * i + 1] << 8);

		if (v >> (64 - bits))
			return pyr_fail(r, PYR_F_TYPE, -ERANGE);
		v = v << bits | dig;
	}
	*val = v;
	return 0;
}

/* ---- dict ------------------------------------------------------------------------------- */

struct keys {
	uint64_t entries;	/* address of entry 0 */
	uint64_t n;		/* entries used so far (dk_nentries) */
	int64_t esize, ekey, evalue;
};

static int read_keys(struct pyread *r, uint64_t k, struct keys *out)
{
	uint8_t hdr[64];
	size_t hlen = (size_t)pyr_off(r, PYL_DK_INDICES);
	int64_t nent, index_bytes;
	int err;

	if (hlen > sizeof(hdr))
		return -ENOTSUP;
	if ((err = pyr_check_ptr(r, k, 8)) || (err = pyr_read(r, k, hdr, hlen)))
		return err;
	memcpy(&nent, hdr + pyr_off(r, PYL_DK_NENTRIES), 8);
	out->esize = pyr_off(r, PYL_DKE_SIZE);
	out->ekey = pyr_off(r, PYL_DKE_KEY);
	out->evalue = pyr_off(r, PYL_DKE_VALUE);
	if (r->l.dicts == PYL_DICT_SIZE) {
		int64_t size;

		memcpy(&size, hdr + pyr_off(r, PYL_DK_SIZE), 8);
		if (size <= 0 || size > 1 << 30)
			return pyr_fail(r, PYR_F_BOUND, -E2BIG);
		index_bytes = size * (size <= 0xff ? 1 : size <= 0xffff ? 2 : 4);
	} else {
		uint8_t log2 = hdr[pyr_off(r, PYL_DK_LOG2_INDEX_BYTES)];

		if (log2 > 34)
			return pyr_fail(r, PYR_F_BOUND, -E2BIG);
		index_bytes = (int64_t)1 << log2;
		if (hdr[pyr_off(r, PYL_DK_KIND)] != pyr_off(r, PYL_KEYS_GENERAL)) {
			out->esize = pyr_off(r, PYL_DKU_SIZE);
			out->ekey = pyr_off(r, PYL_DKU_KEY);
			out->evalue = pyr_off(r, PYL_DKU_VALUE);
		}
	}
	if (nent < 0 || nent > PYR_MAX_DICT)
		return pyr_fail(r, PYR_F_BOUND, -E2BIG);
	if (out->esize <= 0 || out->esize > 64 || out->ekey + 8 > out->esize ||
	    out->evalue + 8 > out->esize)
		return -ENOTSUP;
	out->entries = k + hlen + (uint64_t)index_bytes;
	out->n = (uint64_t)nent;
	return 0;
}

/* The index of str key name among the entries of k, and its value there. */
static int keys_find(struct pyread *r, const struct keys *k, const char *name, uint64_t *index,
		     uint64_t *val)
{
	uint8_t buf[64 * 32];
	size_t per = sizeof(buf) / (size_t)k->esize;

	for (uint64_t i = 0; i < k->n; i += per) {
		size_t m = k->n - i < per ? (size_t)(k->n - i) : per;
		int err = pyr_read(r, k->entries + i * (uint64_t)k->esize, buf, m * (size_t)k->esize);

		if (err)
			return err;
		for (size_t j = 0; j < m; j++) {
			uint64_t key, v;
			bool eq;

			memcpy(&key, buf + j * (size_t)k->esize + k->ekey, 8);
			memcpy(&v, buf + j * (size_t)k->esize + k->evalue, 8);
			if (!key || str_is(r, key, name, &eq) || !eq)
				continue;	/* a deleted slot, or a key that is not that str */
			*index = i + j;
			*val = v;
			return 0;
		}
	}
	return pyr_fail(r, PYR_F_MISSING, -ENOENT);
}

/* A value of a split table: values[index] (values: the PyDictValues *). */
static int split_value(struct pyread *r, uint64_t values, uint64_t index, uint64_t *val)
{
	return pyr_read_ptr(r, values + (uint64_t)pyr_off(r, PYL_DV_VALUES) + 8 * index, val);
}

int pyr_dict_get(struct pyread *r, uint64_t d, const char *name, uint64_t *val)
{
	uint64_t keys, values, index;
	struct keys k;
	int err;

	if ((err = pyr_check_type(r, d, PYL_SYM_DICT_TYPE)) ||
	    (err = pyr_read_ptr(r, d + (uint64_t)pyr_off(r, PYL_DICT_KEYS), &keys)) ||
	    (err = pyr_read_ptr(r, d + (uint64_t)pyr_off(r, PYL_DICT_VALUES), &values)) ||
	    (err = read_keys(r, keys, &k)) || (err = keys_find(r, &k, name, &index, val)))
		return err;
	return values ? split_value(r, values, index, val) : 0;
}

/* ---- attributes ------------------------------------------------------------------------- */

/* A shared-keys attribute: the type's cached keys index values. */
static int cached_attr(struct pyread *r, uint64_t type, uint64_t values, const char *name,
		       uint64_t *val)
{
	uint64_t keys, index, dummy;
	struct keys k;
	int err;

	if ((err = pyr_read_ptr(r, type + (uint64_t)pyr_off(r, PYL_HT_CACHED_KEYS), &keys)) ||
	    (err = read_keys(r, keys, &k)) || (err = keys_find(r, &k, name, &index, &dummy)))
		return err;
	return split_value(r, values, index, val);
}

int pyr_attr(struct pyread *r, uint64_t obj, const char *name, uint64_t *val)
{
	int64_t mdict = pyr_off(r, PYL_MANAGED_DICT_OFF);
	uint64_t type, flags = 0, word, values = 0, dict;
	int err;

	if ((err = pyr_check_ptr(r, obj, 8)) ||
	    (err = pyr_read_ptr(r, obj + (uint64_t)pyr_off(r, PYL_OB_TYPE), &type)) ||
	    (err = pyr_check_ptr(r, type, 8)) ||
	    (err = pyr_read(r, type + (uint64_t)pyr_off(r, PYL_TYPE_FLAGS), &flags, 8)))
		return err;
	if (r->l.attrs == PYL_ATTRS_DICTOFFSET ||
	    !(flags & (uint64_t)pyr_off(r, PYL_TPFLAGS_MANAGED_DICT))) {
		int64_t off;

		if ((err = pyr_read(r, type + (uint64_t)pyr_off(r, PYL_TYPE_DICTOFFSET), &off, 8)))
			return err;
		if (off <= 0 || off > 1 << 20)	/* negative: from the end of a var object */
			return pyr_fail(r, PYR_F_MISSING, -ENOENT);
		if ((err = pyr_read_ptr(r, obj + (uint64_t)off, &dict)))
			return err;
		return dict ? pyr_dict_get(r, dict, name, val) : pyr_fail(r, PYR_F_MISSING, -ENOENT);
	}
	switch (r->l.attrs) {
	case PYL_ATTRS_MANAGED:		/* values at -4 words, else the dict at -3 */
		err = pyr_read_ptr(r, obj + (uint64_t)pyr_off(r, PYL_MANAGED_VALUES_OFF), &values);
		if (!err && !values)
			err = pyr_read_ptr(r, obj + (uint64_t)mdict, &dict);
		break;
	case PYL_ATTRS_TAGGED:		/* one word: a dict, or the values pointer - 1 */
		err = pyr_read_ptr(r, obj + (uint64_t)mdict, &word);
		if (!err && word & 1)
			values = word + 1;
		else
			dict = word;
		break;
	case PYL_ATTRS_INLINE: {	/* inline values after the object while valid */
		int64_t basic;
		uint8_t valid = 0;

		if (flags & (uint64_t)pyr_off(r, PYL_TPFLAGS_INLINE_VALUES)) {
			err = pyr_read(r, type + (uint64_t)pyr_off(r, PYL_TYPE_BASICSIZE), &basic, 8);
			if (!err && (basic <= 0 || basic > 1 << 20))
				err = pyr_fail(r, PYR_F_BOUND, -E2BIG);
			if (!err)
				err = pyr_read(r, obj + (uint64_t)basic + (uint64_t)pyr_off(r, PYL_DV_VALID),
					       &valid, 1);
			if (!err && valid)
				values = obj + (uint64_t)basic;
		}
		if (!err && !values)
			err = pyr_read_ptr(r, obj + (uint64_t)mdict, &dict);
		break;
	}
	default:
		return -ENOTSUP;
	}
	if (err)
		return err;
	if (values)
		return cached_attr(r, type, values, name, val);
	return dict ? pyr_dict_get(r, dict, name, val) : pyr_fail(r, PYR_F_MISSING, -ENOENT);
}

/* ---- thread names ----------------------------------------------------------------------- */

/* threading's _active dict: remembered, its type checked on each use. */
static int active_dict(struct pyread *r, uint64_t interp, uint64_t *active)
{
	uint64_t modules, mod, mdict;
	int err;

	if (r->active_dict && !pyr_check_type(r, r->active_dict, PYL_SYM_DICT_TYPE) &&
	    !pyr_check_type(r, r->threading_dict, PYL_SYM_DICT_TYPE) &&
	    !pyr_dict_get(r, r->threading_dict, "_active", &mod) && mod == r->active_dict) {
		*active = r->active_dict;
		return 0;
	}
	r->active_dict = 0;
	if ((err = pyr_read_ptr(r, interp + (uint64_t)pyr_off(r, PYL_IS_MODULES), &modules)))
		return err;
	if (!modules)
		return pyr_fail(r, PYR_F_MISSING, -ENOENT);
	if ((err = pyr_dict_get(r, modules, "threading", &mod)) ||
	    (err = pyr_check_type(r, mod, PYL_SYM_MODULE_TYPE)) ||
	    (err = pyr_read_ptr(r, mod + (uint64_t)pyr_off(r, PYL_MODULE_DICT), &mdict)) ||
	    (err = pyr_dict_get(r, mdict, "_active", active)) ||
	    (err = pyr_check_type(r, *active, PYL_SYM_DICT_TYPE)))
		return err;
	r->threading_dict = mdict;
	r->active_dict = *active;
	return 0;
}

int pyr_thread_names(struct pyread *r, uint64_t interp, struct pyread_thread *t, size_t n)
{
	uint64_t active, keys, values;
	uint8_t buf[64 * 32];
	struct keys k;
	size_t left = n;
	int err;

	if (!n)
		return 0;
	if ((err = active_dict(r, interp, &active)) ||
	    (err = pyr_read_ptr(r, active + (uint64_t)pyr_off(r, PYL_DICT_KEYS), &keys)) ||
	    (err = pyr_read_ptr(r, active + (uint64_t)pyr_off(r, PYL_DICT_VALUES), &values)) ||
	    (err = read_keys(r, keys, &k)))
		return err;
	size_t per = sizeof(buf) / (size_t)k.esize;

	for (uint64_t i = 0; i < k.n && left; i += per) {
		size_t m = k.n - i < per ? (size_t)(k.n - i) : per;

		if ((err = pyr_read(r, k.entries + i * (uint64_t)k.esize, buf, m * (size_t)k.esize)))
			return err;
		for (size_t j = 0; j < m && left; j++) {
			uint64_t key, thread, name, ident = 0;

			memcpy(&key, buf + j * (size_t)k.esize + k.ekey, 8);
			memcpy(&thread, buf + j * (size_t)k.esize + k.evalue, 8);
			if (!key || read_ulong(r, key, &ident))
				continue;
			if (values && split_value(r, values, i + j, &thread))
				continue;
			for (size_t q = 0; q < n; q++) {
				if (t[q].ident != ident || t[q].named)
					continue;
				if (!pyr_attr(r, thread, "_name", &name) &&
				    !pyr_str(r, name, t[q].name, sizeof(t[q].name), NULL, NULL)) {
					t[q].named = true;
					left--;
				}
				break;
			}
		}
	}
	return 0;
}
