/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fix_crcs.h - the fuzz targets' way past the CRCs: a mutated .gst file
 * gets every CRC right again where its structure can be followed (header,
 * blocks, names chunks, footer, names index), so that mutations reach the
 * checks and decoders behind them. Include after trace/trace_format.h and
 * util/crc32c.h.
 */
#ifndef FUZZ_FIX_CRCS_H
#define FUZZ_FIX_CRCS_H
#include <stdint.h>
#include <string.h>

/* The records between the header and the footer: a magic, a header of hdr
 * bytes ending at hdr_crc with the CRC of the header before it, the payload's
 * length at 4 and its CRC at pay_crc. */
static const struct fix_crcs_record {
	uint32_t magic;
	size_t hdr, pay_crc, hdr_crc;
} fix_crcs_records[] = {
	{ GST_BLK_MAGIC, GST_BLK_HDR, 20, 60 },
	{ GST_NM_MAGIC, GST_NM_HDR, 16, 28 },
};

/* The record at b + off (len - off bytes left), or NULL. */
static inline const struct fix_crcs_record *fix_crcs_record_at(const uint8_t *b, size_t len,
								 size_t off)
{
	for (size_t i = 0; i < sizeof(fix_crcs_records) / sizeof(fix_crcs_records[0]); i++) {
		const struct fix_crcs_record *k = &fix_crcs_records[i];

		if (len - off >= k->hdr && get_le32(b + off) == k->magic)
			return k;
	}
	return NULL;
}

static inline void fix_crcs(uint8_t *b, size_t len)
{
	const struct fix_crcs_record *k;
	size_t off;

	if (len < GST_HDR_FIXED || memcmp(b, GST_MAGIC, 8))
		return;
	off = get_le32(b + 12);
	if (off < 8 || off > len)
		return;
	put_le32(b + off - 4, crc32c(0, b, off - 4));
	while ((k = fix_crcs_record_at(b, len, off)) != NULL) {
		size_t plen = get_le32(b + off + 4);

		if (plen > len - off - k->hdr)
			break;
		put_le32(b + off + k->pay_crc, crc32c(0, b + off + k->hdr, plen));
		put_le32(b + off + k->hdr_crc, crc32c(0, b + off, k->hdr_crc));
		off += k->hdr + plen;
	}
	if (len - off >= GST_TRAILER && !memcmp(b + len - 8, GST_TRAILER_MAGIC, 8)) {
		uint64_t foff = get_le64(b + len - GST_TRAILER);
		uint32_t flen = get_le32(b + len - GST_TRAILER + 8);

		if (foff <= len - GST_TRAILER && flen <= len - GST_TRAILER - foff)
			put_le32(b + len - GST_TRAILER + 12, crc32c(0, b + foff, flen));
		/* the names index's trailer sits right before the footer */
		if (foff >= GST_NX_TRAILER && foff <= len &&
		    !memcmp(b + foff - GST_NX_TRAILER + 16, GST_NX_TRAILER_MAGIC, 8)) {
			uint64_t ioff = get_le64(b + foff - GST_NX_TRAILER);
			uint32_t ilen = get_le32(b + foff - GST_NX_TRAILER + 8);

			if (ioff <= foff - GST_NX_TRAILER && ilen <= foff - GST_NX_TRAILER - ioff)
				put_le32(b + foff - GST_NX_TRAILER + 12, crc32c(0, b + ioff, ilen));
		}
	}
}

#endif
