/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * target.h - the program a recording follows, for the recorder (recorder.c)
 * alone: a command it starts, or a process that runs already.
 *
 *   target_open()      looks at the target before any BPF work, so that a
 *                      bad pid or command fails first: the pid exists (a
 *                      thread id means its process) and, under sudo, is one
 *                      the invoking user could ptrace (target_may_trace());
 *                      a command is found like execvp does and, under sudo,
 *                      will run as the invoking user unless as_root.
 *   target_spawn()     forks the command, held on a pipe before exec (under
 *                      sudo already with the user's uid, gid and groups).
 *   target_release()   lets it exec (stopped at exec under ptrace when asked,
 *                      so the caller sees the new image before it runs a
 *                      single instruction; target_resume() lets it go on).
 *   target_abandon()   a spawned child never released exits without running.
 *   target_trace_children()  puts a running process's descendants into the
 *                      loader's traced set.
 *   target_check_exit() notices the exit (pidfd) and reaps our own child.
 *
 *   target_end()       ends a child we started that still runs: SIGTERM,
 *                      then SIGKILL if asked (the recorder waits between).
 *
 * Only target_end() kills, and only our own child: a -p process is never
 * signalled, a held child that is abandoned exits without running. The
 * struct is the caller's (zero it, then target_open); functions return 0 or
 * a negative errno, target_open() also one line in err.
 */
#ifndef RECORD_TARGET_H
#define RECORD_TARGET_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "record/loader.h"

struct target {
	pid_t pid;		/* the root of the traced tree */
	bool as_user;		/* spawn as uid/gid/groups with envp (under sudo) */
	uid_t uid;		/* ... the invoking user */
	gid_t gid;
	gid_t *groups;		/* their groups (getgrouplist), ngroups of them */
	int ngroups;
	char **envp;		/* the environment with their HOME, USER, LOGNAME */
	bool child;		/* pid is our child (started from argv), not yet reaped */
	bool stop_at_exec;	/* spawned under PTRACE_TRACEME */
	bool stopped;		/* stopped at exec, waiting for target_resume() */
	bool exited;		/* gone (pidfd readable) */
	int exit_status;	/* its wait status, if it was our child */
	uint64_t exit_cpu_ns;	/* our child's CPU time (its reaped children's
				 * included) when it exited, 0 if not known */
	int pidfd;		/* -1 until target_watch() */
	int go_fd, err_fd;	/* held child: the release pipe, exec's errno pipe */
	char exe[PATH_MAX];	/* the file the target runs (what to probe) */
	char root_name[16];	/* started command: the name of its main thread */
	char command[1024];	/* its command line, for the trace header */
};

/* pid > 0: that running process; else argv (NULL-terminated) to start,
 * as root if as_root, else (under sudo) as the invoking user. */
int target_open(struct target *t, pid_t pid, char *const *argv, bool as_root,
		char *err, size_t errlen);
/* Signals our child sig (SIGTERM, SIGKILL) if it still runs: 0, or -ESRCH
 * when there is no such child of ours (a -p target, gone, or reaped). */
int target_end(struct target *t, int sig);

/*
 * What the kernel's ptrace access check (PTRACE_MODE_ATTACH, plus yama)
 * looks at, for the decision target_may_trace() takes the way the kernel
 * would for a user without CAP_SYS_PTRACE who is not the process's
 * ancestor (as `gdb -p PID` run by that user).
 */
struct target_access {
	unsigned uid[3], gid[3];	/* the process's real, effective, saved ids */
	bool dumpable;		/* /proc/PID/status belongs to it (the kernel
				 * gives a non-dumpable process's files to root) */
	int yama;		/* kernel.yama.ptrace_scope, -1 without yama */
	bool kernel_allows;	/* /proc/PID/mem opened as that user */
};
/* 0 if user uid/gid could trace process pid with access a, else -EPERM and
 * the first reason, in one line, into why. */
int target_may_trace(const struct target_access *a, pid_t pid, uid_t uid, gid_t gid,
		     char *why, size_t len);
/* Forks argv held before exec; its stdout and stderr become child_stdout
 * if > 0 (0 or -1: inherited). */
int target_spawn(struct target *t, char *const *argv, int child_stdout, bool stop_at_exec);
/* Lets the held child exec. -errno of a failed exec (the child is reaped).
 * With stop_at_exec, on 0 the child is stopped at exec if t->stopped. */
int target_release(struct target *t);
/* Lets a child stopped at exec run (detaches ptrace). */
void target_resume(struct target *t);
/* A spawned child not released yet sees EOF and exits without running. */
void target_abandon(struct target *t);
/* Opens the pidfd that target_check_exit() and the caller's poll use. */
int target_watch(struct target *t);
/* true the first time the target is seen gone (then exited, exit_status). */
bool target_check_exit(struct target *t);
/* Adds pid's existing descendants to the traced set (a tree attached with -p). */
void target_trace_children(struct loader *ld, pid_t pid);
/* Closes the pidfd; reaps our child if it is done (never waits for it);
 * frees what target_open() allocated. */
void target_close(struct target *t);

#endif
