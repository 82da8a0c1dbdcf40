/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_model_describe.c - events in plain words, fed through the model. */
#include "check.h"
#include "model/describe.h"
#include "model/model.h"

#define PID 100
#define W1 101
#define W2 102
#define IO 103
#define L 0x5000

static struct model *m;

static struct gs_event ev(uint64_t ts, uint8_t type, uint32_t tid, uint16_t cpu,
			  uint64_t a0, uint64_t a1)
{
	struct gs_event e = {
		.ts_ns = ts, .pid = tid ? PID : 0, .tid = tid, .cpu = cpu, .type = type,
		.arg0 = a0, .arg1 = a1, .flags = GS_F_TRACED_PREV | GS_F_TRACED_NEXT,
	};
	return e;
}

static struct gs_event named(uint32_t tid, const char *name)
{
	struct gs_event e = ev(0, GS_EV_THREAD_NAME, tid, 0, 0, 0);

	gs_event_set_name(&e, name);
	return e;
}

/* feed, then describe, and compare */
#define SAYS(e, want)                                                             \
	do {                                                                      \
		struct gs_event e_ = (e);                                         \
		char b_[160];                                                     \
		CHECK(model_feed(m, &e_) == 0);                                   \
		describe_event(m, &e_, b_, sizeof(b_));                           \
		CHECKF(!strcmp(b_, want), "got '%s' want '%s'", b_, want);        \
	} while (0)

