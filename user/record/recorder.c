/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * recorder.c - see recorder.h. One recording: a loader (the BPF side), the
 * target (target.c: our held child, or a running pid), a timer that drains the ring
 * buffer, a reorder window, and the names of the threads it has seen.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "record/cost_meter.h"
#include "record/lock_fill.h"
#include "record/recorder.h"
#include "record/target.h"
#include "record/thread_namer.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/proc.h"
#include "util/sudo.h"

#define REORDER_CAP (128 * 1024)	/* events held at most: 5 MiB per buffer */

struct recorder {
	struct recorder_opts opts;	/* copy; strings stay the caller's */
	struct loader *ld;
	struct ring_buffer *rb;		/* NULL in floor mode */
	struct reorder *ro;
	struct target tg;		/* the traced program */
	int epfd, timerfd;
	bool stopped;
	uint64_t start_ns, end_ns, exit_ns, last_flush_ns;
	uint64_t lost_seen;		/* loader_lost() already turned into LOST events */
	uint64_t clamp_lo;		/* the target became traced: no true event is older */
	uint64_t clamped;		/* events whose time was clamped into [clamp_lo, now] */
	uint64_t clamped_seen;		/* ... already told in TIME_CLAMPED events */
	uint64_t events;		/* delivered to the sink */
	int err;			/* first sink/flush error: sticky */
	int ended_by;			/* recorder_end_target()'s last signal */
	struct thread_namer names;	/* the kernel's names of the threads seen */
	struct lock_fill *fill;		/* lock uprobes: completes their events */
	struct cost_meter *cost;	/* opts.cost: the probe hits counted */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- draining --------------------------------------------------------------- */

/*
 * gilrt's lock probes pass their own time (the traced program's word), and
 * every true event happened after the probes existed and before we read
 * it: a time outside [clamp_lo, now] is the program's invention (2^64 - 6
 * made a trace 584 years long). It is clamped into the range, not below
 * what was delivered already (that would count it as late too), and
 * counted.
 */
static void clamp_time(struct recorder *r, struct gs_event *e, uint64_t now)
{
	uint64_t floor;

	if (e->ts_ns >= r->clamp_lo && e->ts_ns <= now)
		return;
	floor = reorder_floor(r->ro);
	e->ts_ns = e->ts_ns > now ? now : floor > r->clamp_lo ? floor : r->clamp_lo;
	r->clamped++;
}

/* A ring record is a CPU's batch of events (see loader_ringbuf_fd()). */
static int on_ring_record(void *ctx, void *data, size_t size)
{
	struct recorder *r = ctx;
	const struct gs_event *in = data;
	uint64_t now = mono_ns();	/* after every event of this record */
	int err = 0;

	for (size_t i = 0; !err && i < size / sizeof(*in); i++) {
		struct gs_event e = in[i];

		if (r->cost)
			cost_meter_event(r->cost, &e);
		clamp_time(r, &e, now);
		err = reorder_push(r->ro, &e, 1);
		if (!err)
			err = thread_namer_event(&r->names, &e);
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
		if (ev[i].type == GS_EV_PROC_EXIT && ev[i].arg1 && ev[i].pid != (uint32_t)r->tg.pid)
			loader_untrace_tgid(r->ld, ev[i].pid);
	}
	if (r->fill) {
		int err = lock_fill_events(r->fill, ev, n, &ev, &n);

		if (err)
			return err;
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
	if (r->cost)
		cost_meter_quiet(r->cost, r->ld);
	lost = loader_lost(r->ld);
	if (lost > r->lost_seen) {
		struct gs_event e = { .ts_ns = mono_ns(), .type = GS_EV_LOST,
				      .arg0 = lost - r->lost_seen };

		r->lost_seen = lost;
		err = reorder_push(r->ro, &e, 1);
		if (err)
			return err;
	}
	if (r->clamped > r->clamped_seen) {	/* stored in the trace, like LOST */
		struct gs_event e = { .ts_ns = mono_ns(), .type = GS_EV_TIME_CLAMPED,
				      .arg0 = r->clamped - r->clamped_seen };

		r->clamped_seen = r->clamped;
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
	if (!target_check_exit(&r->tg))
		return;
	r->exit_ns = mono_ns();
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->tg.pidfd, NULL);
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
	int ret;

	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->epfd < 0 || r->timerfd < 0 || timerfd_settime(r->timerfd, 0, &its, NULL))
		return -errno;
	ev.data.fd = r->timerfd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->timerfd, &ev))
		return -errno;
	if ((ret = target_watch(&r->tg)))
		return ret;
	ev.data.fd = r->tg.pidfd;
	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->tg.pidfd, &ev) ? -errno : 0;
}

