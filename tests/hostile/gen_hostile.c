/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gen_hostile - writes the crafted traces of tests/hostile/ (see its
 * README): files that a traced program or a hostile sender could produce,
 * each aimed at one way of making a viewer slow, wrong or unbounded.
 * usage: gen_hostile DIR      (writes DIR/NAME.gst; refuses to overwrite)
 * The output is deterministic; tests regenerate the files instead of
 * trusting the committed copies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/crc32c.h"
#include "trace/trace_format.h"
#include "trace/trace_synth.h"
#include "trace/trace_writer.h"

#define PID 4242u
#define T0 1000000000ull	/* 1 s */

static struct gs_event ev(uint64_t ts, uint8_t type, uint32_t tid, uint16_t cpu,
			  uint64_t a0, uint64_t a1)
{
	return (struct gs_event){ .ts_ns = ts, .pid = tid ? PID : 0, .tid = tid, .cpu = cpu,
				  .type = type, .arg0 = a0, .arg1 = a1 };
}

static struct gs_event sw(uint64_t ts, uint16_t cpu, uint32_t prev, uint32_t next)
{
	struct gs_event e = ev(ts, GS_EV_SCHED_SWITCH, prev, cpu, next | (uint64_t)PID << 32, 0);

	e.flags = (prev ? GS_F_TRACED_PREV : 0) | (next ? GS_F_TRACED_NEXT : 0);
	if (!prev)
		e.pid = 0;
	return e;
}

struct out {
	struct trace_writer *w;
	int err;
};

static int open_out(struct out *o, const char *dir, const char *name, uint32_t ncpus)
{
	struct trace_meta meta = { .ncpus = ncpus, .root_pid = PID, .clock_id = 1,
				   .start_ns = T0 };
	char path[4096];

	snprintf(meta.command, sizeof(meta.command), "gen_hostile %s", name);
	snprintf(meta.adapter, sizeof(meta.adapter), "gilrt");
	snprintf(path, sizeof(path), "%s/%s.gst", dir, name);
	o->err = trace_writer_open(&o->w, path, &meta, NULL);
	if (o->err)
		fprintf(stderr, "gen_hostile: %s: %s\n", path, strerror(-o->err));
	return o->err;
}

static void put(struct out *o, struct gs_event e)
{
	if (!o->err)
		o->err = trace_writer_append(o->w, &e, 1);
}

static int close_out(struct out *o)
{
	int err = trace_writer_close(o->w);

	return o->err ? o->err : err;
}

/* A few realistic events before the hostile part, so that there is a
 * normal trace to be disturbed. */
static void prelude(struct out *o, uint64_t *t)
{
	struct trace_synth *s;
	struct gs_event e[1000];

	if (o->err || (o->err = trace_synth_new(&s, &(struct trace_synth_opts){ .pid = PID,
								       .start_ns = T0 })))
		return;
	trace_synth_next(s, e, 1000);
	trace_synth_free(s);
	for (size_t i = 0; i < 1000; i++)
		put(o, e[i]);
	*t = e[999].ts_ns;
}

/* 1,048,576 distinct locks, each taken and released once by one thread. */
static int locks_1m(const char *dir)
{
	struct out o;
	uint64_t t = T0;

	if (open_out(&o, dir, "locks_1m", 2))
		return o.err;
	put(&o, sw(t, 0, 0, PID));
	for (uint64_t i = 0; i < (1u << 20); i++) {
		uint64_t lock = 0x7f0000000000ull + i * 64;

		put(&o, ev(t += 100, GS_EV_LOCK_REQUEST, PID, 0, lock, 0));
		put(&o, ev(t += 100, GS_EV_LOCK_ACQUIRED, PID, 0, lock, 100));
		put(&o, ev(t += 100, GS_EV_LOCK_RELEASED, PID, 0, lock, 100));
	}
	return close_out(&o);
}

/* 131,072 threads, one after the other on CPU 0, each asking for, taking
 * and releasing the lock once, then exiting. */
