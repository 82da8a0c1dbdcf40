/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * recorder.c - see recorder.h. One recording: a loader (the BPF side), the
 * target (our held child, or a running pid), a timer that drains the ring
 * buffer, a reorder window, and the names of the threads it has seen.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "record/recorder.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/path.h"
#include "util/proc.h"

#define REORDER_CAP (128 * 1024)	/* events held at most: 5 MiB per buffer */
#define NAMED_MAX (1u << 20)		/* tids remembered; then start over */

struct recorder {
	struct recorder_opts opts;	/* copy; strings stay the caller's */
	struct loader *ld;
	struct ring_buffer *rb;		/* NULL in floor mode */
	struct reorder *ro;
	int epfd, timerfd, pidfd;
	pid_t pid;			/* the root of the traced tree */
	bool child;			/* pid is our child (started from argv) */
	bool exited;			/* target gone (pidfd readable) */
	int exit_status;		/* wait status, if our child */
	bool stopped;
	uint64_t start_ns, end_ns, exit_ns, last_flush_ns;
	uint64_t lost_seen;		/* loader_lost() already turned into LOST events */
	uint64_t events;		/* delivered to the sink */
	int err;			/* first sink/flush error: sticky */
	struct hmap named;		/* tids that have a THREAD_NAME already */
	char root_name[16];		/* fallback name for the root's main thread */
	char command[1024];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- thread names --------------------------------------------------------- */

/* 1 if tid was added, 0 if already there, negative errno. */
static int named_add(struct hmap *named, uint32_t tid)
{
	uint64_t v;

	if (!tid || hmap_get(named, hkey_u64(tid), &v))
		return 0;
	if (named->n >= NAMED_MAX)	/* churn: forget, names are only repeated */
		hmap_clear(named);
	return hmap_put(named, hkey_u64(tid), 1) ?: 1;
}

static struct gs_event name_event(uint64_t ts, pid_t pid, pid_t tid, const char name[16])
{
	struct gs_event e = { .ts_ns = ts, .pid = pid, .tid = tid, .type = GS_EV_THREAD_NAME };

