/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_report.c - the report's numbers and its exact JSON, on hand-built
 * events fed directly and on the same events written to a .gst file and
 * read back; the text summary's key lines. */
#include <errno.h>
#include "check.h"
#include "model/model.h"
#include "model/report.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

#define PID 100
#define A 101
#define B 102
#define K 900	/* an untraced task (-a) */
#define L 0x5000
#define US 1000ull
#define MS 1000000ull

#include "events.h"

/* sw() where K, an untraced task, may be one side */
static struct gs_event swk(uint64_t ts, uint16_t cpu, uint32_t prev, uint32_t next,
			   uint64_t prev_state)
{
	struct gs_event e = sw(ts, cpu, prev, next, prev_state);

	if (prev == K) {
		e.pid = K;
		e.flags &= ~GS_F_TRACED_PREV;
	}
	if (next == K) {
		e.arg0 = (uint64_t)K << 32 | K;
		e.flags &= ~GS_F_TRACED_NEXT;
	}
	return e;
}

/* A at 1 s on CPU0 and B on CPU1 hand the lock over twice; a kworker takes
 * CPU1 for 1 ms; the trace runs 20 ms. */
static size_t story(struct gs_event *e)
{
	size_t n = 0;
	uint64_t t0 = 1000 * MS;

	e[n] = name_ev(0, A, "worker-1"), e[n++].ts_ns = t0;
	e[n] = name_ev(0, B, "io \"1\""), e[n++].ts_ns = t0;
	e[n++] = swk(t0, 0, 0, A, 0);
	e[n++] = swk(t0, 1, 0, B, 0);
	e[n++] = ev(t0 + 500, GS_EV_LOCK_REQUEST, A, 0, L, 0);
	e[n++] = ev(t0 + 1000, GS_EV_LOCK_ACQUIRED, A, 0, L, 500);		/* wait 500 ns */
	e[n++] = ev(t0 + 2 * MS, GS_EV_LOCK_REQUEST, B, 1, L, 0);
	e[n++] = ev(t0 + 7 * MS, GS_EV_DROP_REQUEST, B, 1, L, A);
	e[n++] = ev(t0 + 7 * MS + 1000, GS_EV_LOCK_RELEASED, A, 0, L, 0);	/* hold ~7 ms */
	e[n++] = ev(t0 + 7 * MS + 3000, GS_EV_LOCK_ACQUIRED, B, 1, L, 0);	/* hand-off 2 us */
	e[n++] = ev(t0 + 7 * MS + 4000, GS_EV_LOCK_REQUEST, A, 0, L, 0);
	e[n++] = swk(t0 + 7 * MS + 5000, 0, A, 0, 1);				/* A sleeps */
	e[n++] = swk(t0 + 8 * MS, 1, B, K, 0);					/* kworker */
	e[n++] = swk(t0 + 9 * MS, 1, K, B, 1);
	e[n++] = ev(t0 + 10 * MS, GS_EV_SCHED_MIGRATE, A, 1, 0, 0);
	e[n++] = ev(t0 + 12 * MS, GS_EV_LOCK_RELEASED, B, 1, L, 0);		/* hold 5 ms - 3 us */
	e[n++] = ev(t0 + 12 * MS + 100, GS_EV_SCHED_WAKEUP, A, 1, 0, B);
	e[n++] = swk(t0 + 12 * MS + 200, 0, 0, A, 0);
	e[n++] = ev(t0 + 12 * MS + 300, GS_EV_LOCK_ACQUIRED, A, 0, L, 0);	/* hand-off 300 ns */
	e[n++] = ev(t0 + 20 * MS, GS_EV_LOST, 0, 0, 3, 0);
	return n;
}

