/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_lesson.c - the lesson file parser and the narration state machine. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <math.h>
#include "check.h"
#include "trace/trace_cost.h"
#include "lesson/lesson.h"
#include "lessontest.h"

static const char good[] =
	"# a comment\n"
	"title  Threads do not help\n"
	"about  one line\n"
	"notes  3\n"
	"run    cpu --threads 2 --seconds 2\n"
	"trace  threads.gst\n"
	"claim  parallelism <= 1.2\n"
	"claim  acquisitions >= 100\n"
	"\n"
	"step at 0.5 pause\n"
	"  first line\n"
	"\tsecond line   \n"
	"step on drop_request\n"
	"  asked to drop\n"
	"step on acquired 3 pause\n"
	"  third acquisition\n"
	"step at 250ms\n"
	"  quarter\n"
	"step end\n"
	"  bye\n";

static void test_parse_good(void)
{
	struct lesson *l = parse_ok(good);

	if (!l)
		return;
	CHECK(!strcmp(lesson_name(l), "t"));
	CHECK(!strcmp(lesson_title(l), "Threads do not help"));
	CHECK(!strcmp(lesson_about(l), "one line"));
	CHECK(!strcmp(lesson_notes(l), "3"));
	CHECK(!strcmp(lesson_run_args(l), "cpu --threads 2 --seconds 2"));
	CHECK(!strcmp(lesson_trace(l), "threads.gst"));
	CHECK(lesson_nclaims(l) == 2);
	CHECK(lesson_claim(l, 0)->metric == LM_PARALLELISM);
	CHECK(lesson_claim(l, 0)->op == LO_LE);
	CHECK(lesson_claim(l, 0)->value == 1.2);
	CHECK(lesson_claim(l, 1)->op == LO_GE);
	CHECK(lesson_nsteps(l) == 5);
	const struct lesson_step *s = lesson_step(l, 0);
	CHECK(s->trigger == LT_AT && s->at_ns == 500000000ull && s->pause);
	CHECK(s->nlines == 2 && !strcmp(s->lines[0], "first line") &&
	      !strcmp(s->lines[1], "second line"));
	s = lesson_step(l, 1);
	CHECK(s->trigger == LT_ON && s->ev_type == GS_EV_DROP_REQUEST && s->count == 1 && !s->pause);
	s = lesson_step(l, 2);
	CHECK(s->trigger == LT_ON && s->ev_type == GS_EV_LOCK_ACQUIRED && s->count == 3 && s->pause);
	s = lesson_step(l, 3);
	CHECK(s->trigger == LT_AT && s->at_ns == 250000000ull);
	CHECK(lesson_step(l, 4)->trigger == LT_END);
	CHECK(lesson_step(l, 5) == NULL);
	lesson_free(l);
}

