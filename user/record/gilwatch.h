/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilwatch.h - the always-on watch of every CPython on the host, behind
 * `gilscope top` and `gilscope exporter`: finds the interpreters
 * (record/pyscan.h), probes each interpreter file once for every process
 * that runs it (record/gilstat.h), and turns the BPF counters into
 * snapshots (model/gilsnap.h) with Python thread names (record/pyread.h).
 *
 * Finding interpreters: all of /proc when opened; then every process that
 * calls exec() (a tracepoint notes it; it is looked at 0.1 s and 2 s later,
 * when the dynamic linker has mapped its libpython), every process that
 * shows up in the counters (a fork of a Python), and every new pid of a
 * /proc listing every rescan period, which also catches what the exec
 * notices missed. gilwatch_rescan() looks at every process again.
 *
 * Functions (opts.functions, for `top`): the function that held the GIL
 * most in the interval, per thread and per process (gilwatch_func.c): the
 * kernel side adds each hold to the function running as it ends (files
 * whose layout it can walk, record/pylayout.h), the holder's hold still
 * going on counts for the function it runs at the snapshot (read from
 * the process), and the process's names reader names them. Without a
 * layout (a stripped file, an unknown version) or a reader (--no-names,
 * not allowed) the function stays "".
 *
 * Bounds: the BPF maps (bpf/gilstat.h); at most GILWATCH_FILES interpreter
 * files; thread names for at most GILWATCH_NAMED processes, re-read at most
 * once a second each; pending exec checks GILWATCH_PENDING (more: a rescan).
 *
 * After gilwatch_open() the caller may drop privileges: reading the maps
 * needs none, and interpreter files seen later are probed by the attacher
 * (record/gilstat.h), a child that keeps what attaching needs and nothing
 * else; with attach_once there is none, and such files are listed as not
 * traceable, with why. Reading another user's process (its memory map,
 * its thread names) needs CAP_SYS_PTRACE, opening its interpreter file
 * may need CAP_DAC_READ_SEARCH.
 *
 * Not thread-safe. Functions return 0 or a negative errno.
 */
#ifndef RECORD_GILWATCH_H
#define RECORD_GILWATCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "model/gilsnap.h"

#define GILWATCH_FILES 256	/* interpreter files looked at */
#define GILWATCH_NAMED 256	/* processes whose thread names are read */
#define GILWATCH_PENDING 1024	/* exec'd processes waiting to be looked at */
#define GILWATCH_WORK_MS 100	/* how often gilwatch_work() wants to run */

struct gilwatch;

struct gilwatch_opts {
	const pid_t *pids;	/* only these processes (-p), or NULL: every one */
	size_t npids;
	bool no_names;		/* do not read Python thread names (nor functions') */
	bool functions;		/* the function holding the GIL most (see above) */
	bool attach_once;	/* no attacher: only the files seen at open are probed */
	uint64_t rescan_ns;	/* /proc listing period (0: 10 s) */
};

/* Loads the counters, looks at every process (or opts->pids) and probes
 * the interpreter files found. err: one line. */
int gilwatch_open(struct gilwatch **out, const struct gilwatch_opts *opts, char *err,
		  size_t errlen);
/* The discovery work that is due (exec'd processes to look at, a /proc
 * listing), without reading the counters. Call it about every
 * GILWATCH_WORK_MS between snapshots, so that an interpreter started
 * meanwhile is probed within a fraction of a second, not a snapshot
 * interval later (it runs at every snapshot too). 0. */
int gilwatch_work(struct gilwatch *w);
/* gilwatch_work(), then reads the counters into s (cleared first), with
 * thread names. Processes that exited are in it one last time (exited
 * set), then forgotten. */
int gilwatch_snapshot(struct gilwatch *w, struct gilsnap *s);
/* Look at every process again at the next snapshot (SIGHUP). */
void gilwatch_rescan(struct gilwatch *w);
/* Python processes known now (traced or not). */
size_t gilwatch_pythons(const struct gilwatch *w);
/* Detaches and frees. Safe on NULL. */
void gilwatch_close(struct gilwatch *w);

#endif
