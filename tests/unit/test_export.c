/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_export.c - Chrome JSON and CSV export: the writer fed by hand, then a
 * synthetic trace end to end (slices counted against the model, tracks
 * checked for overlaps, JSON parsed by Python's json module when present);
 * the Perfetto export decoded here with util/pb's reader (every packet
 * parses, sched in time order per CPU, no overlaps, flows join two events)
 * and counted against the report of the same trace. Long file: the
 * Perfetto decoder lives beside the only tests that use it. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include "check.h"
#include "model/export.h"
#include "model/model.h"
#include "model/report.h"
#include "trace/trace_reader.h"
#include "trace/trace_synth.h"
#include "util/hash.h"
#include "util/pb.h"
#include "util/varint.h"
#include "util/search.h"

static const char *weird_label(void *ctx, uint32_t pid, uint32_t tid)
{
	(void)ctx;
	(void)pid;
	return tid == 7 ? "a\"b\\c\n\x01\xff,d" : tid == 9 ? "=HYPERLINK(\"x\")" :
	       tid == 10 ? "-2+3" : tid == 11 ? "@SUM" : "worker";
}

static char *run_writer(enum export_format fmt, const struct model_span *spans, size_t n,
			struct export_stats *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct exporter *x;
	struct trace_meta meta = { .ncpus = 2 };

	strcpy(meta.command, "python3 \"x.py\"");
	CHECK(exporter_new(&x, f, fmt, &meta, 1000000, weird_label, NULL) == 0);
	for (size_t i = 0; i < n; i++)
		exporter_span(x, &spans[i], NULL);
	exporter_lost(x, 1500000, 3);
	exporter_thread(x, 1, 7, "a\"b");
	CHECK(exporter_finish(x, NULL, 0, st) == 0);
	exporter_free(x);
	fclose(f);
	return buf;
}

static void test_writer_chrome(void)
{
	const struct model_span spans[] = {
		{ .start_ns = 1000000, .end_ns = 1002500, .pid = 1, .tid = 7, .cpu = 1,
		  .kind = SPAN_CPU, .flags = SPAN_F_LOCKED, .lock = 0x10 },
		{ .start_ns = 1000000, .end_ns = 1002500, .pid = 1, .tid = 7, .cpu = 1,
		  .kind = SPAN_HOLD, .lock = 0x10 },
		/* a wait for a second lock while holding the first: nested, not
		 * written on the same track as the hold */
		{ .start_ns = 1003000, .end_ns = 1004000, .pid = 1, .tid = 7, .cpu = 1,
		  .kind = SPAN_WAIT, .lock = 0x20 },
		{ .start_ns = 1002600, .end_ns = 1004000, .pid = 1, .tid = 7, .cpu = 1,
		  .kind = SPAN_HOLD, .lock = 0x10, .flags = SPAN_F_OPEN },
		{ .start_ns = 1000000, .end_ns = 1000001, .pid = 1, .tid = 8, .cpu = 0xffff,
		  .kind = SPAN_STATE },
	};
	struct export_stats st = { 0 };
	char *out = run_writer(EXPORT_CHROME, spans, 5, &st);

	CHECK(out && !strncmp(out, "{\"displayTimeUnit\":\"ns\"", 23));
	CHECK(st.cpu == 1 && st.hold == 2 && st.wait == 1 && st.async == 1 && st.lost == 3);
	/* ts in us with ns precision, relative to base */
	CHECKF(strstr(out, "\"name\":\"a\\\"b\\\\c\\u000a\\u0001\\ufffd,d [lock]\",\"cat\":\"cpu\",\"ts\":0.000,\"dur\":2.500"), "%s", out);
	CHECK(strstr(out, "{\"ph\":\"X\",\"pid\":4194305,\"tid\":2,"));	/* CPU 1 */
	CHECK(strstr(out, "{\"ph\":\"X\",\"pid\":1,\"tid\":7,\"name\":\"wait\",\"cat\":\"wait\",\"ts\":3.000,\"dur\":1.000,\"args\":{\"lock\":\"0x20\"}}"));
	CHECK(strstr(out, "{\"ph\":\"b\",\"pid\":1,\"tid\":7,\"name\":\"hold\",\"cat\":\"hold\",\"id\":1,\"ts\":2.600,\"args\":{\"lock\":\"0x10\",\"open\":true}}"));
	CHECK(strstr(out, "{\"ph\":\"e\",\"pid\":1,\"tid\":7,\"name\":\"hold\",\"cat\":\"hold\",\"id\":1,\"ts\":4.000}"));
	CHECK(strstr(out, "\"name\":\"lost 3 events\",\"s\":\"g\",\"cat\":\"lost\",\"ts\":500.000"));
	CHECK(strstr(out, "\"command\":\"python3 \\\"x.py\\\"\""));
	CHECK(strstr(out, "{\"ph\":\"M\",\"pid\":4194305,\"tid\":4194305,\"name\":\"process_name\",\"args\":{\"name\":\"CPUs\"}}"));
	CHECK(strstr(out, "{\"ph\":\"M\",\"pid\":4194305,\"tid\":2,\"name\":\"thread_name\",\"args\":{\"name\":\"CPU 1\"}}"));
	CHECK(!strstr(out, "\"tid\":0,"));
	CHECK(!strstr(out, "\"state\""));
	size_t n = strlen(out);
	CHECK(n > 4 && !strcmp(out + n - 4, "\n]}\n"));
	free(out);
}