static void test_story(void)
{
	struct model_opts o = { .ncpus = 2 };

	m = model_new(&o);
	SAYS(named(W1, "worker-1"), "tid 101 is called worker-1");
	SAYS(named(W2, "worker-2"), "tid 102 is called worker-2");
	SAYS(named(IO, "io-1"), "tid 103 is called io-1");
	SAYS(ev(10, GS_EV_SCHED_SWITCH, 0, 0, W1 | (uint64_t)PID << 32, 0), "worker-1 runs on CPU0");
	SAYS(ev(20, GS_EV_LOCK_REQUEST, W1, 0, L, 0), "worker-1 asks for the lock");
	SAYS(ev(30, GS_EV_LOCK_ACQUIRED, W1, 0, L, 0), "worker-1 takes the lock after waiting 10 ns");
	SAYS(ev(1000, GS_EV_LOCK_REQUEST, IO, 1, L, 0), "io-1 asks for the lock (worker-1 holds it)");
	/* io-1 waited 5.0 ms; worker-1 has held the lock since 30 ns: each
	 * duration is said of the one it is true of (it used to say "worker-1
	 * told to drop it after 5.0 ms": the asker's wait) */
	SAYS(ev(5000010, GS_EV_DROP_REQUEST, IO, 1, L, W1),
	     "io-1, waiting 5.0 ms, asks worker-1 to drop the lock (held 5.0 ms)");
	SAYS(ev(5000030, GS_EV_LOCK_RELEASED, W1, 0, L, 0), "worker-1 releases the lock after 5.0 ms");
	SAYS(named(W1, "worker-1"), "tid 101 is called worker-1");
	SAYS(ev(5002000, GS_EV_LOCK_ACQUIRED, IO, 1, L, 4900000),
	     "io-1 takes the lock after waiting 4.9 ms");	/* the event's own figure */
	SAYS(ev(5003000, GS_EV_LOCK_REQUEST, W1, 0, L, 0), "worker-1 asks for the lock (io-1 holds it)");
	SAYS(ev(5004000, GS_EV_SCHED_SWITCH, W1, 0, W2 | (uint64_t)PID << 32, 1),
	     "worker-1 leaves CPU0 (waits for the lock); worker-2 runs");
	SAYS(ev(5005000, GS_EV_SCHED_SWITCH, W2, 0, 0, 0), "worker-2 leaves CPU0 (preempted); CPU0 idles");
	SAYS(ev(5006000, GS_EV_IO_BEGIN, IO, 1, 3, 0), "io-1 blocks in I/O on fd 3, without the lock");
	SAYS(ev(5006000, GS_EV_LOCK_RELEASED, IO, 1, L, 0), "io-1 releases the lock after 4.0 us");
	SAYS(ev(5007000, GS_EV_SCHED_SWITCH, IO, 1, 0, 1), "io-1 leaves CPU1 (blocks in I/O); CPU1 idles");
	SAYS(ev(5008000, GS_EV_SCHED_WAKEUP, W1, 1, 0, IO), "io-1 wakes worker-1");
	SAYS(ev(5009000, GS_EV_SCHED_MIGRATE, W1, 1, 0, 1), "worker-1 moves from CPU0 to CPU1");
	SAYS(ev(5010000, GS_EV_IO_END, IO, 1, 3, 3000000), "io-1 is back from I/O on fd 3 after 3.0 ms");
	SAYS(ev(5011000, GS_EV_NATIVE_BEGIN, W2, 0, 0, 0), "worker-2 runs native code without the lock");
	SAYS(ev(5012000, GS_EV_NATIVE_END, W2, 0, 0, 1000), "worker-2 finishes native code after 1.0 us");
	SAYS(ev(5013000, GS_EV_LOCK_ACQUIRED, W2, 0, L, 0), "worker-2 takes the lock");	/* no wait */
	SAYS(ev(5014000, GS_EV_THREAD_EXIT, W2, 0, 0, 0), "worker-2 exits");
	SAYS(ev(5015000, GS_EV_SCHED_SWITCH, W2, 0, 0, 0x40), "worker-2 leaves CPU0 (exits); CPU0 idles");
	SAYS(ev(5016000, GS_EV_THREAD_START, 104, 0, 0, 0), "tid 104 starts");
	SAYS(ev(5017000, GS_EV_PROC_FORK, W1, 0, 200, 0), "worker-1 starts process 200");
	SAYS(ev(5018000, GS_EV_PROC_EXIT, 200, 0, 0, 0), "tid 200 exits with code 0");
	/* arg0 is a wait status: exit(3) is 0x300, a SIGKILL 9, SIGSEGV + core 0x8b */
	SAYS(ev(5018000, GS_EV_PROC_EXIT, 200, 0, 3 << 8, 0), "tid 200 exits with code 3");
	SAYS(ev(5018000, GS_EV_PROC_EXIT, 200, 0, 9, 0), "tid 200 ends: killed by SIGKILL");
	SAYS(ev(5018000, GS_EV_PROC_EXIT, 200, 0, 0x8b, 0),
	     "tid 200 ends: killed by SIGSEGV (core dumped)");
	SAYS(ev(5019000, GS_EV_LOST, 0, 0, 12, 0), "12 events lost here (the recorder fell behind)");
	SAYS(ev(5020000, 99, W1, 0, 0, 0), "event of unknown type 99 from worker-1");

	/* an untraced task (-a) */
	struct gs_event e = ev(5021000, GS_EV_SCHED_SWITCH, 0, 1, 900 | (uint64_t)901 << 32, 0);

	e.flags = 0;
	SAYS(e, "another task (tid 900) runs on CPU1");
	/* a thread named like its process: its name, not "tid 901" (with -a it
	 * said "tid 901 is called tid 901") */
	struct gs_event p = named(900, "tmux: server"), q = named(901, "tmux: server");

	p.pid = q.pid = 900;
	SAYS(p, "tid 900 is called tmux: server");
	SAYS(q, "tid 901 is called tmux: server");
	SAYS(named(902, ""), "tid 902 has no name");
	/* a waiter that asks a holder of 391 ms after waiting 5 ms */
	SAYS(ev(6000000, GS_EV_LOCK_ACQUIRED, 104, 0, L + 8, 0), "tid 104 takes the lock");
	SAYS(ev(396000000, GS_EV_LOCK_REQUEST, IO, 1, L + 8, 0),
	     "io-1 asks for the lock (tid 104 holds it)");
	SAYS(ev(397000000, GS_EV_DROP_REQUEST, IO, 1, L + 8, 104),
	     "io-1, waiting 1.0 ms, asks tid 104 to drop the lock (held 391 ms)");
	model_free(m);

	/* no model, tiny buffers */
	char b[8];
	struct gs_event r = ev(1, GS_EV_LOCK_RELEASED, W1, 0, L, 2000);

	describe_event(NULL, &r, b, sizeof(b));
	CHECK(!strcmp(b, "tid 101"));
	b[0] = 'x';
	describe_event(NULL, &r, b, 0);
	CHECK(b[0] == 'x');
}

int main(void)
{
	RUN(test_story);
	return check_done();
}
