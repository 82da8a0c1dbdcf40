/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Long file: the tests that need the real kernel (root, BPF) in one
 * program, sharing its recording helpers and its single attach per test.
 *
 * test_kernel_side.c - what the BPF programs emit, read back raw (root):
 *  - the tracepoint programs for older kernels (no prev_state in
 *    sched_switch before 5.18, no group_dead in sched_process_exit before
 *    6.16) agree with the normal ones: both loaded side by side on this
 *    kernel, each sees the same switches with the same sleeping/preempted
 *    classification, and the same PROC_EXIT "last thread" flags;
 *  - --lock with nested mutexes: every RELEASED carries its own hold, the
 *    outer lock's too (tests/progs/mutex_nested);
 *  - a trylock that fails is a LOCK_FAILED, not an acquisition;
 *  - without -a, a traced task's hand-over of its CPU to an untraced task is
 *    followed by that task's departure;
 *  - the cost estimate counts every probe hit (probe_loop: exactly N), and
 *    the calibration measures what the kernel does: a single-stepped probe
 *    costs more than an emulated one, a 5-byte nop is optimized where the
 *    kernel has arch_uprobe_optimize; with Python functions the release
 *    program reads its way to a code object there, as in CPython.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "record/adapter.h"
#include "record/calibrate.h"
#include "recording.h"
#include "util/search.h"

/* ---- collected events ---------------------------------------------------- */

struct evs {
	struct gs_event *ev;
	size_t n, cap;
};

static int evs_add(struct evs *v, const struct gs_event *e, size_t n)
{
	if (v->n + n > v->cap) {
		size_t cap = (v->n + n) * 2;
		struct gs_event *p = realloc(v->ev, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		v->ev = p;
		v->cap = cap;
	}
	memcpy(v->ev + v->n, e, n * sizeof(*e));
	v->n += n;
	return 0;
}

static int on_ring(void *ctx, void *data, size_t size)
{
	/* a ring record is a batch of events */
	return evs_add(ctx, data, size / sizeof(struct gs_event));
}

static int on_sink(void *ctx, const struct gs_event *ev, size_t n)
{
	return evs_add(ctx, ev, n);
}

/* ---- tracepoint programs for older kernels --------------------------------- */

static volatile int spin_stop;

static void *sleeper(void *arg)
{
	struct timespec ms = { 0, 1000000 };

	(void)arg;
	for (int i = 0; i < 30; i++)
		nanosleep(&ms, NULL);
	return NULL;
}

/* Two of these on one CPU take turns: the scheduler preempts them. */
static void *spinner(void *arg)
{
	cpu_set_t set;
	struct timespec t0, t;

	CPU_ZERO(&set);
	CPU_SET(*(int *)arg, &set);
	sched_setaffinity(0, sizeof(set), &set);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < 60000000L);
	return NULL;
}

/* The traced child: sleeps, is preempted, its threads exit one by one, then
 * it exits with status 3. */
static void child_workload(void)
{
	pthread_t t[3];
	int cpu = sched_getcpu();

	if (cpu < 0)
		cpu = 0;
	pthread_create(&t[0], NULL, sleeper, NULL);
	pthread_create(&t[1], NULL, spinner, &cpu);
	pthread_create(&t[2], NULL, spinner, &cpu);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	_exit(3);
}

static int cmp_cpu_ts(const void *a, const void *b)
{
	const struct gs_event *x = a, *y = b;

	return cmp_u64(x->cpu, y->cpu) ?:
	       cmp_u64(x->ts_ns, y->ts_ns);
}

static int cmp_tid(const void *a, const void *b)
{
	const struct gs_event *x = a, *y = b;

	return cmp_u64(x->tid, y->tid);
}

