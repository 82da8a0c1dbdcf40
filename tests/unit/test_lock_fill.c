/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_lock_fill.c - record/lock_fill.h: what the lock uprobes leave out
 * (the lock of an ACQUIRED, waited, held, the REQUEST of a take that did
 * not wait) is filled in from the thread's earlier events; repeated
 * REQUESTs are dropped; nested locks keep their own holds; a release that
 * carries a Python function keeps it; a thread's state goes with it.
 */
#include <stdint.h>
#include "check.h"
#include "events.h"
#include "record/lock_fill.h"

#define GIL 1
#define L1 0x1000
#define L2 0x2000

static const struct gs_event *out;
static size_t nout;

static int fill(struct lock_fill *f, const struct gs_event *in, size_t n)
{
	return lock_fill_events(f, in, n, &out, &nout);
}

static bool is(size_t i, uint64_t ts, uint8_t type, uint32_t tid, uint64_t a0, uint64_t a1)
{
	if (i >= nout) {
		printf("#   event %zu missing (%zu)\n", i, nout);
		return false;
	}
	const struct gs_event *e = &out[i];

	if (e->ts_ns == ts && e->type == type && e->tid == tid && e->arg0 == a0 && e->arg1 == a1)
		return true;
	printf("#   event %zu: ts %llu type %u tid %u a0 %#llx a1 %llu\n", i,
	       (unsigned long long)e->ts_ns, e->type, e->tid, (unsigned long long)e->arg0,
	       (unsigned long long)e->arg1);
	return false;
}

/* CPython: a take that waits asks from its wait loop (again every interval:
 * dropped), one that does not has its REQUEST added at the acquisition. */
static void test_fill_python(void)
{
	struct lock_fill *f;
	struct lock_fill_stats st;
	const struct gs_event in[] = {
		ev(100, GS_EV_LOCK_ACQUIRED, 1, 0, GIL, 0),	/* 1 takes it, no wait */
		ev(150, GS_EV_LOCK_REQUEST, 2, 1, GIL, 0),	/* 2 waits... */
		ev(160, GS_EV_LOCK_REQUEST, 2, 1, GIL, 0),	/* ...and asks again */
		ev(200, GS_EV_LOCK_RELEASED, 1, 0, GIL, 0),
		ev(210, GS_EV_LOCK_ACQUIRED, 2, 1, GIL, 0),
		ev(300, GS_EV_LOCK_RELEASED, 2, 1, GIL, 0),
	};

	CHECK(lock_fill_new(&f) == 0);
	CHECK(fill(f, in, 2) == 0);
	CHECK(nout == 3 && is(0, 100, GS_EV_LOCK_REQUEST, 1, GIL, 0) &&
	      is(1, 100, GS_EV_LOCK_ACQUIRED, 1, GIL, 0) && is(2, 150, GS_EV_LOCK_REQUEST, 2, GIL, 0));
	/* the next batch goes on from the state of the last */
	CHECK(fill(f, in + 2, 4) == 0);
	CHECK(nout == 3 && is(0, 200, GS_EV_LOCK_RELEASED, 1, GIL, 100) &&
	      is(1, 210, GS_EV_LOCK_ACQUIRED, 2, GIL, 60) &&
	      is(2, 300, GS_EV_LOCK_RELEASED, 2, GIL, 90));
	lock_fill_stats(f, &st);
	CHECK(st.added == 1 && st.dropped == 1 && st.unknown == 0);
	lock_fill_free(f);
}

/* --python with functions: a RELEASED's arg1 is the function the kernel
 * side read (GS_F_FUNC), 0 included (no Python frame), never a hold time. */
