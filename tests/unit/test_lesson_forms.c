/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_lesson_forms.c - a lesson's CPython form (python, python_version,
 * python_trace, python_step, python_claim), what a lesson may run, a run
 * whose program failed, and long holds counted on Python recordings. */
#include <errno.h>
#include <stdint.h>
#include "check.h"
#include "lesson/lesson.h"
#include "lessontest.h"

static const char two_forms[] =
	"title  Threads do not help\n"
	"about  one line\n"
	"run    cpu --threads 2 --seconds 2\n"
	"trace  threads.gst\n"
	"claim  parallelism <= 1.2\n"
	"step at 0.5 pause\n"
	"  gilrt one\n"
	"python        threads.py\n"
	"python_trace  py-threads.gst\n"
	"python_claim  long_holds >= 50\n"
	"python_claim  parallelism <= 1.2\n"
	"python_step at 0.3 pause\n"
	"  python one\n"
	"  python one, second line\n"
	/* a gilrt step after a Python one: its narration is gilrt's */
	"step end\n"
	"  gilrt end\n"
	"python_step end\n"
	"  python end\n";

/* Both forms parse; gilrt's shows until the CPython form is selected. */
static void test_forms(void)
{
	struct lesson *l = parse_ok(two_forms);

	if (!l)
		return;
	CHECK(!strcmp(lesson_python(l), "threads.py"));
	CHECK(lesson_python_major(l) == 3);
	CHECK(lesson_form(l) == LESSON_GILRT);
	CHECK(!strcmp(lesson_trace(l), "threads.gst"));
	CHECK(lesson_nsteps(l) == 2 && lesson_nclaims(l) == 1);
	CHECK(!strcmp(lesson_step(l, 0)->lines[0], "gilrt one"));
	CHECK(lesson_step(l, 1)->nlines == 1 && !strcmp(lesson_step(l, 1)->lines[0], "gilrt end"));

	CHECK(lesson_select_form(l, LESSON_PYTHON) == 0);
	CHECK(lesson_form(l) == LESSON_PYTHON);
	CHECK(!strcmp(lesson_trace(l), "py-threads.gst"));
	CHECK(lesson_nsteps(l) == 2 && lesson_nclaims(l) == 2);
	CHECK(lesson_step(l, 0)->trigger == LT_AT && lesson_step(l, 0)->at_ns == 300000000ull);
	CHECK(lesson_step(l, 0)->nlines == 2 && lesson_step(l, 0)->pause);
	CHECK(!strcmp(lesson_step(l, 1)->lines[0], "python end"));
	CHECK(lesson_claim(l, 0)->metric == LM_LONG_HOLDS && lesson_claim(l, 1)->metric == LM_PARALLELISM);
	CHECK(lesson_claim(l, 2) == NULL && lesson_step(l, 2) == NULL);
	/* gilrt's run line stays what it was: the form changes what is shown */
	CHECK(!strcmp(lesson_run_args(l), "cpu --threads 2 --seconds 2"));
	CHECK(lesson_select_form(l, LESSON_GILRT) == 0 && lesson_nclaims(l) == 1);
	lesson_free(l);

	/* python_version 2; a lesson without a CPython form cannot select one */
	static const char py2[] = "title a\nabout b\nrun cpu\ntrace d\nstep end\n  x\n"
				  "python legacy.py\npython_version 2\npython_trace p.gst\n"
				  "python_step end\n  y\n";
	l = parse_ok(py2);
	if (l)
		CHECK(lesson_python_major(l) == 2);
	lesson_free(l);
	l = parse_ok("title a\nabout b\nrun cpu\ntrace d\nstep end\n  x\n");
	CHECK(l && !lesson_python(l) && lesson_python_major(l) == 0);
	if (l)
		CHECK(lesson_select_form(l, LESSON_PYTHON) == -ENOENT && lesson_form(l) == LESSON_GILRT);
	lesson_free(l);
}

/* A script is a file name in lessons/py/: never a path, an option or
 * anything but a .py name; the CPython form is complete or refused. */
