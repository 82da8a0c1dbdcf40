/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_trace.c - the .gst writer and reader: round trips of every event type
 * and extreme values, many blocks, seeks whose keyframes rebuild the same
 * state a full read does, recovery after truncation at every byte, every
 * single-bit flip detected, hostile lengths, wrong magic/version, O_EXCL,
 * a failing disk, and a reader whose memory does not grow with the file.
 * White-box where it helps: it parses block headers with trace_format.h.
 *
 * Long file: every promise of the .gst writer and reader (round trips,
 * limits, damage, recovery, seeking) beside the one set of synthetic traces.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include "check.h"
#include "scratch.h"
#include "util/crc32c.h"
#include "trace/trace_codec.h"
#include "trace/trace_format.h"
#include "trace/trace_keyframe.h"
#include "trace/trace_reader.h"
#include "trace/trace_synth.h"
#include "trace/trace_writer.h"
#include "util/varint.h"

static struct trace_meta test_meta(void)
{
	struct trace_meta m = { .ncpus = 2, .root_pid = 4242, .clock_id = CLOCK_MONOTONIC,
				.start_ns = 1000, .realtime_offset_ns = -5 };

	strcpy(m.host, "testhost");
	strcpy(m.kernel, "6.1.0 #1 SMP");
	strcpy(m.adapter, "gilrt");
	strcpy(m.command, "gilrt run cpu --threads 4");
	return m;
}

static int write_events(const char *path, const struct gs_event *ev, size_t n,
			uint32_t block_events)
{
	struct trace_meta m = test_meta();
	struct trace_writer_opts o = { .block_events = block_events };
	struct trace_writer *w;
	int err = trace_writer_open(&w, path, &m, &o);

	if (err)
		return err;
	err = trace_writer_append(w, ev, n);
	int cerr = trace_writer_close(w);

	return err ? err : cerr;
}

/* Read every event (sequentially) into a malloc'd array; -errno on failure. */
static long read_all(const char *path, struct gs_event **out, struct trace_info *info)
{
	struct trace_reader *r;
	struct gs_event ev, *a = NULL;
	size_t n = 0, cap = 0;
	int err = trace_reader_open(&r, path);

	*out = NULL;
	if (err)
		return err;
	if (info)
		trace_reader_info(r, info);
	while ((err = trace_reader_next(r, &ev)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			a = realloc(a, cap * sizeof(*a));
		}
		a[n++] = ev;
	}
	trace_reader_close(r);
	if (err) {
		free(a);
		return err;
	}
	*out = a;
	return (long)n;
}

static bool same_event(const struct gs_event *a, const struct gs_event *b)
{
	return a->ts_ns == b->ts_ns && a->pid == b->pid && a->tid == b->tid &&
	       a->cpu == b->cpu && a->type == b->type &&
	       (a->flags & 0x7f) == (b->flags & 0x7f) && a->arg0 == b->arg0 &&
	       a->arg1 == b->arg1;
}

static struct gs_event *synth(size_t n, uint64_t seed)
{
	struct trace_synth_opts o = { .seed = seed };
	struct gs_event *ev = malloc(n * sizeof(*ev));
	struct trace_synth *s;

	if (trace_synth_new(&s, &o))
		abort();
	trace_synth_next(s, ev, n);
	trace_synth_free(s);
	return ev;
}

static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	void *buf;

	if (fd < 0 || fstat(fd, &st))
		abort();
	buf = malloc((size_t)st.st_size + 1);
	if (read(fd, buf, (size_t)st.st_size) != st.st_size)
		abort();
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* A path whose file holds buf: a memfd, rewritten in place. Thousands of
 * damaged variants written to a disk file would each wait for ext4's
 * flush-on-truncate; a memfd never touches the disk. */
static const char *mem_path(const void *buf, size_t len)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("gst-test", MFD_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, buf, len, 0) != (ssize_t)len)
		abort();
	return path;
}

/* Offsets of the ends of the blocks of a well-formed file. */
static size_t block_ends(const uint8_t *buf, size_t len, size_t *ends, size_t max)
{
	size_t off = get_le32(buf + 12), n = 0;

	while (off + GST_BLK_HDR <= len && n < max) {
		if (get_le32(buf + off) == GST_NM_MAGIC) {	/* a names chunk: not a block */
			off += GST_NM_HDR + get_le32(buf + off + 4);
			continue;
		}
		if (get_le32(buf + off) != GST_BLK_MAGIC)
			break;
		off += GST_BLK_HDR + get_le32(buf + off + 4);
		ends[n++] = off;
	}
	return n;
}

/* ---- helpers ------------------------------------------------------------ */

static void test_crc32c(void)
{
	const char *s = "123456789";

	CHECK(crc32c(0, s, 9) == 0xE3069283u);
	CHECK(crc32c(crc32c(0, s, 4), s + 4, 5) == 0xE3069283u);
	CHECK(crc32c(0, "", 0) == 0);
}

