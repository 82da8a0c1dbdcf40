/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_recorder.c - the reorder window on synthetic input, then (as root)
 * a real recording of tests/progs/fake_gilrt through the recorder API:
 * every lock acquisition the program counts is recorded, its threads' sched
 * switches are there, events come in time order, nothing is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <sys/sdt.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "recording.h"
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "bpf/gs_usdt.h"
#include "record/thread_namer.h"

/* ---- reorder window ------------------------------------------------------ */

#define MAXOUT 100000

static struct gs_event out[MAXOUT];
static size_t nout;
static size_t nbatches;

static int collect(void *ctx, const struct gs_event *ev, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n && nout < MAXOUT; i++)
		out[nout++] = ev[i];
	nbatches++;
	return 0;
}

static struct gs_event ev_at(uint64_t ts, uint64_t tag)
{
	struct gs_event e = { .ts_ns = ts, .type = GS_EV_LOCK_REQUEST, .arg0 = tag };

	return e;
}

/* ---- thread names ----------------------------------------------------------- */

static pthread_mutex_t namer_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t namer_cv = PTHREAD_COND_INITIALIZER;
static int namer_step;		/* 1: thread runs (tid set), 2: rename, 3: renamed, 4: end */
static pid_t namer_tid;

static void namer_to(int step)
{
	pthread_mutex_lock(&namer_mu);
	namer_step = step;
	pthread_cond_broadcast(&namer_cv);
	pthread_mutex_unlock(&namer_mu);
}

static void namer_until(int step)
{
	pthread_mutex_lock(&namer_mu);
	while (namer_step < step)
		pthread_cond_wait(&namer_cv, &namer_mu);
	pthread_mutex_unlock(&namer_mu);
}

static void *namer_thread(void *arg)
{
	(void)arg;
	namer_tid = (pid_t)syscall(SYS_gettid);
	namer_to(1);
	namer_until(2);
	prctl(PR_SET_NAME, "worker-1", 0, 0, 0);
	namer_to(3);
	namer_until(4);
	return NULL;
}

static size_t names_of(pid_t tid, char names[][16], size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < nout; i++)
		if (out[i].type == GS_EV_THREAD_NAME && (pid_t)out[i].tid == tid && k < max)
			gs_event_name(&out[i], names[k++]);
	return k;
}

/* A thread that names itself after its first event (Python 2 does it with
 * prctl from the thread's own code) gets its new name; one that keeps its
 * creator's name is looked at no more than every 50 ms; the first thread's
 * name is final at once. */
static void test_namer_thread_renamed_later(void)
{
	struct thread_namer n = { .root = getpid(), .root_name = "" };
	struct gs_event e = { .type = GS_EV_LOCK_REQUEST, .pid = (uint32_t)getpid() };
	char names[4][16], lead[16];
	pthread_t t;
	size_t k;

	nout = 0;
	CHECK(reorder_new(&n.ro, 1024, collect, NULL) == 0);
	CHECK(pthread_create(&t, NULL, namer_thread, NULL) == 0);
	namer_until(1);
	prctl(PR_GET_NAME, lead, 0, 0, 0);
	e.tid = (uint32_t)namer_tid;
	e.ts_ns = 1000000000;
	CHECK(thread_namer_event(&n, &e) == 0);		/* first sight: the creator's name */
	e.tid = (uint32_t)getpid();
	CHECK(thread_namer_event(&n, &e) == 0);		/* the first thread */
	namer_to(2);
	namer_until(3);
	e.tid = (uint32_t)namer_tid;
	e.ts_ns += 10000000;				/* 10 ms later: not looked at yet */
	CHECK(thread_namer_event(&n, &e) == 0);
	CHECK(reorder_release(n.ro, UINT64_MAX) == 0);
	k = names_of(namer_tid, names, 4);
	CHECKF(k == 1 && !strcmp(names[0], lead), "%zu names, first '%s'", k, k ? names[0] : "");
	e.ts_ns += 60000000;				/* 70 ms after the first: looked at */
	CHECK(thread_namer_event(&n, &e) == 0);
	e.ts_ns += 60000000;				/* named for good: not again */
	CHECK(thread_namer_event(&n, &e) == 0);
	CHECK(reorder_release(n.ro, UINT64_MAX) == 0);
	k = names_of(namer_tid, names, 4);
	CHECKF(k == 2 && !strcmp(names[1], "worker-1"), "%zu names, last '%s'", k,
	       k ? names[k - 1] : "");
	CHECK(names_of(getpid(), names, 4) == 1);
	namer_to(4);
	pthread_join(t, NULL);
	thread_namer_free(&n);
	reorder_free(n.ro);
}

