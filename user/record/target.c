/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * target.c - the program a recording follows (see target.h): the held
 * child, its release at exec, a running process and its descendants.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "record/target.h"
#include "util/err.h"
#include "util/path.h"
#include "util/proc.h"
#include "util/sudo.h"

#define TREE_DEPTH_MAX 16	/* descendants of -p PID followed this deep */
#define YAMA_SCOPE "/proc/sys/kernel/yama/ptrace_scope"

extern char **environ;

/* ---- who may trace what ---------------------------------------------------- */

int target_may_trace(const struct target_access *a, pid_t pid, uid_t uid, gid_t gid,
		     char *why, size_t len)
{
	const char *fix = "run gilscope as root (not through sudo) to trace it anyway";

	if (a->uid[0] != uid || a->uid[1] != uid || a->uid[2] != uid)
		return errf(why, len, -EPERM, "process %d runs as uid %u/%u/%u (real/effective/"
			    "saved), not as you (uid %u): refusing to trace it; %s", (int)pid,
			    a->uid[0], a->uid[1], a->uid[2], (unsigned)uid, fix);
	if (a->gid[0] != gid || a->gid[1] != gid || a->gid[2] != gid)
		return errf(why, len, -EPERM, "process %d runs as gid %u/%u/%u (real/effective/"
			    "saved), not as your gid %u: refusing to trace it; %s", (int)pid,
			    a->gid[0], a->gid[1], a->gid[2], (unsigned)gid, fix);
	if (!a->dumpable)
		return errf(why, len, -EPERM, "process %d is not dumpable (it runs a setuid or "
			    "unreadable program, or made itself so): refusing to trace it; %s",
			    (int)pid, fix);
	if (a->yama >= 3)
		return errf(why, len, -EPERM, "kernel.yama.ptrace_scope is %d: nobody may trace "
			    "a process on this system, so neither may you through gilscope", a->yama);
	if (a->yama == 2)
		return errf(why, len, -EPERM, "kernel.yama.ptrace_scope is 2: only root may trace "
			    "processes here; %s", fix);
	if (a->yama == 1 && !a->kernel_allows)
		return errf(why, len, -EPERM, "kernel.yama.ptrace_scope is 1: only a process's "
			    "ancestors may trace it; start it under gilscope (-- CMD) instead");
	if (!a->kernel_allows)
		return errf(why, len, -EPERM, "the kernel would not let you (uid %u) trace process "
			    "%d: refusing to trace it", (unsigned)uid, (int)pid);
	return 0;
}

/* Does the kernel let uid/gid open /proc/PID/mem, the check of a ptrace
 * attach (credentials, dumpability, yama, LSMs)? Asked of a child that
 * became the user, so that no rule is left out. */
static bool kernel_allows(pid_t pid, uid_t uid, gid_t gid)
{
	char path[64];
	int status;
	pid_t c;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	c = fork();
	if (c < 0)
		return false;
	if (c == 0) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
			_exit(2);
		_exit(open(path, O_RDONLY | O_CLOEXEC) >= 0 ? 0 : 1);
	}
	return waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int yama_scope(void)
{
	FILE *f = fopen(YAMA_SCOPE, "re");
	int scope = -1;

	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = 3;	/* there but unreadable: the strictest */
		fclose(f);
	}
	return scope;
}

/* Under sudo, a running process only if its user could ptrace it. */
static int check_access(pid_t pid, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct target_access a = { .yama = yama_scope() };
	unsigned uids[4], gids[4];
	char path[64];
	struct stat st;

	/* the kernel gives the files (not the directory) of a non-dumpable
	 * process to root */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (proc_status_ids(pid, "Uid:", uids) || proc_status_ids(pid, "Gid:", gids) ||
	    stat(path, &st))
		return errf(err, errlen, -ESRCH, "cannot read process %d: refusing to trace it",
			    (int)pid);
	memcpy(a.uid, uids, sizeof(a.uid));
	memcpy(a.gid, gids, sizeof(a.gid));
	a.dumpable = st.st_uid == a.uid[1] && st.st_gid == a.gid[1];
	a.kernel_allows = kernel_allows(pid, uid, gid);
	return target_may_trace(&a, pid, uid, gid, err, errlen);
}

