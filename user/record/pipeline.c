/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pipeline.c - one recording from the options to the closing numbers (see
 * pipeline.h): the adapter, the file, the recorder, the privilege drop, the
 * pending lock and the fan-out of events to the sinks.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "record/adapter.h"
#include "record/live_file.h"
#include "record/pipeline.h"
#include "record/recorder.h"
#include "util/err.h"

#define SINKS_MAX 8

struct pipeline {
	struct pipeline_opts o;		/* copy; strings stay the caller's */
	struct {
		const struct pipeline_sink *ops;
		void *ctx;
	} sink[SINKS_MAX + 1];		/* [0] is the file, when there is one */
	size_t nsinks;
	struct adapter_target *adapter;	/* --python/--lock; NULL: gilrt's probes */
	int maps_fd;			/* the target's /proc/PID/maps while its lock
					 * is pending (opened at exec), or -1 */
	struct live_file *file;		/* the .gst, or NULL */
	struct recorder *rec;		/* from pipeline_start */
	struct trace_meta meta;
	bool checked;			/* pipeline_check() passed */
	bool begun;			/* the sinks' begin() ran: end() is due */
	bool stopped, finished;
	uint64_t cost_written_ns;	/* when the cost last went to the file */
	bool quiet;			/* sinks are not called any more */
	bool usage;			/* the last failure was a malformed SPEC */
	int stop_err;			/* pipeline_stop()'s result, once stopped */
	char err[512];
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* ---- the fan-out ---------------------------------------------------------------- */

static int fan_events(void *ctx, const struct gs_event *ev, size_t n)
{
	struct pipeline *p = ctx;
	int err = 0;

	for (size_t i = 0; !err && !p->quiet && i < p->nsinks; i++)
		err = p->sink[i].ops->events(p->sink[i].ctx, ev, n);
	return err;
}

static int fan_flush(void *ctx)
{
	struct pipeline *p = ctx;
	int err = 0;

	for (size_t i = 0; !err && !p->quiet && i < p->nsinks; i++)
		if (p->sink[i].ops->flush)
			err = p->sink[i].ops->flush(p->sink[i].ctx);
	return err;
}

/* The .gst file is one sink among the others, always the first. */
static int file_begin(void *ctx, const struct trace_meta *meta)
{
	return live_file_begin(ctx, meta);
}

static int file_events(void *ctx, const struct gs_event *ev, size_t n)
{
	return live_file_append(ctx, ev, n);
}

static int file_flush(void *ctx)
{
	return live_file_flush(ctx);
}

static const struct pipeline_sink file_sink = {
	.begin = file_begin,
	.events = file_events,
	.flush = file_flush,
};

/* ---- the pending lock ----------------------------------------------------------- */

static void note(struct pipeline *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct pipeline *p, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!p->o.note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->o.note(p->o.note_ctx, line);
}

/* Sets the filter once the pending lock's file is mapped (r: the recorder,
 * which is not p->rec yet while recorder_start() runs on_exec). */
static void place_lock(struct pipeline *p, struct recorder *r)
{
	struct adapter_target *a = p->adapter;

	if (!a || !a->lock_pending || p->maps_fd < 0 || adapter_resolve_lock_addr_in(p->maps_fd, a))
		return;
	if (recorder_set_lock_filter(r, a->lock_addr))
		return;
	close(p->maps_fd);
	p->maps_fd = -1;
	note(p, "lock %s placed at 0x%llx", a->lock_sym, (unsigned long long)a->lock_addr);
}

/* recorder_opts.on_exec: the program is mapped and has not run. A PIE's
 * lock is placed now; a library's once ld.so has mapped it (pipeline_poll).
 * The maps are opened now, while we may: after the privilege drop the
 * kernel would refuse to open them (the target keeps root's capabilities). */
static void on_exec(void *ctx, struct recorder *r, pid_t pid)
{
	struct pipeline *p = ctx;
	char fn[64];

	snprintf(fn, sizeof(fn), "/proc/%d/maps", (int)pid);
	p->maps_fd = open(fn, O_RDONLY | O_CLOEXEC);
	place_lock(p, r);
}

/* ---- privileges ----------------------------------------------------------------- */

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

/* ---- the steps ------------------------------------------------------------------ */

int pipeline_new(struct pipeline **out, const struct pipeline_opts *opts)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->o = *opts;
	p->maps_fd = -1;
	*out = p;
	return 0;
}

