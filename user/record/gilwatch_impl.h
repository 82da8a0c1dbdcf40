/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilwatch_impl.h - the state of the always-on watch (record/gilwatch.h),
 * shared by its discovery (gilwatch.c) and its snapshots and thread names
 * (gilwatch_snap.c).
 */
#ifndef RECORD_GILWATCH_IMPL_H
#define RECORD_GILWATCH_IMPL_H
#include <stdbool.h>
#include <stdint.h>
#include "record/gilstat.h"
#include "record/gilwatch.h"
#include "record/pyread.h"
#include "util/hash.h"

#define GW_MS 1000000ull
#define EXEC_FIRST_LOOK (100 * GW_MS)	/* ld.so has mapped libpython by then */
#define EXEC_SECOND_LOOK (2000 * GW_MS)	/* a slow start, or a dlopen()ed one */
#define NAMES_MIN_NS (1000 * GW_MS)	/* names of a process re-read at most this often */
#define NAMES_MAX_NS (10000 * GW_MS)	/* ... and at least this often (renames) */
#define NAMES_RETRY_NS (30000 * GW_MS)	/* after a reader could not attach */
#define ATTACH_PER_SNAPSHOT 4		/* name readers opened per snapshot */

struct gw_file {
	uint64_t dev, ino;		/* identity */
	bool ok;			/* probed */
	bool funcs;			/* with its layout: holds by function */
	char why[GILSNAP_WHY_MAX];	/* not ok: why */
};

struct gw_name {
	uint32_t tid;
	char name[GILSNAP_NAME_MAX];
};

struct gw_proc {
	pid_t pid;
	uint64_t start;			/* start time: a reused pid has another */
	int file;			/* index in files; -1: no Python */
	char why[GILSNAP_WHY_MAX];	/* file -1 but a Python anyway: why not traceable */
	bool python;			/* runs a Python */
	char comm[16];
	struct pyread *rd;		/* reads its thread names, or NULL */
	uint64_t rd_failed_at;		/* the reader could not attach then (0: never) */
	uint64_t names_at;		/* names last read then */
	struct gw_name *names;		/* by tid, ascending */
	size_t nnames;
	bool listed;			/* in the latest /proc listing */
	bool missing;			/* a thread of it has no name (snapshot's scratch) */
};

struct gw_pending {
	pid_t pid;
	uint64_t at;			/* look at it then */
	bool second;			/* the second look */
};

/* A process by its start time (gw_refresh_all_names). */
struct gw_age {
	uint64_t start;
	size_t i;			/* index in procs */
};

struct gilwatch {
	struct gilwatch_opts o;
	pid_t *pids;			/* a copy of o.pids */
	struct gilstat *gs;
	struct gw_file files[GILWATCH_FILES];
	size_t nfiles;
	struct gw_proc *procs;		/* known processes */
	size_t nprocs, cap_procs;
	struct hmap by_pid;		/* pid -> index in procs */
	struct gw_pending pending[GILWATCH_PENDING];
	size_t npending;
	bool rescan_all;		/* look at every process again */
	uint64_t next_list;		/* next /proc listing */
	uint64_t execs_lost;		/* as last seen */
	size_t named;			/* processes with a names reader */
	struct pyread_thread *pt;	/* pyread_threads() buffer */
	uint32_t *order;		/* snapshot: thread records by (pid, tid) */
	uint32_t *pidlist;		/* snapshot: its processes */
	size_t cap_pidlist;
	struct gw_age *ages;		/* snapshot: processes to open a names reader for */
	size_t cap_ages;
	uint64_t now;			/* time of the work in progress */
	uint64_t read_ns;		/* the counters were last read then (0: never) */
};

/* Whether the options let pid in (-p). */
bool gw_wanted(const struct gilwatch *w, pid_t pid);
/* The known process pid, or NULL. */
struct gw_proc *gw_known(struct gilwatch *w, pid_t pid);
/* Closes p's names reader and forgets its names. */
void gw_proc_release(struct gilwatch *w, struct gw_proc *p);
/* p's Python name of tid, or NULL. */
const char *gw_name_of(const struct gw_proc *p, uint32_t tid);
/* Re-reads the thread names of every known process whose names can be
 * read, if one of its threads has none (missing) or they are old; the
 * readers to open are given to the oldest processes first. */
void gw_refresh_all_names(struct gilwatch *w, int *attaches);
/* The snapshot of reading rd: the known Pythons and whoever the counters
 * name, with what is in progress, names and states. */
int gw_build(struct gilwatch *w, const struct gilstat_reading *rd, struct gilsnap *s);
/* The kernel side's layout for the interpreter file at path, which must
 * still be the file (dev, ino) after it was read: true and *c when its
 * holds can go by function (gilwatch_func.c). */
bool gw_file_cfg(const char *path, uint64_t dev, uint64_t ino, struct gs_py_cfg *c);
/* Fills the func of s's threads and processes (built by gw_build from
 * rd) for the interval of interval_ns that ended with rd. 0 or -ENOMEM. */
int gw_funcs(struct gilwatch *w, const struct gilstat_reading *rd, struct gilsnap *s,
	     uint64_t interval_ns);

#endif