/* what story() must give, exactly */
static const char want_json[] =
	"{\"trace\":{\"events\":20,\"lost\":3,\"duration_ns\":20000000,\"cpus\":2,"
	"\"command\":\"gilrt run cpu \\\"x\\\"\",\"clamped\":0,\"threads_folded\":0,"
	"\"locks_folded\":0,\"recovered\":false,"
	"\"unreadable\":[],\"overhead_ns\":null,\"overhead_pct\":null,"
	"\"program_cpu_ns\":null,\"overhead_probes\":[]},"
	"\"lock\":{\"acquisitions\":3,\"hold_ns\":19996700,"
	"\"hold_hist_log2_us\":[0,0,0,0,0,0,0,0,0,0,0,0,0,3],"
	"\"wait_hist_log2_us\":[1,0,0,0,0,0,0,0,0,0,0,0,0,2],"
	"\"handoffs\":2,\"handoff_p50_ns\":302},"
	"\"threads\":["
	"{\"pid\":100,\"tid\":101,\"name\":\"worker-1\",\"acquisitions\":2,\"hold_ns\":14999700,"
	"\"wait_ns\":4996800,\"cpu_ns\":15004800,\"ctx_switches\":1,\"migrations\":1},"
	"{\"pid\":100,\"tid\":102,\"name\":\"io \\\"1\\\"\",\"acquisitions\":1,\"hold_ns\":4997000,"
	"\"wait_ns\":5003000,\"cpu_ns\":19000000,\"ctx_switches\":1,\"migrations\":0}],"
	"\"cores\":[{\"cpu\":0,\"busy_ns\":15004800,\"lock_held_ns\":14999700},"
	"{\"cpu\":1,\"busy_ns\":19000000,\"lock_held_ns\":3997000}],"
	"\"parallelism\":1.700}\n";

static struct trace_meta meta(void)
{
	struct trace_meta m = { .ncpus = 2, .root_pid = PID, .clock_id = 1 };

	strcpy(m.command, "gilrt run cpu \"x\"");
	strcpy(m.host, "testhost");
	strcpy(m.adapter, "gilrt");
	return m;
}

static char *json_of(struct report *rp)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	CHECK(f && report_write_json(rp, f) == 0);
	if (f)
		fclose(f);
	return buf;
}

static void test_fed(void)
{
	struct gs_event e[64];
	size_t n = story(e);
	struct trace_meta tm = meta();
	struct report *rp;

	CHECK(report_new(&rp, &tm) == 0);
	CHECK(report_feed(rp, e, n) == 0);
	CHECK(report_finish(rp, NULL) == 0);
	CHECK(report_finish(rp, NULL) == 0);	/* twice: counts open spans once */
	CHECK(report_feed(rp, e, 1) == -EINVAL);
	const struct report_summary *s = report_summary(rp);

	CHECK(s->events == n && s->lost == 3 && s->duration_ns == 20 * MS);
	/* 300 ns lies in a 4 ns step of the hand-off histogram: its middle */
	CHECK(s->handoffs == 2 && s->handoff_p50_ns == 302);
	CHECKF(!strcmp(json_of(rp), want_json), "got  %s\nwant %s", json_of(rp), want_json);

	/* the text summary says the same */
	char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	CHECK(report_write_text(rp, f, false) == 0);
	fclose(f);
	CHECKF(strstr(buf, "command     gilrt run cpu \"x\"\n") &&
	       strstr(buf, "duration    20.0 ms, 20 events, 3 lost, 2 CPUs\n") &&
	       strstr(buf, "warning     3 events were lost") &&
	       strstr(buf, "  101     worker-1          2") &&
	       strstr(buf, "3 acquisitions, held 20.0 ms") &&
	       strstr(buf, "median 302 ns (2 hand-offs)") &&
	       strstr(buf, "  4-8 ms         ######################################## 3\n") &&
	       strstr(buf, "parallelism 1.70 cores busy on average, of 2\n") &&
	       !strstr(buf, "recovered"), "text:\n%s", buf);
	report_free(rp);
	report_free(NULL);
}