/* Each bad lesson fails with a message naming the line and the reason. */
static void test_parse_bad(void)
{
	static const struct {
		const char *text;
		const char *want;	/* substring of the error */
	} cases[] = {
		{ "title a\nabout b\nrun c\ntrace d\n", "no 'step'" },
		{ "about b\nrun c\ntrace d\nstep end\n  x\n", "no 'title'" },
		{ "title a\nabout b\nrun c\nstep end\n  x\n", "no 'trace'" },
		{ "title a\ntitle b\n", "line 2: 'title' given twice" },
		{ "title a\nfoo bar\n", "line 2: unknown key 'foo'" },
		{ "  narration first\n", "line 1: indented narration before" },
		{ "title a\nstep sometime\n  x\n", "unknown trigger 'sometime'" },
		{ "title a\nstep at soon\n  x\n", "step at:" },
		{ "title a\nstep at -1\n  x\n", "step at:" },
		{ "title a\nstep at 2h\n  x\n", "step at:" },
		{ "title a\nstep on nothing\n  x\n", "unknown event 'nothing'" },
		{ "title a\nstep on acquired 0\n  x\n", "count must be" },
		{ "title a\nstep on acquired -3\n  x\n", "count must be" },
		{ "title a\nstep on acquired 2x\n  x\n", "count must be" },
		{ "title a\nstep end later\n  x\n", "step end: unexpected" },
		{ "title a\nstep at 1 pause pause pause\n  x\n", "too many words" },
		{ "title a\nstep at 1\nstep at 2\n  x\n", "line 3: the step before has no narration" },
		{ "title a\nabout b\nrun c\ntrace d\nstep at 1\n", "last step has no narration" },
		{ "title a\nstep end\n  x\nstep at 1\n  y\n", "only 'end' steps" },
		{ "title a\nclaim speed >= 2\n", "unknown metric 'speed'" },
		{ "title a\nclaim parallelism ~ 2\n", "unknown operator" },
		{ "title a\nclaim parallelism >= two\n", "not a number" },
		{ "title a\nclaim parallelism >= 2x\n", "not a number" },
		{ "title a\nclaim parallelism >=\n", "expected METRIC OP VALUE" },
		{ "title a\ntrace ../etc/passwd\n", "not a path" },
		{ "title\n", "'title' needs a value" },
		/* run is data: a scenario and the options a lesson may set, no paths */
		{ "title a\nrun cpu --stats-json /etc/shadow\n", "'--stats-json' is not an option" },
		{ "title a\nrun cpu --threads\n", "--threads needs a value" },
		{ "title a\nrun cpu --threads 1000\n", "--threads takes a number from 1 to 64" },
		{ "title a\nrun cpu --seconds /tmp/x\n", "--seconds takes a number" },
		{ "title a\nrun cpu --policy evil\n", "--policy is one of: new legacy fifo none" },
		{ "title a\nrun ../gilrt cpu\n", "starts with a gilrt scenario name" },
		{ "title a\nrun cpu; rm -rf /\n", "starts with a gilrt scenario name" },
		{ "title a\nrun cpu -o x\n", "'-o' is not an option" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[160];
		int rc;
		struct lesson *l = parse(cases[i].text, err, sizeof(err), &rc);
		CHECKF(rc == -EINVAL && !l, "case %zu: rc %d", i, rc);
		CHECKF(strstr(err, cases[i].want), "case %zu: got '%s', want '%s'", i, err,
		       cases[i].want);
		lesson_free(l);
	}
}

/* Lesson text reaches a projector: no escape sequences get through, and an
 * error quotes at most a little of the file. */
static void test_parse_sanitized(void)
{
	int rc;
	char err[160];
	struct lesson *l = parse("title evil\x1b[2J\x9b" "31m\xc2\x9b" "ok\xc3\xa9\n"
				 "about a\x07" "b\tc\n"
				 "run cpu --threads 2\ntrace x.gst\nstep end\n  line\x1b]0;t\x07\n",
				 err, sizeof(err), &rc);

	CHECKF(l && rc == 0, "%d %s", rc, err);
	if (!l)
		return;
	CHECKF(!strcmp(lesson_title(l), "evil?[2J?31m?ok\xc3\xa9"), "%s", lesson_title(l));
	CHECKF(!strcmp(lesson_about(l), "a?b c"), "%s", lesson_about(l));
	CHECKF(!strcmp(lesson_step(l, 0)->lines[0], "line?]0;t?"), "%s", lesson_step(l, 0)->lines[0]);
	lesson_free(l);
	/* the unknown key of a file that is not a lesson (say, a secret) is cut short */
	l = parse("root:$6$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ:19000:0:99999:7:::\n",
		  err, sizeof(err), &rc);
	CHECKF(!l && strlen(err) < 80 && !strstr(err, "ABCDEFGHIJ"), "%s", err);
}

static void test_parse_limits(void)
{
	char err[128];
	int rc;
	/* 11 narration lines in one step */
	char text[4096] = "title a\nabout b\nrun c\ntrace d\nstep end\n";
	for (int i = 0; i < LESSON_MAX_LINES + 1; i++)
		strcat(text, "  line\n");
	struct lesson *l = parse(text, err, sizeof(err), &rc);
	CHECKF(!l && strstr(err, "more than"), "%s", err);
	/* a line too long for the panel */
	char longl[512] = "title a\nstep end\n  ";
	memset(longl + strlen(longl), 'x', 200);
	l = parse(longl, err, sizeof(err), &rc);
	CHECKF(!l && strstr(err, "longer than"), "%s", err);
	/* NUL inside */
	static const char nul[] = "title a\0b\n";
	rc = lesson_parse(&l, "t", nul, sizeof(nul) - 1, err, sizeof(err));
	CHECK(rc == -EINVAL && !l);
	lesson_free(NULL);
}

static void test_split_args(void)
{
	char **argv;
	int n = lesson_split_args("  cpu  --threads 2\t--seconds 1 ", 2, &argv);
	CHECK(n == 7);
	CHECK(argv[0] == NULL && argv[1] == NULL);
	CHECK(!strcmp(argv[2], "cpu") && !strcmp(argv[3], "--threads") &&
	      !strcmp(argv[4], "2") && !strcmp(argv[6], "1") && argv[7] == NULL);
	free(argv);
	n = lesson_split_args("", 0, &argv);
	CHECK(n == 0 && argv[0] == NULL);
	free(argv);
}

/* Steps come in order, pause until continued, latch events, and at the end
 * the unreached ones are shown as missed. */
static void test_run_steps(void)
{
	struct lesson *l;
	struct lesson_run *r = run_of(good, &(struct lesson_run_opts){ .ncpus = 2 }, &l);

	if (!r)
		return;
	CHECK(lesson_run_current(r) == -1);

	struct gs_event e = ev(0, 1, GS_EV_LOCK_REQUEST, 0x10, 0);
	lesson_run_event(r, &e);
	e = ev(0, 1, GS_EV_LOCK_ACQUIRED, 0x10, 0);
	lesson_run_event(r, &e);
	/* the drop request comes before step 0 is even due: it must latch */
	e = ev(100, 2, GS_EV_DROP_REQUEST, 0x10, 1);
	lesson_run_event(r, &e);
	CHECK(lesson_run_current(r) == -1);
	lesson_run_time(r, 1000000000ull + 499000000ull);
	CHECK(lesson_run_current(r) == -1);
	CHECK(!lesson_run_changed(r));
	lesson_run_time(r, 1000000000ull + 500000000ull);
	CHECK(lesson_run_current(r) == 0);
	CHECK(lesson_run_paused(r));
	CHECK(lesson_run_changed(r));
	CHECK(!lesson_run_changed(r));
	CHECK(lesson_run_shown_at(r, 0) == 500000000ull);
	/* time goes on while paused: nothing moves */
	lesson_run_time(r, 1000000000ull + 900000000ull);
	CHECK(lesson_run_current(r) == 0);
	/* go on: step 1 (latched drop request) at once, step 2 waits for a third acquisition */
	lesson_run_continue(r);
	CHECK(lesson_run_current(r) == 1);
	CHECK(!lesson_run_paused(r));
	e = ev(950, 2, GS_EV_LOCK_ACQUIRED, 0x10, 2000000);
	lesson_run_event(r, &e);
	CHECK(lesson_run_current(r) == 1);
	e = ev(960, 1, GS_EV_LOCK_ACQUIRED, 0x10, 0);
	lesson_run_event(r, &e);
	CHECK(lesson_run_current(r) == 2 && lesson_run_paused(r));
	lesson_run_continue(r);
	/* step 3 (at 250 ms) is long past: it comes at once */
	CHECK(lesson_run_current(r) == 3);
	CHECK(!lesson_run_done(r) && !lesson_run_ended(r));
	lesson_run_end(r, 0);
	CHECK(lesson_run_current(r) == 4);
	CHECK(lesson_run_done(r));
	CHECK(!lesson_run_missed(r, 3) && !lesson_run_missed(r, 4));

	char text[256];
	lesson_run_text(r, 0, text, sizeof(text));
	CHECKF(!strcmp(text, "first line\nsecond line"), "'%s'", text);
	CHECK(lesson_run_metric(r, LM_ACQUISITIONS) == 3);
	CHECK(lesson_run_metric(r, LM_LONG_WAITS) == 1);
	lesson_run_free(r);
	lesson_free(l);
}

static void test_run_missed(void)
{
	static const char text[] =
		"title a\nabout b\nrun c\ntrace d\n"
		"step on native_begin pause\n  native\n"
		"step end\n  bye\n";
	struct lesson *l;
	struct lesson_run *r = run_of(text, NULL, &l);

	if (!r)
		return;
	struct gs_event e = ev(0, 1, GS_EV_LOCK_ACQUIRED, 0x10, 0);
	lesson_run_event(r, &e);
	lesson_run_end(r, 0);
	/* the native step is shown anyway, marked missed, and still pauses */
	CHECK(lesson_run_current(r) == 0 && lesson_run_missed(r, 0) && lesson_run_paused(r));
	CHECK(!lesson_run_done(r));
	char buf[256];
	lesson_run_text(r, 0, buf, sizeof(buf));
	CHECKF(strstr(buf, "did not happen"), "'%s'", buf);
	lesson_run_continue(r);
	CHECK(lesson_run_current(r) == 1 && !lesson_run_missed(r, 1) && lesson_run_done(r));
	/* a tiny buffer is cut, never overrun */
	char tiny[4];
	CHECK(lesson_run_text(r, 0, tiny, sizeof(tiny)) == 3 && !strcmp(tiny, "nat"));
	lesson_run_free(r);
	lesson_free(l);
}

/* The table: two threads taking turns on one lock over 10 ms. */
static void test_run_table(void)
{
	static const char text[] =
		"title a\nabout b\nrun c\ntrace d\nclaim parallelism <= 1.2\n"
		"claim acquisitions >= 100\nstep end\n  bye\n";
	struct lesson *l;
	struct lesson_run *r = run_of(text, &(struct lesson_run_opts){ .ncpus = 2 }, &l);

	if (!r)
		return;
	struct gs_event e = ev(0, 1, GS_EV_SCHED_SWITCH, 0, 1 | (100ull << 32));
	e.tid = 0;
	e.pid = 0;
	e.arg0 = 1 | (100ull << 32);
	e.arg1 = 0;
	e.flags = GS_F_TRACED_NEXT;
	lesson_run_event(r, &e);
	e = ev(0, 1, GS_EV_LOCK_ACQUIRED, 0x10, 0);
	lesson_run_event(r, &e);
	e = ev(5, 1, GS_EV_LOCK_RELEASED, 0x10, 5000000);
	lesson_run_event(r, &e);
	e = ev(5, 2, GS_EV_LOCK_ACQUIRED, 0x10, 5000000);
	lesson_run_event(r, &e);
	e = ev(10, 2, GS_EV_LOCK_RELEASED, 0x10, 5000000);
	lesson_run_event(r, &e);
	lesson_run_end(r, 0);
	CHECK(lesson_run_metric(r, LM_ACQUISITIONS) == 2);
	CHECK(lesson_run_metric(r, LM_LONG_HOLDS) == 2);
	CHECK(lesson_run_metric(r, LM_ACQ_PER_S) > 199 && lesson_run_metric(r, LM_ACQ_PER_S) < 201);
	char buf[20 * 80];
	size_t n = lesson_run_table(r, buf, 80, 20);
	CHECK(n >= 7);
	bool claim_yes = false, claim_no = false;
	for (size_t i = 0; i < n; i++) {
		const char *row = buf + i * 80;
		CHECK(strlen(row) < 80);
		if (strstr(row, "expected parallelism <= 1.2") && strstr(row, "yes"))
			claim_yes = true;
		if (strstr(row, "expected acquisitions >= 100") && strstr(row, "NO"))
			claim_no = true;
	}
	CHECK(claim_yes && claim_no);
	bool other = false;
	for (size_t i = 0; i < n; i++)
		other |= strstr(buf + i * 80, "other programs") != NULL;
	CHECK(!other);
	/* the machine was busier than the traced program: the table says so */
	lesson_run_set_machine_busy(r, 1.9);
	n = lesson_run_table(r, buf, 80, 20);
	for (size_t i = 0; i < n; i++)
		other |= strstr(buf + i * 80, "other programs") != NULL;
	CHECK(other);
	/* taken_back: worker 2 took the lock worker 1 had just released */
	CHECK(lesson_run_metric(r, LM_TAKEN_BACK) == 0);
	/* the tracing cost, when known, is a row of its own */
	bool cost_row = false;
	for (size_t i = 0; i < n; i++)
		cost_row |= strstr(buf + i * 80, "tracing cost") != NULL;
	CHECK(!cost_row);
	struct trace_cost c = { .span_ns = 10000000, .program_cpu_ns = 10000000, .nrows = 1 };
	snprintf(c.row[0].probe, sizeof(c.row[0].probe), "PyThread_release_lock");
	c.row[0].hits = 1000;
	c.row[0].ns_per_hit = 5000;
	trace_cost_total(&c);
	lesson_run_set_cost(r, &c);
	n = lesson_run_table(r, buf, 80, 20);
	for (size_t i = 0; i < n; i++)
		if (strstr(buf + i * 80, "tracing cost"))
			cost_row = strstr(buf + i * 80, "+100") != NULL;
	CHECKF(cost_row, "%s", buf + 8 * 80);
	/* too few rows: cut, never overrun */
	CHECK(lesson_run_table(r, buf, 80, 3) == 3);
	CHECK(lesson_run_table(r, buf, 10, 20) >= 7 && strlen(buf) == 9);
	lesson_run_free(r);
	lesson_free(l);
}

/* taken_back: the share of acquisitions by the thread that had just
 * released that lock (Python 2's battle), a claim like any other. */
static void test_run_taken_back(void)
{
	static const char text[] = "title a\nabout b\nrun c\ntrace d\nclaim taken_back >= 0.6\n"
				   "step end\n  bye\n";
	static const struct { uint32_t tid; int type; } evs[] = {
		{ 1, GS_EV_LOCK_ACQUIRED }, { 1, GS_EV_LOCK_RELEASED }, { 1, GS_EV_LOCK_ACQUIRED },
		{ 1, GS_EV_LOCK_RELEASED }, { 2, GS_EV_LOCK_ACQUIRED }, { 2, GS_EV_LOCK_RELEASED },
		{ 2, GS_EV_LOCK_ACQUIRED }, { 2, GS_EV_LOCK_RELEASED },
	};
	char err[128];
	int rc;
	struct lesson *l = parse(text, err, sizeof(err), &rc);
	struct lesson_run *r;

	CHECKF(l, "%s", err);
	if (!l)
		return;
	CHECK(lesson_claim(l, 0)->metric == LM_TAKEN_BACK);
	CHECK(lesson_run_new(&r, l, NULL) == 0);
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		struct gs_event e = ev(i, evs[i].tid, evs[i].type, 0x10, 0);
		lesson_run_event(r, &e);
	}
	lesson_run_end(r, 0);
	/* 4 acquisitions: the first, two taken straight back, one hand-off */
	CHECKF(fabs(lesson_run_metric(r, LM_TAKEN_BACK) - 0.5) < 1e-9, "%g",
	       lesson_run_metric(r, LM_TAKEN_BACK));
	lesson_run_free(r);
	lesson_free(l);
}