static void test_forms_bad(void)
{
	static const char base[] = "title a\nabout b\nrun cpu\ntrace d\nstep end\n  x\n";
	static const struct {
		const char *tail;
		const char *want;
	} cases[] = {
		{ "python ../../etc/x.py\n", "not a path" },
		{ "python /tmp/x.py\n", "not a path" },
		{ "python x.sh\n", "ending in .py" },
		{ "python .py\n", "ending in .py" },
		{ "python -m.py\n", "not a path" },
		{ "python a b.py\n", "not a path" },
		{ "python x.py\npython y.py\npython_trace p\npython_step end\n  y\n", "given twice" },
		{ "python_trace p.gst\n", "python_* keys without 'python'" },
		{ "python_step end\n  y\n", "python_* keys without 'python'" },
		{ "python_claim threads >= 1\n", "python_* keys without 'python'" },
		{ "python x.py\npython_step end\n  y\n", "no 'python_trace'" },
		{ "python x.py\npython_trace p.gst\n", "no 'python_step'" },
		{ "python x.py\npython_trace ../p.gst\n", "python_trace: a file name in traces/" },
		{ "python x.py\npython_trace p\npython_version 4\npython_step end\n  y\n",
		  "python_version: 2 or 3" },
		{ "python x.py\npython_trace p\npython_step end\npython_step end\n  y\n",
		  "the step before has no narration" },
		{ "python x.py\npython_trace p\npython_step end\n  y\npython_step at 1\n  z\n",
		  "only 'end' steps" },
		{ "python x.py\npython_trace p\npython_step end\n", "last python_step has no narration" },
		{ "python x.py\npython_trace p\npython_claim speed > 1\npython_step end\n  y\n",
		  "unknown metric 'speed'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], err[200];
		int rc;

		snprintf(text, sizeof(text), "%s%s", base, cases[i].tail);
		struct lesson *l = parse(text, err, sizeof(err), &rc);
		CHECKF(rc == -EINVAL && !l, "case %zu: rc %d", i, rc);
		CHECKF(strstr(err, cases[i].want), "case %zu: got '%s', want '%s'", i, err,
		       cases[i].want);
		lesson_free(l);
	}
	char err[160];
	CHECK(lesson_check_script("threads.py", err, sizeof(err)) == 0);
	CHECK(lesson_check_script("my_lesson-2.py", err, sizeof(err)) == 0);
	CHECK(lesson_check_script("x.py\n", err, sizeof(err)) == -EINVAL);
	CHECK(lesson_check_run("cpu --threads 2", err, sizeof(err)) == 0);
	CHECK(lesson_check_run("cpu --threads", err, sizeof(err)) == -EINVAL &&
	      strstr(err, "needs a value"));
}

/* A CPython recording's releases carry the function that held the lock
 * (GS_F_FUNC), not the hold's length: long holds are counted from the
 * model's spans, as the report does (0 before). */
static void test_long_holds_python(void)
{
	static const char text[] = "title a\nabout b\nrun c\ntrace d\nclaim long_holds >= 2\n"
				   "step end\n  bye\n";
	struct lesson *l;
	struct lesson_run *r = run_of(text, &(struct lesson_run_opts){ .ncpus = 2 }, &l);

	if (!r)
		return;
	struct gs_event e[] = {
		ev(0, 1, GS_EV_LOCK_REQUEST, 1, 7),
		ev(0, 1, GS_EV_LOCK_ACQUIRED, 1, 0),
		ev(1, 2, GS_EV_LOCK_REQUEST, 1, 7),
		ev(5, 1, GS_EV_LOCK_RELEASED, 1, 7),	/* held 5 ms, in function 7 */
		ev(5, 2, GS_EV_LOCK_ACQUIRED, 1, 0),	/* waited 4 ms, not said */
		ev(5, 1, GS_EV_LOCK_REQUEST, 1, 7),
		ev(5, 1, GS_EV_LOCK_ACQUIRED, 1, 0),	/* not before 2 lets go: */
	};
	e[0].flags = e[2].flags = e[3].flags = e[5].flags = GS_F_FUNC;
	e[6].ts_ns += 9000000;			/* ... 9 ms later */
	struct gs_event rel = ev(14, 2, GS_EV_LOCK_RELEASED, 1, 7);
	rel.flags = GS_F_FUNC;
	for (size_t i = 0; i < 6; i++)
		lesson_run_event(r, &e[i]);
	lesson_run_event(r, &rel);
	lesson_run_event(r, &e[6]);
	lesson_run_end(r, 0);
	CHECKF(lesson_run_metric(r, LM_LONG_HOLDS) == 2, "%g long holds",
	       lesson_run_metric(r, LM_LONG_HOLDS));
	CHECKF(lesson_run_metric(r, LM_LONG_WAITS) == 2, "%g long waits",
	       lesson_run_metric(r, LM_LONG_WAITS));
	lesson_run_free(r);
	lesson_free(l);
}

/* A program that fails ends the narration at once: no step waits, no
 * claim is judged, the table says why. */
static void test_run_failed(void)
{
	static const char text[] = "title a\nabout b\nrun c\ntrace d\nclaim acquisitions >= 0\n"
				   "step at 0.5 pause\n  first\nstep end pause\n  bye\n";
	char buf[20 * 90];
	struct lesson *l;
	struct lesson_run *r = run_of(text, &(struct lesson_run_opts){ .ncpus = 2 }, &l);

	if (!r)
		return;
	struct gs_event e = ev(0, 1, GS_EV_LOCK_ACQUIRED, 1, 0);
	lesson_run_event(r, &e);
	CHECK(!lesson_run_done(r) && !lesson_run_failed(r));
	lesson_run_fail(r, "exit status 1");
	CHECK(lesson_run_failed(r) && lesson_run_cut(r) && lesson_run_done(r));
	CHECK(lesson_run_over(r) && !lesson_run_paused(r));
	CHECK(lesson_run_current(r) == -1);	/* the first step never came */
	lesson_run_time(r, 1000000000ull + 900000000ull);
	CHECK(lesson_run_current(r) == -1);
	size_t n = lesson_run_table(r, buf, 90, 20);
	bool why = false, judged = false;
	for (size_t i = 0; i < n; i++) {
		why |= strstr(buf + i * 90, "then the program failed (exit status 1)") != NULL;
		judged |= strstr(buf + i * 90, "yes") || strstr(buf + i * 90, "NO");
		if (strstr(buf + i * 90, "expected acquisitions"))
			CHECKF(strstr(buf + i * 90, "not judged (it failed)"), "%s", buf + i * 90);
	}
	CHECK(why && !judged);
	lesson_run_free(r);

	/* a run that ended first is not failed afterwards */
	CHECK(lesson_run_new(&r, l, &(struct lesson_run_opts){ .ncpus = 2 }) == 0);
	lesson_run_event(r, &e);
	lesson_run_end(r, 0);
	lesson_run_fail(r, "exit status 1");
	CHECK(!lesson_run_failed(r) && !lesson_run_cut(r));
	lesson_run_free(r);
	lesson_free(l);
}

/* A failed program's last lines, as they are. */
static void test_output_tail(void)
{
	char buf[128];
	const char *tb = "starting\nTraceback (most recent call last):\n  File \"x.py\", line 3\n"
			 "ZeroDivisionError: division by zero\n\n";

	lesson_output_tail(buf, sizeof(buf), tb, 2);
	CHECKF(!strcmp(buf, "  File \"x.py\", line 3\nZeroDivisionError: division by zero"), "'%s'", buf);
	lesson_output_tail(buf, sizeof(buf), tb, 100);
	CHECKF(!strncmp(buf, "starting\n", 9) && buf[strlen(buf) - 1] == 'o', "'%s'", buf);
	lesson_output_tail(buf, sizeof(buf), "", 3);
	CHECK(buf[0] == '\0');
	lesson_output_tail(buf, sizeof(buf), "one line, no newline", 1);
	CHECK(!strcmp(buf, "one line, no newline"));
	lesson_output_tail(buf, 6, tb, 1);
	CHECK(!strcmp(buf, "ZeroD"));
}

int main(void)
{
	RUN(test_forms);
	RUN(test_forms_bad);
	RUN(test_long_holds_python);
	RUN(test_run_failed);
	RUN(test_output_tail);
	return check_done();
}
