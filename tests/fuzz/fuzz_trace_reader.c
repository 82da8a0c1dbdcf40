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
 * parser, so the code behind the CRCs is fuzzed too; the same for the names
 * (FORMAT.md "Names"): chunks and the names index get their CRCs fixed, and
 * the input goes to the record parser as a raw chunk. Besides "no crash", it
 * checks what the reader promises (names and properties within their limits
 * and free of control bytes).
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
#include "trace/trace_names.h"
#include "trace/trace_reader.h"
#include "fix_crcs.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check_str(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

/* Every name the reader kept obeys the format's limits and is found again. */
static void check_names(const struct trace_names *nm)
{
	struct trace_names_info info;
	struct trace_thread_name t, t2;
	struct trace_func_name f, f2;
	size_t i;

	trace_names_info(nm, &info);
	for (i = 0; trace_names_thread_at(nm, i, &t); i++) {
		check_str(t.name, GST_NAME_MAX);
		if (!trace_names_thread(nm, t.pid, t.tid, &t2) || t2.name != t.name)
			abort();
	}
	if (i != info.threads || i > GST_MAX_THREAD_NAMES)
		abort();
	for (i = 0; trace_names_func_at(nm, i, &f); i++) {
		check_str(f.name, GST_NAME_MAX);
		check_str(f.file, GST_FILE_MAX);
		if (!trace_names_func(nm, f.pid, f.id, &f2) || f2.name != f.name)
			abort();
	}
	if (i != info.funcs || i > GST_MAX_FUNC_NAMES)
		abort();
	struct trace_prop p;
	const char *v;

	for (i = 0; trace_names_prop_at(nm, i, &p); i++) {
		check_str(p.key, GST_KEY_MAX);
		check_str(p.value, GST_VALUE_MAX);
		if (!p.key[0] || !(v = trace_names_prop(nm, p.pid, p.key)))
			abort();
	}
	if (i > GST_MAX_PROPS)
		abort();
}

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
	check_names(trace_reader_names(r));
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

	/* the same bytes as a decompressed names chunk of data[2] records */
	struct trace_names *nm;

	if (trace_names_new(&nm))
		abort();
	int ret = trace_names_add_chunk(nm, data + 3, size - 3, data[2] + 1u, &why);

	if (ret && ret != -EBADMSG)
		abort();
	check_names(nm);
	trace_names_free(nm);
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