static int threads_100k(const char *dir)
{
	struct out o;
	uint64_t t = T0, lock = 0x55d0c0de1000ull;
	uint32_t prev = 0;

	if (open_out(&o, dir, "threads_100k", 2))
		return o.err;
	for (uint32_t i = 0; i < (1u << 17); i++) {
		uint32_t tid = 100000 + i;
		struct gs_event name = ev(t, GS_EV_THREAD_NAME, tid, 0, 0, 0);
		char n[16];

		snprintf(n, sizeof(n), "w%u", i);
		gs_event_set_name(&name, n);
		put(&o, ev(t += 100, GS_EV_THREAD_START, tid, 0, 0, 0));
		name.ts_ns = t;
		put(&o, name);
		put(&o, sw(t += 100, 0, prev, tid));
		put(&o, ev(t += 100, GS_EV_LOCK_REQUEST, tid, 0, lock, 0));
		put(&o, ev(t += 100, GS_EV_LOCK_ACQUIRED, tid, 0, lock, 100));
		put(&o, ev(t += 100, GS_EV_LOCK_RELEASED, tid, 0, lock, 100));
		put(&o, ev(t += 100, GS_EV_THREAD_EXIT, tid, 0, 0, 0));
		prev = tid;
	}
	put(&o, sw(t += 100, 0, prev, 0));
	return close_out(&o);
}

/* A normal second of lock traffic, then one request whose probe-given time
 * is 2^64 - 6 ns (the recorder now clamps it; an old file keeps it). */
static int time_far(const char *dir)
{
	struct out o;
	uint64_t t;

	if (open_out(&o, dir, "time_far", 2))
		return o.err;
	prelude(&o, &t);
	put(&o, ev(UINT64_MAX - 5, GS_EV_LOCK_REQUEST, PID + 1, 1, 0x55d0c0de1000ull, 0));
	return close_out(&o);
}

/* The footer's lost total, as a writer that wraps would have left it:
 * patched in place, its CRC made right again. */
static int patch_footer_lost(const char *path, uint64_t lost)
{
	uint8_t tr[GST_TRAILER], *foot = NULL;
	int fd = open(path, O_RDWR), err = -EIO;
	off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;

	if (size < GST_TRAILER || pread(fd, tr, sizeof(tr), size - GST_TRAILER) != GST_TRAILER)
		goto out;
	uint64_t foff = get_le64(tr);
	uint32_t flen = get_le32(tr + 8);

	if (!(foot = malloc(flen)) || pread(fd, foot, flen, (off_t)foff) != (ssize_t)flen)
		goto out;
	put_le64(foot + 16, lost);
	put_le32(tr + 12, crc32c(0, foot, flen));
	if (pwrite(fd, foot, flen, (off_t)foff) == (ssize_t)flen &&
	    pwrite(fd, tr, sizeof(tr), size - GST_TRAILER) == GST_TRAILER)
		err = 0;
out:
	free(foot);
	if (fd >= 0)
		close(fd);
	return err;
}

/* Three LOST events, 2^64 - 1, 2^64 - 1 and 5, each in a block of its own
 * (so that no writer sums them), and a footer total of 3: what summing
 * them without saturation gives. Every total must say 2^64 - 1. */
static int lost_wrap(const char *dir)
{
	static const uint64_t n[] = { UINT64_MAX, UINT64_MAX, 5 };
	char path[4096];
	struct out o;
	uint64_t t;

	if (open_out(&o, dir, "lost_wrap", 2))
		return o.err;
	prelude(&o, &t);
	for (size_t i = 0; i < 3; i++) {
		if (!o.err)
			o.err = trace_writer_flush(o.w);
		put(&o, ev(t + 1 + i, GS_EV_LOST, 0, 0, n[i], 0));
	}
	if ((o.err = close_out(&o)))
		return o.err;
	snprintf(path, sizeof(path), "%s/lost_wrap.gst", dir);
	return patch_footer_lost(path, n[0] + n[1] + n[2]);
}

/* A recording cut short: blocks of 500 events, the file truncated in the
 * middle of its last block (no footer: the reader recovers what it can). */
static int recovered(const char *dir)
{
	struct trace_writer_opts wo = { .block_events = 500 };
	char path[4096];
	struct stat st;
	int err;

	snprintf(path, sizeof(path), "%s/recovered.gst", dir);
	err = trace_synth_write(path, 3000, &(struct trace_synth_opts){ .pid = PID }, &wo);
	if (err || stat(path, &st))
		return err ? err : -errno;
	/* the footer is 24 + 32 x 6 bytes, the trailer 24: cut 300 more */
	return truncate(path, st.st_size - 24 - 32 * 6 - 24 - 300) ? -errno : 0;
}

int main(int argc, char **argv)
{
	static int (*const gen[])(const char *) = { locks_1m, threads_100k, time_far,
						    lost_wrap, recovered };

	if (argc != 2) {
		fprintf(stderr, "usage: gen_hostile DIR\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(gen) / sizeof(gen[0]); i++) {
		int err = gen[i](argv[1]);

		if (err) {
			fprintf(stderr, "gen_hostile: %s\n", strerror(-err));
			return 1;
		}
	}
	return 0;
}