static void test_writer_csv(void)
{
	const struct model_span spans[] = {
		{ .start_ns = 1000000, .end_ns = 1002500, .pid = 1, .tid = 7, .cpu = 1,
		  .kind = SPAN_CPU, .flags = SPAN_F_LOCKED },
		{ .start_ns = 999999, .end_ns = 1000100, .pid = 1, .tid = 8, .cpu = 0xffff,
		  .kind = SPAN_IO },
		{ .start_ns = 1000000, .end_ns = 1000200, .pid = 1, .tid = 8, .cpu = 0,
		  .kind = SPAN_NATIVE },
		/* names a spreadsheet would run as formulas are quoted with a ' */
		{ .start_ns = 1000000, .end_ns = 1000001, .pid = 1, .tid = 9, .cpu = 0xffff,
		  .kind = SPAN_IO },
		{ .start_ns = 1000000, .end_ns = 1000001, .pid = 1, .tid = 10, .cpu = 0xffff,
		  .kind = SPAN_IO },
		{ .start_ns = 1000000, .end_ns = 1000001, .pid = 1, .tid = 11, .cpu = 0xffff,
		  .kind = SPAN_IO },
	};
	struct export_stats st = { 0 };
	char *out = run_writer(EXPORT_CSV, spans, 6, &st);

	CHECKF(out && !strcmp(out, "kind,pid,tid,thread,cpu,start_ns,end_ns,function,file,line\n"
			     "cpu,1,7,\"a\"\"b\\c\n\x01\xff,d\",1,0,2500,,,\n"
			     "io,1,8,worker,,0,100,,,\n"
			     "native,1,8,worker,0,0,200,,,\n"
			     "io,1,9,\"'=HYPERLINK(\"\"x\"\")\",,0,1,,,\n"
			     "io,1,10,\"'-2+3\",,0,1,,,\n"
			     "io,1,11,\"'@SUM\",,0,1,,,\n"), "%s", out);
	CHECK(st.cpu == 1 && st.io == 4 && st.native == 1);
	free(out);
}

static void test_format_names(void)
{
	CHECK(export_format_parse("chrome") == EXPORT_CHROME);
	CHECK(export_format_parse("json") == EXPORT_CHROME);
	CHECK(export_format_parse("csv") == EXPORT_CSV);
	CHECK(export_format_parse("perfetto") == EXPORT_PERFETTO);
	CHECK(export_format_parse("xml") == 0);
	CHECK(export_format_parse(NULL) == 0);
	CHECK(export_format_of_path("t.perfetto-trace") == EXPORT_PERFETTO);
	CHECK(export_format_of_path("t.pftrace") == EXPORT_PERFETTO);
	CHECK(export_format_of_path("t.json") == EXPORT_CHROME);
	CHECK(export_format_of_path("t.csv") == EXPORT_CSV);
	CHECK(export_format_of_path(".csv") == 0 && export_format_of_path("t.gst") == 0);
}

/* Slices are written one per line in a fixed field order, so a line parser
 * is enough to check them. */
struct xslice {
	uint32_t pid, tid;
	double ts, dur;
};

static int cmp_slice(const void *a, const void *b)
{
	const struct xslice *x = a, *y = b;

	return cmp_u64(x->pid, y->pid) ?: cmp_u64(x->tid, y->tid) ?:
	       (x->ts < y->ts ? -1 : x->ts > y->ts);
}

