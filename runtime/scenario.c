/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * scenario.c - see scenario.h. A "run" is one process's interpreter: the
 * assembled program, the vm, the lock, the workers and their reports. The
 * main thread takes the lock first (like CPython), starts the workers and
 * releases the lock while it joins them. procs forks children that each
 * build their own run and send their reports back over a pipe.
 *
 * Long file: the nine scenarios share one private struct run (workers,
 * feeders, coroutines, child processes, reports); split up, that struct
 * would have to become a header every scenario could break.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "asm.h"
#include "gilrt_probes.h"
#include "programs.h"
#include "scenario.h"
#include "vm.h"

enum scenario_id {
	SC_SEQ, SC_CPU, SC_PROCS, SC_IO, SC_CONVOY, SC_NATIVE, SC_ASYNC, SC_CHURN,
	SC_UNSAFE, SC_ASYNC_CPU, SC__COUNT
};

static const struct rt_scenario_info scenarios[SC__COUNT] = {
	[SC_SEQ] = { "seq", "all the work on one thread: what one core gives (notes 3: one process, one core)", 0 },
	[SC_CPU] = { "cpu", "N CPU-bound threads: the lock lets one run bytecode at a time, so no speedup (notes 1, 4)", 0 },
	[SC_PROCS] = { "procs", "N processes via fork, each with its own interpreter and lock: real parallelism (notes 4, multiprocessing)", 0 },
	[SC_IO] = { "io", "I/O-bound threads block on pipes with the lock released: threads do help for I/O (notes 4)", 0 },
	[SC_CONVOY] = { "convoy", "one CPU-bound and one I/O thread: each I/O response waits for the CPU thread's switch interval", 0 },
	[SC_NATIVE] = { "native", "a C builtin works with the lock released, as NumPy does: threads run in parallel (notes 4, C extensions)", 0 },
	[SC_ASYNC] = { "async", "one thread, an epoll event loop running many coroutines; --threads = coroutines (notes 4, asyncio)", 0 },
	[SC_CHURN] = { "churn", "release and retake the lock as fast as possible: the cost of one lock event", 0 },
	[SC_UNSAFE] = { "unsafe", "threads update shared refcounts; with --policy none (default here) the corruption the GIL prevents is detected (notes 1)", 0 },
	[SC_ASYNC_CPU] = { "async-cpu", "one thread, coroutines sharing CPU work (compare's async row)", 1 },
};

const struct rt_scenario_info *rt_scenario_list(size_t *n)
{
	*n = SC__COUNT;
	return scenarios;
}

#define DEFAULT_RUN_NS 2000000000ull
#define VM_CHUNK 10000		/* work units per next_chunk: ~0.5 ms of bytecode */
#define CHURN_CHUNK 1000	/* lock releases per next_chunk */
#define FEED_PERIOD_NS 10000000ull	/* the feeder writes every 10 ms */
#define ASYNC_DEFAULT_COROS 100

/* ---- latency samples --------------------------------------------------------- */

struct samples {
	uint64_t *v;
	size_t n, cap;
};

