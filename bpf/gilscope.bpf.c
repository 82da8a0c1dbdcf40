/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilscope.bpf.c - every event gilscope records, produced in the kernel.
 *
 * Lock events come from gilrt's USDT probes or, for other programs, from
 * uprobes on an acquire/release function pair. Scheduling comes from BTF
 * tracepoints. Programs are attached for every process (pid -1) and filter
 * here by the traced set (tgids), which user space seeds with the target and
 * which follows fork() (sched_process_fork), so a program's whole process
 * tree is traced. Events are staged per CPU and go to one ring buffer in
 * batches, submitted without wakeups: user space flushes every CPU's batch
 * and drains the ring on a timer, so the traced program never pays for a
 * wakeup of the recorder. An event that finds no room is counted, never
 * silent.
 *
 * Long file: the kernel side is one BPF object (one skeleton, one load), and
 * its programs share the maps and the inlined stage/filter helpers above
 * them; splitting it would only spread that over headers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "gilscope.h"
#include "gs_pycode.h"

char LICENSE[] SEC("license") = "GPL";

/* Options, set by the loader between open and load. */
const volatile bool all_tasks = false;		/* -a: keep every task's sched events */
/* Lock uprobe target, written by the loader after load (.data, not rodata:
 * the target may be resolved after the programs are loaded). */
volatile int lock_acquire_arg SEC(".data") = 0;	/* which arg is the lock (-1: none) */
volatile int lock_release_arg SEC(".data") = 0;
volatile __u64 lock_filter SEC(".data") = 0;	/* keep only this lock (0: all) */
volatile __u64 lock_addr SEC(".data") = 1;	/* lock address reported when the arg is -1 */
volatile int lock_ok SEC(".data") = GS_LOCK_OK_ANY;	/* enum gs_lock_ok: did acquire get it */
/* --python: where the code a thread runs is (read-only: known at load, so a
 * recording without functions has none of that code at all). */
const volatile struct gs_py_cfg py_cfg = { .frames = GS_PYF_OFF };
/* tracing for a user (under sudo): every id of a traced process must stay
 * theirs (on_sched_process_exec); -1: no such rule */
volatile __u32 user_uid SEC(".data") = (__u32)-1;
volatile __u32 user_gid SEC(".data") = (__u32)-1;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);		/* loader_opts.ringbuf_bytes may resize */
} events SEC(".maps");

/*
 * The traced set. sched_switch asks it twice per context switch of the whole
 * machine, so the common case is one inlined array load: traced_slots holds a
 * traced tgid at index tgid % TGID_SLOTS. Tgids that do not get a slot (the
 * slot is taken, or a fork added them: BPF has no compare-and-swap here to
 * claim a slot safely) live in the traced_tgids hash, and once that holds
 * anything (traced_overflow) a slot miss must look there too.
 */
#define TGID_SLOTS 4096

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TGID_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} traced_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

volatile __u32 traced_overflow;	/* traced_tgids may hold tgids */

/* Events that found the ring buffer full, per CPU (slot 0). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/*
 * --lock SPEC with a filter (lock_filter): the acquire calls whose entry saw
 * another lock, so that their return (which has no arguments) is skipped
 * too. Acquire calls do not nest in one thread: one flag per thread.
 * Untouched without a filter, and for --python (no lock argument).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} lock_skip SEC(".maps");

/*
 * Probe hits of the traced processes that leave no event (the calls of
 * another lock than --lock's filter), per CPU, for the cost estimate (the
 * recorder counts the others from their events): [QUIET_ACQUIRE] acquire
 * calls (entry and return), [QUIET_RELEASE] release calls.
 */
enum { QUIET_ACQUIRE, QUIET_RELEASE, QUIET__COUNT };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, QUIET__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} quiet_hits SEC(".maps");

static __always_inline bool tgid_traced(__u32 tgid)
{
	__u32 slot = tgid & (TGID_SLOTS - 1);
	__u32 *v = bpf_map_lookup_elem(&traced_slots, &slot);

	if (!tgid)
		return false;	/* the idle task; also what an empty slot holds */
	if (v && *v == tgid)
		return true;
	return traced_overflow && bpf_map_lookup_elem(&traced_tgids, &tgid);
}