/* Keeps, in place, the events of type (and, for switches, a traced prev) of pid. */
static void keep(struct evs *v, uint8_t type, uint32_t pid)
{
	size_t k = 0;

	for (size_t i = 0; i < v->n; i++)
		if (v->ev[i].type == type && v->ev[i].pid == pid &&
		    (type != GS_EV_SCHED_SWITCH || (v->ev[i].flags & GS_F_TRACED_PREV)))
			v->ev[k++] = v->ev[i];
	v->n = k;
}

static void test_tp_fallback_agrees(void)
{
	struct loader_opts opts[2] = { { 0 }, { .tp_fallback = true } };
	struct loader *l[2] = { NULL, NULL };
	struct ring_buffer *rb[2] = { NULL, NULL };
	struct evs ev[2] = { { 0 }, { 0 } }, sw[2], ex[2];
	struct loader_variants var[2];
	int status = 0;
	pid_t child;

	if (!check_need_root("test_tp_fallback_agrees"))
		return;
	for (int i = 0; i < 2; i++) {
		CHECK(loader_open(&l[i], &opts[i]) == 0);
		if (check__failed_now)
			goto out;
		CHECKF(loader_load(l[i]) == 0, "%s", loader_error(l[i]));
		CHECKF(loader_attach_sched(l[i]) == 0, "%s", loader_error(l[i]));
		rb[i] = ring_buffer__new(loader_ringbuf_fd(l[i]), on_ring, &ev[i], NULL);
		CHECK(rb[i] != NULL);
		loader_variants(l[i], &var[i]);
		/* we are traced, so the fork program adds the child to both
		 * loaders before it runs: both see all of it */
		CHECK(loader_trace_tgid(l[i], getpid()) == 0);
	}
	if (check__failed_now)
		goto out;
	/* this kernel (6.18) passes both arguments; the forced loader does not use them */
	CHECK(var[0].switch_state_arg && var[0].exit_group_dead_arg);
	CHECK(!var[1].switch_state_arg && !var[1].exit_group_dead_arg);
	child = fork();
	if (child == 0)
		child_workload();
	CHECK(child > 0 && waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	for (int i = 0; i < 2; i++) {
		CHECK(loader_flush(l[i]) == 0);
		CHECK(ring_buffer__consume(rb[i]) >= 0);
		CHECKF(loader_lost(l[i]) == 0, "loader %d lost %llu", i,
		       (unsigned long long)loader_lost(l[i]));
		sw[i] = ex[i] = (struct evs){ 0 };
		CHECK(evs_add(&sw[i], ev[i].ev, ev[i].n) == 0 && evs_add(&ex[i], ev[i].ev, ev[i].n) == 0);
		keep(&sw[i], GS_EV_SCHED_SWITCH, child);
		keep(&ex[i], GS_EV_PROC_EXIT, child);
		/* per CPU, the two programs run one after the other on each switch */
		qsort(sw[i].ev, sw[i].n, sizeof(*sw[i].ev), cmp_cpu_ts);
		qsort(ex[i].ev, ex[i].n, sizeof(*ex[i].ev), cmp_tid);
	}

	size_t sleeping = 0, runnable = 0, diff = 0;

	CHECKF(sw[0].n == sw[1].n && sw[0].n > 0, "switches: %zu normal, %zu fallback", sw[0].n, sw[1].n);
	for (size_t i = 0; i < sw[0].n && i < sw[1].n; i++) {
		const struct gs_event *a = &sw[0].ev[i], *b = &sw[1].ev[i];

		CHECKF(a->cpu == b->cpu && a->tid == b->tid && a->arg0 == b->arg0,
		       "switch %zu: cpu %u/%u tid %u/%u", i, a->cpu, b->cpu, a->tid, b->tid);
		diff += (a->arg1 == 0) != (b->arg1 == 0);
		if (a->arg1)
			sleeping++;
		else
			runnable++;
	}
	CHECKF(diff == 0, "%zu of %zu switches classified differently", diff, sw[0].n);
	/* not vacuous: 30 sleeps, two spinners sharing a CPU for 60 ms each */
	CHECKF(sleeping >= 30 && runnable >= 2, "%zu sleeping, %zu preempted", sleeping, runnable);

	/* main and its three threads exit; only main's exit ends the process */
	CHECKF(ex[0].n == 4 && ex[1].n == 4, "PROC_EXIT: %zu normal, %zu fallback", ex[0].n, ex[1].n);
	for (size_t i = 0; i < ex[0].n && i < ex[1].n; i++) {
		const struct gs_event *a = &ex[0].ev[i], *b = &ex[1].ev[i];
		bool main_thread = a->tid == (uint32_t)child;

		CHECKF(a->tid == b->tid && a->arg0 == b->arg0 && a->arg1 == b->arg1,
		       "exit of %u: code %llu/%llu last %llu/%llu", a->tid, (unsigned long long)a->arg0,
		       (unsigned long long)b->arg0, (unsigned long long)a->arg1,
		       (unsigned long long)b->arg1);
		CHECKF(a->arg1 == main_thread && (!main_thread || a->arg0 == 3 << 8),
		       "tid %u: last %llu code %llu", a->tid, (unsigned long long)a->arg1,
		       (unsigned long long)a->arg0);
	}
	for (int i = 0; i < 2; i++) {
		free(sw[i].ev);
		free(ex[i].ev);
	}
out:
	for (int i = 0; i < 2; i++) {
		ring_buffer__free(rb[i]);
		loader_destroy(l[i]);
		free(ev[i].ev);
	}
}

/* ---- a traced task hands its CPU to an untraced one --------------------------- */

#define HANDOVERS 20

static void spin_ns(long ns)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < ns);
}

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Without -a, when a traced task hands its CPU to an untraced one, that
 * task's departure (to idle, here) is recorded too: the next switch on the
 * CPU, whatever it is. The traced task (SCHED_FIFO, so the task it wakes
 * cannot preempt it) wakes an untraced one on its CPU and sleeps 5 ms; that
 * one runs 2 ms and blocks: it leaves for idle, a switch without a traced
 * task that the kernel side did not record before. */
