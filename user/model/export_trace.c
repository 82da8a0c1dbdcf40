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
#include "model/export.h"
#include "model/handoff.h"
#include "trace/trace_reader.h"
#include "util/err.h"
#include "util/fmt.h"

struct run {
	struct model *m;
	struct exporter *x;
	struct handoff *h;
	uint64_t from, to;	/* the range, absolute; to UINT64_MAX: the end */
	char buf[64];
};

static const char *model_label(void *ctx, uint32_t pid, uint32_t tid)
{
	struct run *r = ctx;
	const struct model_thread *t = model_thread(r->m, tid);
	const struct model_thread *p = model_thread(r->m, pid);

	fmt_thread_label(r->buf, sizeof(r->buf), t ? t->name : NULL, sizeof(t->name),
			 p ? p->name : NULL, pid, tid);
	return r->buf;
}

static void on_span(const struct model_span *s, void *ctx)
{
	struct run *r = ctx;
	struct handoff_span hs;
	struct model_span c = *s;

	handoff_span(r->h, s, &hs);
	if (c.end_ns <= r->from || c.start_ns >= r->to)
		return;		/* outside the range */
	if (c.start_ns < r->from)
		c.start_ns = r->from;
	exporter_span(r->x, &c, &hs);
}

static void on_handoff(const struct handoff_info *hi, void *ctx)
{
	struct run *r = ctx;

	/* a flow joins two exported slices: both ends inside the range */
	if (hi->release_ns <= r->from || hi->acquire_ns >= r->to)
		return;
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

uint64_t export_estimate_bytes(enum export_format fmt, uint64_t events)
{
	/* bytes per event measured on the shipped traces (docs: README Export) */
	uint64_t per = fmt == EXPORT_CHROME ? 115 : fmt == EXPORT_CSV ? 50 : 18;

	return events > UINT64_MAX / per ? UINT64_MAX : events * per;
}

int export_trace(const char *in_path, FILE *out, enum export_format fmt,
		 struct export_stats *st, char *err, size_t errlen)
{
	return export_trace_range(in_path, out, fmt, NULL, st, err, errlen);
}

int export_trace_range(const char *in_path, FILE *out, enum export_format fmt,
		       const struct export_range *range, struct export_stats *st, char *err,
		       size_t errlen)
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

	r.from = info.first_ns + (range ? range->from_ns : 0);
	r.to = range && range->to_ns ? info.first_ns + range->to_ns : UINT64_MAX;
	if (r.from >= r.to) {
		ret = errf(err, errlen, -EINVAL, "the range is empty (--from must be before --to)");
		goto out;
	}
	if (range && range->from_ns && (ret = trace_reader_seek(rd, r.from))) {
		errf(err, errlen, ret, "%s: %s", in_path,
		     ret == -EBADMSG ? trace_reader_error(rd) : strerror(-ret));
		goto out;
	}
	struct model_opts mo = { .ncpus = meta->ncpus, .on_span = on_span, .ctx = &r,
				 .trace_flags = meta->flags };
	r.m = model_new(&mo);
	if (!r.m || handoff_new(&r.h, on_handoff, &r)) {
		ret = errf(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	ret = exporter_new(&r.x, out, fmt, meta, base, model_label, &r);
	if (ret) {
		errf(err, errlen, ret, "cannot start the export: %s", strerror(-ret));
		goto out;
	}
	const struct gs_event *evs;
	size_t n;
	uint64_t last = base, bad_seen = 0;
	bool past = false;
	while (!past && (ret = trace_reader_next_batch(rd, &evs, &n)) == 1) {
		mark_skipped(&r, rd, &bad_seen, last);
		for (size_t i = 0; i < n; i++) {
			const struct gs_event *ev = &evs[i];
			bool key = ev->flags & GS_F_KEYFRAME;
			bool in = key || ev->ts_ns >= r.from;

			if (!key && ev->ts_ns >= r.to) {
				past = true;
				break;
			}
			if (ev->type == GS_EV_LOST && !key && in)
				exporter_lost(r.x, ev->ts_ns, ev->arg0);
			handoff_before(r.h, r.m, ev);
			model_feed(r.m, ev);
			if (handoff_after(r.h, r.m, ev)) {
				ret = errf(err, errlen, -ENOMEM, "out of memory");
				goto out;
			}
			if (in)
				exporter_event(r.x, r.m, ev);
			if (!key && ev->ts_ns > last)
				last = ev->ts_ns;
			st->events += !key && in;
		}
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
	if (ret > 0)
		ret = 0;	/* stopped at the range's end */
	mark_skipped(&r, rd, &bad_seen, last);
	if (r.to != UINT64_MAX && last < r.to && past)
		last = r.to;	/* what is open at the range's end ends there */
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
