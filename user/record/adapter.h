/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * adapter.h - turns "--python" or "--lock SPEC" into a struct lock_target
 * (loader.h) that loader_attach_lock() can attach: the ELF file to probe, the
 * file offsets of the acquire and release functions (uprobes attach by file
 * offset, so symbol addresses are converted through the PT_LOAD segment that
 * holds them), which argument is the lock, and which lock to keep.
 *
 *   CPython:  take_gil's return = LOCK_ACQUIRED, drop_gil entry =
 *             LOCK_RELEASED, take_gil's condition wait = LOCK_REQUEST of a
 *             take that has to wait (the recorder adds the REQUEST of one
 *             that does not, at its acquisition: record/lock_fill.h); where
 *             the wait cannot be found in take_gil's code, its entry =
 *             LOCK_REQUEST. Every copy the compiler made of the functions
 *             is probed (3.8's take_gil.constprop.0 takes the GIL after
 *             I/O). No lock argument (one GIL per process), reported lock
 *             address ADAPTER_PYTHON_LOCK_ID. take_gil returns nothing:
 *             every return is an acquisition.
 *   --lock:   SPEC = BINARY:ACQUIRE:RELEASE[:argN[=ADDR|=SYMBOL]][:ok=0|nz|any],
 *             see ADAPTER_LOCK_SPEC_HELP for the exact syntax; ok= says which
 *             return values of ACQUIRE mean it got the lock (a default by
 *             name for the pthread, semaphore and C11 functions).
 *
 * Usage:
 *   struct adapter_target a;
 *   adapter_python_resolve(pid, argv0, &a, err, sizeof(err))      or
 *   adapter_lock_parse(spec, &a, ...) then adapter_lock_resolve(pid, argv0, &a, ...)
 *   adapter_lock_target(&a, &lt);  loader_attach_lock(l, &lt);
 * Each function is probed at the cheapest place equivalent to its entry
 * (record/probe_site.h: past endbr64 and the like, to an instruction the
 * kernel emulates instead of single-stepping).
 * pid > 0 is a running process (libraries found through /proc/PID/maps);
 * pid == 0 means "not started yet": argv0 is the command to be exec'd
 * (searched in $PATH like execvp) and libraries are found like ld.so would
 * (DT_RPATH/LD_LIBRARY_PATH/DT_RUNPATH with $ORIGIN, ld.so.conf, defaults).
 *
 * A lock given by SYMBOL lives in a file that may be loaded at a random
 * address (PIE, shared library): its runtime address exists only once the
 * process has mapped that file. Then a->lock_pending is true and the caller
 * must call adapter_resolve_lock_addr(pid, a) after the target has exec'd
 * (a PIE: while stopped at exec under ptrace; a library: again until ld.so
 * has mapped it) and hand a->lock.lock_addr to the BPF filter. Until then
 * lock_addr is 0 (keep every lock). record/pipeline.c does all that.
 *
 * With =*VAR (a->lock_deref) the lock is the address stored in the pointer
 * variable VAR: once VAR's own address is known (a->lock_var_addr, placed
 * like a lock symbol above), the caller reads it with adapter_read_lock_ptr()
 * until it is non-null and keeps reading it to follow a change, handing each
 * new a->lock_addr to the filter. Until the first, a->lock_addr is
 * ADAPTER_LOCK_UNSET: nothing is kept. Python 2 is this case
 * (PyThread_acquire_lock/PyThread_release_lock, arg0=*interpreter_lock).
 *
 * All memory is the caller's (struct adapter_target is self-contained, but
 * its lock.binary points into itself: do not copy it, call
 * adapter_lock_target() instead). Functions return 0 or a negative errno
 * and, on failure, write a one-line reason (what to do about it) into err.
 */
#ifndef ADAPTER_H
#define ADAPTER_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "record/elf_sym.h"
#include "record/loader.h"

/* Reported as the lock address of CPython's GIL (no lock argument). */
#define ADAPTER_PYTHON_LOCK_ID 1
/* =*VAR before VAR holds a lock: a filter no lock matches (locks are
 * aligned, none lives at 1), so that nothing is kept until then. */
#define ADAPTER_LOCK_UNSET 1
#define ADAPTER_SYM_MAX 128	/* longest symbol name accepted, with the NUL */
#define ADAPTER_MAX_ARG 5	/* argN: 0..5, the six register arguments */

struct adapter_target {
	struct lock_target lock;	/* filled by adapter_lock_target() */
	char adapter[64];		/* for trace_meta.adapter: "python", "lock:SPEC" */
	char spec_binary[PATH_MAX];	/* BINARY as written in SPEC ("" = the target's exe) */
	char binary[PATH_MAX];		/* resolved ELF file holding both functions */
	char acquire_sym[ADAPTER_SYM_MAX];	/* function names (or "0x..." vaddr) */
	char release_sym[ADAPTER_SYM_MAX];
	uint64_t acquire_off;		/* file offsets in binary of the functions */
	uint64_t release_off;
	struct lock_sites sites;	/* where they are probed */
	int lock_arg;			/* argument holding the lock address; -1 none */
	uint64_t lock_addr;		/* keep only this lock, 0 = every lock; with
					 * lock_arg -1: the address reported for it */
	char lock_sym[ADAPTER_SYM_MAX];	/* lock given by symbol ("" if not) */
	char lock_binary[PATH_MAX];	/* resolved ELF file defining lock_sym */
	uint64_t lock_sym_vaddr;	/* its link-time address there */
	bool lock_pending;		/* lock_sym needs adapter_resolve_lock_addr() */
	bool lock_deref;		/* =*VAR: lock_sym is a pointer to the lock */
	uint64_t lock_var_addr;		/* =*VAR: VAR's runtime address once known */
	int lock_ok;			/* enum gs_lock_ok: when ACQUIRE got the lock */
};

