/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_codec.c - the .gst column codec. Events are split into 8 columns
 * (ts, type, cpu, flags, pid, tid, arg0, arg1) so that zstd sees runs of
 * like values: ts as deltas, pid as a delta from the previous event's, tid
 * relative to its pid, and each arg either as a varint or, for identifiers
 * (lock addresses, tids, CPUs), as a zigzag delta from the same arg of the
 * last event of the same type. Decoding walks all columns in one pass.
 */
#include <errno.h>
#include <unistd.h>
#include <zstd.h>
#include "util/crc32c.h"
#include "trace/trace_codec.h"
#include "util/varint.h"

enum { COL_TS, COL_TYPE, COL_CPU, COL_FLAGS, COL_PID, COL_TID, COL_ARG0,
       COL_ARG1 };

/* Bit (1 << arg) set: that arg of that type is delta-coded. */
static const uint8_t arg_delta[GS_EV__COUNT] = {
	[GS_EV_LOCK_REQUEST] = 1,
	[GS_EV_LOCK_ACQUIRED] = 1,
	[GS_EV_LOCK_RELEASED] = 1,
	[GS_EV_DROP_REQUEST] = 1 | 2,
	[GS_EV_SCHED_SWITCH] = 1,
	[GS_EV_SCHED_WAKEUP] = 1 | 2,
	[GS_EV_SCHED_MIGRATE] = 1 | 2,
	[GS_EV_IO_BEGIN] = 1,
	[GS_EV_IO_END] = 1,
	[GS_EV_PROC_FORK] = 1,
};

static inline unsigned int delta_mask(uint8_t type)
{
	return type < GS_EV__COUNT ? arg_delta[type] : 0;
}

static inline uint32_t zigzag32(uint32_t d)
{
	return (d << 1) ^ (uint32_t)((int32_t)d >> 31);
}

static inline uint32_t unzigzag32(uint32_t v)
{
	return (v >> 1) ^ -(v & 1);
}

size_t gst_encode_bound(size_t n)
{
	return n * GST_EV_MAX_RAW + GST_NCOLS * VARINT_MAX;
}

size_t gst_encode(const struct gs_event *ev, size_t n, uint8_t *out)
{
	/* Columns are written at fixed worst-case offsets of out, then packed
	 * behind the directory; memmove keeps this to one buffer. */
	static const uint8_t col_max[GST_NCOLS] = { 10, 1, 3, 1, 5, 5, 10, 10 };
	_Static_assert(10 + 1 + 3 + 1 + 5 + 5 + 10 + 10 == GST_EV_MAX_RAW,
		       "col_max must add up to GST_EV_MAX_RAW");
	uint8_t *col[GST_NCOLS], *start[GST_NCOLS];
	uint64_t last_arg[256][2] = { { 0 } };
	uint64_t prev_ts = 0;
	uint32_t prev_pid = 0;
	size_t off = GST_NCOLS * VARINT_MAX;

	for (int c = 0; c < GST_NCOLS; c++) {
		start[c] = col[c] = out + off;
		off += n * col_max[c];
	}
	for (size_t i = 0; i < n; i++) {
		const struct gs_event *e = &ev[i];
		unsigned int dm = delta_mask(e->type);
		uint64_t a[2] = { e->arg0, e->arg1 };

		col[COL_TS] = varint_put(col[COL_TS], e->ts_ns - prev_ts);
		prev_ts = e->ts_ns;
		*col[COL_TYPE]++ = e->type;
		col[COL_CPU] = varint_put(col[COL_CPU], e->cpu);
		*col[COL_FLAGS]++ = e->flags & (uint8_t)~(1u << 7);
		col[COL_PID] = varint_put(col[COL_PID], zigzag32(e->pid - prev_pid));
		prev_pid = e->pid;
		col[COL_TID] = varint_put(col[COL_TID], zigzag32(e->tid - e->pid));
		for (int k = 0; k < 2; k++) {
			uint64_t v = a[k];

			if (dm & (1u << k)) {
				v = zigzag64((int64_t)(a[k] - last_arg[e->type][k]));
				last_arg[e->type][k] = a[k];
			}
			col[COL_ARG0 + k] = varint_put(col[COL_ARG0 + k], v);
		}
	}
	uint8_t *p = out;

	for (int c = 0; c < GST_NCOLS; c++)
		p = varint_put(p, (uint64_t)(col[c] - start[c]));
	for (int c = 0; c < GST_NCOLS; c++) {
		size_t len = (size_t)(col[c] - start[c]);

		memmove(p, start[c], len);
		p += len;
	}
	return (size_t)(p - out);
}

#define BAD(reason)                     \
	do {                            \
		*why = (reason);        \
		return -EBADMSG;        \
	} while (0)

