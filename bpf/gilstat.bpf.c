/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilstat.bpf.c - always-on GIL counters for `gilscope top` and `gilscope
 * exporter` (see gilstat.h for the maps and what they mean). A separate
 * object from gilscope.bpf.c: nothing is streamed, every probe only adds to
 * its thread's and its process's totals.
 *
 * The programs attach to an interpreter file for every process running it
 * (pid -1), so they see every CPython that uses that file, started before
 * or after. Process totals are updated by the thread that holds the GIL
 * (take_gil's got site or return, drop_gil's entry), which the GIL itself
 * serializes; they are added atomically anyway, for the sub-interpreters
 * of 3.12+ that have a GIL each.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "gilscope.h"
#include "gilstat.h"
#include "gs_pycode.h"

char LICENSE[] SEC("license") = "GPL";

/* Bumped by user space when an interval starts (see gilstat.h). */
__u64 epoch;
/* Exec notifications that found the ring full (user space rescans). */
__u64 execs_lost;
/* Set by user space once a file's probes carry a layout (pycfg). */
__u32 funcs_on;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GILSTAT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct gilstat_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GILSTAT_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct gilstat_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GILSTAT_MAX_FILES);
	__type(key, __u32);
	__type(value, struct gs_py_cfg);
} pycfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GILSTAT_MAX_FUNCS);
	__type(key, struct gilstat_func_key);
	__type(value, struct gilstat_func);
} funcs SEC(".maps");

/* The template of new entries: zeroes (map updates take map memory or
 * stack, and 300 bytes of stack would crowd the programs). */
union gilstat_zero {
	struct gilstat_thread t;
	struct gilstat_proc p;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union gilstat_zero);
} zero SEC(".maps");

/* map[*key] set to zeroes from the template (a new entry, or one that
 * starts over); NULL when the map is full. Inlined: each caller's map is
 * a constant the verifier knows. */
