/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_export.c - Chrome JSON and CSV export: the writer fed by hand, then a
 * synthetic trace end to end (slices counted against the model, tracks
 * checked for overlaps, JSON parsed by Python's json module when present). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include "check.h"
#include "model/export.h"
#include "trace/trace_synth.h"

static const char *weird_label(void *ctx, uint32_t pid, uint32_t tid)
{
	(void)ctx;
	(void)pid;
	return tid == 7 ? "a\"b\\c\n\x01\xff,d" : "worker";
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
	};
	struct export_stats st = { 0 };
	char *out = run_writer(EXPORT_CSV, spans, 3, &st);

	CHECKF(out && !strcmp(out, "kind,pid,tid,thread,cpu,start_ns,end_ns\n"
			     "cpu,1,7,\"a\"\"b\\c\n\x01\xff,d\",1,0,2500\n"
			     "io,1,8,worker,,0,100\n"
			     "native,1,8,worker,0,0,200\n"), "%s", out);
	CHECK(st.cpu == 1 && st.io == 1 && st.native == 1);
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

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
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

int main(void)
{
	RUN(test_format_names);
	RUN(test_writer_chrome);
	RUN(test_writer_csv);
	RUN(test_synthetic_trace);
	RUN(test_write_error);
	return check_done();
}
