/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyread.h - reads a live CPython interpreter from outside (another
 * process, by pid): its threads, each thread's Python name (threading's
 * _active {ident: Thread} and Thread._name), the code object a thread is
 * running, and a code object's qualified name, file and first line.
 *
 * The target's memory is hostile or changing under us (frames freed, code
 * objects reused, the process dying, corrupted pointers). So every read is
 * bounded in size and checked (a pointer must be non-NULL, aligned, and in
 * a readable mapping of the process); every object read is checked for its
 * type (its ob_type is PyCode_Type, PyUnicode_Type...); every walk (thread
 * list, frame chain, dict) has a bound and cycles stop it; nothing is
 * allocated from a length the target gives. A failure is counted by kind
 * (pyread_stats) and the call returns an error; nothing crashes or hangs.
 *
 * Code objects are cached by address, and the cache is validated on every
 * use with one read: the code object's type, name pointers and first line,
 * and the bytes of both name strings, must be what they were. A code
 * object freed and its address reused by another function therefore gives
 * the new function's names, never the old ones, under a new id.
 *
 * Memory is read with process_vm_readv(2), or /proc/PID/mem where that
 * system call is not allowed. Reading another process needs the right to
 * ptrace it (root, or the same user with ptrace_scope 0 / its parent).
 * Not thread-safe: one reader per thread. Functions return 0 or a negative
 * errno (-ESRCH once the process is gone).
 */
#ifndef RECORD_PYREAD_H
#define RECORD_PYREAD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "record/pylayout.h"

#define PYREAD_NAME_MAX 256	/* bytes of a name with its NUL: UTF-8, cut at a character */
#define PYREAD_FILE_MAX 1024	/* bytes of a file name with its NUL */
#define PYREAD_MAX_THREADS 4096	/* thread states walked per interpreter */
#define PYREAD_MAX_FRAMES 64	/* frames skipped looking for a Python one */
#define PYREAD_CACHE_MAX 4096	/* code objects cached (all dropped when full) */

enum pyread_fail {
	PYR_F_READ,		/* a read failed: unmapped memory, the process changed or left */
	PYR_F_POINTER,		/* NULL, misaligned or outside the process's mappings */
	PYR_F_TYPE,		/* an object that is not of the type it must be */
	PYR_F_STRING,		/* a str that cannot be decoded (not compact, bad kind) */
	PYR_F_BOUND,		/* a list, chain or table past its bound, or a cycle */
	PYR_F_TID,		/* a thread whose kernel tid cannot be found */
	PYR_F_MISSING,		/* threading not imported, no _active, a Thread without _name */
	PYR_NFAIL
};

struct pyread_stats {
	uint64_t reads;			/* read system calls */
	uint64_t fail[PYR_NFAIL];	/* failures by kind */
	uint64_t truncated;		/* strings cut to PYREAD_*_MAX */
	uint64_t cache_hits;		/* code lookups answered from a validated entry */
	uint64_t cache_stale;		/* entries that failed validation (address reused, changed) */
	uint64_t cache_misses;		/* code objects read from scratch */
};

/* One thread state. */
struct pyread_thread {
	uint64_t tstate;		/* PyThreadState * in the target */
	uint64_t ident;			/* tstate->thread_id: pthread_t, threading's key */
	uint32_t tid;			/* kernel thread id, 0 if it could not be found */
	uint64_t code;			/* code object it runs (PYREAD_CODE), 0 if none */
	bool named;			/* name is set (PYREAD_NAMES) */
	char name[PYREAD_NAME_MAX];	/* threading.Thread.name */
};

/* A resolved code object: the strings live in the reader's cache, valid
 * until the next call on the reader. */
struct pyread_code {
	uint64_t addr;			/* where it is in the target */
	uint64_t id;			/* same id = same names; never reused for others */
	int32_t firstlineno;		/* co_firstlineno */
	uint64_t name_ptr;		/* the co_qualname (co_name) pointer it holds: with
					 * firstlineno and file_ptr, a fingerprint an event
					 * can carry (gs_py_fingerprint) */
	uint64_t file_ptr;		/* the co_filename pointer it holds */
	const char *qualname;		/* co_qualname (3.11+), co_name before */
	const char *filename;		/* co_filename */
};

/* What pyread_threads() fills besides tstate, ident and tid. */
enum pyread_want {
	PYREAD_NAMES = 1 << 0,		/* names from threading._active */
	PYREAD_CODE = 1 << 1,		/* the running code object of each */
};

struct pyread;

/*
 * Attach to process pid: find its interpreter (the executable or a mapped
 * libpython), load that file's layout, place it in the process. On failure
 * err says why in one line with the way out: -ESRCH (no such process),
 * -EPERM/-EACCES (not allowed to read it), -ENOENT (no CPython in it),
 * -ENOTSUP (a CPython whose layout is unknown: no DWARF, too new). A reader
 * that attached may still lack a capability: pyread_ready() says.
 */
int pyread_attach(struct pyread **out, pid_t pid, char *err, size_t errlen);

/*
 * Like pyread_attach(), for a recorder that gives up its privileges once it
 * has started: the process's /proc/PID/maps and /proc/PID/mem come as fds
 * the caller opened while it could (the kernel checks the right to read a
 * process when these files are opened, not when they are read; the reader
 * dups them), and the interpreter is the file whose layout l is (loaded
 * before the process ran). -EAGAIN while the process has not mapped that
 * file yet (a libpython before ld.so has loaded it): try again later. Other
 * errors as pyread_attach(). mem_fd may be -1 (process_vm_readv only).
 */
int pyread_attach_fds(struct pyread **out, pid_t pid, const struct pylayout *l, int maps_fd,
		      int mem_fd, char *err, size_t errlen);

/*
 * A reader of pid with the given layout, its symbols placed at bias (the
 * process's load address minus the file's). For tests that forge a target.
 * tid_off: offset of the tid in glibc's struct pthread (PYL_TID_PTHREAD),
 * or -1.
 */
int pyread_open(struct pyread **out, pid_t pid, const struct pylayout *l, uint64_t bias,
		int64_t tid_off);
void pyread_close(struct pyread *r);
/* Read through /proc/PID/mem from now on (what happens by itself where
 * process_vm_readv is not allowed); for tests of that path. */
int pyread_use_proc_mem(struct pyread *r);

const struct pylayout *pyread_layout(const struct pyread *r);
/* The interpreter file's load bias in the process. */
uint64_t pyread_bias(const struct pyread *r);
/* Like pylayout_ready(), plus what the process adds (glibc's tid offset). */
bool pyread_ready(const struct pyread *r, enum pyl_cap cap, char *err, size_t errlen);

/*
 * The thread states of every interpreter, up to max into out (*n of them);
 * want (enum pyread_want) asks for names and running code too. A thread
 * whose name or code cannot be read is still listed (named false, code 0)
 * and the failure counted; -E2BIG if there were more than max.
 */
int pyread_threads(struct pyread *r, struct pyread_thread *out, size_t max, size_t *n,
		   unsigned want);

/* The code object thread state tstate runs (its topmost Python frame):
 * 0 and *code (0 if it runs no Python code), or an error. */
int pyread_current_code(struct pyread *r, uint64_t tstate, uint64_t *code);

/* The names of code object addr (validated cache, see above). */
int pyread_code(struct pyread *r, uint64_t addr, const struct pyread_code **out);

void pyread_stats(const struct pyread *r, struct pyread_stats *st);
/* A short name for a failure kind ("read", "pointer", ...). */
const char *pyread_fail_name(enum pyread_fail f);

#endif