static void samples_add(struct samples *s, uint64_t x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return;	/* a lost sample only thins the statistics */
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- one process's run --------------------------------------------------------- */

struct run;
struct worker;
struct coro;

/* What a builtin finds behind rt_ctx_user(): its run, thread and coroutine. */
struct exec_user {
	struct run *run;
	struct worker *w;
	struct coro *co;	/* NULL outside coroutines */
};

enum role { ROLE_CPU, ROLE_NATIVE, ROLE_IO, ROLE_CHURN, ROLE_UNSAFE, ROLE_FEEDER };

struct worker {
	struct exec_user u;	/* u.w == this */
	enum role role;
	char name[16];
	pthread_t th;
	int started;		/* th is joinable */
	struct gil_thread gt;
	int fd;			/* io: read end of its pipe */
	uint64_t units;		/* work units handed to it */
	struct samples lat;	/* io: response latencies */
};

struct coro {
	struct exec_user u;	/* u.co == this */
	struct rt_ctx *ctx;
	int fd;			/* read end (aio) or -1 */
	int state;		/* CO_* */
	int started;
	rt_val resume;		/* value await_read returns when resumed */
	uint64_t t_event;	/* when the awaited event was written */
};

enum { CO_READY, CO_WAIT, CO_DONE };

struct run {
	int sid;
	const struct rt_options *o;
	int nworkers;		/* threads or coroutines */
	struct rt_program *prog;
	struct rt_vm *vm;
	struct gil *gil;
	int work_mode;		/* 1: share a pool of units, 0: run until deadline */
	int64_t pool;		/* atomic: units not yet handed out */
	uint64_t deadline;	/* CLOCK_MONOTONIC ns */
	int stop;		/* atomic: workers and feeder should finish */
	uint64_t native_k;	/* C loop steps per work unit */
	struct worker main;	/* the main thread */
	struct worker *workers;
	struct worker feeder;
	int *feed_fds;		/* write ends the feeder writes to */
	int nfeed;
	uint64_t feed_rounds;	/* work mode io/async: rounds to write */
	int epfd;		/* async */
	struct coro **readyq;	/* async: ring of runnable coroutines */
	size_t rq_head, rq_len, rq_cap;
	struct samples lat;	/* async: response latencies */
	pthread_mutex_t lock;	/* protects reports, err */
	struct rt_report *reports;
	size_t nreports, capreports;
	char err[200];		/* first error of any thread */
	int failed;
};

static void run_fail(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void run_fail(struct run *run, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&run->lock);
	if (!run->failed) {
		run->failed = 1;
		va_start(ap, fmt);
		vsnprintf(run->err, sizeof(run->err), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&run->lock);
	__atomic_store_n(&run->stop, 1, __ATOMIC_RELEASE);
}

static int run_stopped(struct run *run)
{
	return __atomic_load_n(&run->stop, __ATOMIC_ACQUIRE);
}

static int64_t next_chunk(struct run *run, struct worker *w, int64_t chunk)
{
	int64_t n = chunk;

	if (run_stopped(run))
		return 0;
	if (run->work_mode) {
		int64_t old = __atomic_fetch_sub(&run->pool, chunk, __ATOMIC_RELAXED);

		if (old <= 0)
			return 0;
		n = old < chunk ? old : chunk;
	} else if (rt_now_ns() >= run->deadline) {
		return 0;
	}
	__atomic_add_fetch(&w->units, (uint64_t)n, __ATOMIC_RELAXED);
	return n;
}

/*
 * Durations that only a probe reports are timed only while a tracer is
 * attached; one that attached in between reports 0 ("unknown").
 */
static uint64_t probe_clock(int enabled)
{
	return enabled ? rt_now_ns() : 0;
}

static uint64_t probe_since(uint64_t t0)
{
	return t0 ? rt_now_ns() - t0 : 0;
}

/* ---- builtins ------------------------------------------------------------------- */

static int bi_next_chunk(struct rt_ctx *ctx, const rt_val *args, int argc, rt_val *result)
{
	struct exec_user *u = rt_ctx_user(ctx);
	int64_t chunk = u->w->role == ROLE_CHURN ? CHURN_CHUNK : VM_CHUNK;

	(void)args;
	(void)argc;
	*result = rt_int_val(next_chunk(u->run, u->w, chunk));
	return 0;
}

/* n units of the same arithmetic as work(), scaled to cost as much. */
static uint64_t native_compute(uint64_t units, uint64_t k)
{
	uint64_t acc = 0;

	for (uint64_t i = 0; i < units; i++)
		for (uint64_t j = 0; j < k; j++)
			acc = (acc + (i * i) % 7 + j) % 1000003;
	return acc;
}

static int bi_native_work(struct rt_ctx *ctx, const rt_val *args, int argc, rt_val *result)
{
	struct exec_user *u = rt_ctx_user(ctx);
	struct gil *gil = u->run->gil;
	uint64_t t0, acc;

	(void)argc;
	if (!rt_is_int(args[0]) || rt_int(args[0]) < 0)
		return rt_ctx_set_error(ctx, -EINVAL, "native_work: needs a count >= 0");
	/* what Py_BEGIN_ALLOW_THREADS does around long C work */
	gil_drop(gil, &u->w->gt);
	GILRT_PROBE1(native_begin, 0);
	t0 = probe_clock(GILRT_PROBE_ENABLED(native_end));
	acc = native_compute((uint64_t)rt_int(args[0]), u->run->native_k);
	GILRT_PROBE2(native_end, 0, probe_since(t0));
	gil_take(gil, &u->w->gt);
	*result = rt_int_val((int64_t)acc);
	return 0;
}

/* The moment this thread could act on an event: when it held the lock again. */
static uint64_t handled_at(struct run *run, struct gil_thread *gt)
{
	return gil_policy(run->gil) == GIL_NONE ? rt_now_ns() : gt->t_acquired;
}

static int bi_io_wait(struct rt_ctx *ctx, const rt_val *args, int argc, rt_val *result)
{
	struct exec_user *u = rt_ctx_user(ctx);
	struct worker *w = u->w;
	uint64_t t0, stamp = 0;
	ssize_t n;

	(void)args;
	(void)argc;
	gil_drop(u->run->gil, &w->gt);
	GILRT_PROBE1(io_begin, w->fd);
	t0 = probe_clock(GILRT_PROBE_ENABLED(io_end));
	do
		n = read(w->fd, &stamp, sizeof(stamp));
	while (n < 0 && errno == EINTR);
	GILRT_PROBE2(io_end, w->fd, probe_since(t0));
	gil_take(u->run->gil, &w->gt);
	if (n < 0)
		return rt_ctx_set_error(ctx, -errno, "io_wait: read: %s", strerror(errno));
	if (n != (ssize_t)sizeof(stamp)) {
		*result = rt_int_val(0);	/* EOF: the feeder is done */
		return 0;
	}
	samples_add(&w->lat, handled_at(u->run, &w->gt) - stamp);
	w->units++;
	*result = rt_int_val(1);
	return 0;
}

static int bi_yield_gil(struct rt_ctx *ctx, const rt_val *args, int argc, rt_val *result)
{
	struct exec_user *u = rt_ctx_user(ctx);

	(void)args;
	(void)argc;
	gil_drop(u->run->gil, &u->w->gt);
	gil_take(u->run->gil, &u->w->gt);
	*result = RT_NONE;
	return 0;
}

static void readyq_push(struct run *run, struct coro *co)
{
	run->readyq[(run->rq_head + run->rq_len++) % run->rq_cap] = co;
	co->state = CO_READY;
}

static int bi_await_read(struct rt_ctx *ctx, const rt_val *args, int argc, rt_val *result)
{
	struct exec_user *u = rt_ctx_user(ctx);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };

	(void)args;
	(void)argc;
	if (!u->co || u->co->fd < 0)
		return rt_ctx_set_error(ctx, -EINVAL, "await_read: not in an I/O coroutine");
	ev.data.ptr = u->co;
	if (epoll_ctl(u->run->epfd, EPOLL_CTL_MOD, u->co->fd, &ev))
		return rt_ctx_set_error(ctx, -errno, "await_read: epoll_ctl: %s", strerror(errno));
	u->co->state = CO_WAIT;
	*result = RT_NONE;
	return RT_SUSPEND;
}

static int bi_sleep0(struct rt_ctx *ctx, const rt_val *args, int argc, rt_val *result)
{
	struct exec_user *u = rt_ctx_user(ctx);

	(void)args;
	(void)argc;
	if (!u->co)
		return rt_ctx_set_error(ctx, -EINVAL, "sleep0: not in a coroutine");
	u->co->resume = RT_NONE;
	readyq_push(u->run, u->co);
	*result = RT_NONE;
	return RT_SUSPEND;
}

static const struct rt_builtin builtins[] = {
	{ "next_chunk", 0, bi_next_chunk },
	{ "native_work", 1, bi_native_work },
	{ "io_wait", 0, bi_io_wait },
	{ "yield_gil", 0, bi_yield_gil },
	{ "await_read", 0, bi_await_read },
	{ "sleep0", 0, bi_sleep0 },
};

/* ---- calibration ---------------------------------------------------------------- */

static uint64_t min_ns_of(uint64_t (*fn)(void *), void *arg, int reps)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < reps; i++) {
		uint64_t t = fn(arg);

		if (t < best)
			best = t;
	}
	return best;
}