	gs_event_set_name(&e, name);
	return e;
}

/* First sight of a traced thread: give it the kernel's name (the model would
 * otherwise only know "tid N" for threads that never ran thread_start). */
static int name_thread(struct recorder *r, uint64_t ts, pid_t pid, pid_t tid)
{
	struct gs_event e;
	char name[16];
	int added = named_add(&r->named, tid);

	if (added <= 0)
		return added;
	if (proc_comm(pid, tid, name)) {
		if (tid != r->pid || !r->root_name[0])
			return 0;	/* gone already; the model says "tid N" */
		memcpy(name, r->root_name, sizeof(name));
	}
	e = name_event(ts, pid, tid, name);
	return reorder_push(r->ro, &e, 1);
}

/* ---- draining --------------------------------------------------------------- */

static int on_event(struct recorder *r, const struct gs_event *e)
{
	bool all = r->opts.all_tasks;
	int err;

	switch (e->type) {
	case GS_EV_THREAD_NAME:		/* gilrt named it: that wins */
		return named_add(&r->named, e->tid) < 0 ? -ENOMEM : 0;
	case GS_EV_SCHED_SWITCH:	/* with -a, "someone else" gets a name too */
		if ((all || (e->flags & GS_F_TRACED_PREV)) &&
		    (err = name_thread(r, e->ts_ns, e->pid, e->tid)))
			return err;
		if (all || (e->flags & GS_F_TRACED_NEXT))
			return name_thread(r, e->ts_ns, e->arg0 >> 32, (uint32_t)e->arg0);
		return 0;
	case GS_EV_SCHED_WAKEUP:
	case GS_EV_SCHED_MIGRATE:
		return all || (e->flags & GS_F_TRACED) ? name_thread(r, e->ts_ns, e->pid, e->tid) : 0;
	case GS_EV_PROC_FORK:
	case GS_EV_LOST:
		return 0;
	default:
		return name_thread(r, e->ts_ns, e->pid, e->tid);
	}
}

/* A ring record is a CPU's batch of events (see loader_ringbuf_fd()). */
static int on_ring_record(void *ctx, void *data, size_t size)
{
	struct recorder *r = ctx;
	const struct gs_event *e = data;
	int err = 0;

	for (size_t i = 0; !err && i < size / sizeof(*e); i++) {
		err = reorder_push(r->ro, &e[i], 1);
		if (!err)
			err = on_event(r, &e[i]);
	}
	return err;
}

/* Sees every ordered event before the caller's sink. */
static int on_ordered(void *ctx, const struct gs_event *ev, size_t n)
{
	struct recorder *r = ctx;

	for (size_t i = 0; i < n; i++) {
		/* a process of the tree is gone and, the window later, so is its
		 * last switch away: stop paying for its tgid in the map */
		if (ev[i].type == GS_EV_PROC_EXIT && ev[i].arg1 && ev[i].pid != (uint32_t)r->pid)
			loader_untrace_tgid(r->ld, ev[i].pid);
	}
	r->events += n;
	return r->opts.sink(r->opts.ctx, ev, n);
}

static int drain(struct recorder *r, uint64_t cutoff)
{
	uint64_t lost;
	int err;

	if (r->rb) {
		err = loader_flush(r->ld);
		if (!err)
			err = ring_buffer__consume(r->rb);
		if (err < 0)
			return err;
	}
	lost = loader_lost(r->ld);
	if (lost > r->lost_seen) {
		struct gs_event e = { .ts_ns = mono_ns(), .type = GS_EV_LOST,
				      .arg0 = lost - r->lost_seen };

		r->lost_seen = lost;
		err = reorder_push(r->ro, &e, 1);
		if (err)
			return err;
	}
	return reorder_release(r->ro, cutoff);
}

static int flush(struct recorder *r, uint64_t now)
{
	r->last_flush_ns = now;
	return r->opts.flush ? r->opts.flush(r->opts.ctx) : 0;
}

/* ---- the target -------------------------------------------------------------- */

static void check_exit(struct recorder *r)
{
	struct pollfd p = { .fd = r->pidfd, .events = POLLIN };
	int status;

	if (r->exited || r->pidfd < 0 || poll(&p, 1, 0) != 1)
		return;
	r->exited = true;
	r->exit_ns = mono_ns();
	if (r->child && waitpid(r->pid, &status, WNOHANG) == r->pid)
		r->exit_status = status;
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->pidfd, NULL);
}

/*
 * Forks the child held on a pipe before exec. It is released by
 * release_child() once it is traced; if the recorder gives up first, closing
 * the pipe makes the child exit without running anything.
 */
static int spawn_held(struct recorder *r, const char *exe, int *go_fd, int *err_fd)
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
		if (r->opts.child_stdout > 0) {	/* 0 (unset) or -1: inherit */
			dup2(r->opts.child_stdout, 1);
			dup2(r->opts.child_stdout, 2);
		}
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		/* stop at exec, so on_exec sees the new image before it runs */
		if (r->opts.on_exec)
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(exe, r->opts.argv);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ep[1]);
	*go_fd = go[1];
	*err_fd = ep[0];
	r->pid = pid;
	r->child = true;
	return 0;
}

/* Lets the held child exec; returns its exec errno as a negative value. */
static int release_child(struct recorder *r, int go_fd, int err_fd)
{
	int e = 0, status;
	ssize_t n;

	n = write(go_fd, "g", 1);
	close(go_fd);
	if (n == 1) {
		n = read(err_fd, &e, sizeof(e));	/* EOF: exec succeeded */
	} else {
		e = EPIPE;
		n = sizeof(e);
	}
	close(err_fd);
	if (n == sizeof(e)) {
		waitpid(r->pid, &status, 0);
		r->child = false;
		return -(e ? e : EIO);
	}
	if (r->opts.on_exec && waitpid(r->pid, &status, 0) == r->pid && WIFSTOPPED(status)) {
		r->opts.on_exec(r->opts.exec_ctx, r, r->pid);
		ptrace(PTRACE_DETACH, r->pid, NULL, NULL);
	}
	return 0;
}

