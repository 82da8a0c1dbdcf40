/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_trace_names.c - names in .gst traces (FORMAT.md "Names"): thread
 * names (latest wins, with the time learnt) and function ids round-trip;
 * after a seek every name is known; a file without names is what it always
 * was and the traces shipped in traces/ read as before; a file without its
 * footer keeps the names of every whole chunk; names are written before the
 * block that needs them; strings are cut at a character and cleaned of
 * control bytes; the writer's limits drop and count; damaged chunks and a
 * damaged index lose names, never events. White-box where it helps.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include "check.h"
#include "scratch.h"
#include "util/crc32c.h"
#include "trace/trace_codec.h"
#include "trace/trace_format.h"
#include "trace/trace_reader.h"
#include "trace/trace_synth.h"
#include "trace/trace_writer.h"

static struct trace_writer *open_writer(const char *path, uint32_t block_events)
{
	struct trace_meta m = { .ncpus = 2, .root_pid = 4242, .clock_id = CLOCK_MONOTONIC };
	struct trace_writer_opts o = { .block_events = block_events };
	struct trace_writer *w = NULL;

	CHECK(trace_writer_open(&w, path, &m, &o) == 0);
	return w;
}

static struct gs_event *synth(size_t n)
{
	struct trace_synth_opts o = { .seed = 3 };
	struct gs_event *ev = malloc(n * sizeof(*ev));
	struct trace_synth *s;

	if (!ev || trace_synth_new(&s, &o))
		abort();
	trace_synth_next(s, ev, n);
	trace_synth_free(s);
	return ev;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_size;
}

/* Count the events a full read gives. */
static long count_events(struct trace_reader *r)
{
	const struct gs_event *ev;
	size_t n;
	long total = 0;
	int ret;

	trace_reader_rewind(r);
	while ((ret = trace_reader_next_batch(r, &ev, &n)) > 0)
		total += (long)n;
	return ret < 0 ? ret : total;
}

static bool thread_is(const struct trace_names *nm, uint32_t pid, uint32_t tid, const char *name)
{
	struct trace_thread_name t;

	return trace_names_thread(nm, pid, tid, &t) && !strcmp(t.name, name);
}

static bool func_is(const struct trace_names *nm, uint32_t pid, uint64_t id, const char *name,
		    const char *file, int32_t line)
{
	struct trace_func_name f;

	return trace_names_func(nm, pid, id, &f) && !strcmp(f.name, name) && !strcmp(f.file, file) &&
	       f.line == line;
}

/* A trace of 1000 events in blocks of 100, names given along the way. */
static const char *write_named(const char *name)
{
	const char *path = scratch_path(name);
	struct trace_writer *w = open_writer(path, 100);
	struct gs_event *ev = synth(1000);

	if (!w)
		return path;
	CHECK(trace_writer_thread_name(w, 4242, 4242, 10, "MainThread") == 0);
	CHECK(trace_writer_func_name(w, 4242, 1, 12, "main", "/srv/app.py") == 0);
	CHECK(trace_writer_append(w, ev, 250) == 0);
	CHECK(trace_writer_thread_name(w, 4242, 4243, 20, "ThreadPoolExecutor-0_1") == 0);
	CHECK(trace_writer_func_name(w, 4242, 2, 40, "Worker.run", "/srv/app.py") == 0);
	CHECK(trace_writer_func_name(w, 4243, 2, 7, "other", "/srv/other.py") == 0);	/* other pid */
	CHECK(trace_writer_append(w, ev + 250, 500) == 0);
	CHECK(trace_writer_thread_name(w, 4242, 4243, 30, "renamed") == 0);	/* latest wins */
	CHECK(trace_writer_thread_name(w, 4242, 4243, 25, "older") == 0);	/* learnt earlier */
	CHECK(trace_writer_append(w, ev + 750, 250) == 0);
	struct trace_write_stats st;
	trace_writer_stats(w, &st);
	CHECK(st.names == 7 && st.names_dropped == 0);
	CHECK(trace_writer_close(w) == 0);
	free(ev);
	return path;
}

