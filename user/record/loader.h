/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * loader.h - the kernel side of gilscope, seen from user space: opens the
 * BPF skeleton (bpf/gilscope.bpf.c), sets its options, loads it and attaches
 * its programs. Nothing here reads events; the recorder does that through
 * loader_ringbuf_fd().
 *
 * Order of calls: loader_open() -> loader_load() -> any number of
 * loader_attach_*() and loader_trace_tgid() -> read events -> loader_destroy().
 * Programs attach to a binary for every process that runs it (pid -1) and
 * the BPF side keeps only events of tgids in its traced set, which follows
 * fork() by itself, so the process tree of a traced program is covered.
 *
 * The loader owns all its memory and file descriptors. Functions return 0 or
 * a negative errno; when they fail they also leave a one-line explanation
 * (what to do about it) in loader_error(), for main() to print.
 */
#ifndef LOADER_H
#define LOADER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct loader;

struct gs_py_cfg;

struct loader_opts {
	bool all_tasks;		/* -a: keep sched events of every task */
	bool floor;		/* load bpf/floor.bpf.c: empty programs on the
				 * gilrt probes, for measuring the bare probe cost */
	uint32_t ringbuf_bytes;	/* 0 = default (8 MiB); power of two */
	bool sync_detach;	/* loader_destroy() waits until every probe is gone
				 * (benchmarks: the next run must not meet them) */
	bool tp_fallback;	/* tests: use the programs for kernels whose
				 * tracepoints lack prev_state / group_dead even
				 * where they have them (also GILSCOPE_TP_FALLBACK=1) */
	const struct gs_py_cfg *py;	/* --python: capture the function at each GIL
					 * event (record/pyrec.h), or NULL: none */
	bool for_user;		/* tracing for user uid/gid (under sudo): a traced
				 * process that executes a program giving it other
				 * ids (setuid, setgid) leaves the traced set, as
				 * ptrace would not have let the user see it */
	uid_t uid;
	gid_t gid;
};

/*
 * What the kernel side needs, each with the release that brought it; the
 * newest of them is the oldest kernel gilscope runs on (loader_min_kernel).
 * `gilscope check` prints this table; README's Limitations says the same.
 */
struct loader_feature {
	const char *what;	/* "BPF ring buffer" */
	int major, minor;	/* first kernel release that has it */
};
extern const struct loader_feature loader_features[];	/* ends with what == NULL */
/* The oldest kernel release that has every loader_features[] entry. */
void loader_min_kernel(int *major, int *minor);

/* Which program variants loader_load() chose for this kernel (see
 * bpf/gilscope.bpf.c): tracepoint arguments newer kernels pass, or the same
 * facts read from the task on kernels that do not. */
struct loader_variants {
	bool switch_state_arg;	/* sched_switch's prev_state argument (5.18+) */
	bool exit_group_dead_arg;	/* sched_process_exit's group_dead argument (6.16+) */
};

/* Where a lock function is probed: record/probe_site.h chose the place. */
#define LOCK_SITES_MAX 8
struct lock_site {
	uint64_t off;		/* file offset of the probed instruction */
	uint8_t cls;		/* enum x86_probe_class: what a hit costs */
};

/*
 * Where a lock's functions are probed, one place per copy the compiler made
 * of a function (at most LOCK_SITES_MAX each). Filled by record/adapter.h
 * (--python, --lock, the always-on watch's CPython files) or the
 * calibration; walked by loader_attach_lock() and gilstat_attach().
 */
struct lock_sites {
	/* the acquire function (each copy the compiler made of it): probed at
	 * its entry (REQUEST; not when there are wait sites) and return */
	struct lock_site acquire[LOCK_SITES_MAX];
	uint32_t nacquire;
	struct lock_site release[LOCK_SITES_MAX];	/* the release function's entry */
	uint32_t nrelease;
	/* where an acquire starts to wait (CPython's condition wait in
	 * take_gil): REQUEST comes from there for the calls that wait, and the
	 * recorder adds it at the acquisition for those that do not, so no
	 * program runs at the acquire entry. None: REQUEST at the entry. */
	struct lock_site wait[LOCK_SITES_MAX];
	uint32_t nwait;
	/* where an acquire has got the lock, one place per copy of the
	 * function (CPython: take_gil's signal to a forced switch's waiter,
	 * right after it took the GIL): ACQUIRED comes from a plain uprobe
	 * there, and the acquire function gets no return probe (an entry trap
	 * and a return trampoline cost about twice one trap). Used only with
	 * wait sites, and only if every copy has exactly one such place (a
	 * second would be a place an acquire may pass twice, or not at all).
	 * None: ACQUIRED at the return. */
	struct lock_site got[LOCK_SITES_MAX];
	uint32_t ngot;
};

/* Whether s can be attached: an acquire and a release site, no count
 * over LOCK_SITES_MAX, got sites only with wait sites. Checked where the
 * sets are attached (gilstat's attacher gets them over a socket). */
bool lock_sites_valid(const struct lock_sites *s);