int pipeline_add_sink(struct pipeline *p, const struct pipeline_sink *ops, void *ctx)
{
	if (!ops->events || p->rec)
		return -EINVAL;
	if (p->nsinks >= SINKS_MAX)
		return -E2BIG;
	p->sink[p->nsinks].ops = ops;
	p->sink[p->nsinks++].ctx = ctx;
	return 0;
}

int pipeline_check(struct pipeline *p)
{
	const struct pipeline_opts *o = &p->o;
	char missing[64];

	if (p->checked)
		return 0;
	p->usage = false;
	if (loader_missing_caps(missing, sizeof(missing)))
		return errf(p->err, sizeof(p->err), -EPERM, "tracing needs root, or CAP_BPF and "
			    "CAP_PERFMON (missing: %s); run it with sudo%s", missing,
			    o->caps_hint ? o->caps_hint : "");
	if (o->python || o->lock_spec) {
		int rc;

		if (!(p->adapter = calloc(1, sizeof(*p->adapter))))
			return errf(p->err, sizeof(p->err), -ENOMEM, "out of memory");
		rc = adapter_setup(p->adapter, o->python, o->lock_spec, o->pid,
				   o->argv ? o->argv[0] : NULL, &p->usage, p->err, sizeof(p->err));
		if (rc) {
			free(p->adapter);
			p->adapter = NULL;
			return rc;
		}
	}
	p->checked = true;
	return 0;
}

/* The file first, so that it is the first sink and exists before the
 * target runs (a bad -o fails before anything starts). */