/* The same events through a real .gst file and the reader. */
static void test_file(void)
{
	char path[] = "/tmp/gilscope-test-report.XXXXXX";
	int fd = mkstemp(path);
	struct gs_event e[64];
	size_t n = story(e);
	struct trace_meta tm = meta();
	struct trace_writer_opts wo = { .block_events = 7 };	/* several blocks */
	struct trace_writer *w;
	struct trace_reader *r;
	struct report *rp;

	CHECK(fd >= 0);
	CHECK(trace_writer_fdopen(&w, fd, &tm, &wo) == 0);
	CHECK(trace_writer_append(w, e, n) == 0);
	CHECK(trace_writer_close(w) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	if (!r)
		return;
	CHECK(report_new(&rp, trace_reader_meta(r)) == 0);
	CHECK(report_read(rp, r) == 0);
	CHECKF(!strcmp(json_of(rp), want_json), "got  %s\nwant %s", json_of(rp), want_json);
	CHECK(!report_summary(rp)->recovered);
	report_free(rp);
	trace_reader_close(r);
	unlink(path);
}

/* No events: zeros, no division by zero, still valid JSON. */
static void test_empty(void)
{
	struct report *rp;

	CHECK(report_new(&rp, NULL) == 0);
	CHECK(report_finish(rp, NULL) == 0);
	CHECKF(!strcmp(json_of(rp),
		       "{\"trace\":{\"events\":0,\"lost\":0,\"duration_ns\":0,\"cpus\":1,"
		       "\"command\":\"\",\"clamped\":0,\"threads_folded\":0,\"locks_folded\":0,"
		       "\"recovered\":false,\"unreadable\":[],\"overhead_ns\":null,"
		       "\"overhead_pct\":null,\"program_cpu_ns\":null,\"overhead_probes\":[]},"
		       "\"lock\":{\"acquisitions\":0,\"hold_ns\":0,"
		       "\"hold_hist_log2_us\":[],\"wait_hist_log2_us\":[],\"handoffs\":0,"
		       "\"handoff_p50_ns\":0},"
		       "\"threads\":[],\"cores\":[{\"cpu\":0,\"busy_ns\":0,\"lock_held_ns\":0}],"
		       "\"parallelism\":0.000}\n"), "got %s", json_of(rp));
	report_free(rp);
}

/* Hand-off p50 over many values stays within its stated 0.8 %. */
static void test_handoff_p50(void)
{
	struct report *rp;
	struct gs_event e[3];
	uint64_t t = 1000;

	CHECK(report_new(&rp, NULL) == 0);
	/* 101 hand-offs of 10, 20, ..., 1010 us: median 510 us (the other
	 * thread asks while this one holds the lock) */
	for (int i = 0; i <= 101; i++) {
		uint32_t tid = i % 2 ? A : B, other = i % 2 ? B : A;

		e[0] = ev(t, GS_EV_LOCK_ACQUIRED, tid, 0, L, 0);
		e[1] = ev(t + 50 * US, GS_EV_LOCK_REQUEST, other, 1, L, 0);
		e[2] = ev(t + 100 * US, GS_EV_LOCK_RELEASED, tid, 0, L, 0);
		report_feed(rp, e, 3);
		t += 100 * US + (uint64_t)(i + 1) * 10 * US;
	}
	report_finish(rp, NULL);
	const struct report_summary *s = report_summary(rp);

	CHECK(s->handoffs == 101);
	CHECKF(s->handoff_p50_ns > 506 * US && s->handoff_p50_ns < 514 * US, "p50 %llu",
	       (unsigned long long)s->handoff_p50_ns);
	CHECK(s->acquisitions == 102 && s->hold_hist[7] == 102);	/* 64-128 us */
	report_free(rp);
}

/* What counts as a hand-off (model/handoff.h): the taker must have waited
 * across the release, in event order, and the release must be another
 * thread's. A RELEASED lost before the taker's ACQUIRED still hands off. */
static void test_handoff_definition(void)
{
	struct report *rp;
	size_t n = 0;
	struct gs_event e[32];
	uint64_t t = 1000 * MS;

	/* 1: B asks after A let go: the lock was free, no hand-off */
	e[n++] = ev(t, GS_EV_LOCK_ACQUIRED, A, 0, L, 0);
	e[n++] = ev(t + 10 * US, GS_EV_LOCK_RELEASED, A, 0, L, 0);
	e[n++] = ev(t + 10 * US, GS_EV_LOCK_REQUEST, B, 1, L, 0);	/* same ns, after */
	e[n++] = ev(t + 11 * US, GS_EV_LOCK_ACQUIRED, B, 1, L, 0);
	/* 2: A waits, B releases, A takes it: a hand-off of 4 us */
	e[n++] = ev(t + 20 * US, GS_EV_LOCK_REQUEST, A, 0, L, 0);
	e[n++] = ev(t + 30 * US, GS_EV_LOCK_RELEASED, B, 1, L, 0);
	e[n++] = ev(t + 34 * US, GS_EV_LOCK_ACQUIRED, A, 0, L, 0);
	/* 3: A lets go and takes it again while B waits: no hand-off */
	e[n++] = ev(t + 40 * US, GS_EV_LOCK_REQUEST, B, 1, L, 0);
	e[n++] = ev(t + 50 * US, GS_EV_LOCK_RELEASED, A, 0, L, 0);
	e[n++] = ev(t + 51 * US, GS_EV_LOCK_REQUEST, A, 0, L, 0);
	e[n++] = ev(t + 52 * US, GS_EV_LOCK_ACQUIRED, A, 0, L, 0);
	/* 4: A's RELEASED got lost; B, waiting since 3, takes the lock */
	e[n++] = ev(t + 60 * US, GS_EV_LOCK_ACQUIRED, B, 1, L, 0);
	/* 5: B fails a timed wait on another lock meanwhile: no effect */
	e[n++] = ev(t + 70 * US, GS_EV_LOCK_REQUEST, A, 0, L + 8, 0);
	e[n++] = ev(t + 71 * US, GS_EV_LOCK_FAILED, A, 0, L + 8, 1000);
	/* 6: as 2, hand-offs of 0 (4), 4 and 4 us */
	e[n++] = ev(t + 80 * US, GS_EV_LOCK_REQUEST, A, 0, L, 0);
	e[n++] = ev(t + 90 * US, GS_EV_LOCK_RELEASED, B, 1, L, 0);
	e[n++] = ev(t + 94 * US, GS_EV_LOCK_ACQUIRED, A, 0, L, 0);
	CHECK(report_new(&rp, NULL) == 0);
	CHECK(report_feed(rp, e, n) == 0);
	CHECK(report_finish(rp, NULL) == 0);
	const struct report_summary *s = report_summary(rp);

	CHECKF(s->handoffs == 3, "%llu hand-offs", (unsigned long long)s->handoffs);
	/* 4 us in the log-linear histogram: the middle of its step */
	CHECKF(s->handoff_p50_ns > 3968 && s->handoff_p50_ns < 4032, "p50 %llu",
	       (unsigned long long)s->handoff_p50_ns);
	CHECK(s->acquisitions == 6);
	report_free(rp);
}

static char *text_of(struct report *rp)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	CHECK(f && report_write_text(rp, f, false) == 0);
	if (f)
		fclose(f);
	return buf;
}

