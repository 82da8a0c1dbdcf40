/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilstat.h - the kernel side of the always-on mode (bpf/gilstat.bpf.c,
 * bpf/gilstat.h), seen from user space: load it, attach it to CPython
 * interpreter files, read its maps. No events: the counters live in BPF
 * maps and are read whole (batched) when the caller wants a snapshot.
 *
 * Order: gilstat_open() (needs CAP_BPF + CAP_PERFMON, or root) ->
 * gilstat_spawn_attacher() if files will be probed after privileges are
 * dropped -> any number of gilstat_attach() -> gilstat_read() /
 * gilstat_execs() as often as wanted (these need no privileges) ->
 * gilstat_close().
 *
 * The attacher: creating a uprobe needs privileges (CAP_PERFMON, and on
 * some kernels CAP_SYS_ADMIN), which a long-running watch should not keep.
 * So before the caller drops its own, it forks a small process that keeps
 * those and does one thing: attach the probes to a file it is sent (an
 * open fd, over a socket, with the places to probe), and hold them. It has
 * no other file, it reads nothing, and it ends with the watch (its socket
 * closes, or the watch dies), the kernel detaching the probes then.
 *
 * The object owns its memory and fds. Functions return 0 or a negative
 * errno and, where they take err, write one line there.
 */
#ifndef RECORD_GILSTAT_H
#define RECORD_GILSTAT_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/gs_types.h"
#include "bpf/gilscope.h"
#include "bpf/gilstat.h"

struct gilstat;
struct lock_sites;

/* One entry of each map as read. */
struct gilstat_thread_rec {
	uint32_t tid;
	struct gilstat_thread v;
};

struct gilstat_proc_rec {
	uint32_t pid;
	struct gilstat_proc v;
};

struct gilstat_func_rec {
	struct gilstat_func_key k;	/* thread, and the code object it let go in */
	uint64_t hold_ns;		/* in the interval that ended with the reading */
};

/* A reading of the maps, valid until the next gilstat_read() (owned by
 * the gilstat). now_ns is CLOCK_MONOTONIC at the end of the reading.
 * funcs: the interval's holds by (thread, function), only the entries of
 * the epoch that ended (files attached with a layout, see gilstat_attach). */
struct gilstat_reading {
	const struct gilstat_proc_rec *procs;
	size_t nprocs;
	const struct gilstat_thread_rec *threads;
	size_t nthreads;
	const struct gilstat_func_rec *funcs;
	size_t nfuncs;
	uint64_t now_ns;
	uint64_t epoch;		/* the epoch that ended with this reading */
};

/* Loads the programs and attaches the exec and exit tracepoints. */
int gilstat_open(struct gilstat **out, char *err, size_t errlen);
/* Forks the attacher (see above); of the capabilities it has, it keeps
 * CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN. From then on gilstat_attach()
 * asks it. */
int gilstat_spawn_attacher(struct gilstat *g, char *err, size_t errlen);
/* Puts the probes on the interpreter file open at fd (read access is
 * enough), for every process running it; through the attacher if there is
 * one. p: where (record/adapter.h, from pyscan_file_probe): with got sites,
 * take_gil's wait and got sites (one trap for a take that does not wait);
 * without, take_gil's entry and return; drop_gil's entry either way; every
 * copy of each; all of them or none (-EINVAL for counts out of range). py:
 * the file's layout for the kernel side (its holds then go to funcs by
 * function), or NULL (no functions: the drop program pays a cookie and an
 * array lookup more, nothing else); past GILSTAT_MAX_FILES files with one,
 * the rest get none. The fd stays the caller's. */
int gilstat_attach(struct gilstat *g, int fd, const struct lock_sites *p,
		   const struct gs_py_cfg *py, char *err, size_t errlen);
/* Reads the maps, then starts a new epoch: each entry's max_wait_ns is
 * the interval's longest finished wait when its max_epoch == r->epoch;
 * funcs entries of older epochs are deleted. */
int gilstat_read(struct gilstat *g, struct gilstat_reading *r);
/* Calls fn for each process that exec'd since the last call (without
 * blocking). Returns how many, or a negative errno. */
int gilstat_execs(struct gilstat *g, void (*fn)(void *ctx, pid_t pid), void *ctx);
/* Exec notifications lost to a full ring since open (rescan when it grows). */
uint64_t gilstat_execs_lost(const struct gilstat *g);
/* Removes a process's entry (after it exited and was read once more). */
int gilstat_forget(struct gilstat *g, pid_t pid);
/* Detaches and frees. Safe on NULL. */
void gilstat_close(struct gilstat *g);

#endif
