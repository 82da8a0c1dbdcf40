/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_record.c - `gilscope record`: trace a program into a .gst file.
 *
 * options -> privileges -> adapter (which lock) -> create the output ->
 * start the recorder (probes attached before the target runs) -> header ->
 * poll until the target exits, --duration, or SIGINT/SIGTERM -> final drain,
 * footer, summary. The file is always closed properly except on SIGKILL,
 * which loses at most the last flush interval (1 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "record/adapter.h"
#include "cmd/cmd.h"
#include "record/recorder.h"
#include "trace/trace_writer.h"
#include "util/outfile.h"

static const char usage[] =
"usage: gilscope record -o FILE [--duration S] [-a] [--force]\n"
"                       [--python | --lock SPEC] (-p PID | -- CMD [ARGS...])\n"
"\n"
"Record which thread holds the lock, who waits, and what every core runs,\n"
"into FILE (.gst). With -- CMD the command is started and traced from its\n"
"first instruction; recording ends when it exits. With -p PID a running\n"
"process (and its children) is traced until it exits. Ctrl-C stops early;\n"
"the file is always complete.\n"
"\n"
"  -o, --output FILE   where to write the trace (refuses to overwrite)\n"
"  --force             overwrite FILE if it exists\n"
"  --duration S        stop after S seconds\n"
"  -a, --all           also record other processes on the cores\n"
"  -p, --pid PID       trace a running process\n"
"  --python            trace CPython's GIL (take_gil/drop_gil uprobes)\n"
"  --lock SPEC         trace any lock; SPEC is BINARY:ACQUIRE:RELEASE[:argN[=ADDR|=SYMBOL]]\n"
"  --floor             benchmark only: empty programs on the gilrt probes, no file\n"
"Needs root (or CAP_BPF and CAP_PERFMON). Under sudo FILE belongs to you.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct rec_sink {
	struct trace_writer *w;	/* NULL until the header is written */
};

static int sink_events(void *ctx, const struct gs_event *ev, size_t n)
{
	struct rec_sink *s = ctx;

	return s->w ? trace_writer_append(s->w, ev, n) : 0;
}

static int sink_flush(void *ctx)
{
	struct rec_sink *s = ctx;

	return s->w ? trace_writer_flush(s->w) : 0;
}

static void human_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= 10u << 20)
		snprintf(buf, len, "%.1f MiB", b / 1048576.0);
	else if (b >= 10u << 10)
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

/* A lock given by symbol in a PIE or library is placed only at exec: poll
 * for its address for a while, recording every lock until then. */