/* Adds pid's existing descendants (a process tree attached with -p). */
static void trace_children(struct recorder *r, pid_t pid, int depth)
{
	char path[320], buf[4096];
	struct dirent *de;
	DIR *d;

	if (depth > 16)
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
			if (c > 0 && !loader_trace_tgid(r->ld, c))
				trace_children(r, c, depth + 1);
		}
	}
	closedir(d);
}

/* THREAD_NAME for every thread of a process that runs already. */
static int name_existing(struct recorder *r, pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return 0;
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] != '.')
			err = name_thread(r, r->start_ns, pid, atoi(de->d_name));
	}
	closedir(d);
	return err;
}

/*
 * Nothing after the attach needs privileges: the ring buffer is mapped, map
 * fds work without capabilities, the output is open. Under sudo become the
 * invoking user (also makes us non-dumpable to them: the BPF fds stay ours);
 * as plain root keep the uid but drop every capability.
 */
static int drop_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[2] = {};
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");

	if (geteuid() != 0)
		return 0;
	if (su && sg && atoi(su) > 0) {
		if (setgroups(0, NULL) || setresgid(atoi(sg), atoi(sg), atoi(sg)) ||
		    setresuid(atoi(su), atoi(su), atoi(su)))
			return -errno;
		return 0;
	}
	return syscall(SYS_capset, &hdr, none) ? -errno : 0;
}

/* ---- lifecycle ------------------------------------------------------------------ */

static int setup_fds(struct recorder *r)
{
	uint32_t ms = r->opts.drain_ms;
	struct itimerspec its = {
		.it_interval = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L },
		.it_value = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L },
	};
	struct epoll_event ev = { .events = EPOLLIN };

	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->epfd < 0 || r->timerfd < 0 || timerfd_settime(r->timerfd, 0, &its, NULL))
		return -errno;
	ev.data.fd = r->timerfd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->timerfd, &ev))
		return -errno;
	r->pidfd = syscall(SYS_pidfd_open, r->pid, 0);
	if (r->pidfd < 0)
		return -errno;
	ev.data.fd = r->pidfd;
	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->pidfd, &ev) ? -errno : 0;
}

