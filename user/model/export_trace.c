/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * export_trace.c - export_trace() (export.h): reads a .gst through the
 * timeline model and the hand-off tracker (model/handoff.h) into an
 * exporter. Damaged blocks are skipped, marked where the gap begins and
 * counted; a trace cut short is marked where it ends.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "model/describe.h"
#include "model/export.h"
#include "model/handoff.h"
#include "trace/trace_reader.h"
#include "util/err.h"
#include "util/fmt.h"

struct run {
	struct model *m;
	struct exporter *x;
	struct handoff *h;
	char buf[DESCRIBE_THREAD_MAX + 16];
};

static const char *model_label(void *ctx, uint32_t pid, uint32_t tid)
{
	struct run *r = ctx;

	(void)pid;
	return describe_thread(r->buf, sizeof(r->buf), r->m, model_thread(r->m, tid), tid);
}

static void on_span(const struct model_span *s, void *ctx)
{
	struct run *r = ctx;
	struct handoff_span hs;

	handoff_span(r->h, s, &hs);
	exporter_span(r->x, s, &hs);
}

static void on_handoff(const struct handoff_info *hi, void *ctx)
{
	struct run *r = ctx;

	exporter_handoff(r->x, hi);
}

/* Names for the per-thread tracks, once the model knows every thread. */
static void write_names(struct run *r, const struct trace_meta *meta)
{
	size_t n;
	const struct model_thread *th = model_threads(r->m, &n);

	for (size_t i = 0; i < n; i++) {
		if (!th[i].traced)
			continue;
		if (th[i].tid == th[i].pid || (i == 0 && !model_thread(r->m, th[i].pid))) {
			const char *pn = th[i].name[0] ? th[i].name : "process";
			char buf[80];
			if (th[i].pid == meta->root_pid && meta->command[0]) {
				/* "python3.11 script.py", not the interpreter's whole path */
				const char *cmd = meta->command, *sp = strchr(cmd, ' ');
				const char *sl = memrchr(cmd, '/', sp ? (size_t)(sp - cmd) : strlen(cmd));
				snprintf(buf, sizeof(buf), "%.79s", sl ? sl + 1 : cmd);
				pn = buf;
			}
			exporter_process(r->x, th[i].pid, pn);
		}
		exporter_thread(r->x, th[i].pid, th[i].tid, model_label(r, th[i].pid, th[i].tid));
	}
}

/* Damaged blocks the reader skipped since the last look: a mark where the
 * gap begins (the last event before it). */
static void mark_skipped(struct run *r, struct trace_reader *rd, uint64_t *seen, uint64_t at)
{
	struct trace_info info;
	char text[96], n[32];

	trace_reader_info(rd, &info);
	if (info.bad_events == *seen)
		return;
	snprintf(text, sizeof(text), "damaged block skipped: %s events not shown",
		 fmt_count(n, sizeof(n), info.bad_events - *seen));
	exporter_mark(r->x, at, text);
	*seen = info.bad_events;
}

int export_trace(const char *in_path, FILE *out, enum export_format fmt,
		 struct export_stats *st, char *err, size_t errlen)
{
	struct trace_reader *rd = NULL;
	struct run r = { 0 };
	struct export_stats local = { 0 };
	struct trace_info info;
	int ret;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	ret = trace_reader_open(&rd, in_path);
	if (ret) {
		const char *why = trace_reader_error(NULL);
		return errf(err, errlen, ret, "%s: %s", in_path, why && *why ? why : strerror(-ret));
	}
	/* a damaged block in the middle is skipped, marked and counted */
	trace_reader_skip_bad(rd, true);
	const struct trace_meta *meta = trace_reader_meta(rd);
	trace_reader_info(rd, &info);
	st->recovered = info.recovered;
	st->bytes_unreadable = info.bytes_unreadable;
	if (info.recovered)
		snprintf(st->recovery, sizeof(st->recovery), "%s", trace_reader_error(rd));
	uint64_t base = info.first_ns;
	if (meta->start_ns && meta->start_ns <= base)
		base = meta->start_ns;

	struct model_opts mo = { .ncpus = meta->ncpus, .on_span = on_span, .ctx = &r };
	r.m = model_new(&mo);
	if (!r.m || handoff_new(&r.h, on_handoff, &r)) {
		ret = errf(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	/* thread and function names the recording learnt */
	model_set_names(r.m, trace_reader_names(rd));
	ret = exporter_new(&r.x, out, fmt, meta, base, model_label, &r);
	if (ret) {
		errf(err, errlen, ret, "cannot start the export: %s", strerror(-ret));
		goto out;
	}
	exporter_set_names(r.x, trace_reader_names(rd));
	const struct gs_event *evs;
	size_t n;
	uint64_t last = base, bad_seen = 0;
	while ((ret = trace_reader_next_batch(rd, &evs, &n)) == 1) {
		mark_skipped(&r, rd, &bad_seen, last);
		for (size_t i = 0; i < n; i++) {
			const struct gs_event *ev = &evs[i];

			if (ev->type == GS_EV_LOST)
				exporter_lost(r.x, ev->ts_ns, ev->arg0);
			handoff_before(r.h, r.m, ev);
			model_feed(r.m, ev);
			if (handoff_after(r.h, r.m, ev)) {
				ret = errf(err, errlen, -ENOMEM, "out of memory");
				goto out;
			}
			exporter_event(r.x, r.m, ev);
			if (ev->ts_ns > last)
				last = ev->ts_ns;
		}
		st->events += n;
		if (ferror(out)) {
			ret = 0;
			break;	/* exporter_finish reports the write error */
		}
	}
	if (ret < 0) {
		errf(err, errlen, ret, "%s: %s", in_path,
		     ret == -EBADMSG ? trace_reader_error(rd) : strerror(-ret));
		goto out;
	}
	mark_skipped(&r, rd, &bad_seen, last);
	model_finish(r.m, last);
	last = model_now(r.m);
	if (info.recovered) {
		char text[96], b[32];

		snprintf(text, sizeof(text), "the trace ends here: %s bytes after it were unreadable",
			 fmt_count(b, sizeof(b), info.bytes_unreadable));
		exporter_mark(r.x, last, text);
	}
	write_names(&r, meta);
	size_t nt;
	const struct model_thread *th = model_threads(r.m, &nt);
	for (size_t i = 0; i < nt; i++)
		st->acquisitions += th[i].acquisitions;
	trace_reader_info(rd, &info);
	st->bad_blocks = info.bad_blocks;
	st->bad_events = info.bad_events;
	trace_reader_skip_note(rd, st->skipped, sizeof(st->skipped));
	ret = exporter_finish(r.x, r.m, last, st);
	if (ret)
		errf(err, errlen, ret, "writing the export: %s", strerror(-ret));
out:
	exporter_free(r.x);
	handoff_free(r.h);
	model_free(r.m);
	trace_reader_close(rd);
	return ret;
}