#define CAL_UNITS 20000

static uint64_t time_vm_work(void *arg)
{
	struct rt_ctx *ctx = arg;
	int64_t n = CAL_UNITS;
	uint64_t t0 = rt_now_ns();
	rt_val res;

	if (rt_ctx_call(ctx, "work", &n, 1, &res))
		return UINT64_MAX;
	return rt_now_ns() - t0;
}

static uint64_t time_native(void *arg)
{
	const uint64_t *k = arg;
	uint64_t t0 = rt_now_ns();

	/* an empty asm that "uses" the result keeps the loop from being dropped */
	uint64_t acc = native_compute(CAL_UNITS, *k);

	__asm__ __volatile__("" : : "r"(acc));
	return rt_now_ns() - t0;
}

/* Best-of-9 times of the bytecode and of the C loop at k steps, interleaved. */
static void calibrate(struct rt_ctx *ctx, uint64_t k, uint64_t *vm_ns, uint64_t *c_ns)
{
	/*
	 * Best of several, the two interleaved: the fastest run is the least
	 * disturbed one, and a CPU clock still ramping up slows both alike.
	 */
	*vm_ns = *c_ns = UINT64_MAX;
	for (int i = 0; i < 9; i++) {
		uint64_t v = min_ns_of(time_vm_work, ctx, 1), c = min_ns_of(time_native, &k, 1);

		*vm_ns = v < *vm_ns ? v : *vm_ns;
		*c_ns = c < *c_ns ? c : *c_ns;
	}
}

static uint64_t native_k;

uint64_t rt_native_match(uint64_t unit_ps)
{
	uint64_t k = rt_native_steps_per_unit(), best = UINT64_MAX, units = 200000;

	/* C time per unit at the current k, best of 5 runs of several ms */
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = rt_now_ns(), acc = native_compute(units, k), t;

		__asm__ __volatile__("" : : "r"(acc));
		t = rt_now_ns() - t0;
		best = t < best ? t : best;
	}
	if (best && unit_ps) {
		/* k steps cost best*1000/units ps; scale k to cost unit_ps */
		uint64_t nk = (k * unit_ps * units + best * 500) / (best * 1000);

		native_k = nk ? nk : 1;
	}
	return native_k;
}

uint64_t rt_native_steps_per_unit(void)
{
	uint64_t k = native_k;
	struct rt_program *prog = NULL;
	struct rt_vm *vm = NULL;
	struct rt_ctx *ctx = NULL;
	uint64_t vm_ns, c_ns, k1;

	if (k)
		return k;
	k = 1;
	if (rt_asm(rt_scenario_program, &prog, NULL, 0) ||
	    rt_vm_create(&vm, prog, builtins, RT_ARRAY_SIZE(builtins), NULL, NULL, 0) ||
	    rt_ctx_create(&ctx, vm, NULL, NULL))
		goto out;
	/* a first guess at one step per unit, then measured again at the guess */
	calibrate(ctx, 1, &vm_ns, &c_ns);
	if (vm_ns == UINT64_MAX || !c_ns)
		goto out;
	k1 = vm_ns / c_ns ? vm_ns / c_ns : 1;
	calibrate(ctx, k1, &vm_ns, &c_ns);
	if (vm_ns != UINT64_MAX && c_ns)
		k = (k1 * vm_ns + c_ns / 2) / c_ns;
	if (k < 1)
		k = 1;
out:
	rt_ctx_destroy(ctx);
	rt_vm_destroy(vm);
	rt_prog_destroy(prog);
	native_k = k;
	return k;
}