/* File names give lesson names; what is not a small regular file is refused. */
static void test_load(void)
{
	char dir[] = "/tmp/test_lesson.XXXXXX", path[256], err[160];
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/07-convoy.lesson", dir);
	FILE *f = fopen(path, "w");
	CHECK(f);
	if (!f)
		return;
	fputs(good, f);
	fclose(f);
	struct lesson *l;
	CHECK(lesson_load(&l, path, err, sizeof(err)) == 0);
	CHECK(l && !strcmp(lesson_name(l), "convoy"));
	lesson_free(l);
	/* too big */
	f = fopen(path, "a");
	for (int i = 0; f && i < 70000 / 8; i++)
		fputs("# pad..\n", f);
	if (f)
		fclose(f);
	CHECK(lesson_load(&l, path, err, sizeof(err)) == -EINVAL && !l);
	CHECKF(strstr(err, "not a lesson file"), "%s", err);
	unlink(path);
	CHECK(lesson_load(&l, path, err, sizeof(err)) == -ENOENT && !l);
	CHECK(lesson_load(&l, dir, err, sizeof(err)) == -EINVAL && !l);
	rmdir(dir);
}

/* Random damage to a good lesson: parsed or refused, never a crash (ASan). */
static void test_parse_damaged(void)
{
	uint64_t x = 42;
	size_t len = strlen(good), parsed = 0;
	char buf[sizeof(good)], err[160];
	for (int round = 0; round < 3000; round++) {
		memcpy(buf, good, len);
		for (int k = 0; k < 1 + round % 6; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t at = (size_t)(x % len);
			static const char junk[] = " \t\n#-0123456789.steponatendpause<=>\xff\x01";
			buf[at] = junk[(x >> 32) % (sizeof(junk) - 1)];
		}
		struct lesson *l = NULL;
		int rc = lesson_parse(&l, "d", buf, len - (size_t)(x >> 40) % 8, err, sizeof(err));
		CHECK((rc == 0) == (l != NULL));
		CHECK(rc == 0 || rc == -EINVAL);
		if (l) {
			parsed++;
			struct lesson_run *r;
			if (lesson_run_new(&r, l, NULL) == 0) {
				lesson_run_end(r, 0);
				while (!lesson_run_done(r))
					lesson_run_continue(r);
				char tab[8 * 60];
				lesson_run_table(r, tab, 60, 8);
				lesson_run_free(r);
			}
		}
		lesson_free(l);
	}
	CHECKF(parsed > 0, "no damaged lesson parsed at all");
}