/* ---- opening --------------------------------------------------------------- */

static void free_env(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* A copy of environ with HOME, USER and LOGNAME of pw (what a login as
 * them sets; sudo set root's), or NULL when out of memory. */
static char **user_env(const struct passwd *pw)
{
	static const char *const keys[] = { "HOME=", "USER=", "LOGNAME=" };
	const char *vals[] = { pw->pw_dir, pw->pw_name, pw->pw_name };
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	if (!(env = calloc(n + 4, sizeof(*env))))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool ours = false;

		for (size_t j = 0; j < 3; j++)
			ours |= !strncmp(environ[i], keys[j], strlen(keys[j]));
		if (!ours && !(env[k++] = strdup(environ[i])))
			goto fail;
	}
	for (size_t j = 0; j < 3; j++) {
		size_t len = strlen(keys[j]) + strlen(vals[j]) + 1;

		if (!(env[k] = malloc(len)))
			goto fail;
		snprintf(env[k++], len, "%s%s", keys[j], vals[j]);
	}
	return env;
fail:
	free_env(env);
	return NULL;
}

/* The invoking user's identity for the command: uid, gid, groups, and
 * HOME/USER/LOGNAME when the user has a passwd entry. */
static int as_user(struct target *t, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct passwd *pw = getpwuid(uid);
	int n = 0;

	t->as_user = true;
	t->uid = uid;
	t->gid = gid;
	if (pw) {
		getgrouplist(pw->pw_name, gid, NULL, &n);	/* how many */
		if (n < 1)
			n = 1;
		t->groups = calloc((size_t)n, sizeof(*t->groups));
		if (t->groups && getgrouplist(pw->pw_name, gid, t->groups, &n) < 0)
			n = 0;
		t->envp = user_env(pw);
		if (!t->groups || !t->envp)
			return errf(err, errlen, -ENOMEM, "out of memory");
	}
	if (!pw || n < 1) {	/* no passwd entry: their gid alone */
		free(t->groups);
		if (!(t->groups = calloc(1, sizeof(*t->groups))))
			return errf(err, errlen, -ENOMEM, "out of memory");
		t->groups[0] = gid;
		n = 1;
	}
	t->ngroups = n;
	return 0;
}

int target_open(struct target *t, pid_t pid, char *const *argv, bool as_root,
		char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;
	bool sudo = !sudo_ids(&uid, &gid);

	t->pidfd = t->go_fd = t->err_fd = -1;
	if (pid > 0) {
		unsigned tgid;
		int ret;

		t->pid = pid;
		if (kill(t->pid, 0) && errno == ESRCH)
			return errf(err, errlen, -ESRCH, "no such process: %d", (int)t->pid);
		/* a thread id means its process: events carry the tgid */
		if (!proc_status_u32(t->pid, "Tgid:", &tgid) && tgid)
			t->pid = tgid;
		/* under sudo, trace only what the invoking user could ptrace */
		if (sudo && (ret = check_access(t->pid, uid, gid, err, errlen)))
			return ret;
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
	/* under sudo the command is the user's, as if they had run it */
	return sudo && !as_root ? as_user(t, uid, gid, err, errlen) : 0;
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
		/* the user's from the start: even held, it is no root process */
		e = 0;
		if (t->as_user && (setgroups((size_t)t->ngroups, t->groups) ||
				   setresgid(t->gid, t->gid, t->gid) ||
				   setresuid(t->uid, t->uid, t->uid)))
			e = errno;
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		/* stop at exec, so the recorder sees the new image before it runs */
		if (!e && stop_at_exec)
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		if (!e)
			execve(t->exe, argv, t->envp ? t->envp : environ);
		e = e ? e : errno;
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

int target_end(struct target *t, int sig)
{
	if (!t->child || t->exited || t->go_fd >= 0)
		return -ESRCH;
	return kill(t->pid, sig) ? -errno : 0;
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
	free_env(t->envp);
	t->envp = NULL;
	free(t->groups);
	t->groups = NULL;
}