static bool sorted(void)
{
	for (size_t i = 1; i < nout; i++)
		if (out[i].ts_ns < out[i - 1].ts_ns)
			return false;
	return true;
}

static void test_reorder_sorts_within_window(void)
{
	struct reorder *ro;
	/* two "CPUs" interleaved as a ring buffer would hand them over */
	uint64_t ts[] = { 10, 30, 20, 50, 40, 60, 45, 70, 65, 80 };

	nout = 0;
	CHECK(reorder_new(&ro, 1024, collect, NULL) == 0);
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		struct gs_event e = ev_at(ts[i], i);

		CHECK(reorder_push(ro, &e, 1) == 0);
	}
	CHECK(reorder_release(ro, 45) == 0);	/* window: keep what is newer */
	CHECKF(nout == 5, "released %zu", nout);	/* 10 20 30 40 45 */
	CHECK(reorder_held(ro) == 5);
	CHECK(reorder_release(ro, UINT64_MAX) == 0);
	CHECK(nout == 10);
	CHECK(sorted());
	CHECK(reorder_late(ro) == 0);
	CHECK(out[0].ts_ns == 10 && out[9].ts_ns == 80);
	reorder_free(ro);
}

static void test_reorder_equal_times_keep_arrival_order(void)
{
	struct reorder *ro;

	nout = 0;
	CHECK(reorder_new(&ro, 64, collect, NULL) == 0);
	for (uint64_t i = 0; i < 40; i++) {
		struct gs_event e = ev_at(i % 2 ? 100 : 50, i);

		CHECK(reorder_push(ro, &e, 1) == 0);
	}
	CHECK(reorder_release(ro, UINT64_MAX) == 0);
	CHECK(nout == 40 && sorted());
	for (size_t i = 1; i < nout; i++)
		if (out[i].ts_ns == out[i - 1].ts_ns)
			CHECKF(out[i].arg0 > out[i - 1].arg0, "tie order broken at %zu", i);
	reorder_free(ro);
}

static void test_reorder_late_events_are_clamped_and_counted(void)
{
	struct reorder *ro;
	struct gs_event a = ev_at(100, 1), b = ev_at(200, 2), late = ev_at(150, 3);

	nout = 0;
	CHECK(reorder_new(&ro, 64, collect, NULL) == 0);
	CHECK(reorder_push(ro, &a, 1) == 0);
	CHECK(reorder_push(ro, &b, 1) == 0);
	CHECK(reorder_release(ro, 200) == 0);
	CHECK(nout == 2);
	CHECK(reorder_push(ro, &late, 1) == 0);	/* older than what went out */
	CHECK(reorder_release(ro, UINT64_MAX) == 0);
	CHECK(nout == 3);
	CHECK(out[2].arg0 == 3 && out[2].ts_ns == 200);	/* clamped, not dropped */
	CHECK(reorder_late(ro) == 1);
	CHECK(sorted());
	reorder_free(ro);
}

static void test_reorder_bounded_memory(void)
{
	struct reorder *ro;
	uint64_t seed = 42;

	nout = 0;
	CHECK(reorder_new(&ro, 256, collect, NULL) == 0);
	/* 10000 events, jittered by up to 50 ns, never released by the window */
	for (uint64_t i = 0; i < 10000; i++) {
		struct gs_event e;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		e = ev_at(1000 + i * 10 + (seed >> 33) % 50, i);
		CHECK(reorder_push(ro, &e, 1) == 0);
		CHECK(reorder_held(ro) <= 256);
	}
	CHECK(reorder_release(ro, UINT64_MAX) == 0);
	CHECKF(nout == 10000, "delivered %zu", nout);
	CHECK(sorted());
	/* the jitter (<= 5 events) is far inside what 128 held events absorb */
	CHECKF(reorder_late(ro) == 0, "late %llu", (unsigned long long)reorder_late(ro));
	reorder_free(ro);
}

