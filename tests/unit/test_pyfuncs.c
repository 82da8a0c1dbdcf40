/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_pyfuncs.c - Python thread names and functions after the recording:
 * the names properties of a .gst, the model's attribution (a hold belongs to
 * the function running at its release, a wait to the one that asked), the
 * sentences, hold/wait by function (funcstat), report text and JSON, and
 * the Chrome, CSV and Perfetto exports, on hand-built CPython traces
 * (pyscene.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "scratch.h"
#include "events.h"
#include "pyscene.h"
#include "model/describe.h"
#include "model/export.h"
#include "model/funcstat.h"
#include "model/model.h"
#include "model/report.h"
#include "trace/trace_reader.h"
#include "util/pb.h"

#define T0 (7000 * PY_MS)

/* ---- the format --------------------------------------------------------- */

/* Properties round-trip, the latest of a (pid, key) wins, and a trace
 * written before them (tests/traces/threads-v1.gst) has none. */
static void test_props_roundtrip(void)
{
	struct trace_meta meta = { .ncpus = 1, .root_pid = PID };
	struct trace_writer *w = NULL;
	struct trace_reader *r = NULL;
	struct trace_names_info info;
	struct trace_prop p;
	const char *path = scratch_path("props.gst");
	char key[100];
	struct gs_event e = ev(10, GS_EV_THREAD_START, PID, 0, 0, 0);

	unlink(path);
	CHECK(trace_writer_open(&w, path, &meta, NULL) == 0);
	if (!w)
		return;
	CHECK(trace_writer_prop(w, PID, "python.version", "3.12") == 0);
	CHECK(trace_writer_prop(w, PID, "python.version", "3.12.1") == 0);	/* later: wins */
	CHECK(trace_writer_prop(w, 0, "lock.noun", "GIL") == 0);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	CHECK(trace_writer_prop(w, 0, key, "cut to 63 bytes") == 0);
	CHECK(trace_writer_prop(w, 0, "", "no key") == -EINVAL);
	CHECK(trace_writer_append(w, &e, 1) == 0);
	CHECK(trace_writer_close(w) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	if (!r)
		return;
	const struct trace_names *n = trace_reader_names(r);

	CHECK(trace_names_prop(n, PID, "python.version") &&
	      !strcmp(trace_names_prop(n, PID, "python.version"), "3.12.1"));
	CHECK(trace_names_prop(n, 0, "lock.noun") && !strcmp(trace_names_prop(n, 0, "lock.noun"), "GIL"));
	CHECK(!trace_names_prop(n, 0, "python.version"));	/* per pid */
	key[63] = '\0';
	CHECK(trace_names_prop(n, 0, key) != NULL);
	CHECK(trace_names_prop_at(n, 2, &p) && !trace_names_prop_at(n, 3, &p));
	trace_names_info(n, &info);
	CHECKF(info.bad == 0 && info.records == 4, "bad %llu records %llu",
	       (unsigned long long)info.bad, (unsigned long long)info.records);
	trace_reader_close(r);
	CHECK(trace_reader_open(&r, "tests/traces/threads-v1.gst") == 0);
	if (r) {
		CHECK(!trace_names_prop(trace_reader_names(r), 0, TRACE_PROP_LOCK_NOUN));
		trace_reader_close(r);
	}
}

/* The live store takes records one at a time, with the file's checks. */
static void test_names_put(void)
{
	struct trace_names *n = NULL;
	struct trace_thread_name t;
	struct trace_func_name f;
	char big[2000];

	CHECK(trace_names_new(&n) == 0);
	if (!n)
		return;
	CHECK(trace_names_put_thread(n, 1, 2, 5, "old") == 0);
	CHECK(trace_names_put_thread(n, 1, 2, 9, "renamed") == 0);
	CHECK(trace_names_put_thread(n, 1, 2, 7, "stale") == 0);	/* older: kept out */
	CHECK(trace_names_thread(n, 1, 2, &t) && !strcmp(t.name, "renamed"));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(trace_names_put_func(n, 1, 7, 3, "f\x1b[2Jg", big) == 0);
	CHECK(trace_names_func(n, 1, 7, &f) && !strcmp(f.name, "f?[2Jg") &&
	      strlen(f.file) == 1023 && f.line == 3);
	CHECK(trace_names_put_prop(n, 1, "k", "v") == 0 &&
	      !strcmp(trace_names_prop(n, 1, "k"), "v"));
	trace_names_free(n);
}

/* ---- the model ------------------------------------------------------------ */

struct spans {
	struct model_span s[256];
	size_t n;
};

static void keep_span(const struct model_span *s, void *ctx)
{
	struct spans *sp = ctx;

	if (sp->n < 256 && (s->kind == SPAN_HOLD || s->kind == SPAN_WAIT))
		sp->s[sp->n++] = *s;
}

/* A hold is the function at its release, a wait the function that asked;
 * nothing when the events carry none. */
static void test_model_attribution(void)
{
	struct spans sp = { .n = 0 };
	struct model_opts o = { .ncpus = 2, .on_span = keep_span, .ctx = &sp };
	struct model *m = model_new(&o);
	struct gs_event e[] = {
		py_ev(T0, GS_EV_LOCK_REQUEST, PY_A, 0, PY_FETCH),
		py_ev(T0 + 10, GS_EV_LOCK_ACQUIRED, PY_A, 0, 0),
		py_ev(T0 + 20, GS_EV_LOCK_RELEASED, PY_A, 0, PY_RUN),
		/* a second request for the same lock keeps the wait's function */
		py_ev(T0 + 30, GS_EV_LOCK_REQUEST, PY_A, 0, PY_CRUNCH),
		py_ev(T0 + 35, GS_EV_LOCK_REQUEST, PY_A, 0, PY_RUN),
		py_ev(T0 + 40, GS_EV_LOCK_ACQUIRED, PY_A, 0, 0),
		/* B takes it: A's RELEASED got lost, its hold has no function */
		py_ev(T0 + 50, GS_EV_LOCK_ACQUIRED, PY_B, 1, 0),
		/* an older trace's release: ns held in arg1, no function */
		ev(T0 + 60, GS_EV_LOCK_RELEASED, PY_B, 1, PY_GIL, 10),
	};

	if (!m)
		return;
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		CHECK(model_feed(m, &e[i]) == 0);
	CHECKF(sp.n == 5, "%zu spans", sp.n);
	CHECK(sp.s[0].kind == SPAN_WAIT && sp.s[0].func == PY_FETCH);
	CHECK(sp.s[1].kind == SPAN_HOLD && sp.s[1].func == PY_RUN);
	CHECK(sp.s[2].kind == SPAN_WAIT && sp.s[2].func == PY_CRUNCH && sp.s[2].start_ns == T0 + 30);
	CHECK(sp.s[3].kind == SPAN_HOLD && sp.s[3].func == MODEL_NO_FUNC && sp.s[3].tid == PY_A);
	CHECK(sp.s[4].kind == SPAN_HOLD && sp.s[4].func == MODEL_NO_FUNC && sp.s[4].tid == PY_B);
	CHECK(model_thread(m, PY_A)->wait_func == PY_CRUNCH);
	CHECK(model_thread(m, PY_A)->hold_func == PY_RUN);
	CHECK(model_thread(m, PY_B)->hold_func == MODEL_NO_FUNC);
	model_free(m);
}

/* ---- words ----------------------------------------------------------------- */

static void test_describe_python(void)
{
	struct model_opts o = { .ncpus = 2 };
	struct model *m = model_new(&o);
	struct trace_names *n = NULL;
	struct gs_event e;
	char buf[200];

	CHECK(trace_names_new(&n) == 0);
	if (!m || !n)
		goto out;
	/* without names: today's labels and "the lock" */
	e = py_ev(T0, GS_EV_LOCK_REQUEST, PY_A, 0, PY_FETCH);
	model_feed(m, &e);
	describe_event(m, &e, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "tid 101 asks for the lock in ?"), "%s", buf);
	py_scene_names(NULL, n);
	model_set_names(m, n);
	describe_event(m, &e, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "producer asks for the GIL in `fetch` (app.py:40)"), "%s", buf);
	e = py_ev(T0 + 5 * PY_MS, GS_EV_LOCK_ACQUIRED, PY_A, 0, 0);
	model_feed(m, &e);
	describe_event(m, &e, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "producer takes the GIL after waiting 5.0 ms in `fetch` (app.py:40)"),
	       "%s", buf);
	e = py_ev(T0 + 12 * PY_MS, GS_EV_LOCK_RELEASED, PY_A, 0, PY_RUN);
	model_feed(m, &e);
	describe_event(m, &e, buf, sizeof(buf));
	/* the duration is the model's: arg1 is a function, not ns held */
	CHECKF(!strcmp(buf, "producer releases the GIL in `Worker.run` (app.py:12) after 7.0 ms"),
	       "%s", buf);
	e = py_ev(T0 + 13 * PY_MS, GS_EV_LOCK_REQUEST, PY_B, 1, GS_FUNC_NONE);
	model_feed(m, &e);
	describe_event(m, &e, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "ThreadPoolExecutor-0_1 asks for the GIL outside Python code"), "%s", buf);
	describe_thread(buf, sizeof(buf), m, model_thread(m, PY_B), PY_B);
	CHECK(!strcmp(buf, "ThreadPoolExecutor-0_1"));
