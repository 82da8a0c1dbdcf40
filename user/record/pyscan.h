/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyscan.h - finds the CPython interpreters of running processes, for the
 * always-on watch (`top`, `exporter`): which file of a process holds the
 * interpreter, and where to probe take_gil and drop_gil in that file.
 *
 * A process is a Python when it maps a libpython*.so (an interpreter built
 * shared, or embedded in another program), or when its executable's name
 * starts with "python" (a static build: Debian's /usr/bin/python3.11). The
 * interpreter file is then the libpython, else the executable. Files are
 * named as this process can reach them: through /proc/PID/root, so an
 * interpreter inside a container is found too; their identity is (device,
 * inode), since uprobes belong to a file, not to a path.
 *
 * Everything read belongs to another process and may vanish at any moment:
 * -ESRCH/-ENOENT then. Functions return 0 or a negative errno.
 */
#ifndef RECORD_PYSCAN_H
#define RECORD_PYSCAN_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct lock_sites;

/* What pyscan_process() found. */
struct pyscan_hit {
	char path[PATH_MAX];	/* the interpreter file, reachable from here */
	uint64_t dev, ino;	/* its identity */
	char comm[16];		/* the process's kernel name */
};

/* Why an interpreter file cannot be traced (pyscan_file_probe). */
enum pyscan_file_state {
	PYSCAN_FILE_OK = 0,	/* take_gil and drop_gil found */
	PYSCAN_FILE_STRIPPED,	/* no symbol table (and no debug file): Debian's python3.X */
	PYSCAN_FILE_NOSYMS,	/* a symbol table without take_gil/drop_gil (Python 2, 3.13t) */
	PYSCAN_FILE_BAD,	/* cannot be read as an ELF file */
};

/* 1 and *hit if pid runs a Python (see above), 0 if it does not, or a
 * negative errno (-ENOENT: gone; -EACCES: not allowed to read its maps;
 * -ESTALE: its interpreter file was replaced or deleted on disk since it
 * started, so probes on the file now there would not reach it). */
int pyscan_process(pid_t pid, struct pyscan_hit *hit);

/* Where to probe the file at path (record/adapter.h: take_gil, drop_gil
 * and the calls in take_gil), and the state: PYSCAN_FILE_OK and *p, or why
 * not. why gets a few words for the user ("stripped", "no
 * take_gil/drop_gil symbols"). */
enum pyscan_file_state pyscan_file_probe(const char *path, struct lock_sites *p,
					 char *why, size_t whylen);

/* Calls fn for every process id in /proc (ascending is not promised); stops
 * early when fn returns non-zero. 0 or a negative errno. */
int pyscan_each_pid(int (*fn)(void *ctx, pid_t pid), void *ctx);

#endif
