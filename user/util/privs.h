/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * privs.h - giving up privileges once the probes are attached. Tracing
 * needs root (or CAP_BPF and CAP_PERFMON) to load and attach; nothing
 * after that needs more than what a command says it keeps:
 *
 *   - under sudo (euid 0, SUDO_UID/SUDO_GID set): become the invoking user
 *     (its uid and gid, no supplementary groups);
 *   - as plain root: keep the uid;
 *   - either way, and for a user holding capabilities of its own: keep only
 *     the capabilities in keep[] (permitted, effective; none inheritable),
 *     take the others out of the bounding set and set no_new_privs, so that
 *     no exec can get them back (not even root's: an exec as uid 0 would
 *     get every capability the bounding set has). A process forked before
 *     the call (a traced program held at its exec) is not affected.
 *
 * `record` and `live` keep nothing; `top` and `exporter` keep what probing
 * interpreters started later needs (CAP_BPF, CAP_PERFMON) and what reading
 * them needs (CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH).
 */
#ifndef UTIL_PRIVS_H
#define UTIL_PRIVS_H
#include <stddef.h>

/* Capability numbers (linux/capability.h; CAP_BPF and CAP_PERFMON are
 * newer than some libc headers). */
#define PRIVS_CAP_DAC_READ_SEARCH 2
#define PRIVS_CAP_SYS_PTRACE 19
#define PRIVS_CAP_SYS_ADMIN 21
#define PRIVS_CAP_PERFMON 38
#define PRIVS_CAP_BPF 39

/* See above. 0 or a negative errno (then the privileges are as they were,
 * or partly given up: the caller must stop). */
int privs_drop(const int *keep, size_t nkeep);

#endif