/* ---- threads ---------------------------------------------------------------------- */

/* First thing a thread does: its name, its lock state, the thread_start probe. */
static void thread_begin(struct worker *w, int rename)
{
	if (rename)
		pthread_setname_np(pthread_self(), w->name);
	gil_thread_init(&w->gt);
	GILRT_PROBE2(thread_start, w->gt.tid, w->name);
}

static void add_report(struct run *run, const struct rt_report *r)
{
	pthread_mutex_lock(&run->lock);
	if (run->nreports == run->capreports) {
		size_t cap = run->capreports ? run->capreports * 2 : 8;
		struct rt_report *v = realloc(run->reports, cap * sizeof(*v));

		if (!v) {
			pthread_mutex_unlock(&run->lock);
			return;
		}
		run->reports = v;
		run->capreports = cap;
	}
	run->reports[run->nreports++] = *r;
	pthread_mutex_unlock(&run->lock);
}

/* Last thing a thread does: its numbers, the thread_exit probe. */
static void thread_end(struct run *run, struct worker *w)
{
	struct rt_report r = { .pid = getpid(), .tid = w->gt.tid, .gil = w->gt.stats };
	struct timespec ts;
	struct rusage ru;

	snprintf(r.name, sizeof(r.name), "%s", w->name);
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		r.cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (getrusage(RUSAGE_THREAD, &ru) == 0) {
		r.voluntary_ctxsw = (uint64_t)ru.ru_nvcsw;
		r.involuntary_ctxsw = (uint64_t)ru.ru_nivcsw;
	}
	add_report(run, &r);
	GILRT_PROBE1(thread_exit, w->gt.tid);
}

static const char *role_entry(enum role role)
{
	switch (role) {
	case ROLE_CPU:
		return "cpu_worker";
	case ROLE_NATIVE:
		return "native_worker";
	case ROLE_IO:
		return "io_worker";
	case ROLE_CHURN:
		return "churn_worker";
	case ROLE_UNSAFE:
		return "unsafe_worker";
	case ROLE_FEEDER:
		break;
	}
	return NULL;
}

/* Run w's entry function on the calling thread, which holds the lock. */
static void run_entry(struct run *run, struct worker *w)
{
	struct rt_ctx *ctx;
	rt_val res = RT_NONE;
	int rc;

	rc = rt_ctx_create(&ctx, run->vm, &w->gt, &w->u);
	if (rc) {
		run_fail(run, "%s: %s", w->name, strerror(-rc));
		return;
	}
	rc = rt_ctx_call(ctx, role_entry(w->role), NULL, 0, &res);
	if (rc)
		run_fail(run, "%s: %s", w->name, rt_ctx_error(ctx));
	rt_decref(res);
	rt_ctx_destroy(ctx);
}

static int feeding_done(struct run *run, uint64_t rounds)
{
	if (run_stopped(run))
		return 1;
	if (run->feed_rounds)
		return rounds >= run->feed_rounds;
	return !run->work_mode && rt_now_ns() >= run->deadline;
}

/* The feeder is the "network": pure C, never takes the lock. */
static void feeder_loop(struct run *run)
{
	uint64_t next = rt_now_ns(), rounds = 0;

	while (!feeding_done(run, rounds)) {
		struct timespec ts;

		next += FEED_PERIOD_NS;
		ts.tv_sec = (time_t)(next / 1000000000ull);
		ts.tv_nsec = (long)(next % 1000000000ull);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		for (int i = 0; i < run->nfeed; i++) {
			uint64_t stamp = rt_now_ns();

			/* non-blocking: a full pipe drops the event, never stalls the feed */
			if (write(run->feed_fds[i], &stamp, sizeof(stamp)) < 0 && errno != EAGAIN)
				break;
		}
		rounds++;
	}
	/* EOF tells every reader to finish */
	for (int i = 0; i < run->nfeed; i++) {
		close(run->feed_fds[i]);
		run->feed_fds[i] = -1;
	}
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->u.run;

	thread_begin(w, 1);
	if (w->role == ROLE_FEEDER) {
		feeder_loop(run);
	} else {
		gil_take(run->gil, &w->gt);
		run_entry(run, w);
		gil_drop(run->gil, &w->gt);
	}
	thread_end(run, w);
	return NULL;
}

static int start_thread(struct run *run, struct worker *w)
{
	int err = pthread_create(&w->th, NULL, thread_main, w);

	if (err) {
		run_fail(run, "%s: pthread_create: %s", w->name, strerror(err));
		return -err;
	}
	w->started = 1;
	return 0;
}

static void join_thread(struct worker *w)
{
	if (w->started) {
		pthread_join(w->th, NULL);
		w->started = 0;
	}
}

/* ---- run setup ------------------------------------------------------------------ */

/* "prefix-idx" (or just prefix when idx is 0), cut to the kernel's 15 characters. */
static void set_name(char name[16], const char *prefix, int idx)
{
	if (idx)
		snprintf(name, 16, "%s-%u", prefix, (unsigned short)idx);
	else
		snprintf(name, 16, "%s", prefix);
}