out:
	trace_names_free(n);
	model_free(m);
}

/* ---- hold and wait by function ------------------------------------------------ */

static struct model_span span(uint8_t kind, uint32_t tid, uint64_t ns, uint64_t func)
{
	return (struct model_span){ .start_ns = 100, .end_ns = 100 + ns, .pid = PID, .tid = tid,
				    .kind = kind, .lock = PY_GIL, .func = func };
}

static void test_funcstat(void)
{
	struct trace_names *n = NULL;
	struct funcstat *fs = NULL;
	struct funcstat_row rows[8];
	size_t k;

	CHECK(trace_names_new(&n) == 0);
	if (!n)
		return;
	py_scene_names(NULL, n);
	/* id 9: the same function as PY_RUN read again (a new id, same names) */
	CHECK(trace_names_put_func(n, PID, 9, 12, "Worker.run", "/srv/app/app.py") == 0);
	CHECK(funcstat_new(&fs, n, 2) == 0);
	if (!fs)
		goto out;
	/* empty: no rows, sorted or not (UBSan: nothing handed to qsort) */
	funcstat_rows(fs, FUNCSTAT_BY_HOLD, &k);
	CHECK(k == 0);
	struct model_span s[] = {
		span(SPAN_HOLD, PY_A, 100, PY_RUN), span(SPAN_HOLD, PY_A, 50, 9),
		span(SPAN_WAIT, PY_A, 70, PY_FETCH), span(SPAN_HOLD, PY_A, 5, PY_CRUNCH),
		span(SPAN_HOLD, PY_A, 1, GS_FUNC_UNKNOWN), span(SPAN_HOLD, PY_A, 999, MODEL_NO_FUNC),
		span(SPAN_HOLD, PY_B, 30, PY_CRUNCH),
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		CHECK(funcstat_span(fs, &s[i]) == 0);
	k = funcstat_thread(fs, PID, PY_A, FUNCSTAT_BY_HOLD, rows, 8);
	/* Worker.run under its first id (150 ns in 2 holds); the cap of 2
	 * functions sends crunch and "?" to (other); fetch never held */
	CHECKF(k == 2, "%zu rows", k);
	CHECK(rows[0].func == PY_RUN && rows[0].holds == 2 && rows[0].hold_ns == 150);
	CHECK(rows[1].func == FUNCSTAT_OTHER && rows[1].holds == 2 && rows[1].hold_ns == 6);
	k = funcstat_thread(fs, PID, PY_A, FUNCSTAT_BY_WAIT, rows, 8);
	CHECK(k == 1 && rows[0].func == PY_FETCH && rows[0].waits == 1 && rows[0].wait_ns == 70);
	k = funcstat_thread(fs, PID, PY_B, FUNCSTAT_BY_HOLD, rows, 8);
	CHECK(k == 1 && rows[0].func == PY_CRUNCH && rows[0].hold_ns == 30);
	const struct funcstat_row *all = funcstat_rows(fs, FUNCSTAT_BY_HOLD, &k);
	CHECK(k == 4 && all[0].hold_ns >= all[1].hold_ns && all[1].hold_ns >= all[2].hold_ns);
	funcstat_clear(fs);
	CHECK(funcstat_thread(fs, PID, PY_A, FUNCSTAT_BY_HOLD, rows, 8) == 0);
out:
	funcstat_free(fs);
	trace_names_free(n);
}

/* ---- report ------------------------------------------------------------------- */

static char *report_of(const char *path, bool json)
{
	struct trace_reader *r = NULL;
	struct report *rp = NULL;
	char *buf = NULL;
	size_t len;
	FILE *f;

	CHECK(trace_reader_open(&r, path) == 0);
	if (!r)
		return NULL;
	CHECK(report_new(&rp, trace_reader_meta(r)) == 0);
	if (rp && !report_read(rp, r) && (f = open_memstream(&buf, &len))) {
		CHECK((json ? report_write_json(rp, f) : report_write_text(rp, f, false)) == 0);
		fclose(f);
	}
	report_free(rp);
	trace_reader_close(r);
	return buf;
}

static void test_report_python(void)
{
	const char *path = scratch_path("scene.gst");
	char *j, *t;

	if (py_scene_file(path, T0, 8))
		return;
	j = report_of(path, true);
	t = report_of(path, false);
	CHECKF(j && strstr(j, "\"python\":{\"version\":\"3.11.7\",\"executable\":"
			   "\"/usr/bin/python3.11\",\"missing\":null}"), "%s", j);
	CHECK(j && strstr(j, "\"name\":\"ThreadPoolExecutor-0_1\""));
	CHECK(j && strstr(j, "\"name\":\"producer\""));
	/* one row per thread and function, the most hold time first: A holds
	 * 4 x 10 ms in Worker.run (less the 1 us each hand-off takes, its first
	 * hold whole), B 3 in crunch and one that could not be read */
	const char *r1 = j ? strstr(j, "\"functions\":[{") : NULL;

	CHECKF(r1 && !strncmp(r1, "\"functions\":[{\"pid\":100,\"tid\":101,\"thread\":\"producer\","
			      "\"function\":\"Worker.run\",\"file\":\"/srv/app/app.py\","
			      "\"first_line\":12,\"holds\":4,\"hold_ns\":39997000,", 143), "%s", r1);
	CHECK(j && strstr(j, "\"thread\":\"ThreadPoolExecutor-0_1\",\"function\":\"?\",\"file\":null,"
			    "\"first_line\":null,\"holds\":1,\"hold_ns\":9999000"));
	CHECK(j && strstr(j, "\"function\":\"fetch\",\"file\":\"/srv/app/app.py\",\"first_line\":40,"
			    "\"holds\":0,\"hold_ns\":0,\"waits\":4,"));
	CHECKF(t && strstr(t, "python      CPython 3.11.7 (/usr/bin/python3.11)"), "%s", t);
	CHECK(t && strstr(t, "\nPython code (a hold is the function running"));
	CHECK(t && strstr(t, "  producer (tid 101)\n    hold  Worker.run"));
	CHECK(t && strstr(t, "app.py:12\n"));
	free(j);
	free(t);
	/* a trace of another adapter has no Python part */
	j = report_of("traces/threads.gst", true);
	CHECK(j && !strstr(j, "\"python\"") && !strstr(j, "\"functions\""));
	free(j);
}

/* ---- exports ------------------------------------------------------------------ */

static char *export_of(const char *path, enum export_format fmt, size_t *len)
{
	char *buf = NULL, err[256];
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	CHECKF(export_trace(path, f, fmt, NULL, err, sizeof(err)) == 0, "%s", err);
	fclose(f);
	return buf;
}

static void test_export_python(void)
{
	const char *path = scratch_path("scene.gst");
	char *x;
	size_t len;

	if (py_scene_file(path, T0, 8))
		return;
	x = export_of(path, EXPORT_CHROME, &len);
	CHECKF(x && strstr(x, "\"name\":\"hold\",\"cat\":\"hold\",\"ts\":0.000,\"dur\":10000.000,"
			   "\"args\":{\"lock\":\"0x1\",\"function\":\"Worker.run\","
			   "\"file\":\"/srv/app/app.py\",\"line\":12}"), "%.2000s", x);
	CHECK(x && strstr(x, "\"args\":{\"lock\":\"0x1\",\"function\":\"fetch\",\"file\":\"/srv/app/app.py\","
			    "\"line\":40}"));
	CHECK(x && strstr(x, "\"args\":{\"lock\":\"0x1\",\"function\":\"?\"}"));
	free(x);
	x = export_of(path, EXPORT_CSV, &len);
	CHECK(x && !strncmp(x, "kind,pid,tid,thread,cpu,start_ns,end_ns,function,file,line\n", 59));
	CHECKF(x && strstr(x, "\nhold,100,101,producer,0,0,10000000,Worker.run,/srv/app/app.py,12\n"),
	       "%s", x);
	CHECK(x && strstr(x, ",ThreadPoolExecutor-0_1,1,") && strstr(x, ",?,,\n"));
	free(x);
}

/* Perfetto: hold and wait slices named after their function, each name
 * interned on its track's sequence before (or in) the packet that uses it. */
static void test_perfetto_python(void)
{
	const char *path = scratch_path("scene.gst");
	char *x;
	size_t len, nfn = 0;
	const char *want[] = { "hold Worker.run (app.py:12)", "wait fetch (app.py:40)",
			       "hold crunch (work.py:7)", "hold ?", "wait crunch (work.py:7)" };
	bool seen[5] = { false };
	struct { uint64_t seq, iid; } known[256];
	size_t nknown = 0, unknown_use = 0;

	if (py_scene_file(path, T0, 8))
		return;
	x = export_of(path, EXPORT_PERFETTO, &len);
	if (!x)
		return;
	const uint8_t *p = (const uint8_t *)x, *end = p + len;
	struct pb_field f, g, h, i;

	while (pb_next(&p, end, &f) == 1) {
		const uint8_t *q = f.p, *qe = f.p + f.len;
		uint64_t seq = 0, use = 0;

		if (f.num != 1)
			continue;
		while (pb_next(&q, qe, &g) == 1) {
			const uint8_t *r = g.p, *re = g.p + g.len;

			if (g.num == 10)
				seq = g.v;
			if (g.num == 12)	/* interned_data: event_names */
				while (pb_next(&r, re, &h) == 1) {
					const uint8_t *s = h.p, *se = h.p + h.len;
					uint64_t iid = 0;
					char name[128] = "";

					if (h.num != 2)
						continue;
					while (pb_next(&s, se, &i) == 1) {
						if (i.num == 1)
							iid = i.v;
						if (i.num == 2 && i.len < sizeof(name))
							memcpy(name, i.p, i.len);
					}
					if (iid >= 3 && nknown < 256) {
						known[nknown].seq = seq;
						known[nknown++].iid = iid;
						nfn++;
					}
					for (size_t k = 0; k < 5; k++)
						seen[k] |= !strcmp(name, want[k]);
				}
			if (g.num == 11)	/* track_event: name_iid */
				while (pb_next(&r, re, &h) == 1)
					if (h.num == 10)
						use = h.v;
		}
		if (use >= 3) {
			bool ok = false;

			for (size_t k = 0; k < nknown; k++)
				ok |= known[k].seq == seq && known[k].iid == use;
			unknown_use += !ok;
		}
	}
	for (size_t k = 0; k < 5; k++)
		CHECKF(seen[k], "no slice named %s", want[k]);
	CHECKF(unknown_use == 0, "%zu slices use a name not interned on their sequence", unknown_use);
	/* once per track: A's lock track has hold Worker.run and wait fetch,
	 * B's hold crunch, wait crunch and hold ? */
	CHECKF(nfn == 5, "%zu names interned", nfn);
	free(x);
}

int main(void)
{
	RUN(test_props_roundtrip);
	RUN(test_names_put);
	RUN(test_model_attribution);
	RUN(test_describe_python);
	RUN(test_funcstat);
	RUN(test_report_python);
	RUN(test_export_python);
	RUN(test_perfetto_python);
	return check_done();
}
