/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fuzz_trace_reader.c - libFuzzer target for the .gst reader, which reads
 * files people send each other, as root. Built and run by `make fuzz`
 * (build/fuzz/fuzz_trace_reader, seeds in tests/fuzz/corpus_trace/).
 *
 * Each input is used three ways. As a whole file (through a memfd, so the reader
 * opens it by path like any trace): open, read everything in batches, seek
 * around, read again. And, because CRCs stop random mutations at the block
 * boundary, once more with every CRC recomputed, and as a raw block payload
 * handed straight to the column decoder and a 64-byte block header to its
 * parser, so the code behind the CRCs is fuzzed too. Besides "no crash", it
 * checks what the reader promises.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "util/crc32c.h"
#include "trace/trace_codec.h"
#include "trace/trace_format.h"
#include "trace/trace_reader.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void fuzz_file(const unsigned char *data, size_t size)
{
	struct trace_reader *r;
	struct trace_info info;
	const struct gs_event *ev;
	char path[64];
	size_t n;
	uint64_t seen = 0;
	int fd = memfd_create("gst", MFD_CLOEXEC), ret;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror("memfd");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = trace_reader_open(&r, path);
	if (ret) {
		if (ret != -EBADMSG || !*trace_reader_error(NULL))
			abort();	/* a corrupt file must say why */
		close(fd);
		return;
	}
	trace_reader_info(r, &info);
	if (info.bytes_unreadable > info.file_bytes || info.first_ns > info.last_ns)
		abort();
	while ((ret = trace_reader_next_batch(r, &ev, &n)) != 0) {
		if (ret < 0) {
			if (ret != -EBADMSG || !*trace_reader_error(r))
				abort();
			continue;	/* the bad block is skipped */
		}
		for (size_t i = 1; i < n; i++)
			if (ev[i].ts_ns < ev[i - 1].ts_ns || (ev[i].flags & GS_F_KEYFRAME))
				abort();
		seen += n;
	}
	if (seen > info.events)
		abort();
	const uint64_t at[] = { 0, info.first_ns, info.first_ns / 2 + info.last_ns / 2,
				info.last_ns, UINT64_MAX };
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		struct gs_event e;

		trace_reader_seek(r, at[i]);
		for (int k = 0; k < 3 && trace_reader_next(r, &e) > 0; k++)
			;
	}
	trace_reader_rewind(r);
	ret = trace_reader_next_batch(r, &ev, &n);
	(void)ret;
	trace_reader_close(r);
	close(fd);
}

/* Make every CRC in a mutated file right again, where the structure can be
 * followed, so that mutations reach the checks and decoders behind them. */
static void fix_crcs(uint8_t *b, size_t len)
{
	size_t off;

	if (len < GST_HDR_FIXED || memcmp(b, GST_MAGIC, 8))
		return;
	off = get_le32(b + 12);
	if (off < 8 || off > len)
		return;
	put_le32(b + off - 4, crc32c(0, b, off - 4));
	while (len - off >= GST_BLK_HDR && get_le32(b + off) == GST_BLK_MAGIC) {
		size_t plen = get_le32(b + off + 4);

		if (plen > len - off - GST_BLK_HDR)
			break;
		put_le32(b + off + 20, crc32c(0, b + off + GST_BLK_HDR, plen));
		put_le32(b + off + 60, crc32c(0, b + off, 60));
		off += GST_BLK_HDR + plen;
	}
	if (len - off >= GST_TRAILER && !memcmp(b + len - 8, GST_TRAILER_MAGIC, 8)) {
		uint64_t foff = get_le64(b + len - GST_TRAILER);
		uint32_t flen = get_le32(b + len - GST_TRAILER + 8);

		if (foff <= len - GST_TRAILER && flen <= len - GST_TRAILER - foff)
			put_le32(b + len - GST_TRAILER + 12, crc32c(0, b + foff, flen));
	}
}

static void fuzz_codec(const unsigned char *data, size_t size)
{
	struct gst_block_hdr h;
	const char *why;

	if (size >= GST_BLK_HDR)
		gst_block_hdr_get(data, &h, &why);
	if (size < 3)
		return;
	/* first two bytes: event count (up to 1024) and keyframe count */
	size_t n = (size_t)(data[0] | (data[1] & 3) << 8), nkey = data[2] % (n + 1);
	struct gs_event *ev = malloc((n ? n : 1) * sizeof(*ev));

	if (!ev)
		abort();
	if (gst_decode(data + 3, size - 3, ev, n, nkey, 0, UINT64_MAX, &why) == 0)
		for (size_t i = 1; i < n; i++)
			if (ev[i].ts_ns < ev[i - 1].ts_ns)
				abort();
	free(ev);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	uint8_t *fixed = malloc(size ? size : 1);

	if (!fixed)
		abort();
	fuzz_file(data, size);
	memcpy(fixed, data, size);
	fix_crcs(fixed, size);
	if (memcmp(fixed, data, size))
		fuzz_file(fixed, size);
	free(fixed);
	fuzz_codec(data, size);
	return 0;
}