int recorder_start(struct recorder **out, const struct recorder_opts *opts,
		   char *err, size_t errlen)
{
	struct loader_opts lo = { .all_tasks = opts->all_tasks, .floor = opts->floor,
				  .ringbuf_bytes = opts->ringbuf_bytes };
	char exe[PATH_MAX];
	int go_fd = -1, err_fd = -1, ret;
	struct recorder *r;

	*out = NULL;
	if (!opts->sink || (!opts->pid) == (!opts->argv) || (opts->argv && !opts->argv[0]))
		return errf(err, errlen, -EINVAL, "give either a pid or a command to trace");
	r = calloc(1, sizeof(*r));
	if (!r)
		return errf(err, errlen, -ENOMEM, "out of memory");
	r->opts = *opts;
	if (!r->opts.drain_ms)
		r->opts.drain_ms = 15;
	if (!r->opts.window_ms)
		r->opts.window_ms = 20;
	if (!r->opts.flush_ms)
		r->opts.flush_ms = 1000;
	r->epfd = r->timerfd = r->pidfd = -1;

	/* the target first: a bad pid or command fails before any BPF work */
	if (opts->pid) {
		unsigned uid = 0, tgid;
		const char *sudo_uid = getenv("SUDO_UID");

		r->pid = opts->pid;
		if (kill(r->pid, 0) && errno == ESRCH) {
			ret = errf(err, errlen, -ESRCH, "no such process: %d", (int)r->pid);
			goto fail;
		}
		/* a thread id means its process: events carry the tgid */
		if (!proc_status_u32(r->pid, "Tgid:", &tgid) && tgid)
			r->pid = tgid;
		/* under sudo, trace only what the invoking user could ptrace */
		if (sudo_uid && atoi(sudo_uid) != 0 && !proc_status_u32(r->pid, "Uid:", &uid) &&
		    uid != (uid_t)atoi(sudo_uid)) {
			ret = errf(err, errlen, -EPERM, "process %d belongs to uid %u, not to you "
				   "(SUDO_UID %s): refusing to trace it", (int)r->pid, (unsigned)uid, sudo_uid);
			goto fail;
		}
		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)r->pid);
		proc_cmdline(r->pid, r->command, sizeof(r->command));
	} else {
		const char *base = strrchr(opts->argv[0], '/');

		ret = path_find_command(opts->argv[0], exe, sizeof(exe));
		if (ret) {
			ret = errf(err, errlen, ret, "cannot run %s: %s", opts->argv[0], strerror(-ret));
			goto fail;
		}
		proc_join_args(r->command, sizeof(r->command), opts->argv);
		snprintf(r->root_name, sizeof(r->root_name), "%s", base ? base + 1 : opts->argv[0]);
	}

	ret = loader_open(&r->ld, &lo);
	if (!ret)
		ret = loader_load(r->ld);
	/* attach by file, before the target runs anything: nothing is missed */
	if (!ret)
		ret = opts->lock && !opts->floor ? loader_attach_lock(r->ld, opts->lock)
						 : loader_attach_gilrt(r->ld, exe);
	if (!ret && !opts->floor)
		ret = loader_attach_sched(r->ld);
	if (ret) {
		ret = errf(err, errlen, ret, "%s", loader_error(r->ld));
		goto fail;
	}
	ret = reorder_new(&r->ro, REORDER_CAP, on_ordered, r);
	if (!ret && loader_ringbuf_fd(r->ld) >= 0) {
		r->rb = ring_buffer__new(loader_ringbuf_fd(r->ld), on_ring_record, r, NULL);
		if (!r->rb)
			ret = -errno;
	}
	if (ret) {
		ret = errf(err, errlen, ret, "cannot set up the event buffer: %s", strerror(-ret));
		goto fail;
	}

	if (opts->argv) {
		ret = spawn_held(r, exe, &go_fd, &err_fd);
		if (ret) {
			ret = errf(err, errlen, ret, "cannot start %s: %s", opts->argv[0], strerror(-ret));
			goto fail;
		}
	}
	ret = loader_trace_tgid(r->ld, r->pid);
	if (ret) {
		ret = errf(err, errlen, ret, "%s", loader_error(r->ld));
		goto fail;
	}
	if (opts->pid)
		trace_children(r, r->pid, 0);
	ret = setup_fds(r);
	if (ret) {
		ret = errf(err, errlen, ret, "cannot set up timers: %s", strerror(-ret));
		goto fail;
	}
	r->start_ns = r->last_flush_ns = mono_ns();
	if (opts->pid) {
		ret = name_existing(r, r->pid);
		if (ret) {
			ret = errf(err, errlen, ret, "out of memory");
			goto fail;
		}
	} else {
		ret = release_child(r, go_fd, err_fd);
		go_fd = err_fd = -1;
		if (ret) {
			ret = errf(err, errlen, ret, "cannot run %s: %s", exe, strerror(-ret));
			goto fail;
		}
	}
	/* our timer wakeups must not preempt the traced threads (each would be
	 * an involuntary context switch we caused): SCHED_BATCH wakees never
	 * preempt; we run on an idle core or at the next tick instead. Only
	 * this thread, and after the child forked: it keeps its policy. */
	sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){ 0 });
	if (opts->drop_privileges) {
		ret = drop_privileges();
		if (ret) {
			ret = errf(err, errlen, ret, "cannot drop privileges: %s", strerror(-ret));
			goto fail;
		}
	}
	*out = r;
	return 0;
fail:
	if (go_fd >= 0) {	/* the held child sees EOF and exits unrun */
		close(go_fd);
		close(err_fd);
		waitpid(r->pid, NULL, 0);
		r->child = false;
	}
	r->stopped = true;
	recorder_destroy(r);
	return ret;
}