static void test_synthetic_trace(void)
{
	char dir[] = "/tmp/gs-test-export.XXXXXX", trace[128], json[128], csv[128];
	struct export_stats st, st2;
	char err[256];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(trace, sizeof(trace), "%s/t.gst", dir);
	snprintf(json, sizeof(json), "%s/t.json", dir);
	snprintf(csv, sizeof(csv), "%s/t.csv", dir);
	struct trace_synth_opts so = { .threads = 4, .cpus = 2, .seed = 5 };
	struct trace_writer_opts wo = { .block_events = 4096 };
	CHECK(trace_synth_write(trace, 200000, &so, &wo) == 0);

	FILE *f = fopen(json, "w");
	int r = export_trace(trace, f, EXPORT_CHROME, &st, err, sizeof(err));
	CHECKF(r == 0, "%d %s", r, err);
	fclose(f);
	CHECK(st.events == 200000 && st.acquisitions > 100 && st.cpu > 100);
	CHECKF(st.hold == st.acquisitions, "hold %" PRIu64 " acq %" PRIu64, st.hold, st.acquisitions);

	/* count and check the slices in the file itself */
	f = fopen(json, "r");
	char line[1024];
	size_t n = 0, cap = 1 << 16, holds = 0;
	struct xslice *xs = malloc(cap * sizeof(*xs));
	while (f && xs && fgets(line, sizeof(line), f)) {
		struct xslice s;
		char name[64];
		if (!strncmp(line, "{\"ph\":\"b\"", 9) && strstr(line, "\"name\":\"hold\""))
			holds++;
		if (sscanf(line, "{\"ph\":\"X\",\"pid\":%" SCNu32 ",\"tid\":%" SCNu32 ",\"name\":\"%63[^\"]\"",
			   &s.pid, &s.tid, name) != 3)
			continue;
		char *ts = strstr(line, "\"ts\":"), *du = strstr(line, "\"dur\":");
		CHECK(ts && du);
		if (!ts || !du)
			break;
		s.ts = strtod(ts + 5, NULL);
		s.dur = strtod(du + 6, NULL);
		holds += !strcmp(name, "hold");
		if (n == cap) {
			cap *= 2;
			xs = realloc(xs, cap * sizeof(*xs));
		}
		if (xs)
			xs[n++] = s;
	}
	if (f)
		fclose(f);
	CHECK(xs != NULL);
	CHECKF(holds == st.acquisitions, "%zu hold slices, %" PRIu64 " acquisitions", holds, st.acquisitions);
	if (xs) {
		qsort(xs, n, sizeof(*xs), cmp_slice);
		size_t overlaps = 0;
		for (size_t i = 1; i < n; i++)
			if (xs[i].pid == xs[i - 1].pid && xs[i].tid == xs[i - 1].tid &&
			    xs[i].ts < xs[i - 1].ts + xs[i - 1].dur - 0.0005)
				overlaps++;
		CHECKF(overlaps == 0, "%zu overlapping slices", overlaps);
	}
	free(xs);

	if (!system("command -v python3 >/dev/null 2>&1")) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' %s", json);
		CHECK(system(cmd) == 0);
	} else {
		printf("# python3 missing: JSON not parsed\n");
	}

	f = fopen(csv, "w");
	r = export_trace(trace, f, EXPORT_CSV, &st2, err, sizeof(err));
	CHECKF(r == 0, "%d %s", r, err);
	fclose(f);
	CHECK(st2.hold == st.hold && st2.cpu == st.cpu && st2.wait == st.wait);
	f = fopen(csv, "r");
	size_t rows = 0, hold_rows = 0;
	while (f && fgets(line, sizeof(line), f)) {
		rows++;
		hold_rows += !strncmp(line, "hold,", 5);
	}
	if (f)
		fclose(f);
	CHECK(rows == 1 + st2.cpu + st2.hold + st2.wait + st2.io + st2.native);
	CHECK(hold_rows == st2.hold);

	/* a missing or corrupt trace is a clear error */
	f = fopen(csv, "w");
	CHECK(export_trace("/nonexistent.gst", f, EXPORT_CSV, NULL, err, sizeof(err)) == -ENOENT);
	CHECK(strstr(err, "/nonexistent.gst") != NULL);
	CHECK(export_trace(json, f, EXPORT_CSV, NULL, err, sizeof(err)) < 0);
	CHECKF(strlen(err) > 10, "%s", err);
	fclose(f);
	unlink(trace);
	unlink(json);
	unlink(csv);
	rmdir(dir);
}