/* -a traces show other tasks' share; processes with a lock each, one line
 * per lock; a recovered file says so. */
static void test_text_variants(void)
{
	struct gs_event e[64];
	size_t n = story(e);
	struct trace_meta tm = meta();
	struct trace_info info = { .recovered = true, .bytes_unreadable = 1234 };
	struct report *rp;
	char *t;

	tm.flags = TRACE_META_ALL_TASKS;
	CHECK(report_new(&rp, &tm) == 0);
	report_feed(rp, e, n);
	report_finish(rp, &info);
	t = text_of(rp);
	CHECKF(strstr(t, "cores       busy (traced)   lock held   other tasks\n") &&
	       strstr(t, "  CPU1            95.0 %      20.0 %         5.0 %\n") &&
	       strstr(t, "recovered from a truncated file") && strstr(t, "1,234 bytes"),
	       "text:\n%s", t);
	report_free(rp);

	struct gs_event f[] = {
		ev(1000, GS_EV_LOCK_ACQUIRED, A, 0, L, 0),
		ev(2000, GS_EV_LOCK_ACQUIRED, 200, 1, L, 0),
		ev(3000, GS_EV_LOCK_RELEASED, A, 0, L, 0),
		ev(4000, GS_EV_LOCK_RELEASED, 200, 1, L, 0),
	};
	f[1].pid = f[3].pid = 200;
	CHECK(report_new(&rp, NULL) == 0);
	report_feed(rp, f, 4);
	report_finish(rp, NULL);
	t = text_of(rp);
	CHECKF(strstr(t, "locks       2 acquisitions of 2 locks, held 4.0 us in all") &&
	       strstr(t, "  pid 100     lock 0x5000: 1 acquisitions, held 2.0 us (66.7 %)\n") &&
	       strstr(t, "  pid 200     lock 0x5000: 1 acquisitions") &&
	       !strstr(t, "hand-off"), "text:\n%s", t);
	CHECK(report_summary(rp)->handoffs == 0);	/* two locks: no hand-off */
	report_free(rp);
}

/* Names come from the traced program: the JSON stays valid UTF-8 whatever
 * bytes they hold (a lone 0xff made Python's json.load fail once). */
