/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * proc.h - small readers of /proc for the recorder and the adapters. What
 * they read belongs to another process and may change or vanish at any
 * moment: every reader is bounded and returns 0 or a negative errno.
 */
#ifndef UTIL_PROC_H
#define UTIL_PROC_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's name of thread tid of pid (/proc/PID/task/TID/comm). */
int proc_comm(pid_t pid, pid_t tid, char name[16]);
/* CPU time pid has used, its reaped children's included (utime + stime +
 * cutime + cstime of /proc/PID/stat), in ns; clock-tick resolution. */
int proc_cpu_ns(pid_t pid, uint64_t *ns);
/* The first number after field ("Uid:", "Tgid:") in /proc/PID/status. */
int proc_status_u32(pid_t pid, const char *field, unsigned *val);
/* When pid started (/proc/PID/stat's starttime, clock ticks after boot):
 * with the pid, it tells a process from a later one given the same pid. */
int proc_start_time(pid_t pid, uint64_t *ticks);
/* The four ids after field ("Uid:" or "Gid:": real, effective, saved and
 * file-system) in /proc/PID/status. */
int proc_status_ids(pid_t pid, const char *field, unsigned ids[4]);
/* fn(ctx, tid) for each thread of pid (/proc/PID/task) as it is listed;
 * stops at fn's first non-zero return and returns it, else 0, or -errno if
 * the list cannot be read. */
int proc_each_tid(pid_t pid, int (*fn)(void *ctx, pid_t tid), void *ctx);
/* /proc/PID/cmdline with its NULs as spaces ("" if unreadable). */
void proc_cmdline(pid_t pid, char *out, size_t len);
/* argv joined by spaces into out, cut to fit. */
void proc_join_args(char *out, size_t len, char *const *argv);

#endif