/* The BPF side, attached by file before the target runs anything (nothing
 * is missed), and the buffers that bring its events here. */
static int setup_bpf(struct recorder *r, char *err, size_t errlen)
{
	const struct recorder_opts *o = &r->opts;
	const char *sync = getenv("GILSCOPE_SYNC_DETACH");
	struct loader_opts lo = { .all_tasks = o->all_tasks, .floor = o->floor,
				  .ringbuf_bytes = o->ringbuf_bytes, .py = o->py,
				  /* benchmarks: the next run must not meet our probes */
				  .sync_detach = sync && *sync && strcmp(sync, "0") };
	int ret;

	/* under sudo the recording is the user's (a -p process they could
	 * ptrace, or the command run as them): what the tree becomes by a
	 * setuid exec is not; with --as-root the command is root's */
	lo.for_user = !sudo_ids(&lo.uid, &lo.gid) && (o->pid || !o->as_root);
	ret = loader_open(&r->ld, &lo);

	if (!ret)
		ret = loader_load(r->ld);
	if (!ret)
		ret = o->lock && !o->floor ? loader_attach_lock(r->ld, o->lock)
					   : loader_attach_gilrt(r->ld, r->tg.exe);
	if (!ret && !o->floor)
		ret = loader_attach_sched(r->ld);
	if (ret)
		return errf(err, errlen, ret, "%s", loader_error(r->ld));
	ret = reorder_new(&r->ro, REORDER_CAP, on_ordered, r);
	r->names = (struct thread_namer){ .ro = r->ro, .root_name = r->tg.root_name,
					  .all_tasks = o->all_tasks };
	if (!ret && o->lock && !o->floor)
		ret = lock_fill_new(&r->fill);
	if (!ret && loader_ringbuf_fd(r->ld) >= 0) {
		r->rb = ring_buffer__new(loader_ringbuf_fd(r->ld), on_ring_record, r, NULL);
		if (!r->rb)
			ret = -errno;
	}
	if (ret)
		return errf(err, errlen, ret, "cannot set up the event buffer: %s", strerror(-ret));
	return 0;
}

/* Our child runs its first instruction only now that its pid is traced;
 * stopped at exec first if on_exec wants to see the new image. */
static int release_child(struct recorder *r, char *err, size_t errlen)
{
	int ret = target_release(&r->tg);

	if (ret)
		return errf(err, errlen, ret, "cannot run %s: %s", r->tg.exe, strerror(-ret));
	if (r->tg.stopped)
		r->opts.on_exec(r->opts.exec_ctx, r, r->tg.pid);
	target_resume(&r->tg);
	return 0;
}

static int interrupted(const struct recorder *r, char *err, size_t errlen)
{
	if (r->opts.argv)
		return errf(err, errlen, -EINTR, "interrupted before %s started: it was not run",
			    r->opts.argv[0]);
	return errf(err, errlen, -EINTR, "interrupted before the recording began");
}

int recorder_start(struct recorder **out, const struct recorder_opts *opts,
		   char *err, size_t errlen)
{
	struct recorder *r;
	int ret;

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
	r->epfd = r->timerfd = -1;

	/* the target first: a bad pid or command fails before any BPF work */
	ret = target_open(&r->tg, opts->pid, opts->argv, opts->as_root, err, errlen);
	if (!ret)
		ret = setup_bpf(r, err, errlen);
	if (!ret && opts->stop && *opts->stop)	/* attaching takes a while */
		ret = interrupted(r, err, errlen);
	/* what a hit costs, measured before the target runs */
	if (!ret && opts->cost && !opts->floor &&
	    (ret = cost_meter_new(&r->cost, opts->lock, r->tg.exe, opts->py)))
		ret = errf(err, errlen, ret, "out of memory");
	if (ret)
		goto fail;
	if (opts->argv) {
		ret = target_spawn(&r->tg, opts->argv, opts->child_stdout, opts->on_exec != NULL);
		if (ret) {
			ret = errf(err, errlen, ret, "cannot start %s: %s", opts->argv[0], strerror(-ret));
			goto fail;
		}
	}
	/* nothing is recorded before its tgid is in the traced set */
	r->names.root = r->tg.pid;
	r->clamp_lo = mono_ns();
	ret = loader_trace_tgid(r->ld, r->tg.pid);
	if (ret) {
		ret = errf(err, errlen, ret, "%s", loader_error(r->ld));
		goto fail;
	}
	if (opts->pid)
		target_trace_children(r->ld, r->tg.pid);
	ret = setup_fds(r);
	if (ret) {
		ret = errf(err, errlen, ret, "cannot set up timers: %s", strerror(-ret));
		goto fail;
	}
	r->start_ns = r->last_flush_ns = mono_ns();
	if (r->cost)
		cost_meter_begin(r->cost, r->tg.pid);
	if (opts->pid && (ret = thread_namer_existing(&r->names, r->tg.pid, r->start_ns))) {
		ret = errf(err, errlen, ret, "out of memory");
		goto fail;
	}
	/* the last moment to give up without the program having run at all */
	if (opts->stop && *opts->stop) {
		ret = interrupted(r, err, errlen);
		goto fail;
	}
	if (opts->argv && (ret = release_child(r, err, errlen)))
		goto fail;
	/* our timer wakeups must not preempt the traced threads (each would be
	 * an involuntary context switch we caused): SCHED_BATCH wakees never
	 * preempt; we run on an idle core or at the next tick instead. Only
	 * this thread, and after the child forked: it keeps its policy. */
	sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){ 0 });
	*out = r;
	return 0;