static void check_names(const struct trace_names *nm)
{
	struct trace_names_info info;
	struct trace_thread_name t;

	trace_names_info(nm, &info);
	CHECKF(info.threads == 2 && info.funcs == 3 && info.records == 7 && info.dropped == 0 &&
	       info.bad == 0, "%llu %llu %llu %llu %llu", (unsigned long long)info.threads,
	       (unsigned long long)info.funcs, (unsigned long long)info.records,
	       (unsigned long long)info.dropped, (unsigned long long)info.bad);
	CHECK(thread_is(nm, 4242, 4242, "MainThread"));
	CHECK(trace_names_thread(nm, 4242, 4243, &t) && !strcmp(t.name, "renamed") && t.ts_ns == 30);
	CHECK(!trace_names_thread(nm, 4242, 9999, &t));
	CHECK(func_is(nm, 4242, 1, "main", "/srv/app.py", 12));
	CHECK(func_is(nm, 4242, 2, "Worker.run", "/srv/app.py", 40));
	CHECK(func_is(nm, 4243, 2, "other", "/srv/other.py", 7));
	CHECK(!trace_names_func(nm, 4242, 3, &(struct trace_func_name){ 0 }));
}

static void test_roundtrip_and_seek(void)
{
	const char *path = write_named("named.gst");
	struct trace_reader *r;
	struct gs_event e;

	CHECK(trace_reader_open(&r, path) == 0);
	if (!r)
		return;
	check_names(trace_reader_names(r));
	CHECK(count_events(r) == 1000);
	/* names are known after any seek, whatever is read */
	struct trace_info info;
	trace_reader_info(r, &info);
	CHECK(!info.recovered);
	trace_reader_seek(r, info.last_ns);
	CHECK(trace_reader_next(r, &e) == 1);
	check_names(trace_reader_names(r));
	trace_reader_close(r);
}

/* No names given: the file names nothing, and holds only where each traced
 * thread first shows (thread-seen records), in the order of the events,
 * each with the time of its first event. */
static void test_no_names_only_seen(void)
{
	const char *a = scratch_path("plain.gst");
	struct trace_writer *w = open_writer(a, 100);
	struct gs_event *ev = synth(1000);
	struct trace_reader *r;
	struct trace_names_info info;
	struct trace_thread_seen first[64], got;
	size_t nfirst = 0;

	for (size_t i = 0; i < 1000; i++) {
		uint32_t pid[2], tid[2];
		size_t k = gst_event_threads(&ev[i], pid, tid);

		for (size_t j = 0; j < k; j++) {
			size_t f = 0;

			while (f < nfirst && (first[f].pid != pid[j] || first[f].tid != tid[j]))
				f++;
			if (f == nfirst && nfirst < 64)
				first[nfirst++] = (struct trace_thread_seen){ pid[j], tid[j],
									      ev[i].ts_ns };
		}
	}
	CHECK(nfirst >= 3 && nfirst < 64);
	CHECK(trace_writer_append(w, ev, 1000) == 0 && trace_writer_close(w) == 0);
	free(ev);
	CHECK(trace_reader_open(&r, a) == 0);
	if (!r)
		return;
	trace_names_info(trace_reader_names(r), &info);
	CHECKF(info.threads == 0 && info.funcs == 0 && info.records == 0 && info.bad == 0 &&
	       info.seen == nfirst, "seen %llu of %zu", (unsigned long long)info.seen, nfirst);
	for (size_t f = 0; f < nfirst; f++)
		CHECKF(trace_names_seen_at(trace_reader_names(r), f, &got) && got.pid == first[f].pid &&
		       got.tid == first[f].tid && got.ts_ns == first[f].ts_ns, "%zu: %u/%u at %llu",
		       f, got.pid, got.tid, (unsigned long long)got.ts_ns);
	CHECK(!trace_names_seen_at(trace_reader_names(r), nfirst, &got));
	trace_reader_close(r);
}