/* A full disk gives an error, not a silently short file. */
static void test_write_error(void)
{
	FILE *f = fopen("/dev/full", "w");
	struct exporter *x;
	struct model_span s = { .start_ns = 1, .end_ns = 2, .pid = 1, .tid = 1, .kind = SPAN_HOLD };

	if (!f) {
		printf("# no /dev/full\n");
		return;
	}
	CHECK(exporter_new(&x, f, EXPORT_CHROME, NULL, 0, NULL, NULL) == 0);
	for (int i = 0; i < 10000; i++) {
		s.start_ns += 10;
		s.end_ns += 10;
		exporter_span(x, &s, NULL);
	}
	CHECK(exporter_finish(x, NULL, 0, NULL) == -ENOSPC);
	exporter_free(x);
	fclose(f);
}

/* ---- the Perfetto export, decoded ---------------------------------------- */

#define MAXSEQ 4096

struct pfdec {
	size_t packets, bad;		/* bad: what did not parse or hold together */
	uint64_t holds, waits, switches, handoffs, drops;
	uint64_t seq_last[MAXSEQ];	/* incremental clock per sequence */
	uint32_t seq_clock[MAXSEQ];	/* default clock id */
	uint64_t seq_track[MAXSEQ];	/* default track */
	char seq_name[MAXSEQ][3][8];	/* interned names 1, 2 */
	struct hmap open;		/* track -> begin ts + 1 of its open slice */
	struct hmap last_end;		/* track -> end of its last slice */
	size_t overlaps;
	size_t lost_marks;		/* instants named "lost N events" */
	struct hmap src;		/* flow id -> ts it starts */
	uint64_t term[1 << 16], term_ts[1 << 16];
	size_t nterm;
	uint64_t cpu_ts[64];		/* per CPU: last switch */
	uint32_t cpu_tid[64];
	bool cpu_seen[64];
	struct hmap cpu_ns;		/* tid -> ns on CPUs */
	size_t sched_backwards;
};

static bool sub(const struct pb_field *f, const uint8_t **p, const uint8_t **end)
{
	*p = f->p;
	*end = f->p + f->len;
	return f->wire == PB_LEN;
}

/* Fields 1 and 2 of the message f (the last of each; num 0 when absent);
 * false when f is not a message. */
static bool fields_1_2(const struct pb_field *f, struct pb_field *one, struct pb_field *two)
{
	const uint8_t *p, *end;
	struct pb_field h;

	*one = *two = (struct pb_field){ 0 };
	if (!sub(f, &p, &end))
		return false;
	while (pb_next(&p, end, &h) == 1) {
		if (h.num == 1)
			*one = h;
		if (h.num == 2)
			*two = h;
	}
	return true;
}

static void dec_track_event(struct pfdec *d, const struct pb_field *te, uint32_t seq,
			    uint64_t ts)
{
	const uint8_t *p, *end;
	struct pb_field f;
	uint64_t type = 0, track = d->seq_track[seq], iid = 0, flows[20];
	size_t nflow = 0;

	sub(te, &p, &end);
	while (pb_next(&p, end, &f) == 1) {
		if (f.num == 9)
			type = f.v;
		else if (f.num == 11)
			track = f.v;
		else if (f.num == 10)
			iid = f.v;
		else if (f.num == 47)
			hmap_put(&d->src, hkey_u64(f.v), ts + 1);
		else if (f.num == 48 && nflow < 20)
			flows[nflow++] = f.v;
		else if (f.num == 23 && f.len > 5 && !memcmp(f.p, "lost ", 5))
			d->lost_marks++;
	}
	for (size_t i = 0; i < nflow && d->nterm < (1 << 16); i++) {
		d->term_ts[d->nterm] = ts;
		d->term[d->nterm++] = flows[i];
		d->handoffs += flows[i] >> 63;
		d->drops += (flows[i] >> 62) & 1;
	}
	const char *name = iid && iid < 3 ? d->seq_name[seq][iid] : "";
	uint64_t v;

	if (type == 1) {
		if (hmap_get(&d->open, hkey_u64(track), &v) ||
		    (hmap_get(&d->last_end, hkey_u64(track), &v) && ts < v))
			d->overlaps++;
		hmap_put(&d->open, hkey_u64(track), ts + 1);
		d->holds += !strcmp(name, "hold");
		d->waits += !strcmp(name, "wait");
	} else if (type == 2) {
		if (!hmap_get(&d->open, hkey_u64(track), &v) || ts + 1 < v)
			d->overlaps++;
		hmap_del(&d->open, hkey_u64(track));
		hmap_put(&d->last_end, hkey_u64(track), ts);
	}
}