static void test_fill_keeps_function(void)
{
	struct lock_fill *f;
	struct gs_event in[] = {
		ev(100, GS_EV_LOCK_ACQUIRED, 1, 0, GIL, 0),
		ev(200, GS_EV_LOCK_RELEASED, 1, 0, GIL, GS_PYADDR_NONE),
		ev(210, GS_EV_LOCK_ACQUIRED, 1, 0, GIL, 0),
		ev(300, GS_EV_LOCK_RELEASED, 1, 0, GIL, 0x1234),
	};

	in[1].flags = in[3].flags = GS_F_FUNC;
	CHECK(lock_fill_new(&f) == 0);
	CHECK(fill(f, in, 4) == 0);
	CHECK(nout == 6 && is(2, 200, GS_EV_LOCK_RELEASED, 1, GIL, GS_PYADDR_NONE) &&
	      out[2].flags == GS_F_FUNC && is(5, 300, GS_EV_LOCK_RELEASED, 1, GIL, 0x1234));
	/* the REQUESTs it adds carry no function: the Python stage gives them one */
	CHECK(is(0, 100, GS_EV_LOCK_REQUEST, 1, GIL, 0) && !out[0].flags &&
	      is(3, 210, GS_EV_LOCK_REQUEST, 1, GIL, 0) && !out[3].flags);
	lock_fill_free(f);
}

/* --lock: the return has no lock (0): the pending REQUEST's; nested holds
 * each keep their own time; a failed trylock ends the wait without a hold;
 * an arg1 the event has is kept. */
static void test_fill_lock(void)
{
	struct lock_fill *f;
	const struct gs_event in[] = {
		ev(10, GS_EV_LOCK_REQUEST, 5, 0, L1, 0),
		ev(15, GS_EV_LOCK_ACQUIRED, 5, 0, 0, 0),
		ev(20, GS_EV_LOCK_REQUEST, 5, 0, L2, 0),
		ev(22, GS_EV_LOCK_ACQUIRED, 5, 0, 0, 0),
		ev(30, GS_EV_LOCK_RELEASED, 5, 0, L2, 0),
		ev(40, GS_EV_LOCK_RELEASED, 5, 0, L1, 0),
		ev(50, GS_EV_LOCK_REQUEST, 5, 0, L1, 0),
		ev(51, GS_EV_LOCK_FAILED, 5, 0, 0, 0),
		ev(60, GS_EV_LOCK_RELEASED, 5, 0, L1, 7),	/* not held: stays as given */
	};

	CHECK(lock_fill_new(&f) == 0);
	CHECK(fill(f, in, sizeof(in) / sizeof(in[0])) == 0);
	CHECK(nout == 9);
	CHECK(is(1, 15, GS_EV_LOCK_ACQUIRED, 5, L1, 5) && is(3, 22, GS_EV_LOCK_ACQUIRED, 5, L2, 2));
	CHECK(is(4, 30, GS_EV_LOCK_RELEASED, 5, L2, 8) && is(5, 40, GS_EV_LOCK_RELEASED, 5, L1, 25));
	CHECK(is(7, 51, GS_EV_LOCK_FAILED, 5, L1, 1) && is(8, 60, GS_EV_LOCK_RELEASED, 5, L1, 7));
	lock_fill_free(f);
}

/* An end of wait with no lock and nothing pending (its REQUEST lost) is
 * dropped; a thread that exits forgets its pending REQUEST. */
static void test_fill_unknown_and_exit(void)
{
	struct lock_fill *f;
	struct lock_fill_stats st;
	const struct gs_event in[] = {
		ev(10, GS_EV_LOCK_ACQUIRED, 7, 0, 0, 0),
		ev(20, GS_EV_LOCK_REQUEST, 8, 0, L1, 0),
		ev(30, GS_EV_THREAD_EXIT, 8, 0, 0, 0),
		ev(40, GS_EV_LOCK_ACQUIRED, 8, 0, 0, 0),	/* tid reused */
	};

	CHECK(lock_fill_new(&f) == 0);
	CHECK(fill(f, in, 4) == 0);
	CHECK(nout == 2 && is(0, 20, GS_EV_LOCK_REQUEST, 8, L1, 0) &&
	      is(1, 30, GS_EV_THREAD_EXIT, 8, 0, 0));
	lock_fill_stats(f, &st);
	CHECK(st.unknown == 2 && st.added == 0);
	lock_fill_free(f);
	lock_fill_free(NULL);
}

int main(void)
{
	RUN(test_fill_python);
	RUN(test_fill_keeps_function);
	RUN(test_fill_lock);
	RUN(test_fill_unknown_and_exit);
	return check_done();
}