static void worker_init(struct run *run, struct worker *w, enum role role, const char *prefix, int idx)
{
	memset(w, 0, sizeof(*w));
	w->u.run = run;
	w->u.w = w;
	w->role = role;
	w->fd = -1;
	set_name(w->name, prefix, idx);
}

static int run_init(struct run *run, int sid, const struct rt_options *o, int nworkers,
		    char *err, size_t errlen)
{
	char aerr[160];
	int rc;
	enum gil_policy policy = o->policy_set ? o->policy : (sid == SC_UNSAFE ? GIL_NONE : GIL_NEW);

	memset(run, 0, sizeof(*run));
	run->sid = sid;
	run->o = o;
	run->nworkers = nworkers;
	run->epfd = -1;
	pthread_mutex_init(&run->lock, NULL);
	worker_init(run, &run->main, ROLE_CPU, "main", 0);
	worker_init(run, &run->feeder, ROLE_FEEDER, "feeder", 0);
	run->work_mode = o->work > 0;
	run->pool = (int64_t)o->work;
	rc = rt_asm(rt_scenario_program, &run->prog, aerr, sizeof(aerr));
	if (rc) {
		snprintf(err, errlen, "built-in program: %s", aerr);
		return rc;
	}
	rc = gil_create(&run->gil, policy, o->interval_us ? o->interval_us : GIL_DEFAULT_INTERVAL_US);
	if (rc) {
		snprintf(err, errlen, "lock: %s", strerror(-rc));
		return rc;
	}
	rc = rt_vm_create(&run->vm, run->prog, builtins, RT_ARRAY_SIZE(builtins), run->gil,
			  aerr, sizeof(aerr));
	if (rc) {
		snprintf(err, errlen, "built-in program: %s", aerr);
		return rc;
	}
	if (sid == SC_NATIVE)
		run->native_k = rt_native_steps_per_unit();
	return 0;
}

static void run_fini(struct run *run)
{
	if (run->workers)
		for (int i = 0; i < run->nworkers; i++) {
			if (run->workers[i].fd >= 0)
				close(run->workers[i].fd);
			free(run->workers[i].lat.v);
		}
	for (int i = 0; i < run->nfeed; i++)
		if (run->feed_fds[i] >= 0)
			close(run->feed_fds[i]);
	if (run->epfd >= 0)
		close(run->epfd);
	free(run->feed_fds);
	free(run->workers);
	free(run->readyq);
	free(run->lat.v);
	free(run->reports);
	rt_vm_destroy(run->vm);
	gil_destroy(run->gil);
	rt_prog_destroy(run->prog);
	pthread_mutex_destroy(&run->lock);
}

/* A pipe whose read end is rfd_flags and write end non-blocking; the feeder gets the write end. */
static int add_feed_pipe(struct run *run, int *rfd, int rflags)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) || (rflags && fcntl(p[0], F_SETFL, rflags))) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	*rfd = p[0];
	run->feed_fds[run->nfeed++] = p[1];
	return 0;
}

/* ---- scenario bodies ------------------------------------------------------------ */

static enum role role_of(int sid)
{
	switch (sid) {
	case SC_NATIVE:
		return ROLE_NATIVE;
	case SC_CHURN:
		return ROLE_CHURN;
	case SC_UNSAFE:
		return ROLE_UNSAFE;
	case SC_IO:
		return ROLE_IO;
	default:
		return ROLE_CPU;
	}
}

/*
 * Threaded scenarios: the main thread holds the lock while it starts the
 * workers, releases it while it joins them (as CPython's main thread does
 * in Thread.join), and takes it again to look at the shared state.
 */
static int run_threads(struct run *run, int with_feeder)
{
	int n = run->nworkers, rc = 0;

	run->workers = calloc((size_t)n, sizeof(*run->workers));
	run->feed_fds = calloc((size_t)n + 1, sizeof(*run->feed_fds));
	if (!run->workers || !run->feed_fds)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		enum role role = role_of(run->sid);

		if (run->sid == SC_CONVOY)
			role = i == 0 ? ROLE_CPU : ROLE_IO;
		if (role == ROLE_IO)
			worker_init(run, &run->workers[i], role, "io", run->sid == SC_CONVOY ? i : i + 1);
		else
			worker_init(run, &run->workers[i], role, "worker", i + 1);
		if (role == ROLE_IO) {
			rc = add_feed_pipe(run, &run->workers[i].fd, 0);
			if (rc)
				return rc;
		}
	}
	for (int i = 0; i < n && !rc; i++)
		rc = start_thread(run, &run->workers[i]);
	if (!rc && with_feeder)
		rc = start_thread(run, &run->feeder);
	if (rc && !run->feeder.started) {
		/* no feeder: EOF now, or the I/O threads would wait forever */
		for (int i = 0; i < run->nfeed; i++) {
			close(run->feed_fds[i]);
			run->feed_fds[i] = -1;
		}
	}
	gil_drop(run->gil, &run->main.gt);
	if (run->sid == SC_CONVOY && run->work_mode) {
		/* the CPU worker's work is the run; then the feed stops */
		join_thread(&run->workers[0]);
		__atomic_store_n(&run->stop, 1, __ATOMIC_RELEASE);
	}
	for (int i = 0; i < n; i++)
		join_thread(&run->workers[i]);
	join_thread(&run->feeder);
	gil_take(run->gil, &run->main.gt);
	return rc;
}

