/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyread_priv.h - private to pyread.c (memory, threads, frames) and
 * pyread_obj.c (str, int, dict, attributes, the code cache): the reader
 * and its checked memory access.
 */
#ifndef RECORD_PYREAD_PRIV_H
#define RECORD_PYREAD_PRIV_H
#include <stdint.h>
#include <sys/uio.h>
#include "record/pyread.h"
#include "util/hash.h"

#define PYR_MAX_READ (1u << 20)		/* largest single read */
#define PYR_MAX_MAPS 65536		/* mappings remembered */
#define PYR_MAX_INTERPS 64		/* interpreters walked */
#define PYR_MAX_DICT 65536		/* dict entries walked */

struct pyr_map {
	uint64_t start, end;		/* a readable mapping [start, end) */
};

struct code_entry {
	uint64_t addr, id;
	uint64_t type, name_p, file_p;	/* fingerprint: what the code object held */
	int32_t line;
	struct iovec span[2];		/* remote bytes of the two strings (length..data end) */
	uint8_t *bytes[2];		/* and their contents then */
	char *qualname, *filename;	/* decoded, UTF-8 */
};

struct pyread {
	pid_t pid;
	struct pylayout l;
	uint64_t bias;
	int64_t tid_off;		/* glibc struct pthread tid, -1 unknown */
	int mem_fd;			/* /proc/PID/mem, when process_vm_readv is not allowed */
	int maps_fd;			/* /proc/PID/maps opened early (pyread_attach_fds), or -1 */
	bool use_mem;
	bool gone;			/* the process exited */
	struct pyr_map *maps;
	size_t nmaps;
	uint64_t maps_gen, maps_loaded_gen;	/* reload the maps at most once per call */
	struct pyread_stats st;
	struct hmap cache;		/* code address -> index in entries */
	struct code_entry *entries;
	size_t nentries;
	uint64_t next_id;
	struct pyread_code out;		/* what pyread_code() hands out */
	uint64_t threading_dict, active_dict;	/* found once, checked on each use */
};

static inline uint64_t pyr_sym(const struct pyread *r, enum pyl_sym s)
{
	return r->l.sym[s] ? r->l.sym[s] + r->bias : 0;
}

static inline int64_t pyr_off(const struct pyread *r, enum pyl_field f)
{
	return r->l.off[f];
}

/* A reader of pid (pyread_open), through maps_fd and mem_fd if >= 0 (dup'ed
 * first, so that even the first load of the maps goes through them). */
int pyr_open(struct pyread **out, pid_t pid, const struct pylayout *l, uint64_t bias,
	     int64_t tid_off, int maps_fd, int mem_fd);
/* Count a failure; returns err so that `return pyr_fail(r, X, -EFAULT)` reads as one. */
int pyr_fail(struct pyread *r, enum pyread_fail kind, int err);
/* 0 if p may point at an object of alignment align in the target. */
int pyr_check_ptr(struct pyread *r, uint64_t p, unsigned align);
/* Read len bytes at addr (checked pointer, bounded length). */
int pyr_read(struct pyread *r, uint64_t addr, void *buf, size_t len);
/* Read several remote ranges in one call; 0 only if all were read whole. */
int pyr_readv(struct pyread *r, const struct iovec *local, const struct iovec *remote, int n);
int pyr_read_ptr(struct pyread *r, uint64_t addr, uint64_t *val);
/* The ob_type of the object at p is the symbol's (the object's exact type). */
int pyr_check_type(struct pyread *r, uint64_t p, enum pyl_sym type);

/* str at p into out (UTF-8, NUL-terminated, cut at a character to cap);
 * span, if not NULL, gets the remote range that holds it (from its length
 * to the end of its data) and *bytes, if not NULL, a malloc'd copy of
 * those bytes, the very ones decoded (for validation). */
int pyr_str(struct pyread *r, uint64_t p, char *out, size_t cap, struct iovec *span,
	    uint8_t **bytes);
/* The attribute name of object obj (instance __dict__ or inline values). */
int pyr_attr(struct pyread *r, uint64_t obj, const char *name, uint64_t *val);
/* The value of str key name in dict d. */
int pyr_dict_get(struct pyread *r, uint64_t d, const char *name, uint64_t *val);
/* threading._active's Thread._name for ident: fills names[i] for threads[i]. */
int pyr_thread_names(struct pyread *r, uint64_t interp, struct pyread_thread *t, size_t n);
void pyr_cache_free(struct pyread *r);

#endif
