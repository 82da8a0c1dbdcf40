/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* pb.c - protobuf wire format writer and field reader (see pb.h). */
#include <stdlib.h>
#include <string.h>
#include "util/pb.h"
#include "util/varint.h"

/* Room for n more bytes: true, or false with b->oom set. */
static bool room(struct pb *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;

	while (cap < b->len + n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);

	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void pb_raw(struct pb *b, const void *p, size_t n)
{
	if (n && room(b, n)) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
	}
}

void pb_uvarint(struct pb *b, uint64_t v)
{
	if (room(b, VARINT_MAX))
		b->len = (size_t)(varint_put(b->p + b->len, v) - b->p);
}

static void tag(struct pb *b, uint32_t field, enum pb_wire w)
{
	pb_uvarint(b, (uint64_t)field << 3 | w);
}

void pb_varint(struct pb *b, uint32_t field, uint64_t v)
{
	tag(b, field, PB_VARINT);
	pb_uvarint(b, v);
}

void pb_fixed64(struct pb *b, uint32_t field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	tag(b, field, PB_FIXED64);
	pb_raw(b, le, 8);
}

void pb_bytes(struct pb *b, uint32_t field, const void *p, size_t n)
{
	tag(b, field, PB_LEN);
	pb_uvarint(b, n);
	pb_raw(b, p, n);
}

void pb_str(struct pb *b, uint32_t field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

size_t pb_begin(struct pb *b, uint32_t field)
{
	tag(b, field, PB_LEN);
	size_t mark = b->len;

	if (room(b, 1))
		b->p[b->len++] = 0;
	return mark;
}

void pb_end(struct pb *b, size_t mark)
{
	if (b->oom || mark >= b->len)
		return;
	size_t body = b->len - mark - 1;
	size_t n = pb_varint_len(body);

	/* most messages are short: the one reserved byte is enough */
	if (n > 1) {
		if (!room(b, n - 1))
			return;
		memmove(b->p + mark + n, b->p + mark + 1, body);
		b->len += n - 1;
	}
	varint_put(b->p + mark, body);
}

void pb_reset(struct pb *b)
{
	b->len = 0;
	b->oom = false;
}

void pb_free(struct pb *b)
{
	free(b->p);
	*b = (struct pb){ 0 };
}

int pb_next(const uint8_t **p, const uint8_t *end, struct pb_field *f)
{
	const uint8_t *q = *p;
	uint64_t key;

	if (q >= end)
		return 0;
	if (varint_get(&q, end, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
		return -1;
	memset(f, 0, sizeof(*f));
	f->num = (uint32_t)(key >> 3);
	f->wire = key & 7;
	switch (f->wire) {
	case PB_VARINT:
		if (varint_get(&q, end, &f->v))
			return -1;
		break;
	case PB_FIXED64:
	case PB_FIXED32: {
		size_t n = f->wire == PB_FIXED64 ? 8 : 4;

		if ((size_t)(end - q) < n)
			return -1;
		for (size_t i = 0; i < n; i++)
			f->v |= (uint64_t)q[i] << (8 * i);
		q += n;
		break;
	}
	case PB_LEN: {
		uint64_t n;

		if (varint_get(&q, end, &n) || n > (uint64_t)(end - q))
			return -1;
		f->p = q;
		f->len = (size_t)n;
		q += n;
		break;
	}
	default:
		return -1;
	}
	*p = q;
	return 1;
}