static __always_inline void count_lost(__u64 n)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&lost, &zero);

	/* atomic: a program that found the ring full may be interrupted on this
	 * CPU by another that finds it full too */
	if (v)
		__sync_fetch_and_add(v, n);
}

/*
 * ts: when it happened, if the probe said (CLOCK_MONOTONIC, the clock of
 * bpf_ktime_get_ns); 0 takes the time now.
 */
static __always_inline void fill(struct gs_event *e, __u64 ts, __u8 type, __u8 flags,
				 __u32 pid, __u32 tid, __u64 arg0, __u64 arg1)
{
	e->ts_ns = ts ? ts : bpf_ktime_get_ns();
	e->pid = pid;
	e->tid = tid;
	e->cpu = bpf_get_smp_processor_id();
	e->type = type;
	e->flags = flags;
	e->pad = 0;
	e->arg0 = arg0;
	e->arg1 = arg1;
}

/*
 * The per-CPU stage. A reserve/submit pair per event was most of an event's
 * cost (the ring's lock is shared by every CPU), so events collect in their
 * CPU's stage and reach the ring STAGE_N at a time with one
 * bpf_ringbuf_output. A stage is flushed when full and by user space before
 * every drain (flush_stage, run on each CPU), so nothing waits in it longer
 * than a drain period: the reorder window already covers that.
 *
 * Programs on one CPU can still interleave (a uprobe program may be
 * preempted or interrupted), so the stage has an owner: busy, taken with an
 * atomic exchange. Whoever finds it taken writes straight to the ring; a
 * flush that finds it taken leaves a request the owner carries out. Events
 * that reach the ring that way are out of ring order, never lost: the
 * recorder orders by time within its window.
 */
#define STAGE_N 32

struct stage {
	__u64 busy;			/* owned by a running program */
	__u32 n;			/* events staged */
	__u32 flush;			/* a flush found it busy: the owner flushes */
	struct gs_event ev[STAGE_N];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stage);
} stage SEC(".maps");

static __always_inline void emit_direct(__u64 ts, __u8 type, __u8 flags, __u32 pid,
					__u32 tid, __u64 arg0, __u64 arg1)
{
	struct gs_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_lost(1);
		return;
	}
	fill(e, ts, type, flags, pid, tid, arg0, arg1);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* Called by the stage's owner. */
static __always_inline void stage_flush(struct stage *s)
{
	__u32 n = s->n;

	s->n = 0;
	s->flush = 0;
	if (n > STAGE_N)	/* cannot be; bounds the size for the verifier */
		n = STAGE_N;
	if (n && bpf_ringbuf_output(&events, s->ev, n * sizeof(s->ev[0]), BPF_RB_NO_WAKEUP))
		count_lost(n);
}

static __always_inline void emit(__u64 ts, __u8 type, __u8 flags, __u32 pid, __u32 tid,
				 __u64 arg0, __u64 arg1)
{
	__u32 zero = 0, n;
	struct stage *s = bpf_map_lookup_elem(&stage, &zero);

	if (!s || __sync_lock_test_and_set(&s->busy, 1)) {
		emit_direct(ts, type, flags, pid, tid, arg0, arg1);
		return;
	}
	n = s->n;
	if (n >= STAGE_N) {	/* cannot be: full stages are flushed at once */
		stage_flush(s);
		n = 0;
	}
	/*
	 * time taken by the owner keeps a stage nearly in time order (a time a
	 * probe passed may be a little older): the recorder sorts anyway
	 */
	fill(&s->ev[n], ts, type, flags, pid, tid, arg0, arg1);
	s->n = ++n;
	if (n == STAGE_N || s->flush)
		stage_flush(s);
	barrier();
	s->busy = 0;
}

/* Emits an event about the current thread if its process is traced. */
static __always_inline bool current_traced(__u32 *pid, __u32 *tid)
{
	__u64 id = bpf_get_current_pid_tgid();

	*pid = id >> 32;
	*tid = (__u32)id;
	return tgid_traced(*pid);
}