static void test_reorder_large_batch(void)
{
	static struct gs_event in[5000];
	struct reorder *ro;

	nout = 0;
	for (size_t i = 0; i < 5000; i++)	/* reversed runs of 100 */
		in[i] = ev_at((i / 100) * 100 + (99 - i % 100), i);
	CHECK(reorder_new(&ro, 100000, collect, NULL) == 0);
	CHECK(reorder_push(ro, in, 5000) == 0);
	CHECK(reorder_release(ro, UINT64_MAX) == 0);
	CHECK(nout == 5000 && sorted());
	CHECK(reorder_late(ro) == 0);
	reorder_free(ro);
}

/* ---- a real recording ---------------------------------------------------- */

struct rec_counts {
	uint64_t events, acquired, released, requests, switches, names, lost;
	uint64_t switches_of[4];	/* per worker thread, indexed as tids[] */
	uint32_t tids[4];
	int ntids;
	uint64_t last_ts;
	bool ordered;
};

static int tid_index(struct rec_counts *c, uint32_t tid)
{
	for (int i = 0; i < c->ntids; i++)
		if (c->tids[i] == tid)
			return i;
	if (c->ntids == 4)
		return -1;
	c->tids[c->ntids] = tid;
	return c->ntids++;
}

static uint64_t acq_of[4];

static int count_events(void *ctx, const struct gs_event *ev, size_t n)
{
	struct rec_counts *c = ctx;

	for (size_t i = 0; i < n; i++) {
		const struct gs_event *e = &ev[i];
		int k;

		if (e->ts_ns < c->last_ts)
			c->ordered = false;
		c->last_ts = e->ts_ns;
		c->events++;
		switch (e->type) {
		case GS_EV_LOCK_ACQUIRED:
			c->acquired++;
			if ((k = tid_index(c, e->tid)) >= 0)
				acq_of[k]++;
			break;
		case GS_EV_LOCK_RELEASED: c->released++; break;
		case GS_EV_LOCK_REQUEST: c->requests++; break;
		case GS_EV_THREAD_NAME: c->names++; break;
		case GS_EV_LOST: c->lost += e->arg0; break;
		case GS_EV_SCHED_SWITCH:
			c->switches++;
			if ((e->flags & GS_F_TRACED_PREV) && e->pid != e->tid &&
			    (k = tid_index(c, e->tid)) >= 0)
				c->switches_of[k]++;
			break;
		}
	}
	return 0;
}

static void test_record_fake_gilrt(void)
{
	struct rec_counts c = { .ordered = true };
	char prog[PATH_MAX], buf[4096];
	char *argv[] = { prog, "2", "0.5", NULL };
	struct recorder_opts o = { .argv = argv, .sink = count_events, .ctx = &c };
	struct recorder_stats st;
	struct recorder *r;

	if (!check_need_root("test_record_fake_gilrt"))
		return;
	helper_path(prog, sizeof(prog), "fake_gilrt");
	if (record_to_end(&o, buf, sizeof(buf), &r))
		return;
	recorder_stats(r, &st);
	recorder_destroy(r);

	CHECK(st.exited && WIFEXITED(st.exit_status) && WEXITSTATUS(st.exit_status) == 0);
	CHECKF(st.lost == 0 && c.lost == 0, "lost %llu", (unsigned long long)st.lost);
	CHECK(c.ordered);
	CHECK(st.events == c.events);
	CHECKF(c.acquired > 10 && c.released == c.acquired && c.requests == c.acquired,
	       "req %llu acq %llu rel %llu", (unsigned long long)c.requests,
	       (unsigned long long)c.acquired, (unsigned long long)c.released);
	CHECKF(c.names >= 3, "names %llu", (unsigned long long)c.names);	/* main + 2 workers */
	/* each worker's own count ("acq TID N") equals what was recorded */
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned tid;
		unsigned long long cnt;
		int k;

		if (sscanf(line, "acq %u %llu", &tid, &cnt) != 2)
			continue;
		k = tid_index(&c, tid);
		CHECKF(k >= 0 && acq_of[k] == cnt, "tid %u: program says %llu, trace %llu",
		       tid, cnt, k >= 0 ? (unsigned long long)acq_of[k] : 0ull);
		/* they sleep 100 us per iteration: switched out each time */
		CHECKF(k >= 0 && c.switches_of[k] >= cnt, "tid %u: %llu switches", tid,
		       k >= 0 ? (unsigned long long)c.switches_of[k] : 0ull);
	}
}