static __always_inline void *zeroed(void *map, __u32 *key)
{
	__u32 k = 0;
	void *z = bpf_map_lookup_elem(&zero, &k);

	if (!z || bpf_map_update_elem(map, key, z, BPF_ANY))
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

/* The thread's entry; *fresh when it is made now (no entry, or the entry
 * of a tid the kernel gave to another process since). */
static __always_inline struct gilstat_thread *thread_of(__u32 tid, __u32 pid, bool *fresh)
{
	struct gilstat_thread *t = bpf_map_lookup_elem(&threads, &tid);

	*fresh = !t || t->pid != pid;
	if (!*fresh)
		return t;
	t = zeroed(&threads, &tid);
	if (t)
		t->pid = pid;
	return t;
}

static __always_inline struct gilstat_proc *proc_of(__u32 pid)
{
	struct gilstat_proc *p = bpf_map_lookup_elem(&procs, &pid);

	if (p && !p->exited_ns)
		return p;
	/* new, or a process that reuses the pid of one that exited; its
	 * name, for a process that is gone before user space looks */
	p = zeroed(&procs, &pid);
	if (p)
		bpf_get_current_comm(p->comm, sizeof(p->comm));
	return p;
}

/* The bucket of a wait of ns nanoseconds: the smallest k with ns <= 2^k us. */
static __always_inline __u32 wait_bucket(__u64 ns)
{
	__u64 v = (ns + 999) / 1000;	/* whole us, rounded up */
	__u32 k = 1;

	if (v <= 1)
		return 0;
	v -= 1;		/* k = the bit length of v = ceil(log2(us)) */
	if (v >> 32) { k += 32; v >>= 32; }
	if (v >> 16) { k += 16; v >>= 16; }
	if (v >> 8) { k += 8; v >>= 8; }
	if (v >> 4) { k += 4; v >>= 4; }
	if (v >> 2) { k += 2; v >>= 2; }
	if (v >> 1) { k += 1; }
	return k < GILSTAT_HIST ? k : GILSTAT_HIST - 1;
}

/* The thread's own totals: only it writes them. */
static __always_inline void add_thread(struct gilstat_totals *t, bool timed, __u64 wait,
				       __u32 b, bool handoff, __u64 ep)
{
	t->acquisitions++;
	t->handoffs += handoff;
	if (!timed)
		return;
	t->waits++;
	t->wait_ns += wait;
	if (b < GILSTAT_HIST)
		t->hist[b]++;
	if (t->max_epoch != ep || wait > t->max_wait_ns) {
		t->max_epoch = ep;
		t->max_wait_ns = wait;
	}
}

static __always_inline void add_proc(struct gilstat_totals *t, bool timed, __u64 wait,
				     __u32 b, bool handoff, __u64 ep)
{
	__sync_fetch_and_add(&t->acquisitions, 1);
	if (handoff)
		__sync_fetch_and_add(&t->handoffs, 1);
	if (!timed)
		return;
	__sync_fetch_and_add(&t->waits, 1);
	__sync_fetch_and_add(&t->wait_ns, wait);
	if (b < GILSTAT_HIST)
		__sync_fetch_and_add(&t->hist[b], 1);
	/* a race here can only lose a maximum to a near-simultaneous one */
	if (t->max_epoch != ep || wait > t->max_wait_ns) {
		t->max_epoch = ep;
		t->max_wait_ns = wait;
	}
}

/*
 * A take got the GIL: its acquisition, its wait if it was timed, a
 * hand-off or not. Two ways to probe take_gil (record/gilstat.h), which
 * differ in what a thread's request_ns of 0 means here:
 *   entry + return   every take stamps request_ns at its entry, so 0 means
 *                    it entered before the probes were there: untimed;
 *   wait + got sites only a take that waits stamps it (its first pass of
 *                    the wait call), so 0 means it found the GIL free: a
 *                    wait of 0; untimed only for a thread with no entry
 *                    yet, which may have been waiting since before the
 *                    probes were there (or its entry was evicted).
 * A hand-off: the last release was another thread's, at or after req, the
 * moment this take asked, i.e. while it waited. With wait sites a take
 * that did not wait is never one: it found the GIL free when it looked.
 * With entry probes such a take still counts when the release began after
 * take_gil's entry (a window of a few instructions and the GIL's mutex). A
 * recording counts as wait sites do (traces/FORMAT.md, lock.handoffs: the
 * request of a take that did not wait is added at its acquisition).
 * Releases are stamped at drop_gil's entry, before its mutex: a release
 * whose drop_gil began just before the wait did is not counted, as in a
 * recording.
 */
static __always_inline int took(bool by_sites)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), ep = epoch;
	__u32 tid = (__u32)id, pid = id >> 32, b = 0;
	bool fresh, timed, handoff = false;
	struct gilstat_thread *t = thread_of(tid, pid, &fresh);
	struct gilstat_proc *p = proc_of(pid);
	__u64 req, wait = 0;

	if (!t)
		return 0;
	req = t->request_ns;
	timed = by_sites ? !fresh : req != 0;
	if (req && now >= req) {
		wait = now - req;
		b = wait_bucket(wait);
	}
	if (p && req && p->last_release_tid && p->last_release_tid != tid &&
	    p->last_release_ns >= req)
		handoff = true;
	add_thread(&t->t, timed, wait, b, handoff, ep);
	t->request_ns = 0;
	t->acquired_ns = now;
	if (p) {
		add_proc(&p->t, timed, wait, b, handoff, ep);
		p->holder = tid;
	}
	return 0;
}