static void coro_destroy(struct coro *co)
{
	if (!co)
		return;
	rt_decref(co->resume);
	rt_ctx_destroy(co->ctx);
	if (co->fd >= 0)
		close(co->fd);
	free(co);
}

/* Wait for events with the lock released (select() in asyncio does the same). */
static int loop_poll(struct run *run, int timeout_ms)
{
	struct epoll_event evs[64];
	uint64_t t0;
	int n;

	gil_drop(run->gil, &run->main.gt);
	GILRT_PROBE1(io_begin, run->epfd);
	t0 = probe_clock(GILRT_PROBE_ENABLED(io_end));
	do
		n = epoll_wait(run->epfd, evs, RT_ARRAY_SIZE(evs), timeout_ms);
	while (n < 0 && errno == EINTR);
	GILRT_PROBE2(io_end, run->epfd, probe_since(t0));
	gil_take(run->gil, &run->main.gt);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct coro *co = evs[i].data.ptr;
		uint64_t stamp;
		ssize_t r;

		if (co->state != CO_WAIT)
			continue;
		r = read(co->fd, &stamp, sizeof(stamp));
		if (r < 0 && errno == EAGAIN) {
			struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = co };

			epoll_ctl(run->epfd, EPOLL_CTL_MOD, co->fd, &ev);
			continue;
		}
		co->resume = rt_int_val(r == (ssize_t)sizeof(stamp));
		co->t_event = r == (ssize_t)sizeof(stamp) ? stamp : 0;
		readyq_push(run, co);
	}
	return 0;
}

/* asyncio in miniature: one thread, coroutines resumed when their fd is ready. */
static int run_async(struct run *run)
{
	int n = run->nworkers, live = n, rc = 0, io = run->sid == SC_ASYNC;
	struct coro **cos = calloc((size_t)n, sizeof(*cos));
	struct rlimit rl;

	/* two pipe ends per coroutine: raise the soft fd limit as far as allowed */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	run->readyq = calloc((size_t)n + 1, sizeof(*run->readyq));
	run->rq_cap = (size_t)n + 1;
	run->feed_fds = calloc((size_t)n + 1, sizeof(*run->feed_fds));
	run->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!cos || !run->readyq || !run->feed_fds || run->epfd < 0) {
		free(cos);
		return -ENOMEM;
	}
	/* coroutines run on the main thread: they find it through u.w */
	for (int i = 0; i < n && !rc; i++) {
		struct coro *co = calloc(1, sizeof(*co));
		int f = rt_prog_find_func(run->prog, io ? "aio_coro" : "acpu_coro");

		if (!co) {
			rc = -ENOMEM;
			break;
		}
		cos[i] = co;
		co->u = (struct exec_user){ .run = run, .w = &run->main, .co = co };
		co->fd = -1;
		rc = rt_ctx_create(&co->ctx, run->vm, &run->main.gt, &co->u);
		if (!rc)
			rc = rt_ctx_start(co->ctx, f, NULL, 0);
		if (!rc && io) {
			struct epoll_event ev = { .events = 0, .data.ptr = co };

			rc = add_feed_pipe(run, &co->fd, O_NONBLOCK);
			if (!rc && epoll_ctl(run->epfd, EPOLL_CTL_ADD, co->fd, &ev))
				rc = -errno;
		}
		if (!rc)
			readyq_push(run, co);
	}
	if (!rc && io)
		rc = start_thread(run, &run->feeder);
	while (!rc && live > 0) {
		while (run->rq_len && !rc) {
			struct coro *co = run->readyq[run->rq_head];
			rt_val res = RT_NONE, v = co->resume;

			run->rq_head = (run->rq_head + 1) % run->rq_cap;
			run->rq_len--;
			if (co->t_event) {
				samples_add(&run->lat, rt_now_ns() - co->t_event);
				run->main.units++;
				co->t_event = 0;
			}
			co->resume = RT_NONE;
			if (co->started) {
				rc = rt_ctx_resume(co->ctx, v, &res);
			} else {
				co->started = 1;
				rc = rt_ctx_run(co->ctx, &res);
			}
			if (rc == RT_SUSPEND) {
				rc = 0;
			} else if (rc == 0) {
				rt_decref(res);
				co->state = CO_DONE;
				live--;
			} else {
				run_fail(run, "coroutine: %s", rt_ctx_error(co->ctx));
			}
		}
		if (!rc && live > 0)
			rc = loop_poll(run, run->rq_len ? 0 : -1);
	}
	if (rc && !run->failed)
		run_fail(run, "event loop: %s", strerror(-rc));
	__atomic_store_n(&run->stop, 1, __ATOMIC_RELEASE);
	gil_drop(run->gil, &run->main.gt);
	join_thread(&run->feeder);
	gil_take(run->gil, &run->main.gt);
	for (int i = 0; i < n; i++)
		coro_destroy(cos[i]);
	free(cos);
	return rc;
}

