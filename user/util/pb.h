/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pb.h - the protobuf wire format by hand, for the Perfetto export: a
 * growable byte buffer with field writers (varint, fixed64, bytes, nested
 * messages) and a field reader for tests and tools. No schema, no
 * generated code: callers name the field numbers (docs/perfetto.md lists
 * the ones gilscope writes).
 *
 * Writing: zero a struct pb (or pb_reset() it) and append fields. A nested
 * message is pb_begin() ... pb_end(): its length is patched in at the end
 * (one byte reserved, the body moved when the length needs more). A failed
 * allocation sets b->oom and drops further writes: check it once at the end.
 * The buffer is the caller's; pb_free() releases it.
 *
 * Reading: pb_next() walks the fields of one message in [*p, end).
 */
#ifndef UTIL_PB_H
#define UTIL_PB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_wire {
	PB_VARINT = 0,
	PB_FIXED64 = 1,
	PB_LEN = 2,
	PB_FIXED32 = 5,
};

struct pb {
	uint8_t *p;	/* len bytes written, cap allocated */
	size_t len, cap;
	bool oom;	/* an allocation failed: the content is incomplete */
};

/* Appends n raw bytes (already encoded fields). */
void pb_raw(struct pb *b, const void *p, size_t n);
/* Appends a bare varint (an element of a packed repeated field). */
void pb_uvarint(struct pb *b, uint64_t v);
/* Field `field` as a varint (uint32/64, int32/64 >= 0, bool, enum). */
void pb_varint(struct pb *b, uint32_t field, uint64_t v);
void pb_fixed64(struct pb *b, uint32_t field, uint64_t v);
/* Field `field` as n bytes (bytes, string, a message encoded elsewhere). */
void pb_bytes(struct pb *b, uint32_t field, const void *p, size_t n);
/* A string field (NUL-terminated s, without the NUL). */
void pb_str(struct pb *b, uint32_t field, const char *s);
/* Starts a nested message in field `field`; returns the mark pb_end() needs. */
size_t pb_begin(struct pb *b, uint32_t field);
/* Ends the nested message started at mark (innermost first). */
void pb_end(struct pb *b, size_t mark);
/* Forgets the content, keeps the allocation (and clears oom). */
void pb_reset(struct pb *b);
void pb_free(struct pb *b);

/* Bytes a varint of v takes (1..10). */
static inline size_t pb_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

struct pb_field {
	uint32_t num;		/* field number */
	uint8_t wire;		/* enum pb_wire */
	uint64_t v;		/* PB_VARINT / PB_FIXED64 / PB_FIXED32 value */
	const uint8_t *p;	/* PB_LEN: the bytes */
	size_t len;
};

/* Reads the next field of the message in [*p, end): 1 and *f filled (*p
 * moves past it), 0 at the end, -1 if the bytes are not a valid field
 * (truncated, an unknown wire type, a length past end). */
int pb_next(const uint8_t **p, const uint8_t *end, struct pb_field *f);

#endif