/* A ring buffer far too small for a million events: losses are counted,
 * and every lost event is reported in LOST events (never silent). */
static void test_record_losses_are_reported(void)
{
	struct rec_counts c = { .ordered = true };
	char prog[PATH_MAX];
	char *argv[] = { prog, "1000000", NULL };
	struct recorder_opts o = { .argv = argv, .sink = count_events, .ctx = &c,
				   .ringbuf_bytes = 4096 };
	struct recorder_stats st;
	struct recorder *r;

	if (!check_need_root("test_record_losses_are_reported"))
		return;
	helper_path(prog, sizeof(prog), "probe_loop");
	if (record_to_end(&o, NULL, 0, &r))
		return;
	recorder_stats(r, &st);
	recorder_destroy(r);
	CHECKF(st.lost > 0 && c.lost == st.lost, "stats %llu, LOST events %llu",
	       (unsigned long long)st.lost, (unsigned long long)c.lost);
	/* each of the million probes was either recorded or counted as lost */
	CHECKF(c.acquired + st.lost >= 1000000, "acquired %llu + lost %llu",
	       (unsigned long long)c.acquired, (unsigned long long)st.lost);
	CHECK(c.ordered);
}

/* ---- the traced set: slots and their overflow hash ---------------------- */

static int probe_hits;

static int count_hit(void *ctx, void *data, size_t size)
{
	const struct gs_event *e = data;

	(void)ctx;
	for (size_t i = 0; i < size / sizeof(*e); i++)	/* a record is a batch */
		if (e[i].type == GS_EV_LOCK_REQUEST && e[i].pid == (uint32_t)getpid())
			probe_hits++;
	return 0;
}

/* Fires this test's own gilrt probe; 1 if its event came back. */
static int fired(struct loader *l, struct ring_buffer *rb)
{
	static int lock;

	probe_hits = 0;
	STAP_PROBE1(gilrt, gil_request, &lock);
	CHECK(loader_flush(l) == 0);
	ring_buffer__consume(rb);
	return probe_hits;
}

static void test_traced_set_slots_and_overflow(void)
{
	struct loader_opts lo = { 0 };
	struct loader *l = NULL;
	struct ring_buffer *rb = NULL;
	pid_t me = getpid(), twin = me + 4096;	/* same slot as me */

	if (!check_need_root("test_traced_set_slots_and_overflow"))
		return;
	CHECK(loader_open(&l, &lo) == 0);
	CHECKF(loader_load(l) == 0, "%s", loader_error(l));
	CHECKF(loader_attach_gilrt(l, "/proc/self/exe") == 0, "%s", loader_error(l));
	rb = ring_buffer__new(loader_ringbuf_fd(l), count_hit, NULL, NULL);
	CHECK(rb != NULL);
	if (!rb)
		goto out;
	CHECK(fired(l, rb) == 0);				/* not traced */
	CHECK(loader_trace_tgid(l, me) == 0);		/* takes its slot */
	CHECK(fired(l, rb) == 1);
	CHECK(loader_untrace_tgid(l, me) == 0);
	CHECK(fired(l, rb) == 0);
	CHECK(loader_trace_tgid(l, twin) == 0);		/* the slot is the twin's... */
	CHECK(fired(l, rb) == 0);
	CHECK(loader_trace_tgid(l, me) == 0);		/* ...so I overflow to the hash */
	CHECK(fired(l, rb) == 1);
	CHECK(loader_untrace_tgid(l, me) == 0);
	CHECK(fired(l, rb) == 0);
	CHECK(loader_untrace_tgid(l, twin) == 0);
	CHECK(loader_trace_tgid(l, me) == 0);		/* the slot again */
	CHECK(fired(l, rb) == 1);
out:
	ring_buffer__free(rb);
	loader_destroy(l);
}