static void resolve_pending_lock(struct recorder *r, struct adapter_target *a, pid_t pid)
{
	if (!a->lock_pending)
		return;
	if (adapter_resolve_lock_addr(pid, a) == 0) {
		a->lock_pending = false;
		recorder_set_lock_filter(r, a->lock_addr);
	}
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "python", no_argument, NULL, 'P' },
		{ "lock", required_argument, NULL, 'L' },
		{ "floor", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct recorder_opts ro = { .child_stdout = -1, .sink = sink_events, .flush = sink_flush,
				   .drop_privileges = true };
	struct rec_sink sink = { 0 };
	struct adapter_target *adapter = NULL;
	struct recorder *rec = NULL;
	struct recorder_stats st;
	struct trace_write_stats ws = { 0 };
	struct trace_meta meta;
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: wake epoll */
	struct outfile of = { .fd = -1 };
	const char *out = NULL, *lock_spec = NULL;
	bool force = false, python = false;
	char err[512], missing[64], size[32];
	int c, ret = 1, rc;
	double dur = 0;
	pid_t pid = 0;

	/* options */
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:p:ah", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'o': out = optarg; break;
		case 'a': ro.all_tasks = true; break;
		case 'f': force = true; break;
		case 'P': python = true; break;
		case 'L': lock_spec = optarg; break;
		case 'F': ro.floor = true; break;
		case 'p':
			pid = strtol(optarg, &end, 10);
			if (*end || pid <= 0) {
				fprintf(stderr, "gilscope record: bad pid '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			dur = strtod(optarg, &end);
			if (*end || !(dur > 0) || dur > 1e7) {
				fprintf(stderr, "gilscope record: bad --duration '%s' (seconds, > 0)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			fputs("\n", stdout);
			fputs(ADAPTER_LOCK_SPEC_HELP, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!out && !ro.floor) {
		fprintf(stderr, "gilscope record: -o FILE is required (see --help)\n");
		return 2;
	}
	if ((pid != 0) == (optind < argc)) {
		fprintf(stderr, "gilscope record: give either -p PID or -- CMD [ARGS...] (see --help)\n");
		return 2;
	}
	if (python && lock_spec) {
		fprintf(stderr, "gilscope record: --python and --lock exclude each other\n");
		return 2;
	}
	ro.pid = pid;
	ro.argv = optind < argc ? argv + optind : NULL;
	ro.duration_ns = (uint64_t)(dur * 1e9);

	/* privileges: say so before creating anything */
	if (loader_missing_caps(missing, sizeof(missing))) {
		fprintf(stderr, "gilscope record: tracing needs root, or CAP_BPF and CAP_PERFMON "
			"(missing: %s); run it with sudo\n", missing);
		return 1;
	}

	/* which lock: gilrt's probes unless --python / --lock */
	ret = adapter_configure(&ro, python, lock_spec, &adapter, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "gilscope record: %s\n", err);
		goto out;
	}
	ret = 1;

	if (out && outfile_create(&of, out, force ? OUTFILE_FORCE : 0, err, sizeof(err))) {
		fprintf(stderr, "gilscope record: %s\n", err);
		goto out;
	}

	/* signals before the target starts, so Ctrl-C always ends cleanly */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	ro.ctx = &sink;
	rc = recorder_start(&rec, &ro, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "gilscope record: %s\n", err);
		goto out_unlink;
	}
	if (out) {
		recorder_meta(rec, &meta);
		rc = trace_writer_fdopen(&sink.w, of.fd, &meta, NULL);
		if (!rc)
			outfile_take_fd(&of);	/* the writer's now */
		if (rc) {
			fprintf(stderr, "gilscope record: cannot write %s: %s\n", out, strerror(-rc));
			goto out_unlink;
		}
	}

	/* poll until the target exits, the duration is over, or a signal */
	rc = 0;
	while (!rc && !stop_flag) {
		struct epoll_event ev;

		if (epoll_wait(recorder_fd(rec), &ev, 1, -1) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (stop_flag)
			break;
		if (adapter) {
			recorder_stats(rec, &st);
			resolve_pending_lock(rec, adapter, st.pid);
		}
		rc = recorder_poll(rec);
	}
	if (rc > 0)
		rc = 0;
	c = recorder_stop(rec);
	if (!rc)
		rc = c;
	if (sink.w)
		trace_writer_stats(sink.w, &ws);
	c = trace_writer_close(sink.w);
	sink.w = NULL;
	if (!rc)
		rc = c;
	recorder_stats(rec, &st);
	if (rc == -ENOSPC)
		fprintf(stderr, "gilscope record: %s: disk full; recording stopped, the file holds "
			"what fit\n", out);
	else if (rc)
		fprintf(stderr, "gilscope record: %s\n", strerror(-rc));
	human_bytes(ws.bytes, size, sizeof(size));
	fprintf(stderr, "gilscope record: %llu events, %llu lost, %.2f s%s%s%s%s\n",
		(unsigned long long)st.events, (unsigned long long)st.lost,
		(st.end_ns - st.start_ns) / 1e9, out ? ", " : "", out ? size : "",
		out ? " -> " : "", out ? out : "");
	if (st.late)
		fprintf(stderr, "gilscope record: %llu events arrived later than the reorder "
			"window (clamped)\n", (unsigned long long)st.late);
	if (!st.exited && ro.argv)
		fprintf(stderr, "gilscope record: %d still running (not stopped by gilscope)\n",
			(int)st.pid);
	ret = rc ? 1 : 0;
	goto out;	/* detach (slow) only now that the file is complete */
out_unlink:
	trace_writer_close(sink.w);
	sink.w = NULL;
	outfile_discard(&of);
out:
	outfile_close(&of);
	trace_writer_close(sink.w);
	recorder_destroy(rec);
	free(adapter);
	return ret;
}