/* The traces shipped in traces/ read whole, with good names records only:
 * the tracing cost and thread-seen records in each (make traces records
 * them anew), Python thread names in the CPython 3 ones (py-*.gst). */
static void test_old_traces_read(void)
{
	DIR *d = opendir("traces");
	struct dirent *de;
	int seen = 0;

	if (!d) {
		CHECKF(0, "no traces/ directory (run from the top of the tree)");
		return;
	}
	while ((de = readdir(d))) {
		char p[512];
		struct trace_reader *r;
		struct trace_info info;
		struct trace_names_info ni;
		size_t len = strlen(de->d_name);

		if (len < 4 || strcmp(de->d_name + len - 4, ".gst"))
			continue;
		snprintf(p, sizeof(p), "traces/%s", de->d_name);
		CHECKF(trace_reader_open(&r, p) == 0, "%s", p);
		if (!r)
			continue;
		trace_reader_info(r, &info);
		trace_names_info(trace_reader_names(r), &ni);
		CHECKF(!info.recovered && count_events(r) == (long)info.events, "%s", p);
		/* every one says what recording it cost, and where each thread
		 * first showed (its letter wherever a replay starts) */
		CHECKF(trace_names_cost(trace_reader_names(r)) && ni.seen > 0 && ni.bad == 0,
		       "%s: cost %s, %llu seen, %llu bad", p,
		       trace_names_cost(trace_reader_names(r)) ? "yes" : "no",
		       (unsigned long long)ni.seen, (unsigned long long)ni.bad);
		/* Python names for Python 3 only: Python 2 gets none, gilrt's
		 * names are events */
		if (!strncmp(de->d_name, "py-", 3) &&
		    !strstr(trace_reader_meta(r)->command, "python2"))
			CHECKF(ni.threads > 0, "%s", p);
		else
			CHECKF(ni.threads == 0 && ni.funcs == 0, "%s", p);
		trace_reader_close(r);
		seen++;
	}
	closedir(d);
	CHECK(seen >= 5);
}