static int open_file(struct pipeline *p)
{
	int rc = live_file_create(&p->file, p->o.output, p->o.force, p->err, sizeof(p->err));

	if (rc)
		return rc;
	memmove(&p->sink[1], &p->sink[0], p->nsinks * sizeof(p->sink[0]));
	p->sink[0].ops = &file_sink;
	p->sink[0].ctx = p->file;
	p->nsinks++;
	return 0;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: wake epoll */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int start_recorder(struct pipeline *p)
{
	const struct pipeline_opts *o = &p->o;
	struct adapter_target *a = p->adapter;
	struct recorder_opts ro = {
		.pid = o->pid,
		.argv = o->argv,
		.lock = a ? &a->lock : NULL,
		.adapter = a ? a->adapter : NULL,
		.all_tasks = o->all_tasks,
		.floor = o->floor,
		.duration_ns = o->duration_ns,
		.child_stdout = o->child_stdout,
		.cost = true,
		/* a lock in a PIE or library: look at the new image at exec */
		.on_exec = a && a->lock_pending ? on_exec : NULL,
		.exec_ctx = p,
		.sink = fan_events,
		.flush = fan_flush,
		.ctx = p,
	};

	return recorder_start(&p->rec, &ro, p->err, sizeof(p->err));
}

int pipeline_start(struct pipeline *p)
{
	int rc;

	if (p->rec)
		return -EALREADY;
	if ((rc = pipeline_check(p)))
		return rc;
	if (p->o.file && (rc = open_file(p)))
		return rc;
	if (p->o.catch_signals)
		catch_signals();
	if ((rc = start_recorder(p)))
		return rc;
	/* the probes are attached and the output is open: nothing else needs root */
	if ((rc = drop_privileges()))
		return errf(p->err, sizeof(p->err), rc, "cannot drop privileges: %s", strerror(-rc));
	recorder_meta(p->rec, &p->meta);
	p->begun = true;
	for (size_t i = 0; i < p->nsinks; i++) {
		const struct pipeline_sink *s = p->sink[i].ops;

		if (!s->begin || !(rc = s->begin(p->sink[i].ctx, &p->meta)))
			continue;
		p->nsinks = i;	/* end() only for the sinks that began */
		if (s == &file_sink)
			return errf(p->err, sizeof(p->err), rc, "cannot write %s: %s",
				    p->o.output ? p->o.output : "the recording", strerror(-rc));
		return errf(p->err, sizeof(p->err), rc, "%s", strerror(-rc));
	}
	return 0;
}

const struct trace_meta *pipeline_meta(const struct pipeline *p)
{
	return &p->meta;
}

int pipeline_fd(const struct pipeline *p)
{
	return recorder_fd(p->rec);
}

#define COST_EVERY_NS 60000000000ull	/* a killed recording keeps the cost of its last minute */

/* The tracing cost so far into the file: at the end, and once a minute. */
static void write_cost(struct pipeline *p, bool always)
{
	struct trace_cost c;

	if (!p->file || recorder_cost(p->rec, &c) ||
	    (!always && c.ts_ns - p->cost_written_ns < COST_EVERY_NS))
		return;
	if (!p->cost_written_ns && !always) {	/* the first minute starts now */
		p->cost_written_ns = c.ts_ns;
		return;
	}
	p->cost_written_ns = c.ts_ns;
	live_file_cost(p->file, &c);
}

int pipeline_poll(struct pipeline *p)
{
	int rc;

	place_lock(p, p->rec);
	rc = recorder_poll(p->rec);
	if (!rc)
		write_cost(p, false);
	return rc;
}

int pipeline_run(struct pipeline *p)
{
	struct epoll_event ev;
	int rc = 0;

	while (!rc && !stop_flag) {
		if (epoll_wait(pipeline_fd(p), &ev, 1, -1) < 0 && errno != EINTR)
			return -errno;
		if (stop_flag)
			break;
		rc = pipeline_poll(p);
	}
	return rc < 0 ? rc : 0;
}

int pipeline_stop(struct pipeline *p)
{
	struct pipeline_stats st;
	int rc;

	if (p->stopped || !p->rec)
		return p->stop_err;
	p->stopped = true;
	rc = recorder_stop(p->rec);
	write_cost(p, true);
	p->quiet = true;
	pipeline_stats(p, &st);
	for (size_t i = 0; p->begun && i < p->nsinks; i++) {
		const struct pipeline_sink *s = p->sink[i].ops;
		int c = s->end ? s->end(p->sink[i].ctx, &st) : 0;

		if (!rc)
			rc = c;
	}
	return p->stop_err = rc;
}

int pipeline_finish(struct pipeline *p)
{
	pipeline_stop(p);
	if (p->finished)
		return 0;
	p->finished = true;
	return p->file ? live_file_finish(p->file, p->err, sizeof(p->err)) : 0;
}

int pipeline_save(struct pipeline *p, char *msg, size_t len)
{
	if (!p->file) {
		snprintf(msg, len, "nothing to save: this run is not recorded");
		return -ENOENT;
	}
	return live_file_save(p->file, msg, len);
}

void pipeline_stats(const struct pipeline *p, struct pipeline_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (p->rec)
		recorder_stats(p->rec, &st->rec);
	st->bytes = p->file ? live_file_bytes(p->file) : 0;
	st->file = p->file ? live_file_where(p->file) : "";
	st->file_is_temp = p->file && live_file_is_temp(p->file);
	st->has_cost = p->rec && !recorder_cost(p->rec, &st->cost);
	st->cost_error = p->rec ? recorder_cost_error(p->rec) : "not recorded";
}

const char *pipeline_error(const struct pipeline *p)
{
	return p->err;
}

bool pipeline_usage_error(const struct pipeline *p)
{
	return p->usage;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	p->quiet = true;
	/* detaching is slow (see loader_destroy): the file is complete by now */
	recorder_destroy(p->rec);
	if (!p->finished)
		live_file_abandon(p->file);
	live_file_free(p->file);
	if (p->maps_fd >= 0)
		close(p->maps_fd);
	free(p->adapter);
	free(p);
}