/* The thread asks for the GIL now; with keep, not over an earlier stamp. */
static __always_inline int asked(bool keep)
{
	__u64 id = bpf_get_current_pid_tgid();
	bool fresh;
	struct gilstat_thread *t = thread_of((__u32)id, id >> 32, &fresh);

	if (t && !(keep && t->request_ns))
		t->request_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("uprobe")
int gilstat_take_entry(struct pt_regs *ctx)
{
	return asked(false);
}

SEC("uretprobe")
int gilstat_take_return(struct pt_regs *ctx)
{
	return took(false);
}

/* take_gil's condition wait: passed once per wait interval (5 ms) of a
 * take that finds the GIL held; the first pass is when its wait began. */
SEC("uprobe")
int gilstat_wait(struct pt_regs *ctx)
{
	return asked(true);
}

/* take_gil's one call right after it took the GIL: every take passes it
 * once, whether it waited or not. */
SEC("uprobe")
int gilstat_got(struct pt_regs *ctx)
{
	return took(true);
}

/*
 * `top`'s function column: a finished hold of `held` ns, to the function
 * the thread runs as it lets go (gs_pycode.h, read from drop_gil's thread
 * state argument), or to the one its last read found when that was less
 * than GILSTAT_WALK_NS ago (bpf/gilstat.h: the reads are most of the cost,
 * about 0.1 us each here, and a thread in an I/O loop lets go 100,000
 * times a second). Only on files whose probes carry a layout (the attach
 * cookie); the entry (thread, function) is the thread's alone, so it is
 * written without atomics. The exporter loads no layout: its cost is the
 * load of funcs_on.
 */
static __always_inline void add_func(struct pt_regs *ctx, struct gilstat_thread *t, __u32 tid,
				     __u32 pid, __u64 held, __u64 now, __u64 ep)
{
	struct gilstat_func_key key = { .tid = tid, .pid = pid };
	struct gilstat_func *f, nf = { held, ep };
	struct gs_py_cfg *c;
	__u64 tstate;
	__u32 k;

	if (!funcs_on)
		return;
	if (t->walk_ns && now - t->walk_ns < GILSTAT_WALK_NS) {
		key.code = t->walk_code;
	} else {
		k = (__u32)bpf_get_attach_cookie(ctx) - 1;	/* cookie 0: k past the end */
		c = bpf_map_lookup_elem(&pycfg, &k);
		if (!c || c->frames == GS_PYF_OFF)
			return;
		tstate = gs_reg_arg(ctx, c->drop_arg, 0);
		key.code = tstate ? gs_py_code(c, tstate) : GS_PYADDR_NONE;
		t->walk_code = key.code;
		t->walk_ns = now;
	}
	f = bpf_map_lookup_elem(&funcs, &key);
	if (!f) {
		bpf_map_update_elem(&funcs, &key, &nf, BPF_ANY);
	} else if (f->epoch != ep) {	/* the first hold of this interval */
		f->epoch = ep;
		f->hold_ns = held;
	} else {
		f->hold_ns += held;
	}
}

SEC("uprobe")
int gilstat_drop_entry(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), held = 0, ep = epoch;
	__u32 tid = (__u32)id, pid = id >> 32;
	struct gilstat_thread *t = bpf_map_lookup_elem(&threads, &tid);
	struct gilstat_proc *p = proc_of(pid);

	/* no entry, or no acquisition seen: taken before the probes were there */
	if (t && t->pid == pid && t->acquired_ns && now >= t->acquired_ns) {
		held = now - t->acquired_ns;
		t->t.hold_ns += held;
	}
	if (t && t->pid == pid)
		t->acquired_ns = 0;
	if (p) {
		if (held)
			__sync_fetch_and_add(&p->t.hold_ns, held);
		p->last_release_ns = now;
		p->last_release_tid = tid;
		p->holder = 0;
	}
	if (held)	/* t is this thread's: held is only set then */
		add_func(ctx, t, tid, pid, held, now, ep);
	return 0;
}

/* A thread is gone: its entry goes (its totals are in its process's). The
 * last one of its process marks the process exited. group_dead is read
 * from the task (signal->live already counts this exit), as on kernels
 * whose tracepoint does not pass it. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(gilstat_exit, struct task_struct *task)
{
	__u32 tid = task->pid, pid = task->tgid;
	struct gilstat_proc *p;

	bpf_map_delete_elem(&threads, &tid);
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	p = bpf_map_lookup_elem(&procs, &pid);
	if (p)
		p->exited_ns = bpf_ktime_get_ns();
	return 0;
}

/* A new program image: user space looks whether it is a Python. No wakeup:
 * user space reads the ring on its own clock. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(gilstat_exec, struct task_struct *task)
{
	struct gilstat_exec e = { .pid = task->tgid };

	if (bpf_ringbuf_output(&execs, &e, sizeof(e), BPF_RB_NO_WAKEUP))
		__sync_fetch_and_add(&execs_lost, 1);
	return 0;
}