/* gilrt's summary lines, without its tables and histograms. */
static void test_output_summary(void)
{
	static const char out[] =
		"gilrt unsafe: 2 workers, policy none\n"
		"  thread   tid  acq\n"
		"  main     1    0\n"
		"lock: 0 acquisitions\n"
		"work: 5 units\n"
		"shared counter: expected 10, got 7\n"
		"hold times (log2 buckets):\n"
		"      32ns .. 64ns  1 #\n"
		"CORRUPTION DETECTED: lost updates\n";
	char buf[256];
	lesson_output_summary(buf, sizeof(buf), out);
	CHECKF(!strcmp(buf, "work: 5 units\nshared counter: expected 10, got 7\n"
			    "CORRUPTION DETECTED: lost updates") ||
	       !strcmp(buf, "lock: 0 acquisitions\nwork: 5 units\n"
			    "shared counter: expected 10, got 7\nCORRUPTION DETECTED: lost updates"),
	       "'%s'", buf);
	char tiny[8];
	lesson_output_summary(tiny, sizeof(tiny), out);
	CHECK(strlen(tiny) == 7);
	lesson_output_summary(buf, sizeof(buf), "");
	CHECK(buf[0] == '\0');
}

/* Every shipped lesson parses. */
static void test_shipped_lessons(void)
{
	DIR *d = opendir("lessons");
	CHECK(d);
	if (!d)
		return;
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 8 || strcmp(de->d_name + len - 7, ".lesson"))
			continue;
		char path[512], err[160];
		snprintf(path, sizeof(path), "lessons/%s", de->d_name);
		struct lesson *l;
		int rc = lesson_load(&l, path, err, sizeof(err));
		CHECKF(rc == 0, "%s: %s", path, err);
		if (rc == 0) {
			CHECK(lesson_nclaims(l) >= 1);
			CHECK(lesson_step(l, lesson_nsteps(l) - 1)->trigger == LT_END);
			CHECKF(!strchr(lesson_name(l), '-'), "%s", lesson_name(l));
		}
		lesson_free(l);
		n++;
	}
	closedir(d);
	CHECKF(n >= 10, "%d lessons", n);
}

int main(void)
{
	RUN(test_parse_good);
	RUN(test_parse_bad);
	RUN(test_parse_sanitized);
	RUN(test_parse_limits);
	RUN(test_split_args);
	RUN(test_run_steps);
	RUN(test_run_missed);
	RUN(test_run_table);
	RUN(test_run_taken_back);
	RUN(test_load);
	RUN(test_parse_damaged);
	RUN(test_output_summary);
	RUN(test_shipped_lessons);
	return check_done();
}