static void test_json_names_utf8(void)
{
	struct gs_event e[4];
	struct report *rp;

	e[0] = name_ev(0, A, "bad\xff\xfe\x01x");
	e[1] = name_ev(0, B, "caf\xc3\xa9");
	e[2] = ev(1 * MS, GS_EV_LOCK_ACQUIRED, A, 0, L, 0);
	e[3] = ev(2 * MS, GS_EV_LOCK_ACQUIRED, B, 1, L, 0);
	e[0].ts_ns = e[1].ts_ns = 1 * MS;
	CHECK(report_new(&rp, NULL) == 0);
	CHECK(report_feed(rp, e, 4) == 0);
	CHECK(report_finish(rp, NULL) == 0);
	const char *j = json_of(rp);

	/* the name rule (fmt_printable) makes invalid bytes and controls '?';
	 * valid UTF-8 stays as it is */
	CHECKF(strstr(j, "\"name\":\"bad???x\"") && strstr(j, "\"name\":\"caf\xc3\xa9\""),
	       "%s", j);
	for (const unsigned char *p = (const unsigned char *)j; *p; p++)
		CHECKF(*p < 0x80 || *p == 0xc3 || *p == 0xa9, "raw byte 0x%02x in %s", *p, j);
	report_free(rp);
}

/* The tracing cost through a file: the writer's last cost record wins, the
 * report gives it in JSON and in words, with the warning past 5 %. */
static void test_cost(void)
{
	char path[] = "/tmp/gilscope-test-cost.XXXXXX";
	int fd = mkstemp(path);
	struct gs_event e[64];
	size_t n = story(e);
	struct trace_meta tm = meta();
	struct trace_cost c = { .ts_ns = 1, .span_ns = 2000000000, .program_cpu_ns = 10000000,
				.nrows = 2 };
	struct trace_writer *w;
	struct trace_reader *r;
	struct report *rp;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(c.row[0].probe, sizeof(c.row[0].probe), "gilrt:gil\x1b[2Jacquired");
	c.row[0].hits = 1000;
	c.row[0].ns_per_hit = 500;
	snprintf(c.row[1].probe, sizeof(c.row[1].probe), "scheduler tracepoints");
	c.row[1].hits = 10;
	c.row[1].ns_per_hit = 100;
	trace_cost_total(&c);
	CHECK(c.overhead_ns == 501000);
	CHECK(fd >= 0);
	CHECK(trace_writer_fdopen(&w, fd, &tm, NULL) == 0);
	CHECK(trace_writer_append(w, e, n / 2) == 0);
	c.row[0].hits = 1;	/* an earlier record: replaced by the last */
	CHECK(trace_writer_cost(w, &c) == 0);
	CHECK(trace_writer_flush(w) == 0);
	c.row[0].hits = 1000;
	CHECK(trace_writer_append(w, e + n / 2, n - n / 2) == 0);
	CHECK(trace_writer_cost(w, &c) == 0);
	CHECK(trace_writer_close(w) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	if (!r)
		return;
	CHECK(report_new(&rp, trace_reader_meta(r)) == 0);
	CHECK(report_read(rp, r) == 0);
	/* 501 us on 10 ms of which 9.499 ms the program's own: +5.27 % */
	CHECKF(strstr(json_of(rp), "\"overhead_ns\":501000,\"overhead_pct\":5.27,"
		      "\"program_cpu_ns\":10000000,\"overhead_probes\":[{\"probe\":"
		      "\"gilrt:gil?[2Jacquired\",\"hits\":1000,\"ns_per_hit\":500},"
		      "{\"probe\":\"scheduler tracepoints\",\"hits\":10,\"ns_per_hit\":100}]"),
	       "%s", json_of(rp));
	f = open_memstream(&out, &len);
	CHECK(f && report_write_text(rp, f, false) == 0);
	fclose(f);
	CHECKF(out && strstr(out, "cost        tracing cost ~501 us of CPU, +5.3 % on the program's "
			     "9.5 ms\n") &&
	       strstr(out, "warning: tracing slowed the program by 5 %: probe gilrt:gil?[2Jacquired "
		      "fired 500 times a second at ~500 ns each (100 % of the cost)"),
	       "%s", out ? out : "");
	free(out);
	report_free(rp);
	trace_reader_close(r);
	unlink(path);
}

int main(void)
{
	RUN(test_fed);
	RUN(test_cost);
	RUN(test_json_names_utf8);
	RUN(test_file);
	RUN(test_empty);
	RUN(test_handoff_p50);
	RUN(test_handoff_definition);
	RUN(test_text_variants);
	return check_done();
}