static void dec_compact(struct pfdec *d, uint32_t cpu, const struct pb_field *cs)
{
	const uint8_t *p, *end, *col[7] = { 0 }, *colend[7] = { 0 };
	struct pb_field f;

	sub(cs, &p, &end);
	while (pb_next(&p, end, &f) == 1)
		if (f.num >= 1 && f.num <= 6 && f.wire == PB_LEN)
			sub(&f, &col[f.num], &colend[f.num]);
	if (cpu >= 64 || !col[1])
		return;
	uint64_t dt, state, tid, prio, comm, t = 0;

	while (col[1] < colend[1]) {
		if (varint_get(&col[1], colend[1], &dt) || varint_get(&col[2], colend[2], &state) ||
		    varint_get(&col[3], colend[3], &tid) || varint_get(&col[4], colend[4], &prio) ||
		    varint_get(&col[6], colend[6], &comm)) {
			d->bad++;
			return;
		}
		t = t ? t + dt : dt;
		if (d->cpu_seen[cpu]) {
			uint64_t ns = 0;

			if (t < d->cpu_ts[cpu])
				d->sched_backwards++;
			hmap_get(&d->cpu_ns, hkey_u64(d->cpu_tid[cpu]), &ns);
			hmap_put(&d->cpu_ns, hkey_u64(d->cpu_tid[cpu]), ns + t - d->cpu_ts[cpu]);
		}
		d->cpu_seen[cpu] = true;
		d->cpu_ts[cpu] = t;
		d->cpu_tid[cpu] = (uint32_t)tid;
		d->switches++;
	}
}

static void dec_packet(struct pfdec *d, const uint8_t *p, const uint8_t *end)
{
	struct pb_field f, g, h;
	uint32_t seq = 0, clock = 0;
	uint64_t ts = 0;
	bool has_ts = false;
	const uint8_t *q, *qe, *r, *re;
	struct pb_field te = { 0 }, ftrace = { 0 };

	while (pb_next(&p, end, &f) == 1) {
		if (f.num == 10)
			seq = f.v < MAXSEQ ? (uint32_t)f.v : 0;
		else if (f.num == 8)
			ts = f.v, has_ts = true;
		else if (f.num == 58)
			clock = (uint32_t)f.v;
		else if (f.num == 11)
			te = f;
		else if (f.num == 1)
			ftrace = f;
		else if (f.num == 59 && sub(&f, &q, &qe))	/* defaults */
			while (pb_next(&q, qe, &g) == 1) {
				if (g.num == 58)
					d->seq_clock[seq] = (uint32_t)g.v;
				if (g.num == 11 && sub(&g, &r, &re))
					while (pb_next(&r, re, &h) == 1)
						if (h.num == 11)
							d->seq_track[seq] = h.v;
			}
		else if (f.num == 12 && sub(&f, &q, &qe))	/* interned names */
			while (pb_next(&q, qe, &g) == 1) {
				struct pb_field iid, str;
				char name[8] = "";

				if (g.num != 2 || !fields_1_2(&g, &iid, &str))
					continue;
				if (str.num)
					snprintf(name, sizeof(name), "%.*s", (int)str.len, str.p);
				if (iid.v && iid.v < 3)
					memcpy(d->seq_name[seq][iid.v], name, sizeof(name));
			}
		else if (f.num == 6 && sub(&f, &q, &qe))	/* clock snapshot */
			while (pb_next(&q, qe, &g) == 1) {
				struct pb_field id, t;

				/* the sequence's clock starts here */
				if (g.num == 1 && fields_1_2(&g, &id, &t) && id.v == 64)
					d->seq_last[seq] = t.v;
			}
	}
	if (p != end) {
		d->bad++;
		return;
	}
	if (te.num) {
		if (!has_ts) {
			d->bad++;
			return;
		}
		if ((clock ? clock : d->seq_clock[seq]) == 64)
			ts = d->seq_last[seq] += ts;
		dec_track_event(d, &te, seq, ts);
	}
	if (ftrace.num && sub(&ftrace, &q, &qe)) {
		uint32_t cpu = 0;

		while (pb_next(&q, qe, &g) == 1) {
			if (g.num == 1)
				cpu = (uint32_t)g.v;
			if (g.num == 4)
				dec_compact(d, cpu, &g);
		}
		if (q != qe)
			d->bad++;
	}
}