int gst_decode(const uint8_t *raw, size_t len, struct gs_event *ev, size_t n,
	       size_t nkey, uint64_t first_ts, uint64_t last_ts, const char **why)
{
	const uint8_t *p = raw, *end = raw + len;
	const uint8_t *c[GST_NCOLS], *ce[GST_NCOLS];
	uint64_t last_arg[256][2] = { { 0 } };
	uint64_t ts = 0, v;
	uint32_t pid = 0;

	uint64_t clen[GST_NCOLS];

	for (int k = 0; k < GST_NCOLS; k++)
		if (varint_get(&p, end, &clen[k]))
			BAD("column directory truncated");
	for (int k = 0; k < GST_NCOLS; k++) {
		if (clen[k] > (size_t)(end - p))
			BAD("columns overrun the payload");
		c[k] = p;
		ce[k] = p + clen[k];
		p += clen[k];
	}
	if (p != end)
		BAD("bytes after the last column");
	if ((size_t)(ce[COL_TYPE] - c[COL_TYPE]) != n ||
	    (size_t)(ce[COL_FLAGS] - c[COL_FLAGS]) != n)
		BAD("type/flags column length differs from the event count");

	for (size_t i = 0; i < n; i++) {
		struct gs_event *e = &ev[i];
		uint64_t a[2];

		if (varint_get(&c[COL_TS], ce[COL_TS], &v))
			BAD("ts column truncated");
		if (ts + v < ts)
			BAD("ts overflows");
		ts += v;
		e->ts_ns = ts;
		e->type = *c[COL_TYPE]++;
		e->flags = (uint8_t)((*c[COL_FLAGS]++ & 0x7f) | (i < nkey ? 1u << 7 : 0));
		e->pad = 0;
		if (varint_get(&c[COL_CPU], ce[COL_CPU], &v) || v > 0xffff)
			BAD("bad cpu");
		e->cpu = (uint16_t)v;
		if (varint_get(&c[COL_PID], ce[COL_PID], &v) || v > 0xffffffffu)
			BAD("bad pid");
		pid += unzigzag32((uint32_t)v);
		e->pid = pid;
		if (varint_get(&c[COL_TID], ce[COL_TID], &v) || v > 0xffffffffu)
			BAD("bad tid");
		e->tid = pid + unzigzag32((uint32_t)v);

		unsigned int dm = delta_mask(e->type);

		for (int k = 0; k < 2; k++) {	/* as gst_encode() wrote them */
			if (varint_get(&c[COL_ARG0 + k], ce[COL_ARG0 + k], &v))
				BAD(k ? "arg1 column truncated" : "arg0 column truncated");
			a[k] = v;
			if (dm & (1u << k))
				a[k] = last_arg[e->type][k] += (uint64_t)unzigzag64(v);
		}
		e->arg0 = a[0];
		e->arg1 = a[1];
	}
	for (int k = 0; k < GST_NCOLS; k++)
		if (c[k] != ce[k])
			BAD("bytes left in a column");
	if (nkey < n && (ev[nkey].ts_ns != first_ts || ev[n - 1].ts_ns != last_ts))
		BAD("events disagree with the block's first/last ts");
	return 0;
}

void gst_block_hdr_put(uint8_t out[GST_BLK_HDR], const struct gst_block_hdr *h)
{
	memset(out, 0, GST_BLK_HDR);
	put_le32(out + 0, GST_BLK_MAGIC);
	put_le32(out + 4, h->payload_len);
	put_le32(out + 8, h->raw_len);
	put_le32(out + 12, h->nkey);
	put_le32(out + 16, h->nev);
	put_le32(out + 20, h->payload_crc);
	put_le64(out + 24, h->first_ts);
	put_le64(out + 32, h->last_ts);
	put_le64(out + 40, h->lost);
	put_le32(out + 48, h->seq);
	put_le32(out + 60, crc32c(0, out, 60));
}

int gst_block_hdr_get(const uint8_t in[GST_BLK_HDR], struct gst_block_hdr *h,
		      const char **why)
{
	if (get_le32(in) != GST_BLK_MAGIC)
		BAD("no block magic");
	if (get_le32(in + 60) != crc32c(0, in, 60))
		BAD("block header CRC mismatch");
	h->payload_len = get_le32(in + 4);
	h->raw_len = get_le32(in + 8);
	h->nkey = get_le32(in + 12);
	h->nev = get_le32(in + 16);
	h->payload_crc = get_le32(in + 20);
	h->first_ts = get_le64(in + 24);
	h->last_ts = get_le64(in + 32);
	h->lost = get_le64(in + 40);
	h->seq = get_le32(in + 48);

	uint64_t n = (uint64_t)h->nkey + h->nev;

	if (h->nev == 0 || h->nev > GST_MAX_BLOCK_EVENTS)
		BAD("block event count out of range");
	if (h->nkey > GST_MAX_KEYFRAME)
		BAD("keyframe too large");
	if (h->raw_len > GST_MAX_RAW || h->raw_len > gst_encode_bound(n) ||
	    h->raw_len < n * GST_EV_MIN_RAW + GST_NCOLS)
		BAD("block raw length out of range");
	if (h->payload_len == 0 || h->payload_len > ZSTD_compressBound(h->raw_len))
		BAD("block payload length out of range");
	if (h->first_ts > h->last_ts)
		BAD("block first ts after last ts");
	return 0;
}

/* Read exactly len bytes at off: 0, -EBADMSG if the file is shorter, or
 * another negative errno. */
int gst_read_at(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = pread(fd, p, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EBADMSG;
		p += r;
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}
