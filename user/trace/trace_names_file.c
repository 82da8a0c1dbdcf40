/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_names_file.c - reading a file's names chunks into the store
 * (trace_names.h): one chunk at an offset, checked (magic, CRC, sequence,
 * sizes) before anything of it is kept, or every chunk the names index
 * before the footer lists. Only the store's public functions are used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <stdio.h>
#include "util/crc32c.h"
#include "trace/trace_codec.h"
#include "trace/trace_format.h"
#include "trace/trace_names.h"

int trace_names_load_chunk(struct trace_names *n, int fd, uint64_t off, uint64_t limit,
			   uint32_t seq, uint64_t *next, char *why, size_t whylen)
{
	uint8_t hb[GST_NM_HDR], *comp = NULL, *raw = NULL;
	struct gst_names_hdr h;
	const char *reason = NULL;
	size_t got;
	int err;

	if (off > limit || limit - off < GST_NM_HDR) {
		reason = "names chunk truncated";
		goto bad;
	}
	if ((err = gst_read_at(fd, hb, sizeof(hb), off)))
		return err == -EBADMSG ? (snprintf(why, whylen, "file shrank while reading"), err) : err;
	if (gst_names_hdr_get(hb, &h, &reason))
		goto bad;
	if (h.seq != seq) {
		reason = "names chunk out of sequence";
		goto bad;
	}
	if (limit - off - GST_NM_HDR < h.payload_len) {
		reason = "names chunk truncated";
		goto bad;
	}
	comp = malloc(h.payload_len);
	raw = malloc(h.raw_len ? h.raw_len : 1);
	if (!comp || !raw) {
		err = -ENOMEM;
		goto out;
	}
	if ((err = gst_read_at(fd, comp, h.payload_len, off + GST_NM_HDR)))
		goto out;
	if (crc32c(0, comp, h.payload_len) != h.payload_crc) {
		reason = "names payload CRC mismatch";
		goto bad;
	}
	got = ZSTD_decompress(raw, h.raw_len, comp, h.payload_len);
	if (ZSTD_isError(got) || got != h.raw_len) {
		reason = "names payload does not decompress to its size";
		goto bad;
	}
	if ((err = trace_names_add_chunk(n, raw, h.raw_len, h.nrec, &reason)) == -EBADMSG)
		goto bad;
	trace_names_note_dropped(n, h.dropped);
	*next = off + GST_NM_HDR + h.payload_len;
	goto out;
bad:
	snprintf(why, whylen, "names chunk at offset %llu: %s", (unsigned long long)off, reason);
	err = -EBADMSG;
out:
	free(comp);
	free(raw);
	return err;
}

int trace_names_load_index(struct trace_names *n, int fd, uint64_t data_start, uint64_t footer_off)
{
	uint8_t tr[GST_NX_TRAILER], *buf;
	uint64_t ioff, prev = 0, next;
	uint32_t len, cnt;
	char why[256];
	int err;

	if (footer_off < data_start + GST_NX_FIXED + GST_NX_TRAILER)
		return 0;
	if ((err = gst_read_at(fd, tr, sizeof(tr), footer_off - GST_NX_TRAILER)))
		return err == -EBADMSG ? 0 : err;
	/* without the trailer's magic, no names (the footer follows the last
	 * block) - unless the rest of the trailer points at a whole index:
	 * then the magic alone was damaged */
	bool magic = !memcmp(tr + 16, GST_NX_TRAILER_MAGIC, 8);

	ioff = get_le64(tr);
	len = get_le32(tr + 8);
	/* no sums of file values: a huge offset must not wrap into range */
	if (ioff < data_start || ioff > footer_off || len < GST_NX_FIXED ||
	    len > GST_NX_FIXED + 8ull * GST_MAX_NAME_CHUNKS ||
	    footer_off - ioff != (uint64_t)len + GST_NX_TRAILER) {
		if (!magic)
			return 0;
		trace_names_note_bad(n);
		return 1;
	}
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	err = gst_read_at(fd, buf, len, ioff);
	cnt = err ? 0 : get_le32(buf + 4);
	if (err || get_le32(tr + 12) != crc32c(0, buf, len) || get_le32(buf) != GST_NX_MAGIC ||
	    len != GST_NX_FIXED + 8ull * cnt) {
		free(buf);
		if (err && err != -EBADMSG)
			return err;
		if (!magic)
			return 0;
		trace_names_note_bad(n);
		return 1;
	}
	if (!magic)
		trace_names_note_bad(n);	/* damaged, but its index is whole */
	trace_names_note_dropped(n, get_le64(buf + 16));
	for (uint32_t i = 0; i < cnt; i++) {
		uint64_t off = get_le64(buf + GST_NX_FIXED + 8 * i);

		if (off < data_start || off <= prev || off >= ioff) {
			trace_names_note_bad(n);
			continue;
		}
		prev = off;
		err = trace_names_load_chunk(n, fd, off, ioff, i, &next, why, sizeof(why));
		if (err == -EBADMSG) {
			trace_names_note_bad(n);
			continue;
		}
		if (err) {
			free(buf);
			return err;
		}
	}
	free(buf);
	return 1;
}