/* ---- procs: one interpreter and lock per process -------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* In the child: a seq run on this process's own lock, reports to the parent. */
static int child_main(const struct rt_options *o, uint64_t work, uint64_t deadline, int idx, int wfd)
{
	struct rt_options co = *o;
	struct run run;
	char err[200];
	int rc;

	co.work = work;
	rc = run_init(&run, SC_SEQ, &co, 1, err, sizeof(err));
	if (!rc) {
		run.deadline = deadline;	/* all children stop together */
		set_name(run.main.name, "worker", idx);
		thread_begin(&run.main, 1);
		gil_take(run.gil, &run.main.gt);
		run_entry(&run, &run.main);
		gil_drop(run.gil, &run.main.gt);
		thread_end(&run, &run.main);
		rc = run.failed ? 1 : 0;
		if (write_all(wfd, run.reports, run.nreports * sizeof(*run.reports)))
			rc = 1;
	}
	if (rc && run.failed)
		fprintf(stderr, "gilrt: worker-%d: %s\n", idx, run.err);
	run_fini(&run);
	close(wfd);
	return rc ? 1 : 0;
}

static int run_procs(struct run *run)
{
	int n = run->nworkers, rc = 0;
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	int *fds = calloc((size_t)n, sizeof(*fds));

	if (!pids || !fds) {
		free(pids);
		free(fds);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		uint64_t share = run->o->work / (uint64_t)n + ((uint64_t)i < run->o->work % (uint64_t)n);
		int p[2];

		fds[i] = -1;
		if (pipe2(p, O_CLOEXEC)) {
			rc = -errno;
			break;
		}
		fflush(NULL);
		pids[i] = fork();
		if (pids[i] == 0) {
			gilrt_probes_after_fork();
			close(p[0]);
			_exit(child_main(run->o, run->work_mode ? (share ? share : 1) : 0,
					 run->deadline, i + 1, p[1]));
		}
		close(p[1]);
		if (pids[i] < 0) {
			rc = -errno;
			close(p[0]);
			break;
		}
		fds[i] = p[0];
	}
	/* like join: wait for the children without holding the lock */
	gil_drop(run->gil, &run->main.gt);
	for (int i = 0; i < n; i++) {
		struct rt_report r;
		int status;

		if (fds[i] < 0)
			continue;
		while (read(fds[i], &r, sizeof(r)) == (ssize_t)sizeof(r))
			add_report(run, &r);
		close(fds[i]);
		if (waitpid(pids[i], &status, 0) == pids[i] &&
		    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
			run_fail(run, "worker process %d failed", (int)pids[i]);
	}
	gil_take(run->gil, &run->main.gt);
	free(pids);
	free(fds);
	return rc;
}

/* ---- unsafe: what the lock protects ---------------------------------------------- */

static int unsafe_setup(struct run *run, int *shared_idx, int *counter_idx)
{
	rt_val shared = rt_list_new(RT_OBJ_STATIC);

	*shared_idx = rt_prog_global(run->prog, "shared");
	*counter_idx = rt_prog_global(run->prog, "counter");
	if (!shared || *shared_idx < 0 || *counter_idx < 0)
		return -ENOMEM;
	rt_vm_set_global(run->vm, *shared_idx, shared);
	rt_vm_set_global(run->vm, *counter_idx, rt_int_val(0));
	return 0;
}

static void unsafe_check(struct run *run, struct rt_result *res, int shared_idx, int counter_idx,
			 long underflows_before)
{
	rt_val shared = rt_vm_global(run->vm, shared_idx);
	rt_val counter = rt_vm_global(run->vm, counter_idx);
	int64_t expected = 0;

	for (int i = 0; i < run->nworkers; i++)
		expected += (int64_t)run->workers[i].units;
	res->has_unsafe = 1;
	res->refcnt_expected = 1;	/* the global's own reference */
	res->refcnt_actual = rt_obj(shared)->refcnt;
	res->refcnt_underflows = rt_obj_underflows() - underflows_before;
	res->counter_expected = expected;
	res->counter_actual = rt_is_int(counter) ? rt_int(counter) : -1;
	res->corrupted = res->refcnt_actual != res->refcnt_expected || res->refcnt_underflows ||
			 res->counter_actual != res->counter_expected;
	/* the object is static: take it out of the globals and free it ourselves */
	rt_obj(shared)->refcnt = 2;
	rt_vm_set_global(run->vm, shared_idx, RT_NONE);
	rt_obj_free_static(shared);
}

/* ---- the entry point ------------------------------------------------------------ */

static int default_workers(int sid)
{
	switch (sid) {
	case SC_SEQ:
		return 1;
	case SC_CHURN:
		return 1;
	case SC_ASYNC:
		return ASYNC_DEFAULT_COROS;
	case SC_ASYNC_CPU:
		return 8;
	default:
		return 2;
	}
}

static void collect(struct run *run, struct rt_result *res)
{
	struct samples all = { 0 };
	struct rusage ru;

	/* main first, then the others in the order they finished */
	for (size_t i = run->nreports; i-- > 1;)
		if (run->reports[i].tid == run->main.gt.tid && run->reports[i].pid == getpid()) {
			struct rt_report m = run->reports[i];

			memmove(run->reports + 1, run->reports, i * sizeof(m));
			run->reports[0] = m;
			break;
		}
	res->reports = run->reports;
	res->nreports = run->nreports;
	run->reports = NULL;
	run->nreports = run->capreports = 0;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		res->voluntary_ctxsw = (uint64_t)ru.ru_nvcsw;
		res->involuntary_ctxsw = (uint64_t)ru.ru_nivcsw;
	}
	if (run->sid == SC_PROCS && getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		res->voluntary_ctxsw += (uint64_t)ru.ru_nvcsw;
		res->involuntary_ctxsw += (uint64_t)ru.ru_nivcsw;
	}
	res->switches = gil_switches(run->gil);
	res->work_done = run->main.units;
	for (int i = 0; run->workers && i < run->nworkers; i++) {
		/* convoy's work is the CPU thread's; its events are counted below */
		if (run->sid != SC_CONVOY || run->workers[i].role != ROLE_IO)
			res->work_done += run->workers[i].units;
		for (size_t j = 0; j < run->workers[i].lat.n; j++)
			samples_add(&all, run->workers[i].lat.v[j]);
	}
	for (size_t j = 0; j < run->lat.n; j++)
		samples_add(&all, run->lat.v[j]);
	if (run->sid == SC_PROCS)
		res->work_done = run->o->work;
	if (run->sid == SC_IO || run->sid == SC_CONVOY || run->sid == SC_ASYNC) {
		res->has_latency = 1;
		res->latency_count = all.n;
		if (all.n) {
			qsort(all.v, all.n, sizeof(*all.v), cmp_u64);
			res->latency_p50_ns = all.v[(all.n - 1) * 50 / 100];
			res->latency_p99_ns = all.v[(all.n - 1) * 99 / 100];
			res->latency_max_ns = all.v[all.n - 1];
		}
	}
	free(all.v);
}

