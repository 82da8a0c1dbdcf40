/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pipeline.c - one recording from the options to the closing numbers (see
 * pipeline.h): the adapter, the file, the recorder, the privilege drop, the
 * pending lock and the fan-out of events to the sinks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include "record/adapter.h"
#include "record/live_file.h"
#include "record/lock_place.h"
#include "record/pipeline.h"
#include "record/pyrec.h"
#include "record/recorder.h"
#include "util/err.h"
#include "util/privs.h"

#define SINKS_MAX 8
#define LOCKS_SEEN 8		/* locks counted apart for pipeline_lock_warning() */
#define TICK_MS 500

struct pipeline {
	struct pipeline_opts o;		/* copy; strings stay the caller's */
	struct {
		const struct pipeline_sink *ops;
		void *ctx;
	} sink[SINKS_MAX + 1];		/* [0] is the file, when there is one */
	size_t nsinks;
	struct adapter_target *adapter;	/* --python/--lock; NULL: gilrt's probes */
	struct pyrec *py;		/* --python's names and functions, or NULL */
	struct gs_py_cfg py_cfg;	/* the kernel side's part of it */
	bool py_funcs;			/* py_cfg is set: functions are captured */
	struct lock_place lp;		/* a pending or followed (=*VAR) lock */
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
	struct {
		uint64_t addr, acquisitions;
	} seen[LOCKS_SEEN];		/* --lock argN: acquisitions by lock, the
					 * first LOCKS_SEEN other locks seen */
	size_t nseen;
	uint64_t kept;			/* acquisitions of the filter's lock once placed */
	char err[512];
};

static volatile sig_atomic_t stop_flag;	/* the signal that stops us, or 0 */

#define PIPELINE_SIGNAL_WAIT_MS 500	/* for a program that got our Ctrl-C too */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig)
{
	stop_flag = sig;
}

/* ---- the fan-out ---------------------------------------------------------------- */

/* Acquisitions by lock address, so that a --lock filter that kept nothing
 * can be told at the end (and what the program took before it was set). */
static void count_locks(struct pipeline *p, const struct gs_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k;

		if (ev[i].type != GS_EV_LOCK_ACQUIRED)
			continue;
		if (p->adapter->lock_addr && ev[i].arg0 == p->adapter->lock_addr) {
			p->kept++;
			continue;
		}
		for (k = 0; k < p->nseen && p->seen[k].addr != ev[i].arg0; k++)
			;
		if (k == p->nseen) {
			if (k == LOCKS_SEEN)
				continue;
			p->seen[p->nseen++].addr = ev[i].arg0;
		}
		p->seen[k].acquisitions++;
	}
}