static void test_loader_finds_gilrt_probes(void)
{
	char prog[PATH_MAX], txt[] = "/tmp/gilscope-notelf.XXXXXX";
	int fd = mkstemp(txt);

	helper_path(prog, sizeof(prog), "fake_gilrt");
	CHECK(loader_has_gilrt_probes(prog) == 1);
	CHECK(loader_has_gilrt_probes("/bin/true") == 0);
	CHECK(loader_has_gilrt_probes("/nonexistent/x") == -ENOENT);
	CHECK(fd >= 0 && write(fd, "#!/bin/sh\n", 10) == 10);
	CHECK(loader_has_gilrt_probes(txt) == -ENOEXEC);
	close(fd);
	unlink(txt);
}

/* Which probes get the programs that read the arguments straight from
 * registers: gilrt's (bpf/gs_usdt.h sites), and not a stock sys/sdt.h build
 * whose compiler chose the registers, nor any of gilrt_specs' near misses. */
static void test_loader_gilrt_regs(void)
{
	char path[PATH_MAX];
	struct gilrt_notes n;

	helper_path(path, sizeof(path), "../../gilrt");
	CHECK(loader_gilrt_notes(path, &n) == 0);
	CHECKF(n.probes == 0x3ff && n.regs == n.probes && n.nop5 == GS_USDT_NOP5,
	       "gilrt: probes %#x regs %#x nop5 %d", n.probes, n.regs, n.nop5);
	helper_path(path, sizeof(path), "fake_gilrt");
	CHECK(loader_gilrt_notes(path, &n) == 0);
	CHECKF((n.probes & 0xf) == 0x7 && (n.regs & 0x7) == 0 && !n.nop5,
	       "fake_gilrt: probes %#x regs %#x nop5 %d", n.probes, n.regs, n.nop5);
	helper_path(path, sizeof(path), "gilrt_specs");
	CHECK(loader_gilrt_notes(path, &n) == 0);
	if (GS_USDT_NOP5)
		CHECKF(n.probes == 0x1ef && n.regs == 0x129 && n.nop5,
		       "gilrt_specs: probes %#x regs %#x nop5 %d", n.probes, n.regs, n.nop5);
	CHECK(loader_gilrt_notes("/bin/true", &n) == 0 && n.probes == 0 && n.regs == 0 && !n.nop5);
	CHECK(loader_gilrt_notes("/nonexistent/x", &n) == -ENOENT && n.probes == 0);
}

static void test_record_refuses_bad_targets(void)
{
	struct rec_counts c = { .ordered = true };
	char err[256];
	char *argv[] = { "/bin/true", NULL };
	char *noexist[] = { "/nonexistent/prog", NULL };
	struct recorder_opts o = { .argv = argv, .sink = count_events, .ctx = &c,
				   .child_stdout = -1 };
	struct recorder *r;

	if (!check_need_root("test_record_refuses_bad_targets"))
		return;
	CHECK(recorder_start(&r, &o, err, sizeof(err)) == -ENOMSG && !r);
	CHECKF(strstr(err, "--python") && strstr(err, "--lock"), "%s", err);
	o.argv = noexist;
	CHECK(recorder_start(&r, &o, err, sizeof(err)) == -ENOENT && !r);
	o.argv = NULL;
	o.pid = 0x3ffffff0;	/* above pid_max */
	CHECK(recorder_start(&r, &o, err, sizeof(err)) == -ESRCH && !r);
	CHECKF(strstr(err, "no such process"), "%s", err);
}

int main(void)
{
	RUN(test_reorder_sorts_within_window);
	RUN(test_reorder_equal_times_keep_arrival_order);
	RUN(test_reorder_late_events_are_clamped_and_counted);
	RUN(test_reorder_bounded_memory);
	RUN(test_reorder_large_batch);
	RUN(test_namer_thread_renamed_later);
	RUN(test_loader_finds_gilrt_probes);
	RUN(test_loader_gilrt_regs);
	RUN(test_traced_set_slots_and_overflow);
	RUN(test_record_fake_gilrt);
	RUN(test_record_refuses_bad_targets);
	RUN(test_record_losses_are_reported);
	return check_done();
}