static int find_scenario(const char *name)
{
	for (int i = 0; name && i < SC__COUNT; i++)
		if (strcmp(scenarios[i].name, name) == 0)
			return i;
	return -1;
}

int rt_scenario_run(const struct rt_options *o, struct rt_result **out, char *err, size_t errlen)
{
	int sid = find_scenario(o->scenario), nworkers, rc, shared_idx = -1, counter_idx = -1;
	struct rt_result *res;
	struct run run;
	uint64_t t0;
	long underflows = rt_obj_underflows();
	char comm[16];

	if (sid < 0) {
		snprintf(err, errlen, "unknown scenario '%s' (see gilrt list)", o->scenario ? o->scenario : "");
		return -EINVAL;
	}
	nworkers = o->threads > 0 ? o->threads : default_workers(sid);
	if (sid == SC_SEQ)
		nworkers = 1;
	if (sid == SC_CONVOY)
		nworkers = 2;
	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	rc = run_init(&run, sid, o, nworkers, err, errlen);
	if (rc) {
		run_fini(&run);
		free(res);
		return rc;
	}
	if (run.work_mode && (sid == SC_IO || sid == SC_ASYNC))
		run.feed_rounds = (o->work + (uint64_t)nworkers - 1) / (uint64_t)nworkers;
	snprintf(res->scenario, sizeof(res->scenario), "%s", scenarios[sid].name);
	res->policy = gil_policy(run.gil);
	res->interval_us = gil_interval_us(run.gil);
	res->threads = nworkers;

	/* the kernel shows our main thread as "main" while we run; put its name back after */
	if (pthread_getname_np(pthread_self(), comm, sizeof(comm)))
		snprintf(comm, sizeof(comm), "gilrt");
	thread_begin(&run.main, 1);
	gil_take(run.gil, &run.main.gt);
	t0 = rt_now_ns();
	/* from here: setting up (calibrating native work) is not part of the run */
	run.deadline = t0 + (o->seconds_ns ? o->seconds_ns : DEFAULT_RUN_NS);
	if (sid == SC_UNSAFE)
		rc = unsafe_setup(&run, &shared_idx, &counter_idx);
	if (rc)
		;
	else if (sid == SC_SEQ)
		run_entry(&run, &run.main);
	else if (sid == SC_PROCS)
		rc = run_procs(&run);
	else if (sid == SC_ASYNC || sid == SC_ASYNC_CPU)
		rc = run_async(&run);
	else
		rc = run_threads(&run, sid == SC_IO || sid == SC_CONVOY);
	if (sid == SC_UNSAFE && shared_idx >= 0 && run.workers)
		unsafe_check(&run, res, shared_idx, counter_idx, underflows);
	gil_drop(run.gil, &run.main.gt);
	res->wall_ns = rt_now_ns() - t0;
	thread_end(&run, &run.main);
	pthread_setname_np(pthread_self(), comm);
	if (!rc && run.failed)
		rc = -EIO;
	if (rc) {
		snprintf(err, errlen, "%s: %s", scenarios[sid].name,
			 run.failed ? run.err : strerror(-rc));
		run_fini(&run);
		rt_result_destroy(res);
		return rc == -EINVAL ? -EIO : rc;
	}
	collect(&run, res);
	run_fini(&run);
	*out = res;
	return 0;
}

void rt_result_destroy(struct rt_result *r)
{
	if (!r)
		return;
	free(r->reports);
	free(r);
}

void rt_result_totals(const struct rt_result *r, struct gil_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < r->nreports; i++)
		gil_stats_add(out, &r->reports[i].gil);
}