/*
 * USDT arguments. bpf_usdt_arg() looks the probe's spec up and calls a helper
 * for every argument; gilrt's arguments sit in registers, so look the spec up
 * once and take them from a snapshot of the registers (a third of the
 * program's cost). Anything else goes the generic way.
 */
#ifdef __TARGET_ARCH_x86	/* the general registers; rsp, rip go the generic way */
#define NREGS (__builtin_offsetof(struct pt_regs, orig_ax) / 8)
#else
#define NREGS (sizeof(struct pt_regs) / 8)
#endif

static __always_inline long spec_arg(struct pt_regs *ctx, const __u64 *regs,
				     struct __bpf_usdt_spec *spec, int n)
{
	struct __bpf_usdt_arg_spec *as = &spec->args[n];
	unsigned int idx = (unsigned short)as->reg_off / 8;
	long slow = 0;
	__u64 v;

	if (as->arg_type == BPF_USDT_ARG_REG && idx < NREGS) {
		v = regs[idx];
	} else if (as->arg_type == BPF_USDT_ARG_CONST) {
		v = as->val_off;
	} else {
		bpf_usdt_arg(ctx, n, &slow);
		return slow;
	}
	/* as bpf_usdt_arg(): 1, 2 or 4 byte arguments to 8 bytes */
	v <<= as->arg_bitshift;
	return as->arg_signed ? ((long)v) >> as->arg_bitshift : v >> as->arg_bitshift;
}

/*
 * The first nargs (0..3) arguments of the probe that fired into a[]; 0 if
 * absent. regs: the loader found "-8@%rdi -8@%rsi -8@%rdx" (or a prefix
 * covering nargs) at every site of the probe, so they are in those
 * registers: no attach cookie, no spec.
 */
static __always_inline void usdt_args(struct pt_regs *ctx, int nargs, long a[3], bool regs)
{
	struct __bpf_usdt_spec *spec;
	__u64 r[NREGS];
	int id;

	a[0] = a[1] = a[2] = 0;
	if (!nargs)
		return;
#ifdef __TARGET_ARCH_x86
	if (regs) {
		a[0] = ctx->di;
		if (nargs > 1)
			a[1] = ctx->si;
		if (nargs > 2)
			a[2] = ctx->dx;
		return;
	}
#endif
	id = bpf_get_attach_cookie(ctx);
	spec = bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
	if (!spec)
		return;
	__builtin_memcpy(r, ctx, sizeof(r));
	if (spec->arg_cnt > 0)
		a[0] = spec_arg(ctx, r, spec, 0);
	if (nargs > 1 && spec->arg_cnt > 1)
		a[1] = spec_arg(ctx, r, spec, 1);
	if (nargs > 2 && spec->arg_cnt > 2)
		a[2] = spec_arg(ctx, r, spec, 2);
}

/* ---- gilrt USDT probes ------------------------------------------------- */

/* The two programs of probe name (see GS_GILRT_NARGS_ in gilscope.h) around
 * name##_body(ctx, regs). */
