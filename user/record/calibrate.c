/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * calibrate.c - the cost of one probe hit of each kind, measured here (see
 * calibrate.h). The probe sites are functions written in assembly below,
 * so that each kind's site is exactly the instruction it stands for.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/gs_usdt.h"
#include "record/calibrate.h"
#include "record/x86_insn.h"
#include "util/err.h"

#if GS_USDT_NOP5

#define FN(name, body)								\
	".text\n.globl " #name "\n.hidden " #name "\n.type " #name ",@function\n"	\
	".p2align 4\n" #name ":\n" body "\n.size " #name ", .-" #name "\n"

/* the sites: one function per kind, its first instruction the probed one;
 * acquire and release functions apart (one gets a return probe). Each has
 * a twin that is never probed, for the cost of the call itself: a site of
 * ours may still carry a probe of an earlier gilscope for a moment (its
 * detach runs in the background, loader.h), so it cannot be timed bare. */
__asm__(FN(gs_cal_base_branch, "jmp 1f\n1: ret")
	FN(gs_cal_base_push, "push %rbx\npop %rbx\nret")
	FN(gs_cal_base_step, "mov %rdi, %rax\nret")
	FN(gs_cal_base_wait, "call gs_cal_leaf\nret")
	FN(gs_cal_base5, ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\nret")
	FN(gs_cal_base1, "nop\nret")
	FN(gs_cal_acq_branch, "jmp 1f\n1: ret")
	FN(gs_cal_acq_push, "push %rbx\npop %rbx\nret")
	FN(gs_cal_acq_step, "mov %rdi, %rax\nret")
	FN(gs_cal_rel_branch, "jmp 1f\n1: ret")
	FN(gs_cal_rel_push, "push %rbx\npop %rbx\nret")
	FN(gs_cal_rel_step, "mov %rdi, %rax\nret")
	FN(gs_cal_leaf, "ret")
	FN(gs_cal_wait, "call gs_cal_leaf\nret")
	FN(gs_cal_got, "call gs_cal_leaf\nret")
	GS_USDT_ASM_FN(gs_cal_usdt5, gilrt, gil_released, "-8@%rdi -8@%rsi -8@%rdx")
	GS_USDT_ASM_FN_NOP1(gs_cal_usdt1, gilrt, gil_released, "-8@%rdi -8@%rsi -8@%rdx")
	/* never run: gives loader_attach_gilrt() the lock probes it requires */
	GS_USDT_ASM_FN(gs_cal_names_req, gilrt, gil_request, "-8@%rdi -8@%rsi")
	GS_USDT_ASM_FN(gs_cal_names_acq, gilrt, gil_acquired, "-8@%rdi -8@%rsi -8@%rdx")
	GS_USDT_ASM_FN(gs_cal_names_drop, gilrt, gil_drop_request, "-8@%rdi -8@%rsi"));

void gs_cal_acq_branch(void *), gs_cal_acq_push(void *), gs_cal_acq_step(void *);
/* release sites get an argument in every register: the one drop_gil's
 * thread state is in depends on the version */
void gs_cal_rel_branch(void *, void *, void *, void *, void *, void *);
void gs_cal_rel_push(void *, void *, void *, void *, void *, void *);
void gs_cal_rel_step(void *, void *, void *, void *, void *, void *);
void gs_cal_wait(void *), gs_cal_got(void *), gs_cal_usdt5(void *, long, long), gs_cal_usdt1(void *, long, long);
void gs_cal_base_branch(void *), gs_cal_base_push(void *), gs_cal_base_step(void *);
void gs_cal_base_wait(void *), gs_cal_base5(void *, long, long), gs_cal_base1(void *, long, long);

#define BATCHES 5
#define BATCH_NS 2000000.0	/* aim for ~2 ms of calls per batch */

typedef void (*site_fn)(void *);

static uint64_t cpu_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int lock_word;

#define FAKE_WORDS 1024
static uint64_t fake_co[FAKE_WORDS];	/* py_fake()'s code object (on_event looks for it) */

#define REL_ARGS rel_arg, rel_arg, rel_arg, rel_arg, rel_arg, rel_arg

/* What every argument register holds at a release site: the lock word, or
 * with Python functions py_fake()'s thread state (its address is then the
 * lock the event names: calibration events are not kept). */
static void *rel_arg = &lock_word;

static void call_rel_branch(void *p) { (void)p; gs_cal_rel_branch(REL_ARGS); }
static void call_rel_push(void *p) { (void)p; gs_cal_rel_push(REL_ARGS); }
static void call_rel_step(void *p) { (void)p; gs_cal_rel_step(REL_ARGS); }
static void call_usdt5(void *p) { gs_cal_usdt5(p, 1, 1); }
static void call_usdt1(void *p) { gs_cal_usdt1(p, 1, 1); }
static void call_base5(void *p) { gs_cal_base5(p, 1, 1); }
static void call_base1(void *p) { gs_cal_base1(p, 1, 1); }

/* The unprobed twin of each kind's site. */
static site_fn base_of(int kind)
{
	switch (kind) {
	case COST_USDT5: return call_base5;
	case COST_USDT1: return call_base1;
	case COST_ACQ_BRANCH: case COST_REL_BRANCH: return gs_cal_base_branch;
	case COST_ACQ_PUSH: case COST_REL_PUSH: return gs_cal_base_push;
	case COST_ACQ_STEP: case COST_REL_STEP: return gs_cal_base_step;
	case COST_WAIT: case COST_GOT: return gs_cal_base_wait;
	}
	return NULL;
}

/* The site function of each kind (the scheduler kind has none). */
static site_fn site_of(int kind)
{
	switch (kind) {
	case COST_USDT5: return call_usdt5;
	case COST_USDT1: return call_usdt1;
	case COST_ACQ_BRANCH: return gs_cal_acq_branch;
	case COST_ACQ_PUSH: return gs_cal_acq_push;
	case COST_ACQ_STEP: return gs_cal_acq_step;
	case COST_REL_BRANCH: return call_rel_branch;
	case COST_REL_PUSH: return call_rel_push;
	case COST_REL_STEP: return call_rel_step;
	case COST_WAIT: return gs_cal_wait;
	case COST_GOT: return gs_cal_got;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * ns per call of fn: the median of BATCHES batches sized to ~BATCH_NS.
 * Each call is followed by a system call, as a program's probes are
 * separated by other work that enters the kernel (a read, a futex): hit
 * after hit with nothing between, the kernel's probe path stays hotter than
 * in any real program, and was measured 8-15 % cheaper than in a CPython
 * loop of os.read. The system call costs the same in the base loop.
 */
static double per_call(site_fn fn, void (*drain)(void *), void *dctx)
{
	double t[BATCHES], est;
	long n = 64;
	uint64_t t0;

	t0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < n; i++)
		fn(&lock_word);
	est = (double)(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / n;
	n = est > 0 ? (long)(BATCH_NS / est) : 4000;
	n = n < 64 ? 64 : n > 4000 ? 4000 : n;
	for (int b = 0; b < BATCHES; b++) {
		if (drain)
			drain(dctx);
		t0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
		for (long i = 0; i < n; i++) {
			fn(&lock_word);
			syscall(SYS_getppid);	/* see below */
		}
		t[b] = (double)(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / n;
	}
	qsort(t, BATCHES, sizeof(t[0]), cmp_double);
	return t[BATCHES / 2];
}

/* ---- the scheduler kind: two threads yielding to each other ------------------ */

struct yielder {
	atomic_int stop;
	int cpu;
};

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void *yield_loop(void *arg)
{
	struct yielder *y = arg;

	pin(y->cpu);
	while (!atomic_load(&y->stop))
		sched_yield();
	return NULL;
}

static uint64_t switches(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_nvcsw + ru.ru_nivcsw;
}

/* A batch's bound in wall time: where other tasks are runnable on our CPU,
 * each yield may hand it to them for a whole time slice (both cores busy:
 * 1000 yields took 2 s, and a recording 22 s to start its program). */
#define SWITCH_BATCH_WALL_NS (10 * 1000 * 1000)

/* CPU ns per context switch of ours (both threads) over one batch: 1000
 * yields, or fewer if SWITCH_BATCH_WALL_NS passes first */
static double switch_batch(void)
{
	uint64_t c0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID), s0 = switches(), sw;
	uint64_t end = cpu_ns(CLOCK_MONOTONIC) + SWITCH_BATCH_WALL_NS;

	for (int i = 0; i < 1000; i++) {
		sched_yield();
		if (i % 16 == 15 && cpu_ns(CLOCK_MONOTONIC) > end)
			break;
	}
	sw = switches() - s0;
	return sw ? (double)(cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / sw : 0;
}

/* The sched_switch program's run time and runs so far (kernel statistics). */
static int prog_stats(int fd, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return -1;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

/*
 * The price of a switch when a busy machine hides it in the on/off
 * difference (a CPU hog, other jobs): the kernel's own measure of the
 * sched_switch program's run time per run over batches of our traced
 * switches, which other load does not change. It leaves out the entry to
 * the program (the trampoline, tens of ns), and runs of other tasks (a
 * filter, cheaper) dilute it a little: a lower bound, used only then.
 */
static double switch_prog_ns(struct loader *l)
{
	int sfd = bpf_enable_stats(BPF_STATS_RUN_TIME), fd = loader_switch_prog_fd(l);
	uint64_t ns0, c0, ns1, c1;
	double v = 0;

	if (sfd < 0)
		return 0;
	if (!prog_stats(fd, &ns0, &c0)) {
		for (int b = 0; b < BATCHES; b++)
			switch_batch();
		if (!prog_stats(fd, &ns1, &c1) && c1 > c0)
			v = (double)(ns1 - ns0) / (double)(c1 - c0);
	}
	close(sfd);
	return v;
}

/*
 * What the scheduler programs add to a switch of a traced thread: batches
 * with this process traced and not, alternately (the programs stay
 * attached: what differs is their work past the filter), the median of
 * the differences. A context switch costs microseconds and varies with
 * the machine's load far more than the program's ~100 ns, so pairs taken
 * close together, not two separate medians.
 */
static double per_switch(struct loader *l, void (*drain)(void *), void *dctx)
{
	struct yielder y = { .cpu = sched_getcpu() };
	double d[BATCHES];
	cpu_set_t old;
	pthread_t th;
	int n = BATCHES;

	if (y.cpu < 0 || sched_getaffinity(0, sizeof(old), &old))
		return -1;
	pin(y.cpu);
	if (pthread_create(&th, NULL, yield_loop, &y)) {
		sched_setaffinity(0, sizeof(old), &old);
		return -1;
	}
	for (int b = 0; b < n; b++) {
		double on, off;

		drain(dctx);
		on = switch_batch();
		loader_untrace_tgid(l, getpid());
		off = switch_batch();
		loader_trace_tgid(l, getpid());
		d[b] = on - off;
	}
	qsort(d, n, sizeof(d[0]), cmp_double);
	if (d[n / 2] <= 0)	/* the machine's load hid the difference */
		d[n / 2] = switch_prog_ns(l);
	atomic_store(&y.stop, 1);
	pthread_join(th, NULL);
	sched_setaffinity(0, sizeof(old), &old);
	return d[n / 2];
}

/* ---- the probes ------------------------------------------------------------------- */

/* File offset in our executable of our own function fn. */
static int self_off(const void *fn, uint64_t *off)
{
	char line[4352];
	uintptr_t a = (uintptr_t)fn;
	FILE *f = fopen("/proc/self/maps", "re");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, o;

		if (sscanf(line, "%lx-%lx %*s %lx", &s, &e, &o) == 3 && a >= s && a < e) {
			*off = a - s + o;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* Calibration events are not kept; a release that names py_fake()'s code
 * object says the reads went the whole way (*ctx, calib.py_read). */
static int on_event(void *ctx, void *data, size_t size)
{
	const struct gs_event *e = data;

	for (size_t i = 0; i < size / sizeof(*e); i++)
		if (e[i].type == GS_EV_LOCK_RELEASED && (e[i].flags & GS_F_FUNC) &&
		    e[i].arg1 > GS_PYADDR_FAULT && gs_pyaddr_addr(e[i].arg1) == (uintptr_t)fake_co)
			*(bool *)ctx = true;
	return 0;
}

struct drain_ctx {
	struct loader *l;
	struct ring_buffer *rb;
};

static void drain(void *p)
{
	struct drain_ctx *d = p;

	loader_flush(d->l);
	ring_buffer__consume(d->rb);
}

/* The first byte of kind k's site, or -1 (the scheduler kind has none). */
static int site_byte(int k)
{
	const void *fn = k == COST_USDT5 ? (const void *)gs_cal_usdt5
		       : k == COST_USDT1 ? (const void *)gs_cal_usdt1 : (const void *)site_of(k);

	return k == COST_SCHED ? -1 : *(const volatile uint8_t *)fn;
}

/*
 * An earlier gilscope's probes on our sites (its detach runs in the
 * background for a second or two after it exits: loader.h) would run their
 * programs on our hits too and make them look dearer: wait for them to go,
 * up to STALE_WAIT_MS. A probed site reads as a breakpoint (or, a 5-byte
 * nop, as the call it was optimized into) in our own code.
 */
#define STALE_WAIT_MS 2000

static void wait_stale_probes(uint32_t kinds)
{
	for (int ms = 0; ms < STALE_WAIT_MS; ms += 20) {
		bool busy = false;

		for (int k = 0; k < COST__COUNT; k++)
			if (kinds & (1u << k))
				busy |= site_byte(k) == 0xcc || (k == COST_USDT5 && site_byte(k) == 0xe8);
		if (!busy)
			return;
		usleep(20000);
	}
}

/* The lock target standing for the kinds asked: every site of ours. */
static int cal_target(const struct calib_opts *o, struct lock_target *t)
{
	static const site_fn acq[] = { gs_cal_acq_branch, gs_cal_acq_push, gs_cal_acq_step };
	static const void *const rel[] = { (const void *)gs_cal_rel_branch,
					   (const void *)gs_cal_rel_push,
					   (const void *)gs_cal_rel_step };
	static const uint8_t cls[] = { X86_PROBE_BRANCH, X86_PROBE_PUSH, X86_PROBE_STEP };
	struct lock_sites *sites = &t->sites;
	int rc;

	memset(t, 0, sizeof(*t));
	t->binary = "/proc/self/exe";
	t->acquire_arg = o->acq_entry ? 0 : -1;
	t->release_arg = 0;
	t->lock_addr = o->acq_entry ? 0 : 1;
	for (int i = 0; i < 3; i++) {
		if ((rc = self_off((const void *)acq[i], &sites->acquire[i].off)) ||
		    (rc = self_off(rel[i], &sites->release[i].off)))
			return rc;
		sites->acquire[i].cls = sites->release[i].cls = cls[i];
	}
	sites->nacquire = sites->nrelease = 3;
	if (!o->acq_entry) {	/* --python: the acquire entry runs no program */
		if ((rc = self_off((const void *)gs_cal_wait, &sites->wait[0].off)))
			return rc;
		sites->wait[0].cls = X86_PROBE_BRANCH;
		sites->nwait = 1;
		if (o->kinds & (1u << COST_GOT)) {	/* ACQUIRED there, no return probe */
			if ((rc = self_off((const void *)gs_cal_got, &sites->got[0].off)))
				return rc;
			sites->got[0].cls = X86_PROBE_BRANCH;
			sites->ngot = 1;
		}
	}
	return 0;
}

/*
 * --python with functions: a thread state, a frame (through a _PyCFrame
 * where py has one) and a code object, at the offsets py gives, so that
 * the release program follows them as it does in CPython (the same number
 * of reads, none failing). False if py's offsets do not fit the buffers.
 */

static bool py_fake(const struct gs_py_cfg *py)
{
	static uint64_t ts[FAKE_WORDS], cf[FAKE_WORDS], fr[FAKE_WORDS];
	uint64_t *co = fake_co;
	const int32_t lim = (int32_t)sizeof(ts) - 8;
	uint64_t p;

	if (py->ts_frame > lim || py->ts_cframe > lim || py->cframe_current > lim ||
	    py->frame_code < 0 || py->frame_code > lim || py->frame_owner > lim ||
	    py->code_lo < 0 || py->code_lo + py->code_len > (int32_t)sizeof(fake_co) ||
	    (py->frames == GS_PYF_CFRAME ? py->ts_cframe < 0 || py->cframe_current < 0
					 : py->ts_frame < 0))
		return false;
	if (py->frames == GS_PYF_CFRAME) {
		memcpy((char *)ts + py->ts_cframe, &(uint64_t){ (uintptr_t)cf }, 8);
		memcpy((char *)cf + py->cframe_current, &(uint64_t){ (uintptr_t)fr }, 8);
	} else {
		memcpy((char *)ts + py->ts_frame, &(uint64_t){ (uintptr_t)fr }, 8);
	}
	/* written, so that its pages are there: a BPF read does not fault them in */
	memset(co, 0x5a, sizeof(fake_co));
	p = (uintptr_t)co;
	memcpy((char *)fr + py->frame_code, &p, 8);
	if (py->owned_by_cstack >= 0 && py->frame_owner >= 0)	/* a Python frame, not C's */
		((uint8_t *)fr)[py->frame_owner] = (uint8_t)(py->owned_by_cstack + 1);
	rel_arg = ts;
	return true;
}

/* Fork after the 5-byte nop site was hit (and optimized): does the child
 * survive a hit of its own? */
static int fork_test(void)
{
	int st;
	pid_t c = fork();

	if (c < 0)
		return -1;
	if (c == 0) {
		signal(SIGSEGV, SIG_DFL);
		gs_cal_usdt5(&lock_word, 0, 0);
		_exit(0);
	}
	if (waitpid(c, &st, 0) != c)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int calibrate(const struct calib_opts *o, struct calib *out, char *err, size_t errlen)
{
	struct loader_opts lo = { .ringbuf_bytes = 1u << 20 };
	bool py;
	struct drain_ctx d = { 0 };
	struct lock_target t;
	double base[COST__COUNT];
	bool lock = o->kinds & ((1u << COST_SCHED) - (1u << COST_ACQ_BRANCH));
	int rc;

	for (int k = 0; k < COST__COUNT; k++)
		out->ns[k] = -1;
	out->nop5_optimized = false;
	out->nop5_fork = -1;
	out->py_read = false;
	wait_stale_probes(o->kinds);
	/* without probes: what the calls themselves cost */
	for (int k = 0; k < COST__COUNT; k++)
		if (o->kinds & (1u << k))
			base[k] = k == COST_SCHED ? 0 : per_call(base_of(k), NULL, NULL);
	rel_arg = &lock_word;
	py = o->py && o->py->frames != GS_PYF_OFF && py_fake(o->py);
	lo.py = py ? o->py : NULL;
	rc = loader_open(&d.l, &lo);
	if (!rc)
		rc = loader_load(d.l);
	if (!rc && (o->kinds & (1u << COST_USDT5 | 1u << COST_USDT1)))
		rc = loader_attach_gilrt(d.l, "/proc/self/exe");
	if (!rc && lock && !(rc = cal_target(o, &t)))
		rc = loader_attach_lock(d.l, &t);
	if (!rc && (o->kinds & (1u << COST_SCHED)))
		rc = loader_attach_sched(d.l);
	if (!rc)
		rc = loader_trace_tgid(d.l, getpid());
	if (!rc && !(d.rb = ring_buffer__new(loader_ringbuf_fd(d.l), on_event, &out->py_read,
					      NULL)))
		rc = -errno;
	if (rc) {
		rc = errf(err, errlen, rc, "calibration: %s",
			  loader_error(d.l)[0] ? loader_error(d.l) : strerror(-rc));
		goto out;
	}
	for (int k = 0; k < COST__COUNT; k++) {
		double v;

		if (!(o->kinds & (1u << k)))
			continue;
		v = k == COST_SCHED ? per_switch(d.l, drain, &d) : per_call(site_of(k), drain, &d);
		out->ns[k] = v > base[k] ? v - base[k] : 0;
	}
	if (o->kinds & (1u << COST_USDT5))
		out->nop5_optimized = *(volatile uint8_t *)(uintptr_t)gs_cal_usdt5 == 0xe8;
	if (o->fork_test && (o->kinds & (1u << COST_USDT5)))
		out->nop5_fork = fork_test();
out:
	ring_buffer__free(d.rb);
	loader_destroy(d.l);
	return rc;
}

#else	/* no calibration sites on this architecture */

int calibrate(const struct calib_opts *o, struct calib *out, char *err, size_t errlen)
{
	(void)o;
	for (int k = 0; k < COST__COUNT; k++)
		out->ns[k] = -1;
	out->nop5_optimized = false;
	out->nop5_fork = -1;
	out->py_read = false;
	return errf(err, errlen, -EOPNOTSUPP, "calibration: x86-64 only");
}

#endif