static void test_handover_followed(void)
{
	struct loader_opts opts = { 0 };
	struct loader *l = NULL;
	struct ring_buffer *rb = NULL;
	struct evs ev = { 0 };
	int wake[2] = { -1, -1 }, go[2] = { -1, -1 }, status;
	pid_t u = -1, t = -1;
	size_t handovers = 0, followed = 0;
	char c = 0;

	if (!check_need_root("test_handover_followed"))
		return;
	CHECK(loader_open(&l, &opts) == 0);
	if (check__failed_now)
		goto out;
	CHECKF(loader_load(l) == 0, "%s", loader_error(l));
	CHECKF(loader_attach_sched(l) == 0, "%s", loader_error(l));
	rb = ring_buffer__new(loader_ringbuf_fd(l), on_ring, &ev, NULL);
	CHECK(rb != NULL && pipe(wake) == 0 && pipe(go) == 0);
	if (check__failed_now)
		goto out;
	u = fork();		/* untraced: forked before anything is traced */
	if (u == 0) {
		pin_cpu0();
		close(wake[1]);
		while (read(wake[0], &c, 1) == 1)
			spin_ns(2000000);
		_exit(0);
	}
	t = fork();
	if (t == 0) {
		struct sched_param sp = { .sched_priority = 1 };
		struct timespec ms5 = { 0, 5000000 };

		pin_cpu0();
		/* real-time, so that each wake-up is at once a hand-over; where it
		 * is refused (a cgroup with no real-time time) the wake-ups still
		 * preempt a spinning task most of the time */
		(void)sched_setscheduler(0, SCHED_FIFO, &sp);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		for (int i = 0; i < HANDOVERS; i++) {
			if (write(wake[1], &c, 1) != 1)
				_exit(3);
			nanosleep(&ms5, NULL);
		}
		_exit(0);
	}
	close(wake[0]);
	close(wake[1]);
	CHECK(u > 0 && t > 0 && loader_trace_tgid(l, t) == 0 && write(go[1], &c, 1) == 1);
	CHECK(waitpid(t, &status, 0) == t && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(waitpid(u, &status, 0) == u);
	/* t's exit hands CPU 0 to whatever runs there next (on a busy machine,
	 * another program): a traced task that then runs on CPU 0 makes sure
	 * that one's departure happens inside the recording */
	if ((u = fork()) == 0) {
		pin_cpu0();
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		for (int i = 0; i < 3; i++)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		_exit(0);
	}
	CHECK(u > 0 && loader_trace_tgid(l, u) == 0 && write(go[1], &c, 1) == 1);
	CHECK(waitpid(u, &status, 0) == u && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(loader_flush(l) == 0 && ring_buffer__consume(rb) >= 0);
	CHECK(loader_lost(l) == 0);
	qsort(ev.ev, ev.n, sizeof(*ev.ev), cmp_cpu_ts);
	/* each hand-over from t to an untraced task W on a CPU: the next switch
	 * recorded on that CPU is W leaving it */
	for (size_t i = 0; i < ev.n; i++) {
		const struct gs_event *e = &ev.ev[i];

		if (e->type != GS_EV_SCHED_SWITCH || e->pid != (uint32_t)t ||
		    e->flags != GS_F_TRACED_PREV || !(uint32_t)e->arg0)
			continue;
		handovers++;
		for (size_t j = i + 1; j < ev.n && ev.ev[j].cpu == e->cpu; j++) {
			if (ev.ev[j].type != GS_EV_SCHED_SWITCH)
				continue;
			followed += ev.ev[j].tid == (uint32_t)e->arg0;
			break;
		}
	}
	CHECKF(handovers >= HANDOVERS / 2 && followed == handovers,
	       "%zu hand-overs to untraced tasks, %zu of them followed by their departure",
	       handovers, followed);
out:
	if (go[0] >= 0) {
		close(go[0]);
		close(go[1]);
	}
	ring_buffer__free(rb);
	loader_destroy(l);
	free(ev.ev);
}

/* ---- --lock: nested and failed acquisitions --------------------------------- */

struct prog_counts {
	uint64_t outer, inner;			/* lock addresses */
	unsigned long outer_locks, inner_locks, try_ok, try_failed, hold_us;
};

/* A run of mutex_nested: what was recorded, what the program said it did. */
struct nested_run {
	struct evs v;				/* free v.ev */
	struct prog_counts pc;
	pid_t pid;
};

/* Records tests/progs/mutex_nested (2 threads x 100) under --lock SPEC
 * (libc's ACQUIRE, RELEASE pthread_mutex_unlock, arg0) for the test named
 * test, which needs root. 0 when it ran. */
static int record_nested(const char *test, const char *acquire, struct nested_run *run)
{
	struct evs *out = &run->v;
	struct prog_counts *pc = &run->pc;
	pid_t *pid = &run->pid;
	static struct adapter_target a;
	char prog[PATH_MAX], spec[128], err[256], buf[4096];
	char *argv[] = { prog, "2", "100", "1000", "3", NULL };
	struct recorder_opts o = { .argv = argv, .sink = on_sink, .ctx = out };
	struct recorder_stats st;
	struct recorder *r;
	bool usage;
	int rc;

	if (!check_need_root(test))
		return -EPERM;
	helper_path(prog, sizeof(prog), "mutex_nested");
	/* libc itself: under ASan the program's calls of some of these go to
	 * libasan's interceptors, which call libc's */
	snprintf(spec, sizeof(spec), "libc.so.6:%s:pthread_mutex_unlock:arg0", acquire);
	rc = adapter_setup(&a, false, spec, 0, prog, &usage, err, sizeof(err));
	CHECKF(rc == 0, "%s: %s", spec, err);
	if (rc)
		return rc;
	o.lock = &a.lock;
	o.adapter = a.adapter;
	rc = record_to_end(&o, buf, sizeof(buf), &r);
	if (rc)
		return rc;
	recorder_stats(r, &st);
	recorder_destroy(r);
	*pid = st.pid;
	CHECK(st.exited && WIFEXITED(st.exit_status) && WEXITSTATUS(st.exit_status) == 0);
	CHECKF(st.lost == 0, "lost %llu", (unsigned long long)st.lost);
	rc = sscanf(buf, "outer %" SCNx64 " locks %lu\ninner %" SCNx64 " locks %lu\n"
		    "trylock ok %lu failed %lu\nhold_us %lu", &pc->outer, &pc->outer_locks,
		    &pc->inner, &pc->inner_locks, &pc->try_ok, &pc->try_failed, &pc->hold_us);
	CHECKF(rc == 7, "program said: %s", buf);
	return rc == 7 ? 0 : -EINVAL;
}

/* The run's events of type on lock (0: any lock) by the program;
 * *min_arg1 the smallest arg1. */
static unsigned long count_of(const struct nested_run *run, uint8_t type, uint64_t lock,
			      uint64_t *min_arg1)
{
	unsigned long n = 0;

	*min_arg1 = UINT64_MAX;
	for (size_t i = 0; i < run->v.n; i++) {
		const struct gs_event *e = &run->v.ev[i];

		if (e->pid != (uint32_t)run->pid || e->type != type || (lock && e->arg0 != lock))
			continue;
		n++;
		if (e->arg1 < *min_arg1)
			*min_arg1 = e->arg1;
	}
	return n;
}

static void test_lock_nested_holds(void)
{
	struct nested_run run = { 0 };
	uint64_t min;
	unsigned long n;

	if (record_nested("test_lock_nested_holds", "pthread_mutex_lock", &run) == 0) {
		CHECK(run.pc.outer_locks == 200 && run.pc.inner_locks == 200 && run.pc.try_failed == 600);
		n = count_of(&run, GS_EV_LOCK_ACQUIRED, run.pc.outer, &min);
		CHECKF(n == run.pc.outer_locks, "outer: %lu ACQUIRED, program %lu", n, run.pc.outer_locks);
		n = count_of(&run, GS_EV_LOCK_ACQUIRED, run.pc.inner, &min);
		CHECKF(n == run.pc.inner_locks, "inner: %lu ACQUIRED, program %lu", n, run.pc.inner_locks);
		/* the program kept outer hold_us after lock() returned, and the
		 * probes see a little more (return probe before, unlock entry after) */
		n = count_of(&run, GS_EV_LOCK_RELEASED, run.pc.outer, &min);
		CHECKF(n == run.pc.outer_locks && min >= run.pc.hold_us * 1000,
		       "outer: %lu RELEASED (program %lu), shortest hold %llu ns, held %lu us",
		       n, run.pc.outer_locks, (unsigned long long)min, run.pc.hold_us);
		n = count_of(&run, GS_EV_LOCK_RELEASED, run.pc.inner, &min);
		CHECKF(n == run.pc.inner_locks && min > 0 && min < run.pc.hold_us * 1000,
		       "inner: %lu RELEASED (program %lu), shortest hold %llu ns",
		       n, run.pc.inner_locks, (unsigned long long)min);
	}
	free(run.v.ev);
}

static void test_lock_failed_trylock(void)
{
	struct nested_run run = { 0 };
	uint64_t min;
	unsigned long n;

	if (record_nested("test_lock_failed_trylock", "pthread_mutex_trylock", &run) == 0) {
		CHECK(run.pc.try_ok == 200 && run.pc.try_failed == 600);
		/* the failed trylocks of outer: a wait that ends without it */
		n = count_of(&run, GS_EV_LOCK_FAILED, run.pc.outer, &min);
		CHECKF(n == run.pc.try_failed && min > 0, "outer: %lu FAILED, program %lu (waits >= %llu ns)",
		       n, run.pc.try_failed, (unsigned long long)min);
		n = count_of(&run, GS_EV_LOCK_ACQUIRED, run.pc.outer, &min);
		CHECKF(n == 0, "outer: %lu ACQUIRED by trylock, the program got it 0 times", n);
		/* the threads' own mutexes: every trylock got it */
		n = count_of(&run, GS_EV_LOCK_ACQUIRED, 0, &min);
		CHECKF(n == run.pc.try_ok, "%lu ACQUIRED, the program's trylocks succeeded %lu times",
		       n, run.pc.try_ok);
		n = count_of(&run, GS_EV_LOCK_FAILED, 0, &min);
		CHECKF(n == run.pc.try_failed, "%lu FAILED in all, program %lu", n, run.pc.try_failed);
	}
	free(run.v.ev);
}

/* ---- the cost of tracing --------------------------------------------------------- */

static int discard(void *ctx, const struct gs_event *ev, size_t n)
{
	(void)ctx, (void)ev, (void)n;
	return 0;
}

static void test_cost_counts_each_hit(void)
{
	char prog[PATH_MAX];
	char *argv[] = { prog, "20000", NULL };
	struct recorder_opts o = { .argv = argv, .sink = discard, .cost = true };
	struct trace_cost c;
	struct recorder *r;
	uint64_t hits = UINT64_MAX, sum = 0;
	int rc;

	if (!check_need_root("test_cost_counts_each_hit"))
		return;
	helper_path(prog, sizeof(prog), "probe_loop");
	if (record_to_end(&o, NULL, 0, &r))
		return;
	rc = recorder_cost(r, &c);
	CHECKF(rc == 0, "no cost: %s", recorder_cost_error(r));
	recorder_destroy(r);
	if (rc)
		return;
	for (uint32_t i = 0; i < c.nrows; i++) {
		if (!strcmp(c.row[i].probe, "gilrt:gil_acquired"))
			hits = c.row[i].hits;
		sum += c.row[i].hits * c.row[i].ns_per_hit;
		CHECKF(c.row[i].ns_per_hit > 0, "%s: no price", c.row[i].probe);
	}
	CHECKF(hits == 20000, "gil_acquired hits %llu, the program fired it 20000 times",
	       (unsigned long long)hits);
	CHECK(c.overhead_ns == sum && c.overhead_ns > 0);
	/* the program's CPU time includes what its probes cost it */
	CHECKF(c.program_cpu_ns > c.overhead_ns / 2, "program %llu ns, overhead %llu ns",
	       (unsigned long long)c.program_cpu_ns, (unsigned long long)c.overhead_ns);
}

static void test_calibrate_kinds(void)
{
	/* every kind but the got site, which takes the place of the acquire's
	 * return probe (--python): measured on its own below */
	struct calib_opts o = { .kinds = ((1u << COST__COUNT) - 1) & ~(1u << COST_GOT),
				.acq_entry = true, .fork_test = true };
	struct calib cal;
	char err[256], line[256];
	bool kernel_optimizes = false;
	FILE *f;
	int rc;

	if (!check_need_root("test_calibrate_kinds"))
		return;
	rc = calibrate(&o, &cal, err, sizeof(err));
	CHECKF(rc == 0, "%s", err);
	if (rc)
		return;
	for (int k = 0; k < COST__COUNT; k++)
		CHECKF(k == COST_GOT ? cal.ns[k] < 0 : cal.ns[k] >= 0, "kind %d: %.0f ns", k, cal.ns[k]);
	/* a second trap to single-step costs more than emulating the instruction */
	CHECKF(cal.ns[COST_REL_STEP] > cal.ns[COST_REL_BRANCH], "step %.0f, branch %.0f ns",
	       cal.ns[COST_REL_STEP], cal.ns[COST_REL_BRANCH]);
	CHECKF(cal.ns[COST_ACQ_STEP] > cal.ns[COST_ACQ_BRANCH], "step %.0f, branch %.0f ns",
	       cal.ns[COST_ACQ_STEP], cal.ns[COST_ACQ_BRANCH]);
	CHECK(cal.ns[COST_USDT5] > 0 && cal.ns[COST_USDT1] > 0);
	if ((f = fopen("/proc/kallsyms", "re"))) {
		while (!kernel_optimizes && fgets(line, sizeof(line), f))
			kernel_optimizes = strstr(line, " arch_uprobe_optimize\n") != NULL;
		fclose(f);
	}
	CHECKF(cal.nop5_optimized == kernel_optimizes, "site optimized %d, kernel has "
	       "arch_uprobe_optimize %d", cal.nop5_optimized, kernel_optimizes);
	CHECK(cal.nop5_fork == 0 || cal.nop5_fork == 1);
	/* --python: a wait site and a got site, no program at the acquire's
	 * entry or return; each hit is a trap and a program */
	o = (struct calib_opts){ .kinds = 1u << COST_GOT | 1u << COST_WAIT };
	rc = calibrate(&o, &cal, err, sizeof(err));
	CHECKF(rc == 0, "%s", err);
	CHECKF(!rc && cal.ns[COST_GOT] > 0 && cal.ns[COST_WAIT] > 0, "got %.0f, wait %.0f ns",
	       cal.ns[COST_GOT], cal.ns[COST_WAIT]);
}

/*
 * --python with functions: the release sites are priced with the reads of
 * the running code object, through a thread state laid out as the layout
 * says (py_read: the program found the code object), for each way CPython
 * keeps its frames; without a layout nothing is read.
 */
static void test_calibrate_python_reads(void)
{
	static const struct gs_py_cfg cfgs[] = {
		{ .frames = GS_PYF_OBJECT, .drop_arg = 2, .ts_frame = 24, .ts_cframe = -1,
		  .cframe_current = -1, .frame_code = 32, .frame_back = 24, .frame_owner = -1,
		  .frame_len = 40, .owned_by_cstack = -1, .code_lo = 40, .code_len = 72,
		  .code_line = 0, .code_name = 56, .code_file = 64 },
		{ .frames = GS_PYF_CFRAME, .drop_arg = 1, .ts_frame = -1, .ts_cframe = 56,
		  .cframe_current = 8, .frame_code = 32, .frame_back = 48, .frame_owner = 70,
		  .frame_len = 72, .owned_by_cstack = 3, .code_lo = 48, .code_len = 80,
		  .code_line = 4, .code_name = 64, .code_file = 72 },
		{ .frames = GS_PYF_DIRECT, .drop_arg = 1, .ts_frame = 72, .ts_cframe = -1,
		  .cframe_current = -1, .frame_code = 0, .frame_back = 8, .frame_owner = 70,
		  .frame_len = 72, .owned_by_cstack = 3, .code_lo = 48, .code_len = 80,
		  .code_line = 4, .code_name = 64, .code_file = 72 },
	};
	struct calib_opts o = { .kinds = 1u << COST_REL_BRANCH };
	struct calib cal;
	char err[256];

	if (!check_need_root("test_calibrate_python_reads"))
		return;
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		o.py = &cfgs[i];
		CHECKF(calibrate(&o, &cal, err, sizeof(err)) == 0, "%s", err);
		CHECKF(cal.py_read && cal.ns[COST_REL_BRANCH] > 0, "frames %u: read %d, %.0f ns",
		       cfgs[i].frames, cal.py_read, cal.ns[COST_REL_BRANCH]);
	}
	o.py = NULL;
	CHECKF(calibrate(&o, &cal, err, sizeof(err)) == 0, "%s", err);
	CHECK(!cal.py_read && cal.ns[COST_REL_BRANCH] > 0);
}

int main(void)
{
	RUN(test_tp_fallback_agrees);
	RUN(test_handover_followed);
	RUN(test_lock_nested_holds);
	RUN(test_lock_failed_trylock);
	RUN(test_cost_counts_each_hit);
	RUN(test_calibrate_kinds);
	RUN(test_calibrate_python_reads);
	return check_done();
}