static void pf_decode(struct pfdec *d, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	struct pb_field f;
	int r;

	while ((r = pb_next(&p, end, &f)) == 1) {
		if (f.num != 1 || f.wire != PB_LEN) {
			d->bad++;
			continue;
		}
		d->packets++;
		dec_packet(d, f.p, f.p + f.len);
	}
	d->bad += r < 0;
}

static void pf_dec_free(struct pfdec *d)
{
	hmap_free(&d->open);
	hmap_free(&d->last_end);
	hmap_free(&d->src);
	hmap_free(&d->cpu_ns);
}

static void test_perfetto_synthetic(void)
{
	char dir[] = "/tmp/gs-test-pf.XXXXXX", trace[128];
	struct trace_synth_opts so = { .threads = 4, .cpus = 2, .seed = 9 };
	struct trace_writer_opts wo = { .block_events = 4096 };
	struct export_stats st;
	char err[256], *buf = NULL;
	size_t len = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(trace, sizeof(trace), "%s/t.gst", dir);
	CHECK(trace_synth_write(trace, 100000, &so, &wo) == 0);
	FILE *f = open_memstream(&buf, &len);
	int r = export_trace(trace, f, EXPORT_PERFETTO, &st, err, sizeof(err));

	CHECKF(r == 0, "%d %s", r, err);
	fclose(f);

	/* what the report says of the same trace */
	struct trace_reader *rd;
	struct report *rp;

	CHECK(trace_reader_open(&rd, trace) == 0);
	CHECK(report_new(&rp, trace_reader_meta(rd)) == 0);
	CHECK(report_read(rp, rd) == 0);
	const struct report_summary *rs = report_summary(rp);
	static struct pfdec d;

	memset(&d, 0, sizeof(d));
	pf_decode(&d, (const uint8_t *)buf, len);
	CHECKF(d.bad == 0 && d.packets > 100, "%zu bad of %zu packets", d.bad, d.packets);
	CHECKF(d.holds == rs->acquisitions && d.holds == st.hold && d.waits == st.wait,
	       "%" PRIu64 " holds, %" PRIu64 " acquisitions", d.holds, rs->acquisitions);
	CHECKF(d.handoffs == rs->handoffs && rs->handoffs > 100 && st.handoffs == rs->handoffs,
	       "%" PRIu64 " hand-off flows, report %" PRIu64, d.handoffs, rs->handoffs);
	CHECK(d.drops > 100 && d.drops == st.drop_flows);
	CHECK(d.overlaps == 0 && d.sched_backwards == 0 && d.switches == st.switches);
	size_t unmatched = 0, backwards = 0;
	for (size_t i = 0; i < d.nterm; i++) {
		uint64_t t;

		if (!hmap_get(&d.src, hkey_u64(d.term[i]), &t))
			unmatched++;
		else if (t - 1 > d.term_ts[i])
			backwards++;
	}
	CHECKF(unmatched == 0 && backwards == 0, "%zu flows without start, %zu backwards",
	       unmatched, backwards);
	/* CPU time per thread: the model's, to the nanosecond */
	size_t nt, off = 0;
	const struct model_thread *th = model_threads(report_model(rp), &nt);

	for (size_t i = 0; i < nt; i++) {
		uint64_t ns = 0;

		hmap_get(&d.cpu_ns, hkey_u64(th[i].tid), &ns);
		off += th[i].traced && ns != th[i].cpu_ns;
	}
	CHECKF(off == 0, "%zu threads' CPU time differs from the model's", off);

	/* a byte cut off the end: the decoder notices */
	pf_dec_free(&d);
	memset(&d, 0, sizeof(d));
	pf_decode(&d, (const uint8_t *)buf, len - 1);
	CHECK(d.bad == 1);
	pf_dec_free(&d);
	report_free(rp);
	trace_reader_close(rd);
	free(buf);
	unlink(trace);
	rmdir(dir);
}

