/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * target.c - the program a recording follows (see target.h): the held
 * child, its release at exec, a running process and its descendants.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "record/target.h"
#include "util/err.h"
#include "util/path.h"
#include "util/proc.h"

#define TREE_DEPTH_MAX 16	/* descendants of -p PID followed this deep */

int target_open(struct target *t, pid_t pid, char *const *argv, char *err, size_t errlen)
{
	t->pidfd = t->go_fd = t->err_fd = -1;
	if (pid > 0) {
		unsigned uid = 0, tgid;
		const char *sudo_uid = getenv("SUDO_UID");

		t->pid = pid;
		if (kill(t->pid, 0) && errno == ESRCH)
			return errf(err, errlen, -ESRCH, "no such process: %d", (int)t->pid);
		/* a thread id means its process: events carry the tgid */
		if (!proc_status_u32(t->pid, "Tgid:", &tgid) && tgid)
			t->pid = tgid;
		/* under sudo, trace only what the invoking user could ptrace */
		if (sudo_uid && atoi(sudo_uid) != 0 && !proc_status_u32(t->pid, "Uid:", &uid) &&
		    uid != (uid_t)atoi(sudo_uid))
			return errf(err, errlen, -EPERM, "process %d belongs to uid %u, not to you "
				    "(SUDO_UID %s): refusing to trace it", (int)t->pid, (unsigned)uid,
				    sudo_uid);
		snprintf(t->exe, sizeof(t->exe), "/proc/%d/exe", (int)t->pid);
		proc_cmdline(t->pid, t->command, sizeof(t->command));
		return 0;
	}
	const char *base = strrchr(argv[0], '/');
	int ret = path_find_command(argv[0], t->exe, sizeof(t->exe));

	if (ret)
		return errf(err, errlen, ret, "cannot run %s: %s", argv[0], strerror(-ret));
	proc_join_args(t->command, sizeof(t->command), argv);
	snprintf(t->root_name, sizeof(t->root_name), "%s", base ? base + 1 : argv[0]);
	return 0;
}

/*
 * The child waits on a pipe before exec: released by target_release() once
 * it is traced; if the recorder gives up first, the closed pipe makes it
 * exit without running anything. A failed exec sends its errno back.
 */
int target_spawn(struct target *t, char *const *argv, int child_stdout, bool stop_at_exec)
{
	int go[2], ep[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(ep, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(go[0]); close(go[1]); close(ep[0]); close(ep[1]);
		return err;
	}
	if (pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(ep[0]);
		if (child_stdout > 0) {	/* 0 (unset) or -1: inherit */
			dup2(child_stdout, 1);
			dup2(child_stdout, 2);
		}
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		/* stop at exec, so the recorder sees the new image before it runs */
		if (stop_at_exec)
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(t->exe, argv);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ep[1]);
	t->go_fd = go[1];
	t->err_fd = ep[0];
	t->pid = pid;
	t->child = true;
	t->stop_at_exec = stop_at_exec;
	return 0;
}

int target_release(struct target *t)
{
	int e = 0, status;
	ssize_t n;

	n = write(t->go_fd, "g", 1);
	close(t->go_fd);
	if (n == 1) {
		n = read(t->err_fd, &e, sizeof(e));	/* EOF: exec succeeded */
	} else {
		e = EPIPE;
		n = sizeof(e);
	}
	close(t->err_fd);
	t->go_fd = t->err_fd = -1;
	if (n == sizeof(e)) {
		waitpid(t->pid, &status, 0);
		t->child = false;
		return -(e ? e : EIO);
	}
	if (t->stop_at_exec && waitpid(t->pid, &status, 0) == t->pid && WIFSTOPPED(status))
		t->stopped = true;
	return 0;
}

void target_resume(struct target *t)
{
	if (t->stopped)
		ptrace(PTRACE_DETACH, t->pid, NULL, NULL);
	t->stopped = false;
}

void target_abandon(struct target *t)
{
	if (t->go_fd < 0)
		return;
	close(t->go_fd);
	close(t->err_fd);
	t->go_fd = t->err_fd = -1;
	waitpid(t->pid, NULL, 0);
	t->child = false;
}

int target_watch(struct target *t)
{
	t->pidfd = syscall(SYS_pidfd_open, t->pid, 0);
	return t->pidfd < 0 ? -errno : 0;
}

bool target_check_exit(struct target *t)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
	struct rusage ru;
	int status;

	if (t->exited || t->pidfd < 0 || poll(&p, 1, 0) != 1)
		return false;
	t->exited = true;
	if (t->child && wait4(t->pid, &status, WNOHANG, &ru) == t->pid) {
		t->exit_status = status;
		t->exit_cpu_ns = ((uint64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
				 ((uint64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
		t->child = false;
	}
	return true;
}

static void trace_tree(struct loader *ld, pid_t pid, int depth)
{
	char path[320], buf[4096];
	struct dirent *de;
	DIR *d;

	if (depth > TREE_DEPTH_MAX)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		char *p, *end;
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", (int)pid, de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (p = buf; *p; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			if (c > 0 && !loader_trace_tgid(ld, c))
				trace_tree(ld, c, depth + 1);
		}
	}
	closedir(d);
}

void target_trace_children(struct loader *ld, pid_t pid)
{
	trace_tree(ld, pid, 0);
}

void target_close(struct target *t)
{
	/* our child outlives us if it must (never killed); reap it if done */
	if (t->child && !t->exited)
		waitpid(t->pid, NULL, WNOHANG);
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}