fail:
	target_abandon(&r->tg);	/* a held child sees EOF and exits unrun */
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
	m->root_pid = r->tg.pid;
	m->flags = r->opts.all_tasks ? TRACE_META_ALL_TASKS : TRACE_META_HANDOVER;
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
	snprintf(m->command, sizeof(m->command), "%s", r->tg.command);
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
	if (r->cost && !r->tg.exited)	/* before it may be gone: -p has no other way */
		cost_meter_sample(r->cost);
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
	if (r->tg.exited && now - r->exit_ns >= (uint64_t)r->opts.window_ms * 1000000u)
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

int recorder_end_target(struct recorder *r, uint32_t grace_ms)
{
	int sig = SIGTERM, err;

	check_exit(r);
	if (r->stopped)
		return -ESRCH;
	if ((err = target_end(&r->tg, SIGTERM)))
		return err;	/* -EPERM: it runs as root, we no longer do */
	for (;;) {
		uint64_t deadline = mono_ns() + (uint64_t)grace_ms * 1000000u;
		struct epoll_event ev[4];

		/* keep draining meanwhile: the program's last events and exit */
		while (!r->tg.exited && mono_ns() < deadline) {
			int ms = (int)((deadline - mono_ns()) / 1000000u) + 1;

			if (epoll_wait(r->epfd, ev, 4, ms) < 0 && errno != EINTR)
				break;
			if (recorder_poll(r) < 0)
				break;
		}
		check_exit(r);
		if (r->tg.exited || sig == SIGKILL)
			break;
		sig = SIGKILL;	/* it ignored SIGTERM: it does not get to stay */
		target_end(&r->tg, SIGKILL);
		grace_ms = 5000;	/* SIGKILL is only delayed by the kernel */
	}
	/* it may have been dying of something else already (a Ctrl-C reaches
	 * the whole foreground process group): then it was not us */
	if (!(WIFSIGNALED(r->tg.exit_status) && WTERMSIG(r->tg.exit_status) != sig))
		r->ended_by = sig;
	return 0;
}

void recorder_check_target(struct recorder *r, uint32_t wait_ms)
{
	struct pollfd p = { .fd = r->tg.pidfd, .events = POLLIN };

	if (wait_ms && !r->tg.exited && p.fd >= 0)
		poll(&p, 1, (int)wait_ms);
	check_exit(r);
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
	loader_untrace_tgid(r->ld, r->tg.pid);
	return r->err;
}

int recorder_cost(const struct recorder *r, struct trace_cost *out)
{
	uint64_t now = r->end_ns ? r->end_ns : mono_ns();

	/* our child's own total at its exit; else the last /proc sample */
	return r->cost ? cost_meter_get(r->cost, now, now - r->start_ns, r->tg.exit_cpu_ns, out)
		       : -ENODATA;
}

const char *recorder_cost_error(const struct recorder *r)
{
	return r->cost ? cost_meter_error(r->cost) : "not measured";
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
	st->clamped = r->clamped;
	st->start_ns = r->start_ns;
	st->end_ns = r->end_ns;
	st->pid = r->tg.pid;
	st->exited = r->tg.exited;
	st->exit_status = r->tg.exit_status;
	st->ended_by = r->ended_by;
}

void recorder_destroy(struct recorder *r)
{
	if (!r)
		return;
	if (!r->stopped)
		recorder_stop(r);
	ring_buffer__free(r->rb);
	loader_destroy(r->ld);
	reorder_free(r->ro);
	lock_fill_free(r->fill);
	cost_meter_free(r->cost);
	thread_namer_free(&r->names);
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->timerfd >= 0)
		close(r->timerfd);
	target_close(&r->tg);
	free(r);
}