static int fan_events(void *ctx, const struct gs_event *ev, size_t n)
{
	struct pipeline *p = ctx;
	int err = 0;

	/* Python functions become ids, their names go to the file first */
	if (p->py && !p->quiet && (err = pyrec_events(p->py, ev, n, &ev)))
		return err;

	if (p->adapter && p->adapter->lock_arg >= 0)
		count_locks(p, ev, n);

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

static void note(void *ctx, const char *line)
{
	struct pipeline *p = ctx;

	if (p->o.note)
		p->o.note(p->o.note_ctx, line);
}

/* recorder_opts.on_exec: the program is mapped and has not run. A PIE's
 * lock is placed now; a library's once ld.so has mapped it (pipeline_poll).
 * The maps are opened now, while we may: after the privilege drop the
 * kernel would refuse to open them (the target keeps root's capabilities). */
static void on_exec(void *ctx, struct recorder *r, pid_t pid)
{
	struct pipeline *p = ctx;

	if (p->py)	/* the new image's memory, readable after the drop too */
		pyrec_open_proc(p->py, pid, false);
	lock_place_open(&p->lp, pid);
	lock_place_poll(&p->lp, r);
}

/* ---- privileges ----------------------------------------------------------------- */

/*
 * Nothing after the attach needs privileges: the ring buffer is mapped, map
 * fds work without capabilities, the output is open. Under sudo become the
 * invoking user (also makes us non-dumpable to them: the BPF fds stay ours);
 * as plain root keep the uid but drop every capability (util/privs.h).
 */
static int drop_privileges(void)
{
	return privs_drop(NULL, 0);
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: wake epoll */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---- the steps ------------------------------------------------------------------ */

int pipeline_new(struct pipeline **out, const struct pipeline_opts *opts)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->o = *opts;
	lock_place_init(&p->lp, NULL, note, p);
	/* from the first moment: a signal while the probes attach must stop
	 * the start, not kill us with the program's release half done */
	if (p->o.catch_signals)
		catch_signals();
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
		lock_place_init(&p->lp, p->adapter, note, p);
		if (o->pid > 0)	/* while we may read it */
			lock_place_open(&p->lp, o->pid);
	}
	if (o->python && !o->python_gil_only && !p->py) {
		if (pyrec_new(&p->py, p->adapter->binary, true))
			return errf(p->err, sizeof(p->err), -ENOMEM, "out of memory");
		p->py_funcs = pyrec_bpf_cfg(p->py, &p->py_cfg);
		if (o->pid > 0)	/* while we may read it: privileges go after the attach */
			pyrec_open_proc(p->py, o->pid, true);
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


static int start_recorder(struct pipeline *p)
{
	const struct pipeline_opts *o = &p->o;
	struct adapter_target *a = p->adapter;
	struct recorder_opts ro = {
		.pid = o->pid,
		.argv = o->argv,
		.lock = a ? &a->lock : NULL,
		.adapter = a ? a->adapter : NULL,
		.py = p->py_funcs ? &p->py_cfg : NULL,
		.all_tasks = o->all_tasks,
		.floor = o->floor,
		.as_root = o->as_root,
		.stop = o->catch_signals ? &stop_flag : NULL,
		.duration_ns = o->duration_ns,
		.child_stdout = o->child_stdout,
		.cost = true,
		/* a lock in a PIE or library, Python's memory: look at the new
		 * image at exec */
		.on_exec = lock_place_wanted(&p->lp) || p->py ? on_exec : NULL,
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
	if ((rc = start_recorder(p)))
		return rc;
	lock_place_poll(&p->lp, p->rec);	/* -p PID: VAR may be set already */
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
	if (p->py && (rc = pyrec_begin(p->py, live_file_writer(p->file), (pid_t)p->meta.root_pid,
				       mono_ns())))
		return errf(p->err, sizeof(p->err), rc, "cannot write %s: %s",
			    p->o.output ? p->o.output : "the recording", strerror(-rc));
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

	lock_place_poll(&p->lp, p->rec);
	/* names of new threads before their events reach the file */
	if (p->py && !p->quiet && (rc = pyrec_poll(p->py, mono_ns())))
		return rc;
	rc = recorder_poll(p->rec);
	if (!rc)
		write_cost(p, false);
	return rc;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The recorder's drain timer wakes the loop every few ms: ticks need no
 * timer of their own. */
static void tick(struct pipeline *p, uint64_t *next_ms)
{
	struct pipeline_stats st;
	uint64_t now = mono_ms();

	if (!p->o.tick || now < *next_ms)
		return;
	*next_ms = now + (p->o.tick_ms ? p->o.tick_ms : TICK_MS);
	pipeline_stats(p, &st);
	p->o.tick(p->o.tick_ctx, &st);
}

int pipeline_run(struct pipeline *p)
{
	struct epoll_event ev;
	uint64_t next_tick = mono_ms() + (p->o.tick_ms ? p->o.tick_ms : TICK_MS);
	int rc = 0;

	while (!rc && !stop_flag) {
		if (epoll_wait(pipeline_fd(p), &ev, 1, -1) < 0 && errno != EINTR)
			return -errno;
		if (stop_flag)
			break;
		rc = pipeline_poll(p);
		if (!rc)
			tick(p, &next_tick);
	}
	return rc < 0 ? rc : 0;
}

int pipeline_stop(struct pipeline *p)
{
	struct pipeline_stats st;
	int rc, stop;

	if (p->stopped || !p->rec)
		return p->stop_err;
	p->stopped = true;
	rc = p->py ? pyrec_poll(p->py, mono_ns()) : 0;	/* the last renames */
	if (p->o.argv && !p->o.keep_running)
		recorder_end_target(p->rec, PIPELINE_GRACE_MS);
	stop = recorder_stop(p->rec);
	if (!rc)
		rc = stop;
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
	/* the closing lines tell the truth: a Ctrl-C (or a hangup) reached the
	 * program too, which was in our foreground process group: give it a
	 * moment to die of it before calling it running */
	if (p->rec)
		recorder_check_target(p->rec, stop_flag == SIGINT || stop_flag == SIGHUP ||
				      stop_flag == SIGQUIT ? PIPELINE_SIGNAL_WAIT_MS : 0);
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
	st->started = p->o.argv != NULL;
	st->bytes = p->file ? live_file_bytes(p->file) : 0;
	st->file = p->file ? live_file_where(p->file) : "";
	st->file_is_temp = p->file && live_file_is_temp(p->file);
	st->has_cost = p->rec && !recorder_cost(p->rec, &st->cost);
	st->cost_error = p->rec ? recorder_cost_error(p->rec) : "not recorded";
}

const struct pyrec *pipeline_python(const struct pipeline *p)
{
	return p->py;
}

const struct trace_names *pipeline_names(const struct pipeline *p)
{
	return p->py ? pyrec_names(p->py) : NULL;
}

int pipeline_lock_warning(const struct pipeline *p, char *buf, size_t len)
{
	const struct adapter_target *a = p->adapter;
	uint64_t kept = p->kept;
	size_t used;
	char name[ADAPTER_SYM_MAX + 32];

	if (len)
		buf[0] = '\0';
	if (!a || a->lock_arg < 0 || (!a->lock_addr && !a->lock_pending))
		return 0;	/* no filter: every lock is kept */
	if (a->lock_pending) {
		snprintf(buf, len, "lock %s%s was never placed (the program never mapped %s): "
			 "%s lock was recorded", a->lock_deref ? "*" : "", a->lock_sym, a->lock_binary,
			 a->lock_deref ? "no" : "every");
		return 1;
	}
	if (a->lock_deref && a->lock_addr == ADAPTER_LOCK_UNSET) {
		snprintf(buf, len, "%s stayed NULL while recorded: no lock was kept%s", a->lock_sym,
			 strcmp(a->adapter, "python") ? "" : " (Python 2 creates its GIL when a "
			 "second thread starts: this program started none)");
		return 1;
	}
	for (size_t k = 0; k < p->nseen; k++)
		if (p->seen[k].addr == a->lock_addr)
			kept += p->seen[k].acquisitions;
	if (kept)
		return 0;
	if (a->lock_sym[0])
		snprintf(name, sizeof(name), "%s (0x%llx)", a->lock_sym,
			 (unsigned long long)a->lock_addr);
	else
		snprintf(name, sizeof(name), "0x%llx", (unsigned long long)a->lock_addr);
	used = snprintf(buf, len, "the lock filter matched nothing: the program never took lock "
			"%s while recorded", name);
	for (size_t k = 0, n = 0; k < p->nseen && used < len; k++) {
		if (p->seen[k].addr == a->lock_addr)
			continue;
		used += snprintf(buf + used, len - used, "%s0x%llx (%llu times)",
				 n++ ? ", " : "; before the filter was set it took ",
				 (unsigned long long)p->seen[k].addr,
				 (unsigned long long)p->seen[k].acquisitions);
	}
	return 1;
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
	/* a failure after the start: the program does not run on untraced */
	if (p->rec && p->o.argv && !p->o.keep_running)
		recorder_end_target(p->rec, PIPELINE_GRACE_MS);
	/* detaching is slow (see loader_destroy): the file is complete by now */
	recorder_destroy(p->rec);
	if (!p->finished)
		live_file_abandon(p->file);
	live_file_free(p->file);
	lock_place_close(&p->lp);
	pyrec_free(p->py);
	free(p->adapter);
	free(p);
}