static void test_varint(void)
{
	const uint64_t vals[] = { 0, 1, 127, 128, 300, 1ull << 32, UINT64_MAX - 1, UINT64_MAX };
	uint8_t buf[16];

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint8_t *end = varint_put(buf, vals[i]);
		const uint8_t *p = buf;
		uint64_t v = 42;

		CHECK(varint_get(&p, end, &v) == 0 && v == vals[i] && p == end);
		p = buf;
		CHECK(varint_get(&p, end - 1, &v) == -1);	/* truncated */
		CHECK(unzigzag64(zigzag64((int64_t)vals[i])) == (int64_t)vals[i]);
	}
	/* 11 bytes, or a 10th byte with more than bit 63: overlong */
	memset(buf, 0xff, 10);
	buf[10] = 0;
	const uint8_t *p = buf;
	uint64_t v;

	CHECK(varint_get(&p, buf + 11, &v) == -1);
	buf[9] = 2;
	p = buf;
	CHECK(varint_get(&p, buf + 10, &v) == -1);
}

/* ---- round trips -------------------------------------------------------- */

static void test_roundtrip_every_type(void)
{
	const char *path = scratch_path("types.gst");
	struct gs_event ev[4 * 256], *got = NULL;
	struct trace_info info;
	size_t n = 0;
	uint64_t ts = 0, lost = 0;
	const uint64_t argv_[] = { 0, 1, 0x7f, 0x80, 0xffffffffull, 1ull << 63, UINT64_MAX };
	const uint32_t ids[] = { 0, 1, 4242, 0x7fffffff, 0xffffffffu };

	/* every type 0..255 (unknown ones too), extreme ids, args and ts jumps */
	for (int t = 0; t < 256; t++)
		for (int k = 0; k < 4; k++) {
			struct gs_event *e = &ev[n++];

			ts += k == 3 ? (1ull << 40) : (uint64_t)(t * k);
			*e = (struct gs_event){
				.ts_ns = ts, .pid = ids[(t + k) % 5], .tid = ids[(t * 3 + k) % 5],
				.cpu = (uint16_t)(k == 2 ? 0xffff : t % 3),
				.type = (uint8_t)t, .flags = (uint8_t)(t & 0x7f),
				.arg0 = argv_[(t + k) % 7], .arg1 = argv_[(t * 5 + k) % 7],
			};
			if (t == GS_EV_LOST)	/* sums saturate */
				lost = gs_sat_add(lost, e->arg0);
		}
	ev[n - 1].ts_ns = UINT64_MAX;	/* the largest ts there is */
	CHECK(write_events(path, ev, n, 97) == 0);
	long got_n = read_all(path, &got, &info);

	CHECKF(got_n == (long)n, "got %ld of %zu", got_n, n);
	for (size_t i = 0; got_n == (long)n && i < n; i++)
		CHECKF(same_event(&ev[i], &got[i]) && !(got[i].flags & GS_F_KEYFRAME) &&
		       got[i].pad == 0, "event %zu type %u", i, ev[i].type);
	CHECK(info.events == n && !info.recovered && info.bytes_unreadable == 0);
	CHECK(info.blocks == (n + 96) / 97);
	CHECK(info.first_ns == ev[0].ts_ns && info.last_ns == UINT64_MAX);
	CHECK(info.lost == lost);
	free(got);
}