/* Hand-fed events through the model into the Perfetto writer, as
 * export_trace() does (without hand-offs). */
struct feed {
	struct model *m;
	struct exporter *x;
};

static void feed_span(const struct model_span *s, void *ctx)
{
	exporter_span(((struct feed *)ctx)->x, s, NULL);
}

static char *perfetto_of(const struct gs_event *ev, size_t n, struct model **mout, size_t *len)
{
	struct feed fd = { 0 };
	struct model_opts mo = { .ncpus = 2, .on_span = feed_span, .ctx = &fd };
	struct trace_meta meta = { .ncpus = 2, .root_pid = 100 };
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	fd.m = model_new(&mo);
	CHECK(fd.m && exporter_new(&fd.x, f, EXPORT_PERFETTO, &meta, 1000, NULL, NULL) == 0);
	for (size_t i = 0; i < n; i++) {
		if (ev[i].type == GS_EV_LOST)
			exporter_lost(fd.x, ev[i].ts_ns, ev[i].arg0);
		model_feed(fd.m, &ev[i]);
		exporter_event(fd.x, fd.m, &ev[i]);
	}
	model_finish(fd.m, ev[n - 1].ts_ns);
	CHECK(exporter_finish(fd.x, fd.m, model_now(fd.m), NULL) == 0);
	exporter_free(fd.x);
	fclose(f);
	*mout = fd.m;
	return buf;
}

/* The model's inferences reach the CPU tracks: B's lock event puts it on
 * CPU 1 with no switch said so, and the same nanosecond a switch puts it
 * on CPU 0 (zero time on CPU 1, no CPU span there to say it left). Lost
 * events become an instant. */
static void test_perfetto_cpu_inference(void)
{
	const struct gs_event ev[] = {
		{ .ts_ns = 1000, .pid = 100, .tid = 101, .cpu = 0, .type = GS_EV_SCHED_SWITCH,
		  .arg0 = 101ull | 100ull << 32, .flags = GS_F_TRACED_NEXT },
		{ .ts_ns = 2000, .pid = 100, .tid = 102, .cpu = 1, .type = GS_EV_LOCK_REQUEST,
		  .arg0 = 0x10 },
		{ .ts_ns = 2000, .pid = 100, .tid = 101, .cpu = 0, .type = GS_EV_SCHED_SWITCH,
		  .arg0 = 102ull | 100ull << 32, .arg1 = 1,
		  .flags = GS_F_TRACED_PREV | GS_F_TRACED_NEXT },
		{ .ts_ns = 9000, .pid = 100, .tid = 101, .cpu = 1, .type = GS_EV_LOCK_REQUEST,
		  .arg0 = 0x10 },
		{ .ts_ns = 10000, .type = GS_EV_LOST, .arg0 = 3 },	/* an instant says so */
		{ .ts_ns = 12000, .pid = 100, .tid = 102, .cpu = 0, .type = GS_EV_SCHED_SWITCH,
		  .arg0 = 0, .arg1 = 1, .flags = GS_F_TRACED_PREV },
	};
	struct model *m;
	size_t len, nt;
	char *buf = perfetto_of(ev, sizeof(ev) / sizeof(ev[0]), &m, &len);
	static struct pfdec d;

	memset(&d, 0, sizeof(d));
	pf_decode(&d, (const uint8_t *)buf, len);
	CHECK(d.bad == 0 && d.sched_backwards == 0 && d.lost_marks == 1);
	const struct model_thread *th = model_threads(m, &nt);

	for (size_t i = 0; i < nt; i++) {
		uint64_t ns = 0;

		hmap_get(&d.cpu_ns, hkey_u64(th[i].tid), &ns);
		CHECKF(ns == th[i].cpu_ns, "tid %u: %" PRIu64 " ns exported, model %" PRIu64,
		       th[i].tid, ns, th[i].cpu_ns);
	}
	pf_dec_free(&d);
	model_free(m);
	free(buf);
}

int main(void)
{
	RUN(test_format_names);
	RUN(test_writer_chrome);
	RUN(test_writer_csv);
	RUN(test_synthetic_trace);
	RUN(test_write_error);
	RUN(test_perfetto_synthetic);
	RUN(test_perfetto_cpu_inference);
	return check_done();
}