/* Without a footer (recorder killed), every whole names chunk is recovered. */
static void test_recovery_keeps_names(void)
{
	const char *path = write_named("cut.gst");
	long size = file_size(path);
	struct trace_reader *r;
	struct trace_info info;

	/* cut in the footer: everything before it is whole */
	CHECK(truncate(path, size - 10) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	if (!r)
		return;
	trace_reader_info(r, &info);
	CHECK(info.recovered && info.events == 1000);
	check_names(trace_reader_names(r));
	trace_reader_close(r);
}

/* Names come before the block that needs them: cut right after the first
 * block and the names given before it are there; cut inside a later names
 * chunk and the scan keeps the earlier ones and stops. */
static void test_names_precede_their_block(void)
{
	const char *path = write_named("order.gst");
	uint8_t hdr[GST_BLK_HDR];
	uint64_t off, first_blk = 0, second_nm = 0;
	struct trace_reader *r;
	int fd = open(path, O_RDONLY), nm = 0;

	CHECK(fd >= 0);
	CHECK(gst_read_at(fd, hdr, 16, 12) == 0);
	off = get_le32(hdr);	/* header_len: the first chunk or block */
	for (int k = 0; k < 40 && !gst_read_at(fd, hdr, 32, off); k++) {
		uint32_t magic = get_le32(hdr), plen = get_le32(hdr + 4);

		if (magic == GST_NM_MAGIC) {
			CHECK(nm || !first_blk);	/* chunk 0 comes before every block */
			if (nm++ == 1)
				second_nm = off;
			off += GST_NM_HDR + plen;
		} else if (magic == GST_BLK_MAGIC) {
			if (!first_blk)
				first_blk = off + GST_BLK_HDR + plen;
			off += GST_BLK_HDR + plen;
		} else {
			break;
		}
	}
	close(fd);
	CHECK(nm == 3 && first_blk && second_nm);
	CHECK(truncate(path, (off_t)second_nm + GST_NM_HDR + 1) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	if (!r)
		return;
	const struct trace_names *names = trace_reader_names(r);
	CHECK(thread_is(names, 4242, 4242, "MainThread") && func_is(names, 4242, 1, "main", "/srv/app.py", 12));
	CHECK(!trace_names_thread(names, 4242, 4243, &(struct trace_thread_name){ 0 }));
	trace_reader_close(r);
}

static void test_strings_cut_and_cleaned(void)
{
	const char *path = scratch_path("strings.gst");
	struct trace_writer *w = open_writer(path, 0);
	char longname[600], longfile[3000];
	struct trace_reader *r;
	struct trace_thread_name t;
	struct trace_func_name f;
	struct gs_event ev = { .ts_ns = 5, .pid = 1, .tid = 1, .type = GS_EV_THREAD_START };

	for (int i = 0; i < 300; i++)	/* "é" is 2 bytes: 255 would split one */
		memcpy(longname + 2 * i, "\xc3\xa9", 2);
	longname[600 - 1] = '\0';
	memset(longfile, 'f', sizeof(longfile) - 1);
	longfile[sizeof(longfile) - 1] = '\0';
	CHECK(trace_writer_thread_name(w, 1, 1, 1, longname) == 0);
	CHECK(trace_writer_thread_name(w, 1, 2, 1, "esc\x1b[2Jape\x7f") == 0);
	CHECK(trace_writer_func_name(w, 1, 9, -1, longname, longfile) == 0);
	CHECK(trace_writer_append(w, &ev, 1) == 0 && trace_writer_close(w) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	if (!r)
		return;
	CHECK(trace_names_thread(trace_reader_names(r), 1, 1, &t) && strlen(t.name) == 254 &&
	      !memcmp(t.name, longname, 254));
	CHECK(trace_names_thread(trace_reader_names(r), 1, 2, &t) && !strcmp(t.name, "esc?[2Jape?"));
	CHECK(trace_names_func(trace_reader_names(r), 1, 9, &f) && strlen(f.name) == 254 &&
	      strlen(f.file) == GST_FILE_MAX && f.line == -1);
	trace_reader_close(r);
}

/* Past the file's limits records are dropped, counted, and the count is in the file. */
static void test_writer_limits(void)
{
	const char *path = scratch_path("limits.gst");
	struct trace_writer *w = open_writer(path, 0);
	struct gs_event ev = { .ts_ns = 5, .pid = 1, .tid = 1, .type = GS_EV_THREAD_START };
	struct trace_write_stats st;
	struct trace_names_info info;
	struct trace_reader *r;

	for (uint32_t i = 0; i < GST_MAX_THREAD_NAMES + 5; i++)
		CHECK(trace_writer_thread_name(w, 1, i, i, "t") == 0);
	trace_writer_stats(w, &st);
	CHECK(st.names == GST_MAX_THREAD_NAMES && st.names_dropped == 5);
	CHECK(trace_writer_append(w, &ev, 1) == 0 && trace_writer_close(w) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	if (!r)
		return;
	trace_names_info(trace_reader_names(r), &info);
	CHECK(info.threads == GST_MAX_THREAD_NAMES && info.dropped == 5 && info.bad == 0);
	trace_reader_close(r);
}

/* Damage loses names, never events. */
static void test_damage_loses_names_only(void)
{
	const char *path = write_named("damaged.gst");
	uint8_t b[GST_NX_TRAILER], x;
	struct trace_reader *r;
	struct trace_names_info info;
	long size = file_size(path);
	int fd = open(path, O_RDWR);
	uint64_t foff;

	/* the payload of the second names chunk: its CRC no longer matches */
	CHECK(gst_read_at(fd, b, GST_TRAILER, (uint64_t)size - GST_TRAILER) == 0);
	foff = get_le64(b);
	CHECK(gst_read_at(fd, b, GST_NX_TRAILER, foff - GST_NX_TRAILER) == 0);
	uint64_t ioff = get_le64(b), c1;
	uint8_t idx[GST_NX_FIXED + 24];
	CHECK(gst_read_at(fd, idx, sizeof(idx), ioff) == 0 && get_le32(idx + 4) == 3);
	c1 = get_le64(idx + GST_NX_FIXED + 8);
	CHECK(gst_read_at(fd, &x, 1, c1 + GST_NM_HDR) == 0);
	x ^= 0x40;
	CHECK(pwrite(fd, &x, 1, (off_t)(c1 + GST_NM_HDR)) == 1);
	close(fd);
	CHECK(trace_reader_open(&r, path) == 0);
	if (r) {
		const struct trace_names *nm = trace_reader_names(r);

		trace_names_info(nm, &info);
		CHECK(info.bad == 1 && count_events(r) == 1000);
		CHECK(thread_is(nm, 4242, 4242, "MainThread"));	/* chunk 0 */
		CHECK(thread_is(nm, 4242, 4243, "renamed"));	/* chunk 2 */
		CHECK(!trace_names_func(nm, 4242, 2, &(struct trace_func_name){ 0 }));	/* chunk 1 */
		trace_reader_close(r);
	}
	/* the index itself damaged: no names, events all there */
	fd = open(path, O_RDWR);
	CHECK(gst_read_at(fd, &x, 1, ioff + 4) == 0);
	x ^= 1;
	CHECK(pwrite(fd, &x, 1, (off_t)(ioff + 4)) == 1);
	close(fd);
	CHECK(trace_reader_open(&r, path) == 0);
	if (r) {
		trace_names_info(trace_reader_names(r), &info);
		CHECK(info.bad == 1 && info.records == 0 && count_events(r) == 1000);
		trace_reader_close(r);
	}
}

/* The record parser on its own: broken structure adds nothing, unknown kinds are skipped. */
static void test_record_parser(void)
{
	struct trace_names *n;
	struct trace_names_info info;
	uint8_t raw[256];
	const char *why;
	size_t len = 0;

	CHECK(trace_names_new(&n) == 0);
	len += gst_name_thread_put(raw + len, sizeof(raw) - len, 1, 2, 3, "a");
	raw[len] = 77;	/* an unknown kind, 3 bytes of body */
	raw[len + 1] = 0;
	put_le16(raw + len + 2, 3);
	len += GST_NAME_REC_HDR + 3;
	len += gst_name_func_put(raw + len, sizeof(raw) - len, 1, 5, 6, "f", "x.py");
	CHECK(trace_names_add_chunk(n, raw, len, 3, &why) == 0);
	CHECK(trace_names_add_chunk(n, raw, len - 1, 3, &why) == -EBADMSG);	/* overrun */
	CHECK(trace_names_add_chunk(n, raw, len, 2, &why) == -EBADMSG);	/* bytes left */
	raw[1] = 1;	/* reserved byte set */
	CHECK(trace_names_add_chunk(n, raw, len, 3, &why) == -EBADMSG);
	trace_names_info(n, &info);
	CHECK(info.records == 3 && info.threads == 1 && info.funcs == 1 && info.bad == 0);
	CHECK(gst_name_thread_put(raw, 10, 1, 2, 3, "abc") == 0);	/* no room */
	trace_names_free(n);
}

int main(void)
{
	RUN(test_roundtrip_and_seek);
	RUN(test_no_names_only_seen);
	RUN(test_old_traces_read);
	RUN(test_recovery_keeps_names);
	RUN(test_names_precede_their_block);
	RUN(test_strings_cut_and_cleaned);
	RUN(test_writer_limits);
	RUN(test_damage_loses_names_only);
	RUN(test_record_parser);
	return check_done();
}