void recorder_meta(const struct recorder *r, struct trace_meta *m)
{
	struct timespec rt, mono;
	struct utsname u;

	memset(m, 0, sizeof(*m));
	/* present CPUs, not possible ones (a VM may reserve dozens of
	 * hotplug slots that would become empty rows in every view) */
	m->ncpus = sysconf(_SC_NPROCESSORS_CONF) > 0 ? sysconf(_SC_NPROCESSORS_CONF) : 1;
	m->root_pid = r->pid;
	m->flags = r->opts.all_tasks ? TRACE_META_ALL_TASKS : 0;
	m->clock_id = CLOCK_MONOTONIC;
	m->start_ns = r->start_ns;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	m->realtime_offset_ns = ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL +
				(rt.tv_nsec - mono.tv_nsec);
	if (!uname(&u)) {
		snprintf(m->host, sizeof(m->host), "%.63s", u.nodename);
		snprintf(m->kernel, sizeof(m->kernel), "%.40s %.80s", u.release, u.version);
	}
	snprintf(m->adapter, sizeof(m->adapter), "%s",
		 r->opts.adapter ? r->opts.adapter : (r->opts.lock ? "lock" : "gilrt"));
	snprintf(m->command, sizeof(m->command), "%s", r->command);
}

int recorder_fd(const struct recorder *r)
{
	return r->epfd;
}

int recorder_poll(struct recorder *r)
{
	uint64_t ticks, now;
	int err;

	if (r->err)
		return r->err;
	if (r->stopped)
		return 1;
	if (read(r->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return r->err = -errno;
	check_exit(r);
	now = mono_ns();
	err = drain(r, now - (uint64_t)r->opts.window_ms * 1000000u);
	if (!err && now - r->last_flush_ns >= (uint64_t)r->opts.flush_ms * 1000000u)
		err = flush(r, now);
	if (err)
		return r->err = err;
	if (r->opts.duration_ns && now - r->start_ns >= r->opts.duration_ns)
		return 1;
	/* after the exit, wait out the window for the dead task's last switch */
	if (r->exited && now - r->exit_ns >= (uint64_t)r->opts.window_ms * 1000000u)
		return 1;
	return 0;
}

int recorder_run(struct recorder *r, const volatile sig_atomic_t *stop)
{
	struct epoll_event ev[4];
	int ret = 0;

	while (!ret && !(stop && *stop)) {
		if (epoll_wait(r->epfd, ev, 4, -1) < 0 && errno != EINTR)
			return -errno;
		if (stop && *stop)
			break;
		ret = recorder_poll(r);
	}
	return ret < 0 ? ret : 0;
}

int recorder_stop(struct recorder *r)
{
	int err;

	if (r->stopped)
		return r->err;
	r->stopped = true;
	check_exit(r);
	err = drain(r, UINT64_MAX);
	if (!r->err)
		r->err = err;
	err = flush(r, mono_ns());
	if (!r->err)
		r->err = err;
	r->end_ns = mono_ns();
	/* stop feeding the map; detaching is slow and left to destroy() */
	loader_untrace_tgid(r->ld, r->pid);
	return r->err;
}

int recorder_set_lock_filter(struct recorder *r, uint64_t lock_addr)
{
	return r->ld ? loader_set_lock_filter(r->ld, lock_addr) : -EINVAL;
}

void recorder_stats(const struct recorder *r, struct recorder_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->events = r->events;
	st->lost = r->lost_seen;
	st->late = r->ro ? reorder_late(r->ro) : 0;
	st->start_ns = r->start_ns;
	st->end_ns = r->end_ns;
	st->pid = r->pid;
	st->exited = r->exited;
	st->exit_status = r->exit_status;
}

void recorder_destroy(struct recorder *r)
{
	if (!r)
		return;
	if (!r->stopped)
		recorder_stop(r);
	/* our child outlives us if it must (never killed); reap it if done */
	if (r->child && !r->exited)
		waitpid(r->pid, NULL, WNOHANG);
	ring_buffer__free(r->rb);
	loader_destroy(r->ld);
	reorder_free(r->ro);
	hmap_free(&r->named);
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->timerfd >= 0)
		close(r->timerfd);
	if (r->pidfd >= 0)
		close(r->pidfd);
	free(r);
}