/* A lock traced with plain uprobes (--python, --lock), as an adapter resolves it. */
struct lock_target {
	const char *binary;	/* ELF file holding the functions (exe or .so) */
	const char *acquire_name, *release_name;	/* what they are called, for people */
	struct lock_sites sites;	/* where they are probed */
	int acquire_arg;	/* which argument (0..5) of acquire is the lock; -1: none */
	int release_arg;	/* same for release */
	uint64_t lock_addr;	/* keep only this lock (0 = every lock); when the
				 * arg is -1, the address reported for the lock */
	int acquire_ok;		/* enum gs_lock_ok (bpf/gilscope.h): from its
				 * return value, did acquire get the lock */
};

/* Checks privileges (CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN), opens the skeleton. */
int loader_open(struct loader **out, const struct loader_opts *opts);
/* Chooses the program variants this kernel's tracepoints fit (from its BTF)
 * and loads the programs into the kernel (verifier). */
int loader_load(struct loader *l);
/* The variants loader_load() chose (all false before it, and in floor mode). */
void loader_variants(const struct loader *l, struct loader_variants *v);
/* Attaches the gilrt USDT programs to binary (-ENOENT-like -ENOMSG and a
 * message suggesting --python/--lock if it has no gilrt probes). */
int loader_attach_gilrt(struct loader *l, const char *binary);
/* Attaches the uprobe/uretprobe programs for one lock target. Only one lock
 * target per loader (-EBUSY for a second). */
int loader_attach_lock(struct loader *l, const struct lock_target *t);
/* Changes which lock the attached lock target keeps (0 = every lock), e.g.
 * once a lock given by symbol has its runtime address. */
int loader_set_lock_filter(struct loader *l, uint64_t lock_addr);
/* Attaches the scheduler tracepoints (sched_switch, wakeup, migrate, fork,
 * exec, exit). */
int loader_attach_sched(struct loader *l);
/* The sched_switch program's fd (for its kernel run-time statistics), or
 * -ENOENT before it is loaded. */
int loader_switch_prog_fd(const struct loader *l);
/* Adds / removes a process (tgid) to / from the traced set. */
int loader_trace_tgid(struct loader *l, pid_t tgid);
int loader_untrace_tgid(struct loader *l, pid_t tgid);
/* The BPF ring buffer's map fd (for ring_buffer__new). Events are staged
 * per CPU in the kernel and reach the ring in batches: call loader_flush()
 * before consuming it, or the latest events may not be there yet. A ring
 * record holds one or more struct gs_event back to back. */
int loader_ringbuf_fd(const struct loader *l);
/* Moves every online CPU's staged events to the ring buffer (a CPU whose
 * stage is in use at that moment hands it over with its next event). Works
 * after privileges are dropped. 0 or a negative errno; 0 in floor mode. */
int loader_flush(struct loader *l);
/* Total events the BPF side could not reserve space for, since load. */
uint64_t loader_lost(const struct loader *l);
/* Probe hits of the traced processes that left no event, since load (the
 * acquire calls and the release calls of another lock than the filter):
 * the cost estimate counts them. */
void loader_quiet_hits(const struct loader *l, uint64_t *acquire, uint64_t *release);
/* The last failure explained in one line, or "" (owned by the loader). */
const char *loader_error(const struct loader *l);
/* Detaches everything, frees. Safe on NULL. Releasing uprobes costs the
 * kernel a grace period per probe site (over a second for gilrt): a forked
 * helper keeps copies of the fds and pays that after we let go, so this
 * returns at once; any fd open at this point stays open in the helper until
 * it is done (its stdin/out/err are /dev/null). With opts.sync_detach it
 * returns once they are gone. */
void loader_destroy(struct loader *l);

/* ---- gilrt's USDT notes (gilrt_notes.c) ---- */

/* gilrt's probes, in the order of the mask bits below; each has BPF
 * programs NAME and NAME_regs (floor_NAME in the floor set). The first four
 * (the lock) are required. */
#define LOADER_GILRT_NPROBES 10
extern const char *const loader_gilrt_probes[LOADER_GILRT_NPROBES];

/* What an ELF file's USDT notes say about gilrt's probes. Bit i of a mask
 * is loader_gilrt_probes[i]. */
struct gilrt_notes {
	int probes;	/* the probes it has notes for (0: none) */
	int regs;	/* those whose every site is an x86-64 one with the
			 * arguments in %rdi, %rsi, %rdx (bpf/gs_usdt.h), at least
			 * as many as the probe's program reads: NAME_regs serves them */
	bool nop5;	/* it has some, and every site is a 5-byte nop */
};
/* Reads them into *out. 0 or a negative errno (-ENOEXEC: not an ELF file). */
int loader_gilrt_notes(const char *path, struct gilrt_notes *out);
/* 1 if the ELF file at path has gilrt USDT notes, 0 if not, or a negative errno. */
int loader_has_gilrt_probes(const char *path);
/* 1 if it has them and every site is a 5-byte nop (bpf/gs_usdt.h), 0 if
 * not, or a negative errno. */
int loader_gilrt_nop5(const char *path);
/* Which of CAP_BPF, CAP_PERFMON the process lacks, as "CAP_BPF, CAP_PERFMON"
 * into buf ("" if it has them or CAP_SYS_ADMIN). Returns 1 if something is missing. */
int loader_missing_caps(char *buf, size_t len);

#endif