/* Help text for --lock, shared by --help and README. */
extern const char ADAPTER_LOCK_SPEC_HELP[];

/* CPython: find take_gil/drop_gil in the interpreter or its libpython.
 * -ENOENT (with a hint naming python3.X-dbg or a pyenv build) if stripped. */
int adapter_python_resolve(pid_t pid, const char *argv0, struct adapter_target *a,
			   char *err, size_t errlen);

/* CPython in one file (an interpreter or a libpython): the places --python
 * finds (adapter_python_sites) into sites, by file offset, for every copy
 * the compiler made of take_gil (acquire) and drop_gil (release). For the
 * always-on watch (record/pyscan.h, record/gilstat.h). -ENOENT without
 * take_gil/drop_gil, -ENOEXEC for a file that is not ELF, -ENOMEM. */
int adapter_python_file(const char *path, struct lock_sites *sites);

/* Parse SPEC into a (no file access: safe on hostile input, fuzzed).
 * -EINVAL with the reason in err on a malformed SPEC (err does not repeat
 * "--lock:"; the caller says where the SPEC came from). */
int adapter_lock_parse(const char *spec, struct adapter_target *a, char *err, size_t errlen);

/* Resolve a parsed SPEC: binary path, function offsets (a function the binary
 * only imports, like pthread_mutex_lock in ./app, is followed into the
 * library that defines it), and the lock symbol (address now if it can be). */
int adapter_lock_resolve(pid_t pid, const char *argv0, struct adapter_target *a,
			 char *err, size_t errlen);

/* Lock given by symbol -> runtime address from /proc/PID/maps. 0 and
 * a->lock_addr (and a->lock.lock_addr) set, lock_pending cleared; 0 if
 * there is nothing to do; -EAGAIN if pid has not mapped a->lock_binary
 * (yet); the error of opening or reading the maps otherwise. */
int adapter_resolve_lock_addr(pid_t pid, struct adapter_target *a);
/* The same from maps_fd, an open /proc/PID/maps, read from its start on
 * every call. The kernel checks the right to read a process's maps when
 * the file is opened: opened at the exec stop, before privileges are
 * dropped, it stays readable for that program's whole life. */
int adapter_resolve_lock_addr_in(int maps_fd, struct adapter_target *a);

/* =*VAR: reads VAR from mem_fd (an open /proc/PID/mem, opened while we may).
 * 1 when it holds a new non-null lock address (now a->lock_addr and
 * a->lock.lock_addr), 0 when unchanged, still NULL or not a deref target,
 * -errno if the read fails (a->lock_addr kept: what was kept stays so). */
int adapter_read_lock_ptr(int mem_fd, struct adapter_target *a);

/* What record and live do with --python / --lock SPEC: parse, resolve, and
 * for a running pid place the lock. On failure err says why (ready to print
 * after "gilscope CMD: ") and *usage tells a bad SPEC (exit 2) from a target
 * that cannot be traced (exit 1). */
int adapter_setup(struct adapter_target *a, bool python, const char *lock_spec, pid_t pid,
		  const char *argv0, bool *usage, char *err, size_t errlen);

/* Fill the loader's view of a (t->binary points into a). */
void adapter_lock_target(const struct adapter_target *a, struct lock_target *t);

/* ---- placement (adapter_sites.c), for the resolvers above ---------------- */

/* The separate debug file of ef found by its build-id
 * (/usr/lib/debug/.build-id/xx/yyyy.debug): 0 and *out, or -errno. */
int adapter_open_debug(const struct elf_file *ef, struct elf_file **out);
/* CPython in path: the sites of every copy of take_gil and drop_gil and the
 * wait calls in take_gil into a (0, or -ENOENT without them). */
int adapter_python_sites(const char *path, struct adapter_target *a);
/* --lock: one site each for the resolved acquire and release functions
 * (a->binary, a->acquire_off, ...); the entries themselves if the code
 * cannot be read. 0 or -ENOEXEC. */
int adapter_lock_sites(struct adapter_target *a);

/* ---- shared by adapter.c and adapter_python.c ----------------------------- */

/* 0 and *s if ef defines name as something code can be (not a variable);
 * -ENOENT otherwise, -ENXIO if ef only imports it. */
int adapter_find_func(struct elf_file *ef, const char *name, struct elf_sym *s);
/* A function name (looked up in ef, then its debug file by build-id) or a
 * "0x..." link-time address -> file offset in ef. *imported (with -ENXIO)
 * if ef only imports it; other failures say why into err (may be NULL),
 * naming path. */
int adapter_func_offset(struct elf_file *ef, const char *name, uint64_t *off, bool *imported,
			char *err, size_t errlen, const char *path);
/* The lock variable's runtime address addr is known: the lock's own
 * address, or with =*VAR the pointer's (a->lock_var_addr; the lock is
 * ADAPTER_LOCK_UNSET until read). */
void adapter_lock_symbol_at(struct adapter_target *a, uint64_t addr);


#endif