#define GILRT_PROGS(name)							\
SEC("usdt") int name(struct pt_regs *ctx) { return name##_body(ctx, false); }	\
SEC("usdt") int name##_regs(struct pt_regs *ctx) { return name##_body(ctx, true); }

/*
 * One body per "probe(arg0[, arg1])" shape: filter, read, emit. The lock
 * probes end with the time gilrt took or dropped the lock (argument ts_arg,
 * see runtime/gilrt_probes.h): the runtime reads CLOCK_MONOTONIC there
 * anyway, and taking it again here was about half of what the program costs
 * over an empty one. A gilrt without that argument reads 0: the time now.
 */
#define USDT_EVENT_TS(name, type, ts_arg)					\
static __always_inline int name##_body(struct pt_regs *ctx, bool regs)		\
{										\
	__u32 pid, tid;								\
	long a[3];								\
										\
	if (!current_traced(&pid, &tid))					\
		return 0;							\
	usdt_args(ctx, GS_GILRT_NARGS_##name, a, regs);				\
	emit(ts_arg ? a[ts_arg] : 0, type, 0, pid, tid, a[0],			\
	     ts_arg == 1 ? 0 : a[1]);						\
	return 0;								\
}										\
GILRT_PROGS(name)
#define USDT_EVENT(name, type) USDT_EVENT_TS(name, type, 0)

USDT_EVENT_TS(gil_request, GS_EV_LOCK_REQUEST, 1)
USDT_EVENT_TS(gil_acquired, GS_EV_LOCK_ACQUIRED, 2)
USDT_EVENT_TS(gil_released, GS_EV_LOCK_RELEASED, 2)
USDT_EVENT(gil_drop_request, GS_EV_DROP_REQUEST)
USDT_EVENT(thread_exit, GS_EV_THREAD_EXIT)
USDT_EVENT(io_begin, GS_EV_IO_BEGIN)
USDT_EVENT(io_end, GS_EV_IO_END)

/* native_begin(0) / native_end(0, ns): arg0 is a placeholder, ns is arg1 */
static __always_inline int native_begin_body(struct pt_regs *ctx, bool regs)
{
	__u32 pid, tid;

	if (current_traced(&pid, &tid))
		emit(0, GS_EV_NATIVE_BEGIN, 0, pid, tid, 0, 0);
	return 0;
}
GILRT_PROGS(native_begin)

static __always_inline int native_end_body(struct pt_regs *ctx, bool regs)
{
	__u32 pid, tid;
	long a[3];

	if (!current_traced(&pid, &tid))
		return 0;
	usdt_args(ctx, GS_GILRT_NARGS_native_end, a, regs);
	emit(0, GS_EV_NATIVE_END, 0, pid, tid, 0, a[1]);
	return 0;
}
GILRT_PROGS(native_end)

/* thread_start(tid, name): THREAD_START, then THREAD_NAME with the name. */
static __always_inline int thread_start_body(struct pt_regs *ctx, bool regs)
{
	union {
		char c[16];
		__u64 w[2];
	} name = {};
	__u32 pid, tid;
	long a[3];

	if (!current_traced(&pid, &tid))
		return 0;
	emit(0, GS_EV_THREAD_START, 0, pid, tid, 0, 0);
	usdt_args(ctx, GS_GILRT_NARGS_thread_start, a, regs);
	if (a[1] && bpf_probe_read_user_str(name.c, sizeof(name.c), (void *)a[1]) > 1)
		emit(0, GS_EV_THREAD_NAME, 0, pid, tid, name.w[0], name.w[1]);
	return 0;
}
GILRT_PROGS(thread_start)

/* ---- lock uprobes (--python, --lock) ------------------------------------ */

/* without a lock argument (-1) the lock is lock_addr (CPython's GIL) */
static __always_inline __u64 reg_arg(struct pt_regs *ctx, int n)
{
	return gs_reg_arg(ctx, n, lock_addr);
}

/*
 * drop_gil entry: the code running as the thread lets go (the hold's) into
 * *arg1, from drop_gil's own thread state argument. The take that follows
 * carries the same function, filled in by the recorder (record/pyrec.h:
 * between a drop_gil and its next take_gil the thread runs no Python code,
 * so it asks where it let go), which keeps the take's programs free of any
 * read or map. A NULL thread state (3.12+) comes only from a thread state
 * being deleted: it runs no Python code. Returns the event's flags.
 */
static __always_inline __u8 py_release(struct pt_regs *ctx, __u64 *arg1)
{
	__u64 tstate;

	if (py_cfg.frames == GS_PYF_OFF)
		return 0;
	tstate = reg_arg(ctx, py_cfg.drop_arg);
	/* the walk is gs_pycode.h's, shared with the always-on counters */
	*arg1 = tstate ? gs_py_code(&py_cfg, tstate) : GS_PYADDR_NONE;
	return GS_F_FUNC;
}

static __always_inline void count_quiet(__u32 kind)
{
	__u64 *v = bpf_map_lookup_elem(&quiet_hits, &kind);

	if (v)	/* atomic: a preempted program may interleave with another's */
		__sync_fetch_and_add(v, 1);
}

/*
 * The lock programs emit the time and the lock only: how long a thread
 * waited (ACQUIRED, FAILED) and held (RELEASED), and for --lock the lock an
 * ACQUIRED is about (arg0 0: the one this thread asked for), are filled in
 * by the recorder from the thread's earlier events (record/lock_fill.h).
 * A lock event is then a filter, a clock read and a store here, with no
 * per-thread map: its cost is that of the probe itself, and the programs
 * stay a straight line that reads arguments at the probe.
 *
 * Where Python frames fit (--python): lock_release_entry runs at drop_gil's
 * entry with every argument register as the caller set it (probe_site.h
 * keeps them all for CPython), so the PyThreadState argument is there to
 * follow to the running frame, and the hold being released belongs to that
 * frame (py_release). take_gil's return has no arguments and its wait
 * site runs inside the wait loop: the thread that asks is in the frame it
 * was in when it last let go (its previous drop_gil), or none yet, and the
 * recorder gives its REQUEST that function (record/pyrec.h), so neither
 * program reads anything. lock_acquire_entry runs at take_gil's entry only
 * where no wait site was found, and leaves the function to the recorder too.
 */
SEC("uprobe")
int lock_acquire_entry(struct pt_regs *ctx)
{
	__u32 pid, tid;
	__u64 lock;
	__u8 one = 1;

	if (!current_traced(&pid, &tid))
		return 0;
	lock = reg_arg(ctx, lock_acquire_arg);
	if (lock_filter && lock != lock_filter) {
		bpf_map_update_elem(&lock_skip, &tid, &one, BPF_ANY);
		count_quiet(QUIET_ACQUIRE);
		return 0;
	}
	emit(0, GS_EV_LOCK_REQUEST, 0, pid, tid, lock, 0);
	return 0;
}

/* Whether the acquire call that returns now got the lock (see gs_lock_ok). */
static __always_inline bool acquire_succeeded(struct pt_regs *ctx)
{
	int rc = (int)PT_REGS_RC(ctx);

	switch (lock_ok) {
	case GS_LOCK_OK_ZERO:
		return rc == 0;
	case GS_LOCK_OK_NONZERO:
		return rc != 0;
	default:
		return true;
	}
}

SEC("uretprobe")
int lock_acquire_return(struct pt_regs *ctx)
{
	__u32 pid, tid;

	if (!current_traced(&pid, &tid))
		return 0;
	if (lock_filter && bpf_map_delete_elem(&lock_skip, &tid) == 0)
		return 0;	/* its entry saw another lock (counted there) */
	/* without a lock argument the lock is lock_addr (CPython's GIL) */
	emit(0, acquire_succeeded(ctx) ? GS_EV_LOCK_ACQUIRED : GS_EV_LOCK_FAILED, 0, pid, tid,
	     lock_acquire_arg < 0 ? lock_addr : 0, 0);
	return 0;
}

SEC("uprobe")
int lock_release_entry(struct pt_regs *ctx)
{
	__u32 pid, tid;
	__u64 lock, func = 0;
	__u8 flags;

	if (!current_traced(&pid, &tid))
		return 0;
	lock = reg_arg(ctx, lock_release_arg);
	if (lock_filter && lock != lock_filter) {
		count_quiet(QUIET_RELEASE);
		return 0;
	}
	/* with the function, arg1 is it: lock_fill measures the hold anyway */
	flags = py_release(ctx, &func);
	emit(0, GS_EV_LOCK_RELEASED, flags, pid, tid, lock, func);
	return 0;
}

/*
 * --python: where a take of the GIL starts to wait (take_gil's condition
 * wait, found in its code: see record/probe_site.h). Only takes that find
 * the GIL held get here, once per wait interval; a take that does not wait
 * costs no program at its entry at all (its REQUEST is added by the
 * recorder, at the time it got the GIL).
 */
SEC("uprobe")
int lock_wait(struct pt_regs *ctx)
{
	__u32 pid, tid;

	if (current_traced(&pid, &tid))
		emit(0, GS_EV_LOCK_REQUEST, 0, pid, tid, lock_addr, 0);
	return 0;
}

/* ---- scheduler --------------------------------------------------------- */

/*
 * One object for every kernel gilscope supports (README, `gilscope check`):
 * fields that moved or were renamed are read through CO-RE with the older
 * layout as a "___flavour" struct, and the tracepoint arguments that newer
 * kernels added have two programs each, of which the loader keeps one (see
 * loader.c, tp_nargs()).
 */
struct task_struct___pre514 {	/* before 5.14, __state was "state" */
	volatile long state;
} __attribute__((preserve_access_index));

struct task_struct___pre516 {	/* before 5.16, x86's cpu was the task's, not thread_info's */
	unsigned int cpu;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

static __always_inline __u32 task_cpu(struct task_struct *t)
{
	if (bpf_core_field_exists(t->thread_info.cpu))
		return t->thread_info.cpu;
	return BPF_CORE_READ((struct task_struct___pre516 *)t, cpu);
}

/*
 * Without -a only switches that involve a traced task are recorded. When a
 * traced task hands its CPU to an untraced one, that task's own departure
 * (to idle, or to a third task) involves no traced task, and the CPU would
 * seem to be "someone else's" until a traced task next ran there (2 s of
 * grey on a CPU that idled). So such a hand-over asks for the NEXT switch on
 * that CPU too, whatever it is: one extra event per hand-over, at most one
 * per switch the traced program itself makes. That next switch may hand the
 * CPU to a third untraced task, whose departure is not asked for: the model
 * (model.h) shows such an occupant only briefly. sched_switch runs with the
 * runqueue locked and preemption off: plain accesses to this CPU's flag are
 * safe.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} handover SEC(".maps");

/* state_from_task: the kernel passed no prev_state (before 5.18). Read it
 * from prev, as those kernels' own tracepoint did: __schedule() read it a
 * little earlier, so a sleep that a pending signal cut short shows as
 * runnable here, which it is. */
static __always_inline void switch_event(bool preempt, struct task_struct *prev,
					 struct task_struct *next, __u32 prev_state,
					 bool state_from_task)
{
	__u32 prev_tgid = prev->tgid, next_tgid = next->tgid;
	__u8 flags = 0;

	if (prev_tgid && tgid_traced(prev_tgid))
		flags |= GS_F_TRACED_PREV;
	if (next_tgid && tgid_traced(next_tgid))
		flags |= GS_F_TRACED_NEXT;
	if (!all_tasks) {
		__u32 zero = 0, *asked = bpf_map_lookup_elem(&handover, &zero);

		if (!flags) {	/* the whole machine's common case: a load, no store */
			if (!asked || !*asked)
				return;
			*asked = 0;	/* the switch that was asked for */
		} else if (asked) {
			/* a traced task hands the CPU to an untraced one (not
			 * idle): ask for this CPU's next switch, whatever it is */
			*asked = flags == GS_F_TRACED_PREV && next->pid;
		}
	}
	if (state_from_task && !preempt)
		prev_state = task_state(prev);
	emit(0, GS_EV_SCHED_SWITCH, flags, prev_tgid, prev->pid,
	     (__u64)(__u32)next->pid | (__u64)next_tgid << 32,
	     preempt ? 0 : prev_state);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	switch_event(preempt, prev, next, prev_state, false);
	return 0;
}

/* before 5.18: no prev_state argument */
SEC("tp_btf/sched_switch")
int BPF_PROG(on_sched_switch_compat, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	switch_event(preempt, prev, next, 0, true);
	return 0;
}

static __always_inline void wakeup(struct task_struct *p)
{
	__u32 tgid = p->tgid;
	__u8 flags = tgid_traced(tgid) ? GS_F_TRACED : 0;

	if (!flags && !all_tasks)
		return;
	emit(0, GS_EV_SCHED_WAKEUP, flags, tgid, p->pid, task_cpu(p),
	     (__u32)bpf_get_current_pid_tgid());
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_sched_wakeup, struct task_struct *p)
{
	wakeup(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(on_sched_wakeup_new, struct task_struct *p)
{
	wakeup(p);
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(on_sched_migrate_task, struct task_struct *p, int dest_cpu)
{
	__u32 tgid = p->tgid;
	__u8 flags = tgid_traced(tgid) ? GS_F_TRACED : 0;

	if (!flags && !all_tasks)
		return 0;
	emit(0, GS_EV_SCHED_MIGRATE, flags, tgid, p->pid, task_cpu(p), dest_cpu);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	/* new threads join their traced process by tgid; only new processes
	 * need adding, before they can run */
	if (ctgid == ptgid || !tgid_traced(ptgid))
		return 0;
	if (bpf_map_update_elem(&traced_tgids, &ctgid, &one, BPF_ANY) == 0)
		traced_overflow = 1;
	emit(0, GS_EV_PROC_FORK, GS_F_TRACED, ptgid, parent->pid, ctgid, 0);
	return 0;
}

/*
 * A traced process that executes a setuid or setgid program, when tracing
 * for a user (under sudo): ptrace would have run it without the new ids;
 * here it leaves the traced set before it runs, so that a user cannot read
 * what `su` does with a password by tracing the shell that starts it. Its
 * children are not followed (the fork program asks the traced set).
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_sched_process_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid, uid = user_uid, gid = user_gid, zero = 0;
	__u32 slot = tgid & (TGID_SLOTS - 1);
	__u32 *v;

	if (uid == (__u32)-1 || !tgid_traced(tgid))
		return 0;
	/* the new credentials are committed when this tracepoint fires */
	if (BPF_CORE_READ(p, cred, uid.val) == uid && BPF_CORE_READ(p, cred, euid.val) == uid &&
	    BPF_CORE_READ(p, cred, suid.val) == uid && BPF_CORE_READ(p, cred, gid.val) == gid &&
	    BPF_CORE_READ(p, cred, egid.val) == gid && BPF_CORE_READ(p, cred, sgid.val) == gid)
		return 0;
	v = bpf_map_lookup_elem(&traced_slots, &slot);
	if (v && *v == tgid)
		bpf_map_update_elem(&traced_slots, &slot, &zero, BPF_ANY);
	bpf_map_delete_elem(&traced_tgids, &tgid);
	return 0;
}

/*
 * arg0 = exit code (wait status), arg1 = 1 when the whole process is gone.
 * The tgid stays traced: the final sched_switch away from the dead task
 * comes after this; the recorder removes it later.
 *
 * group_dead_from_task: the kernel passed no group_dead (before 6.16). On
 * every kernel do_exit() computes group_dead as
 * atomic_dec_and_test(&signal->live) before this tracepoint fires, so the
 * thread's own decrement is already done and "last" reads live == 0. Two
 * threads whose decrements both land before either reads (the last two
 * exiting at once) may both say "last", where the kernel's argument names
 * one: the recorder then untraces the tgid on the first, a window earlier.
 */
static __always_inline void exit_event(struct task_struct *p, bool group_dead,
				       bool group_dead_from_task)
{
	__u32 tgid = p->tgid;

	if (!tgid_traced(tgid))
		return;
	if (group_dead_from_task)
		group_dead = BPF_CORE_READ(p, signal, live.counter) == 0;
	emit(0, GS_EV_PROC_EXIT, GS_F_TRACED, tgid, p->pid, p->exit_code, group_dead);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_sched_process_exit, struct task_struct *p, bool group_dead)
{
	exit_event(p, group_dead, false);
	return 0;
}

/* before 6.16: no group_dead argument */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_sched_process_exit_compat, struct task_struct *p)
{
	exit_event(p, false, true);
	return 0;
}

/* ---- flushing ------------------------------------------------------------ */

/* Run by user space on each CPU (BPF_PROG_TEST_RUN) before every drain. */
SEC("raw_tp")
int flush_stage(void *ctx)
{
	__u32 zero = 0;
	struct stage *s = bpf_map_lookup_elem(&stage, &zero);

	if (!s)
		return 0;
	if (__sync_lock_test_and_set(&s->busy, 1)) {
		s->flush = 1;	/* we interrupted the owner: it flushes */
		return 0;
	}
	stage_flush(s);
	barrier();
	s->busy = 0;
	return 0;
}