static void test_meta_roundtrip(void)
{
	const char *path = scratch_path("meta.gst");
	struct trace_meta m = test_meta(), *mm = &m;
	struct trace_reader *r;
	struct trace_writer *w;
	struct trace_info info;
	struct gs_event e;

	m.flags = TRACE_META_ALL_TASKS;
	m.realtime_offset_ns = INT64_MIN + 7;
	memset(m.command, 'x', sizeof(m.command));	/* no NUL: truncated */
	strcpy(m.host, "evil\033]0;pwned\007host");	/* control bytes neutralised */
	CHECK(trace_writer_open(&w, path, mm, NULL) == 0);
	CHECK(trace_writer_close(w) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	const struct trace_meta *g = trace_reader_meta(r);

	CHECK(g->ncpus == 2 && g->root_pid == 4242 && g->flags == TRACE_META_ALL_TASKS);
	CHECK(g->clock_id == CLOCK_MONOTONIC && g->start_ns == 1000);
	CHECK(g->realtime_offset_ns == INT64_MIN + 7);
	CHECK(!strcmp(g->host, "evil?]0;pwned?host") && !strcmp(g->kernel, "6.1.0 #1 SMP"));
	CHECK(!strcmp(g->adapter, "gilrt"));
	CHECK(strlen(g->command) == sizeof(g->command) - 1 && g->command[5] == 'x');
	trace_reader_info(r, &info);
	CHECK(info.events == 0 && info.blocks == 0 && !info.recovered);
	CHECK(trace_reader_next(r, &e) == 0);
	CHECK(trace_reader_seek(r, 12345) == 0 && trace_reader_next(r, &e) == 0);
	trace_reader_close(r);
	/* a header's CPU count sizes views and reports: 20 million (a 258-byte
	 * file made report use 1.25 GB) is clamped */
	m.ncpus = 20000000;
	unlink(path);
	CHECK(trace_writer_open(&w, path, mm, NULL) == 0 && trace_writer_close(w) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	CHECKF(trace_reader_meta(r)->ncpus == GST_MAX_CPUS, "%u", trace_reader_meta(r)->ncpus);
	trace_reader_close(r);
}

static void test_many_blocks_batches(void)
{
	const char *path = scratch_path("many.gst");
	size_t n = 200000;
	struct gs_event *ev = synth(n, 7);
	struct trace_reader *r;
	struct trace_info info;
	const struct gs_event *b;
	size_t k, got = 0, batches = 0;
	bool same = true;
	int ret;

	CHECK(write_events(path, ev, n, 1000) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	trace_reader_info(r, &info);
	CHECK(info.blocks == 200 && info.events == n && !info.recovered);
	while ((ret = trace_reader_next_batch(r, &b, &k)) == 1) {
		batches++;
		for (size_t i = 0; i < k && got + i < n; i++)
			same &= same_event(&b[i], &ev[got + i]) && !(b[i].flags & GS_F_KEYFRAME);
		got += k;
	}
	CHECK(ret == 0 && got == n && same && batches == 200);
	/* rewind gives the same again, from the first event */
	CHECK(trace_reader_rewind(r) == 0);
	struct gs_event e;

	CHECK(trace_reader_next(r, &e) == 1 && same_event(&e, &ev[0]));
	trace_reader_close(r);
	free(ev);
}

static void test_append_rules(void)
{
	const char *path = scratch_path("rules.gst");
	struct trace_meta m = test_meta();
	struct gs_event ev[3] = { { .ts_ns = 10, .type = 1 }, { .ts_ns = 20, .type = 1 },
				  { .ts_ns = 15, .type = 1 } };
	struct trace_writer_opts bad = { .block_events = GST_MAX_BLOCK_EVENTS + 1 };
	struct trace_write_stats st;
	struct trace_writer *w;
	struct trace_info info;
	struct gs_event *got = NULL;

	CHECK(trace_writer_open(&w, path, &m, &bad) == -EINVAL);
	CHECK(access(path, F_OK) != 0);	/* nothing left behind */
	CHECK(trace_writer_open(&w, path, &m, NULL) == 0);
	CHECK(trace_writer_append(w, ev, 3) == -EINVAL);	/* 15 after 20: all refused */
	CHECK(trace_writer_append(w, ev, 2) == 0);
	CHECK(trace_writer_append(w, &ev[2], 1) == -EINVAL);
	CHECK(trace_writer_flush(w) == 0 && trace_writer_flush(w) == 0);
	trace_writer_stats(w, &st);
	CHECK(st.events == 2 && st.blocks == 1 && st.bytes > 0);
	CHECK(trace_writer_close(w) == 0);
	CHECK(trace_writer_close(NULL) == 0);
	CHECK(read_all(path, &got, &info) == 2 && info.blocks == 1);
	free(got);
}

static void test_o_excl(void)
{
	const char *path = scratch_path("excl.gst");
	struct trace_meta m = test_meta();
	struct trace_writer *w;
	struct stat st;

	write_file(path, "precious", 8);
	CHECK(trace_writer_open(&w, path, &m, NULL) == -EEXIST);
	CHECK(stat(path, &st) == 0 && st.st_size == 8);
	/* and a symlink is not followed into clobbering its target */
	const char *link = scratch_path("excl-link.gst");

	CHECK(symlink(path, link) == 0);
	CHECK(trace_writer_open(&w, link, &m, NULL) == -EEXIST);
	CHECK(stat(path, &st) == 0 && st.st_size == 8);
}

/* ---- seeking and keyframes ---------------------------------------------- */

#define MAXT 64
struct state {
	uint32_t on_cpu[4];		/* tid running on each CPU (0 idle) */
	uint32_t holder;		/* lock holder, 0 none */
	uint64_t waiting;		/* bit i: thread pid+i waits for the lock */
	uint64_t named;			/* bit i: thread pid+i has a name */
	uint64_t io;			/* bit i: thread pid+i is in I/O */
};

static void apply(struct state *s, const struct gs_event *e, uint32_t pid)
{
	uint32_t i = e->tid - pid;
	uint64_t bit = i < MAXT ? 1ull << i : 0;

	switch (e->type) {
	case GS_EV_SCHED_SWITCH:
		if (e->cpu < 4)
			s->on_cpu[e->cpu] = (uint32_t)e->arg0;
		break;
	case GS_EV_LOCK_REQUEST:
		s->waiting |= bit;
		break;
	case GS_EV_LOCK_ACQUIRED:
		s->waiting &= ~bit;
		s->holder = e->tid;
		break;
	case GS_EV_LOCK_RELEASED:
		if (s->holder == e->tid)
			s->holder = 0;
		break;
	case GS_EV_THREAD_NAME:
		s->named |= bit;
		break;
	case GS_EV_IO_BEGIN:
		s->io |= bit;
		break;
	case GS_EV_IO_END:
		s->io &= ~bit;
		break;
	}
}

static bool same_state(const struct state *a, const struct state *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static void test_seek_keyframes_rebuild_state(void)
{
	const char *path = scratch_path("seek.gst");
	size_t n = 60000, nb = 0;
	struct gs_event *ev = synth(n, 3);
	uint64_t *first = malloc(n * sizeof(*first));
	size_t *first_i = malloc(n * sizeof(*first_i));
	struct trace_reader *r;
	const struct gs_event *b;
	size_t k, pos = 0;
	int bad_state = 0, bad_kf = 0, bad_first = 0, holder_seen = 0;

	CHECK(write_events(path, ev, n, 997) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	while (trace_reader_next_batch(r, &b, &k) == 1) {
		first[nb] = b[0].ts_ns;
		first_i[nb++] = pos;
		pos += k;
	}
	CHECK(pos == n && nb == (n + 996) / 997);
	for (size_t bi = 0; bi < nb; bi++) {
		struct state want, got;

		memset(&want, 0, sizeof(want));
		memset(&got, 0, sizeof(got));
		uint64_t prev_ts = 0;

		for (size_t i = 0; i < first_i[bi]; i++)
			apply(&want, &ev[i], 4242);
		CHECK(trace_reader_seek(r, first[bi]) == 0);
		CHECK(trace_reader_next_batch(r, &b, &k) == 1);
		size_t j = 0;

		for (; j < k && (b[j].flags & GS_F_KEYFRAME); j++) {
			if (b[j].ts_ns < prev_ts || b[j].ts_ns > first[bi])
				bad_kf++;
			prev_ts = b[j].ts_ns;
			apply(&got, &b[j], 4242);
		}
		if (bi == 0 && j != 0)
			bad_kf++;	/* nothing precedes the first block */
		if (j == k || !same_event(&b[j], &ev[first_i[bi]]))
			bad_first++;
		if (!same_state(&want, &got))
			bad_state++;
		holder_seen += want.holder != 0;
		for (; j < k; j++)
			if (b[j].flags & GS_F_KEYFRAME)
				bad_kf++;
	}
	CHECKF(bad_state == 0, "%d of %zu blocks: keyframe state differs", bad_state, nb);
	CHECK(bad_kf == 0 && bad_first == 0);
	CHECK(holder_seen > (int)nb / 2);	/* the test did test something */

	/* a ts just before a block's first event is in the block before; before
	 * the start: the first block; past the end: the last block */
	struct gs_event e;

	CHECK(trace_reader_seek(r, first[5] - 1) == 0);
	while (trace_reader_next(r, &e) == 1 && (e.flags & GS_F_KEYFRAME))
		;
	CHECK(same_event(&e, &ev[first_i[4]]));
	CHECK(trace_reader_seek(r, 0) == 0 && trace_reader_next(r, &e) == 1 &&
	      same_event(&e, &ev[0]));
	CHECK(trace_reader_seek(r, UINT64_MAX) == 0);
	while (trace_reader_next(r, &e) == 1 && (e.flags & GS_F_KEYFRAME))
		;
	CHECK(same_event(&e, &ev[first_i[nb - 1]]));
	/* a plain read after a seek has no keyframe in later blocks */
	size_t kf = 0, total = 0;

	CHECK(trace_reader_seek(r, first[nb - 3]) == 0);
	while (trace_reader_next(r, &e) == 1) {
		kf += !!(e.flags & GS_F_KEYFRAME);
		total++;
	}
	CHECK(total - kf == n - first_i[nb - 3] && kf > 0 && kf < 64);
	trace_reader_close(r);
	free(first);
	free(first_i);
	free(ev);
}

/* room for a keyframe snapshot, for the keyframe tests */
static struct gs_event kf_out[GST_KF_MAX_EVENTS];

static void test_keyframe_bounded_and_exits(void)
{
	struct gst_keyframe *k;
	uint64_t ts = 1;

	CHECK(gst_keyframe_new(&k) == 0);
	/* a hostile -a trace: 100 000 tasks, each named, on 3 locks, on 2000 CPUs */
	for (uint32_t t = 1; t <= 100000; t++) {
		struct gs_event e = { .ts_ns = ts++, .pid = t, .tid = t, .cpu = (uint16_t)(t % 2000) };

		e.type = GS_EV_THREAD_NAME;
		gst_keyframe_update(k, &e);
		e.type = GS_EV_SCHED_SWITCH;
		gst_keyframe_update(k, &e);
		e.type = GS_EV_PROC_FORK;
		e.arg0 = t + 1000000;
		gst_keyframe_update(k, &e);
		for (int l = 0; l < 6; l++) {
			e.type = GS_EV_LOCK_REQUEST;
			e.arg0 = 0x1000 + l;
			gst_keyframe_update(k, &e);
		}
	}
	size_t n = gst_keyframe_snapshot(k, kf_out);

	CHECKF(n <= GST_KF_MAX_EVENTS && n > 1000, "n=%zu", n);
	bool sorted = true;

	for (size_t i = 1; i < n; i++)
		sorted &= kf_out[i - 1].ts_ns <= kf_out[i].ts_ns;
	CHECK(sorted);
	gst_keyframe_free(k);

	/* exits drop a thread's entries, the leader's exit its fork */
	CHECK(gst_keyframe_new(&k) == 0);
	for (uint32_t t = 100; t < 110; t++) {
		struct gs_event e = { .ts_ns = ts++, .pid = 100, .tid = t,
				      .type = GS_EV_THREAD_NAME };

		gst_keyframe_update(k, &e);
		e.type = GS_EV_LOCK_ACQUIRED;
		e.arg0 = 0x1000;
		gst_keyframe_update(k, &e);
	}
	struct gs_event f = { .ts_ns = ts++, .pid = 1, .tid = 1, .type = GS_EV_PROC_FORK,
			      .arg0 = 100 };

	gst_keyframe_update(k, &f);
	CHECK(gst_keyframe_snapshot(k, kf_out) == 21);
	for (uint32_t t = 101; t < 110; t++) {
		struct gs_event e = { .ts_ns = ts++, .pid = 100, .tid = t,
				      .type = GS_EV_THREAD_EXIT };

		gst_keyframe_update(k, &e);
	}
	CHECK(gst_keyframe_snapshot(k, kf_out) == 3);
	struct gs_event x = { .ts_ns = ts++, .pid = 100, .tid = 100, .type = GS_EV_PROC_EXIT };

	gst_keyframe_update(k, &x);
	CHECK(gst_keyframe_snapshot(k, kf_out) == 0);
	gst_keyframe_free(k);
}

/* Lock slots keep what a thread holds or waits for now: an ended hold or
 * wait leaves nothing (so it cannot push out a lock still held), RELEASED
 * of address 0 ends every hold, other events for address 0 are no lock. */
static void test_keyframe_lock_slots(void)
{
	struct gst_keyframe *k;
	uint64_t ts = 1;
	size_t n;

#define LK(ty, a) gst_keyframe_update(k, &(struct gs_event){ .ts_ns = ts++, .pid = 7, \
				       .tid = 7, .type = (ty), .arg0 = (a) })
	CHECK(gst_keyframe_new(&k) == 0);
	LK(GS_EV_LOCK_ACQUIRED, 0xa0);		/* the outer lock, held throughout */
	for (uint64_t l = 1; l <= 6; l++) {	/* more inner locks than slots */
		LK(GS_EV_LOCK_REQUEST, l);
		LK(GS_EV_LOCK_ACQUIRED, l);
		LK(GS_EV_LOCK_RELEASED, l);
	}
	LK(GS_EV_LOCK_REQUEST, 0xb0);
	LK(GS_EV_LOCK_FAILED, 0xb0);		/* a trylock that failed */
	LK(GS_EV_LOCK_REQUEST, 0xc0);		/* waits for it now */
	n = gst_keyframe_snapshot(k, kf_out);
	CHECKF(n == 2 && kf_out[0].arg0 == 0xa0 && kf_out[0].type == GS_EV_LOCK_ACQUIRED &&
	       kf_out[1].arg0 == 0xc0 && kf_out[1].type == GS_EV_LOCK_REQUEST, "n=%zu", n);
	LK(GS_EV_LOCK_ACQUIRED, 0xc0);
	LK(GS_EV_LOCK_RELEASED, 0);		/* address 0: both holds end */
	LK(GS_EV_LOCK_REQUEST, 0);		/* no lock: left out */
	LK(GS_EV_LOCK_ACQUIRED, 0);
	CHECK(gst_keyframe_snapshot(k, kf_out) == 0);
#undef LK
	gst_keyframe_free(k);
}

/* ---- damage and hostile input ------------------------------------------- */

static void test_truncation_recovers_whole_blocks(void)
{
	const char *full = scratch_path("trunc-full.gst"), *cut;
	size_t n = 3000, len, ends[256], nb, bad = 0;
	struct gs_event *ev = synth(n, 11);
	uint8_t *buf;

	CHECK(write_events(full, ev, n, 100) == 0);
	buf = read_file(full, &len);
	nb = block_ends(buf, len, ends, 256);
	CHECK(nb == 30);
	uint32_t hdr_len = get_le32(buf + 12);

	for (size_t at = 0; at < len; at += (at < hdr_len + 200 || at > len - 200) ? 1 : 7) {
		struct trace_info info;
		struct gs_event *got = NULL;
		size_t whole = 0;

		cut = mem_path(buf, at);
		long r = read_all(cut, &got, &info);

		while (whole < nb && ends[whole] <= at)
			whole++;
		if (at < hdr_len) {
			bad += r != -EBADMSG || !*trace_reader_error(NULL);
			continue;
		}
		size_t want = whole * 100, readable = whole ? ends[whole - 1] : hdr_len;

		/* a whole names chunk (thread-seen records) after them reads too */
		while (readable + GST_NM_HDR <= at && get_le32(buf + readable) == GST_NM_MAGIC &&
		       readable + GST_NM_HDR + get_le32(buf + readable + 4) <= at)
			readable += GST_NM_HDR + get_le32(buf + readable + 4);
		bool ok = r == (long)want && info.recovered && info.events == want &&
			  info.bytes_unreadable == at - readable;

		for (size_t i = 0; ok && i < want; i++)
			ok = same_event(&got[i], &ev[i]);
		if (!ok && bad++ < 3)
			printf("#   cut at %zu: got %ld want %zu unreadable %lu\n", at, r, want,
			       (unsigned long)info.bytes_unreadable);
		free(got);
	}
	CHECK(bad == 0);
	free(buf);
	free(ev);
}

static void test_every_bit_flip_detected(void)
{
	const char *full = scratch_path("flip-full.gst"), *bad_path;
	size_t n = 120, len, undetected = 0, crashes = 0;
	struct gs_event *ev = synth(n, 5);
	uint8_t *buf;

	CHECK(write_events(full, ev, n, 40) == 0);
	buf = read_file(full, &len);
	for (size_t byte = 0; byte < len; byte++)
		for (int bit = 0; bit < 8; bit++) {
			struct trace_reader *r;
			struct trace_info info;
			struct gs_event e;
			int ret;

			buf[byte] ^= (uint8_t)(1 << bit);
			bad_path = mem_path(buf, len);
			buf[byte] ^= (uint8_t)(1 << bit);
			ret = trace_reader_open(&r, bad_path);
			if (ret) {
				crashes += ret != -EBADMSG;
				continue;
			}
			trace_reader_info(r, &info);
			struct trace_names_info ni;

			trace_names_info(trace_reader_names(r), &ni);
			/* a names chunk's damage is counted where names are */
			bool seen = info.recovered || ni.bad;

			while ((ret = trace_reader_next(r, &e)) != 0)
				if (ret < 0)
					seen = true;
			undetected += !seen;
			trace_reader_close(r);
		}
	CHECKF(undetected == 0 && crashes == 0, "%zu undetected, %zu odd errors", undetected,
	       crashes);
	free(buf);
	free(ev);
}

static void test_bad_block_skipped(void)
{
	const char *path = scratch_path("skip.gst");
	size_t n = 500, len, ends[16];
	struct gs_event *ev = synth(n, 9);
	struct trace_reader *r;
	struct gs_event e;
	uint8_t *buf;
	size_t got = 0, errors = 0;
	int ret;

	CHECK(write_events(path, ev, n, 100) == 0);
	buf = read_file(path, &len);
	CHECK(block_ends(buf, len, ends, 16) == 5);
	buf[ends[1] + GST_BLK_HDR + 3] ^= 0x10;	/* in the third block's payload */
	write_file(path, buf, len);
	CHECK(trace_reader_open(&r, path) == 0);
	while ((ret = trace_reader_next(r, &e)) != 0) {
		if (ret < 0) {
			errors++;
			CHECK(ret == -EBADMSG && strstr(trace_reader_error(r), "CRC"));
			continue;
		}
		got++;
	}
	CHECK(errors == 1 && got == 400);
	trace_reader_close(r);

	/* skipping mode: no error, the block counted once however often read */
	struct trace_info info;
	const struct gs_event *evs;
	char note[256] = "";

	CHECK(trace_reader_open(&r, path) == 0);
	trace_reader_skip_bad(r, true);
	CHECK(trace_reader_skip_note(r, note, sizeof(note)) == 0 && !note[0]);
	for (int pass = 0; pass < 2; pass++) {
		got = 0;
		trace_reader_rewind(r);
		while ((ret = trace_reader_next_batch(r, &evs, &len)) > 0)
			got += len;
		CHECK(ret == 0 && got == 400);
	}
	trace_reader_seek(r, ev[250].ts_ns);	/* in the damaged block */
	CHECK(trace_reader_next(r, &e) == 1 && (e.flags & GS_F_KEYFRAME));
	trace_reader_info(r, &info);
	CHECKF(info.bad_blocks == 1 && info.bad_events == 100, "%llu blocks, %llu events",
	       (unsigned long long)info.bad_blocks, (unsigned long long)info.bad_events);
	CHECK(trace_reader_skip_note(r, note, sizeof(note)) == 1);
	CHECKF(strstr(note, "skipped 1 damaged block, 100 events (") && strstr(note, "CRC"),
	       "%s", note);
	trace_reader_close(r);
	free(buf);
	free(ev);
}

static void test_wrong_magic_version_and_files(void)
{
	const char *good = scratch_path("v-good.gst"), *bad = scratch_path("v-bad.gst");
	struct gs_event ev = { .ts_ns = 1, .type = GS_EV_THREAD_START, .tid = 1 };
	struct trace_reader *r;
	size_t len;
	uint8_t *buf;

	CHECK(write_events(good, &ev, 1, 0) == 0);
	buf = read_file(good, &len);
	buf[8] = 2;	/* version 2 */
	write_file(bad, buf, len);
	CHECK(trace_reader_open(&r, bad) == -EBADMSG);
	CHECK(strstr(trace_reader_error(NULL), "version 2"));
	buf[8] = 1;
	buf[1] = 'X';
	write_file(bad, buf, len);
	CHECK(trace_reader_open(&r, bad) == -EBADMSG);
	CHECK(strstr(trace_reader_error(NULL), "magic"));
	write_file(bad, "", 0);
	CHECK(trace_reader_open(&r, bad) == -EBADMSG);
	CHECK(strstr(trace_reader_error(NULL), "too short"));
	CHECK(trace_reader_open(&r, scratch_folder()) == -EBADMSG);
	CHECK(strstr(trace_reader_error(NULL), "regular"));
	const char *fifo = scratch_path("fifo");

	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK(trace_reader_open(&r, fifo) == -EBADMSG);	/* refused, not hung */
	CHECK(trace_reader_open(&r, scratch_path("missing.gst")) == -ENOENT);
	free(buf);
}

/* Re-seal a block header after changing it, as an attacker would. */
static void reseal(uint8_t *h)
{
	put_le32(h + 60, crc32c(0, h, 60));
}

static void test_hostile_lengths(void)
{
	const char *good = scratch_path("h-good.gst"), *bad = scratch_path("h-bad.gst");
	size_t n = 300, len, ends[8];
	struct gs_event *ev = synth(n, 13);
	struct trace_info info;
	struct gs_event *got = NULL;
	uint8_t *buf, *orig;
	uint32_t hdr_len;

	CHECK(write_events(good, ev, n, 100) == 0);
	orig = read_file(good, &len);
	buf = malloc(len);
	CHECK(block_ends(orig, len, ends, 8) == 3);
	hdr_len = get_le32(orig + 12);

	/* (field offset in block 2's header, value): each re-sealed so only the
	 * limits can catch it; the footer still points at the block */
	const struct { int off; uint32_t v; } cases[] = {
		{ 4, 0xffffffffu },		/* payload length */
		{ 4, 1 },
		{ 8, 0xfffffff0u },		/* raw length */
		{ 8, GST_MAX_RAW },
		{ 12, 0xffffffffu },		/* keyframe count */
		{ 16, 0xffffffffu },		/* event count */
		{ 16, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, orig, len);
		put_le32(buf + ends[0] + cases[i].off, cases[i].v);
		reseal(buf + ends[0]);
		write_file(bad, buf, len);
		long r = read_all(bad, &got, &info);

		CHECKF(r == -EBADMSG, "case %zu: %ld", i, r);
		if (r >= 0)
			free(got);
	}

	/* footer claiming a million blocks (CRC fixed up): not trusted, scanned */
	memcpy(buf, orig, len);
	uint64_t foff = get_le64(buf + len - GST_TRAILER);
	uint32_t flen = get_le32(buf + len - GST_TRAILER + 8);

	put_le32(buf + foff + 4, 1000000);
	put_le32(buf + len - GST_TRAILER + 12, crc32c(0, buf + foff, flen));
	write_file(bad, buf, len);
	CHECK(read_all(bad, &got, &info) == (long)n && info.recovered);
	free(got);

	/* an index entry at an offset that wraps around when added to */
	memcpy(buf, orig, len);
	put_le64(buf + foff + GST_IDX_FIXED, UINT64_MAX - 10);
	put_le32(buf + len - GST_TRAILER + 12, crc32c(0, buf + foff, flen));
	write_file(bad, buf, len);
	CHECK(read_all(bad, &got, &info) == (long)n && info.recovered);
	free(got);

	/* a trailer pointing anywhere */
	memcpy(buf, orig, len);
	put_le64(buf + len - GST_TRAILER, UINT64_MAX - 8);
	write_file(bad, buf, len);
	CHECK(read_all(bad, &got, &info) == (long)n && info.recovered);
	free(got);

	/* header length and string lengths too large (header CRC fixed up) */
	memcpy(buf, orig, len);
	put_le32(buf + 12, 0x7fffffff);
	write_file(bad, buf, len);
	CHECK(read_all(bad, &got, &info) == -EBADMSG);
	memcpy(buf, orig, len);
	put_le16(buf + GST_HDR_FIXED, 0xffff);
	put_le32(buf + hdr_len - 4, crc32c(0, buf, hdr_len - 4));
	write_file(bad, buf, len);
	CHECK(read_all(bad, &got, &info) == -EBADMSG);
	CHECK(strstr(trace_reader_error(NULL), "string"));
	free(buf);
	free(orig);
	free(ev);
}

static void test_header_only_and_killed_writer(void)
{
	const char *path = scratch_path("killed.gst");
	struct trace_meta m = test_meta();
	struct trace_writer_opts o = { .block_events = 50 };
	struct trace_writer *w;
	struct trace_info info;
	struct gs_event *ev = synth(1000, 17), *got = NULL;

	/* the writer "dies" after 3 flushes + some unflushed events: the file
	 * has no footer; the flushed blocks must be there */
	ev[10].type = GS_EV_LOST;	/* lost counts come from block headers too */
	ev[10].arg0 = 77;
	ev[110].type = GS_EV_LOST;
	ev[110].arg0 = 1000;
	CHECK(trace_writer_open(&w, path, &m, &o) == 0);
	CHECK(trace_writer_append(w, ev, 120) == 0);	/* 2 blocks sealed */
	CHECK(trace_writer_flush(w) == 0);		/* a 3rd, of 20 */
	CHECK(trace_writer_append(w, ev + 120, 30) == 0);	/* never sealed */
	long n = read_all(path, &got, &info);

	CHECK(n == 120 && info.recovered && info.blocks == 3 && info.bytes_unreadable == 0);
	CHECK(info.lost == 1077);
	free(got);
	CHECK(trace_writer_close(w) == 0);
	CHECK(read_all(path, &got, &info) == 150 && !info.recovered && info.lost == 1077);
	free(got);
	free(ev);
}

static void test_write_error_leaves_readable_file(void)
{
	const char *path = scratch_path("full.gst");
	struct trace_meta m = test_meta();
	struct trace_writer_opts o = { .block_events = 200 };
	struct rlimit old, lim;
	struct trace_writer *w;
	struct trace_info info;
	size_t n = 20000;
	struct gs_event *ev = synth(n, 19), *got = NULL;
	int err = 0;
	size_t sent = 0;

	/* RLIMIT_FSIZE stands in for a full disk: write() fails part way */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 20000;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	CHECK(trace_writer_open(&w, path, &m, &o) == 0);
	while (!err && sent < n) {
		err = trace_writer_append(w, ev + sent, 100);
		sent += 100;
	}
	CHECK(err == -EFBIG);
	CHECK(trace_writer_append(w, ev, 0) == -EFBIG);	/* sticky */
	CHECK(trace_writer_close(w) == -EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	long r = read_all(path, &got, &info);

	CHECKF(r > 0 && r % 200 == 0 && info.bytes_unreadable == 0, "r=%ld", r);
	bool same = r > 0;

	for (long i = 0; same && i < r; i++)
		same = same_event(&got[i], &ev[i]);
	CHECK(same);
	free(got);
	free(ev);
	signal(SIGXFSZ, SIG_DFL);
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static void test_reader_memory_bounded(void)
{
	const char *path = scratch_path("big.gst");
	struct trace_reader *r;
	const struct gs_event *b;
	size_t k, total = 0;
	long before, after;

	/* 1.5 M events: 60 MB decoded, which a reader must never hold at once */
	CHECK(trace_synth_write(path, 1500000, NULL, NULL) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	for (int i = 0; i < 2; i++) {	/* the 2nd block has a keyframe: full size */
		CHECK(trace_reader_next_batch(r, &b, &k) == 1);
		total += k;
	}
	before = rss_kib();
	while (trace_reader_next_batch(r, &b, &k) == 1)
		total += k;
	CHECK(trace_reader_seek(r, 0) == 0 && trace_reader_next_batch(r, &b, &k) == 1);
	after = rss_kib();
	CHECK(total == 1500000);
	CHECKF(after - before < 8 * 1024, "RSS grew by %ld KiB", after - before);
	trace_reader_close(r);
	unlink(path);
}

static void test_synth_is_realistic(void)
{
	size_t n = 100000;
	struct gs_event *ev = synth(n, 1);
	size_t per_type[GS_EV__COUNT] = { 0 };
	bool ordered = true;

	for (size_t i = 0; i < n; i++) {
		per_type[ev[i].type < GS_EV__COUNT ? ev[i].type : 0]++;
		if (i)
			ordered &= ev[i].ts_ns >= ev[i - 1].ts_ns;
	}
	CHECK(ordered);
	CHECK(per_type[GS_EV_LOCK_ACQUIRED] > n / 20 && per_type[GS_EV_SCHED_SWITCH] > n / 5);
	CHECK(per_type[GS_EV_DROP_REQUEST] > 0 && per_type[GS_EV_IO_END] > 0);
	/* about one hand-off per 5 ms switch interval */
	double secs = (double)(ev[n - 1].ts_ns - ev[0].ts_ns) / 1e9;
	double rate = (double)per_type[GS_EV_LOCK_ACQUIRED] / secs;

	CHECKF(rate > 150 && rate < 260, "%.0f hand-offs/s", rate);
	free(ev);
}

/* Two crafted LOST counts of 2^64 - 1: every total saturates (the writer's
 * stats, a block header, the footer, the reader's info with the footer and
 * when it recovers a file without one), it never wraps to a small number. */
static void test_lost_totals_saturate(void)
{
	const char *path = scratch_path("lost.gst");
	struct gs_event ev[4] = {
		{ .ts_ns = 10, .type = GS_EV_LOST, .arg0 = UINT64_MAX },
		{ .ts_ns = 11, .type = GS_EV_LOST, .arg0 = UINT64_MAX },
		{ .ts_ns = 12, .type = GS_EV_LOST, .arg0 = 5 },	/* one block ... */
		{ .ts_ns = 13, .type = GS_EV_LOST, .arg0 = 7 },	/* ... and another */
	};
	struct trace_info info;
	struct gs_event *got = NULL;
	struct stat st;

	CHECK(write_events(path, ev, 4, 3) == 0);
	CHECK(read_all(path, &got, &info) == 4);
	CHECKF(info.lost == UINT64_MAX, "footer lost %llu", (unsigned long long)info.lost);
	free(got);
	got = NULL;
	/* without the footer the reader sums the block headers */
	CHECK(stat(path, &st) == 0 && truncate(path, st.st_size - 24) == 0);
	CHECK(read_all(path, &got, &info) == 4);
	CHECKF(info.recovered && info.lost == UINT64_MAX, "recovered lost %llu",
	       (unsigned long long)info.lost);
	free(got);
	unlink(path);
}

int main(void)
{
	RUN(test_crc32c);
	RUN(test_varint);
	RUN(test_roundtrip_every_type);
	RUN(test_meta_roundtrip);
	RUN(test_many_blocks_batches);
	RUN(test_append_rules);
	RUN(test_o_excl);
	RUN(test_seek_keyframes_rebuild_state);
	RUN(test_keyframe_bounded_and_exits);
	RUN(test_keyframe_lock_slots);
	RUN(test_truncation_recovers_whole_blocks);
	RUN(test_every_bit_flip_detected);
	RUN(test_bad_block_skipped);
	RUN(test_wrong_magic_version_and_files);
	RUN(test_hostile_lengths);
	RUN(test_header_only_and_killed_writer);
	RUN(test_write_error_leaves_readable_file);
	RUN(test_reader_memory_bounded);
	RUN(test_synth_is_realistic);
	RUN(test_lost_totals_saturate);
	return check_done();
}
