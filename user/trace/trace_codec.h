/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_codec.h - private to the trace writer and reader: the column codec
 * of a block payload (before zstd) and the 64-byte block header, exactly as
 * traces/FORMAT.md specifies them. Pure functions over caller buffers.
 */
#ifndef TRACE_CODEC_H
#define TRACE_CODEC_H
#include <stddef.h>
#include "util/gs_types.h"
#include "trace/trace_format.h"

/* Worst-case encoded size of n events (size the output buffer with it). */
size_t gst_encode_bound(size_t n);
/* Encode n events (keyframe events first, then the block's, ts non-decreasing)
 * into out; returns the bytes written. GS_F_KEYFRAME and pad are not stored. */
size_t gst_encode(const struct gs_event *ev, size_t n, uint8_t *out);
/* Decode exactly n events from raw[0..len). The first nkey get GS_F_KEYFRAME.
 * Checks that every column is consumed exactly, ts never decreases, the
 * block's events start at first_ts and end at last_ts. 0 or -EBADMSG with
 * *why set to a static reason. */
int gst_decode(const uint8_t *raw, size_t len, struct gs_event *ev, size_t n,
	       size_t nkey, uint64_t first_ts, uint64_t last_ts, const char **why);

void gst_block_hdr_put(uint8_t out[GST_BLK_HDR], const struct gst_block_hdr *h);
/* Parse and validate a block header (magic, CRC, every limit); 0 or -EBADMSG
 * with *why set. */
int gst_block_hdr_get(const uint8_t in[GST_BLK_HDR], struct gst_block_hdr *h,
		      const char **why);

/* Read exactly len bytes of fd at off: 0, -EBADMSG if the file is shorter,
 * or another negative errno. */
int gst_read_at(int fd, void *buf, size_t len, uint64_t off);

#endif
