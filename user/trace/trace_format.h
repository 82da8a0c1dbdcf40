/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_format.h - private to trace_writer.c / trace_reader.c / trace_codec.c:
 * the on-disk constants of the .gst format, byte for byte as traces/FORMAT.md
 * describes them, and the limits a reader enforces before allocating. All
 * integers on disk are little-endian.
 */
#ifndef TRACE_FORMAT_H
#define TRACE_FORMAT_H
#include <stdint.h>
#include <string.h>

#define GST_VERSION		1

/* File header: magic(8) version(4) header_len(4) ncpus root_pid flags
 * clock_id (4 each) start_ns(8) realtime_offset_ns(8), then host, kernel,
 * adapter, command as (u16 length, bytes), then CRC32C of all before it. */
#define GST_MAGIC		"\x89GST\r\n\x1a\n"
#define GST_HDR_FIXED		48
#define GST_HDR_MAX		65536

/* Block header, 64 bytes: see FORMAT.md "Blocks". */
#define GST_BLK_MAGIC		0x4b425347u	/* "GSBK" */
#define GST_BLK_HDR		64

/* Footer: magic "GSIX" nblocks(4) events(8) lost(8), then nblocks entries
 * of offset(8) first_ts(8) last_ts(8) nev(4) nkey(4). */
#define GST_IDX_MAGIC		0x58495347u	/* "GSIX" */
#define GST_IDX_FIXED		24
#define GST_IDX_ENTRY		32

/* Trailer, the last 24 bytes: footer_offset(8) footer_len(4) footer_crc(4)
 * magic(8). */
#define GST_TRAILER		24
#define GST_TRAILER_MAGIC	"\nGSTEND\n"

/* Limits (a reader refuses anything larger; a writer never exceeds them). */
#define GST_MAX_BLOCK_EVENTS	(1u << 20)	/* events in one block */
#define GST_MAX_KEYFRAME	16384u		/* keyframe events in one block */
#define GST_MAX_BLOCKS		(1u << 20)	/* blocks in one file */
#define GST_MAX_CPUS		8192u		/* header ncpus above this is clamped (Linux's
						 * largest NR_CPUS); events may still name any u16 cpu */
#define GST_EV_MAX_RAW		45		/* encoded bytes of one event, worst case */
#define GST_EV_MIN_RAW		8		/* one byte in each of the 8 columns */
#define GST_NCOLS		8
#define GST_MAX_RAW		(64u << 20)	/* decompressed payload */

/* Names (FORMAT.md "Names"): chunks of name records between blocks, 32-byte
 * header: magic "GSNM" payload_len raw_len nrec payload_crc seq dropped
 * header_crc (u32 each), then a zstd payload of records. */
#define GST_NM_MAGIC		0x4d4e5347u	/* "GSNM" */
#define GST_NM_HDR		32
/* Names index, right before the footer: magic "GSNX" nchunks(4) records(8)
 * dropped(8), then nchunks chunk offsets (8 each); then its 24-byte trailer:
 * index_offset(8) index_len(4) index_crc(4) magic(8). */
#define GST_NX_MAGIC		0x584e5347u	/* "GSNX" */
#define GST_NX_FIXED		24
#define GST_NX_TRAILER		24
#define GST_NX_TRAILER_MAGIC	"\nGSNAME\n"
/* Record kinds (u8 kind, u8 0, u16 body length, body). */
#define GST_NAME_THREAD		1	/* pid(4) tid(4) ts_ns(8) name */
#define GST_NAME_FUNC		2	/* pid(4) line(4) id(8) name_len(2) name file */
#define GST_NAME_PROP		3	/* pid(4) key_len(2) key value */
#define GST_NAME_COST		4	/* tracing cost (trace_cost.h): the last one wins */
#define GST_NAME_SEEN		5	/* pid(4) tid(4) ts_ns(8): a thread's first event */
#define GST_NAME_REC_HDR	4	/* bytes before a record's body (not a kind) */
/* Limits on names (a reader refuses or drops beyond them; a writer cuts strings
 * at a UTF-8 character and drops whole records beyond the counts). */
#define GST_NAME_MAX		255		/* bytes of a thread or function name */
#define GST_FILE_MAX		1023		/* bytes of a file name */
#define GST_KEY_MAX		63		/* bytes of a property's key */
#define GST_VALUE_MAX		1023		/* bytes of a property's value */
#define GST_MAX_PROPS		1024u		/* distinct (pid, key) properties a reader keeps */
#define GST_MAX_NAME_RAW	(4u << 20)	/* decompressed names chunk */
#define GST_MAX_NAME_RECS	65536u		/* records in one chunk */
#define GST_MAX_NAME_CHUNKS	65536u		/* chunks in one file */
#define GST_MAX_THREAD_NAMES	65536u		/* thread-name records in one file */
#define GST_MAX_SEEN		65536u		/* thread-seen records in one file */
#define GST_MAX_FUNC_NAMES	262144u		/* function records in one file */
#define GST_MAX_NAME_BYTES	(64u << 20)	/* string bytes a reader keeps */

#define GST_DEFAULT_BLOCK_EVENTS 65536u
#define GST_DEFAULT_ZSTD_LEVEL	3

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* A decoded block header (the 64 bytes, less magic and header CRC). */
struct gst_block_hdr {
	uint32_t payload_len;	/* compressed bytes after the header */
	uint32_t raw_len;	/* bytes once decompressed */
	uint32_t nkey;		/* keyframe events at the start of the payload */
	uint32_t nev;		/* events of the block proper */
	uint32_t payload_crc;	/* CRC32C of the compressed payload */
	uint32_t seq;		/* block number, 0 for the first */
	uint64_t first_ts;	/* ts_ns of the first (non-keyframe) event */
	uint64_t last_ts;	/* ts_ns of the last event */
	uint64_t lost;		/* sum of LOST counts in the block */
};

#endif
