/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_topfunc.c - `top`'s function column on a real CPython (root, BPF):
 * tests/progs/py_funcs.py under Debian's python3.11-dbg (make deps; missing
 * is a failure under CI=true), watched as `top` watches it (record/gilwatch.h
 * with functions, then model/toprows.h as the view gets its rows). Its
 * thread "cruncher" spins in crunch() and "sleeper" naps in nap_loop(),
 * releasing the GIL at every nap. Within 60 s (a loaded machine: reading
 * the interpreter's DWARF takes seconds), snapshots taken every 0.3 s must
 * give: the process row "crunch" (where nearly all of its GIL
 * time goes), cruncher's row "crunch" and sleeper's row "nap_loop" (a hold
 * belongs to the function that lets go). Also: with the functions off (as
 * with --no-names, and the exporter) the rows have none, whatever runs;
 * a hold still going on counts for the function its thread runs now; a
 * thread in an I/O loop (its code read at most once a ms) is named; and
 * the same on the pyenv CPythons found (3.9, 3.10, 3.12, 3.13).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "model/toprows.h"
#include "record/gilwatch.h"

#define PY "/usr/bin/python3.11-dbg"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* py script [arg], once its process runs the interpreter; in: a pipe to
 * its stdin (NULL: none), out: one from its stdout (NULL: none). */
static pid_t start_script(const char *py, const char *script, const char *arg, int *in, int *out)
{
	char exe[PATH_MAX], link[64];
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 };
	pid_t pid;

	if ((in && pipe(pin)) || (out && pipe(pout)))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (in)
			dup2(pin[0], 0);
		if (out)
			dup2(pout[1], 1);
		execl(py, py, script, arg, (char *)NULL);
		_exit(127);
	}
	if (in) {
		close(pin[0]);
		*in = pin[1];
	}
	if (out) {
		close(pout[1]);
		*out = pout[0];
	}
	CHECK(pid > 0);
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	for (double end = now_s() + 10; pid > 0 && now_s() < end; usleep(10000)) {
		ssize_t n = readlink(link, exe, sizeof(exe) - 1);

		if (n > 0 && (exe[n] = '\0', strstr(exe, "/python3.")))
			return pid;
	}
	CHECKF(0, "%s did not start", py);
	return pid;
}

/* py_funcs.py under py for seconds s. */
static pid_t start_py(const char *py, double s)
{
	char arg[32];

	snprintf(arg, sizeof(arg), "%.1f", s);
	return start_script(py, "tests/progs/py_funcs.py", arg, NULL, NULL);
}

static void stop_py(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static const struct toprow *row_of(const struct toprows *r, uint32_t pid, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->rows[i].pid == pid && (name ? r->rows[i].tid && !strcmp(r->rows[i].name, name)
						   : !r->rows[i].tid))
			return &r->rows[i];
	return NULL;
}

/*
 * Watches pid (functions or not) with a snapshot every 0.3 s until the
 * rows of the process and of its threads named t1 and t2 say want_proc,
 * want1 and want2 in three snapshots in a row, or timeout seconds. go: written to go_fd after the
 * first snapshot (the probes are in by then), unless go_fd is -1. Returns
 * whether they did; got: the last seen.
 */
static bool watch(pid_t pid, bool functions, const char *want_proc, const char *t1,
		  const char *want1, const char *t2, const char *want2, double timeout,
		  int go_fd, const char *go, char *got, size_t gotlen)
{
	struct gilwatch_opts o = { .pids = &pid, .npids = 1, .attach_once = true,
				   .functions = functions };
	struct gilsnap prev = { 0 }, cur = { 0 };
	struct toprows rows = { 0 };
	struct gilwatch *w = NULL;
	char err[512];
	bool done = false;
	int same = 0;
	double t0 = now_s();
	int r = gilwatch_open(&w, &o, err, sizeof(err));

	CHECKF(r == 0, "%s", err);
	snprintf(got, gotlen, "no snapshot");
	for (double end = now_s() + timeout; !r && !done && now_s() < end;) {
		const struct toprow *p, *c, *s;

		usleep(300000);	/* the interval: what top's refresh would be */
		if ((r = gilwatch_snapshot(w, &cur)) || (r = toprows_compute(&rows, &prev, &cur)))
			break;
		p = row_of(&rows, (uint32_t)pid, NULL);
		c = row_of(&rows, (uint32_t)pid, t1);
		s = row_of(&rows, (uint32_t)pid, t2);
		snprintf(got, gotlen, "process '%s', %s '%s', %s '%s'", p ? p->func : "(none)", t1,
			 c ? c->func : "(none)", t2, s ? s->func : "(none)");
		/* three in a row: a state, not a lucky interval */
		same = p && c && s && !strcmp(p->func, want_proc) && !strcmp(c->func, want1) &&
		       !strcmp(s->func, want2) ? same + 1 : 0;
		done = same == 3;
		gilsnap_swap(&prev, &cur);
		if (go_fd >= 0) {
			CHECK(write(go_fd, go, strlen(go)) == (ssize_t)strlen(go));
			go_fd = -1;
			end = now_s() + timeout;	/* from the go */
		}
	}
	if (done)
		printf("# %s after %.1f s\n", got, now_s() - t0);
	CHECKF(r == 0, "snapshot: %s", strerror(-r));
	toprows_free(&rows);
	gilsnap_free(&prev);
	gilsnap_free(&cur);
	gilwatch_close(w);
	return done;
}

static void test_top_function(void)
{
	char got[512];
	pid_t pid;

	pid = start_py(PY, 120);
	if (pid > 0) {
		bool ok = watch(pid, true, "crunch", "cruncher", "crunch", "sleeper", "nap_loop", 60,
				-1, NULL, got, sizeof(got));

		CHECKF(ok, "want process 'crunch', cruncher 'crunch', sleeper 'nap_loop'; got %s", got);
	}
	stop_py(pid);
}

/* Without functions the kernel side has no layout for the file: no names,
 * however long it is watched (2 s: several snapshots with holds). */
static void test_top_function_off(void)
{
	char got[512];
	pid_t pid = start_py(PY, 120);

	if (pid > 0) {
		watch(pid, false, "crunch", "cruncher", "crunch", "sleeper", "nap_loop", 2, -1, NULL, got,
		      sizeof(got));
		CHECKF(!strcmp(got, "process '', cruncher '', sleeper ''"), "%s", got);
	}
	stop_py(pid);
}

/*
 * A hold still going on counts as it goes, for the function its thread runs
 * now: tests/progs/py_gil_block.py's MainThread keeps the GIL for 8 s in one
 * sum(range(N)) called from main() (no hold ends meanwhile), while "waiter"
 * waits. During the block the process row and MainThread's say "main"; the
 * waiter's row has none (it held nothing in the interval).
 */
static void test_top_function_hold_in_progress(void)
{
	char got[512], line[128];
	int in = -1, out = -1;
	pid_t pid = start_script(PY, "tests/progs/py_gil_block.py", NULL, &in, &out);
	FILE *f;

	if (pid <= 0)
		return;
	f = fdopen(out, "r");	/* "ready PID TID" once the waiter runs */
	CHECK(f && fgets(line, sizeof(line), f) && !strncmp(line, "ready ", 6));
	if (!check__failed_now) {
		bool ok = watch(pid, true, "main", "MainThread", "main", "waiter", "", 6, in, "go 8\n",
				got, sizeof(got));

		CHECKF(ok, "want process 'main', MainThread 'main', waiter ''; got %s", got);
	}
	close(in);
	if (f)
		fclose(f);
	stop_py(pid);
}

/*
 * A thread that lets go 100,000 times a second (os.read in a loop) has its
 * code read at most once a millisecond (bpf/gilstat.h GILSTAT_WALK_NS): the
 * holds in between go to what the last read found, its own function.
 */
static void test_top_function_io_loop(void)
{
	static const char code[] =
		"import os, threading, time\n"
		"def io_loop():\n"
		"    fd = os.open('/dev/zero', os.O_RDONLY)\n"
		"    while True:\n"
		"        os.read(fd, 1)\n"
		"threading.Thread(target=io_loop, name='io', daemon=True).start()\n"
		"time.sleep(600)\n";
	pid_t pid = start_script(PY, "-c", code, NULL, NULL);
	char got[512];

	if (pid > 0) {
		bool ok = watch(pid, true, "io_loop", "io", "io_loop", "io", "io_loop", 60, -1, NULL,
				got, sizeof(got));

		CHECKF(ok, "want process and io 'io_loop'; got %s", got);
	}
	stop_py(pid);
}

/*
 * The other versions, where pyenv has them: shared builds, whose interpreter
 * file is a libpython (its version known from its name only before 3.11),
 * each with its own frame layout in the kernel (3.9-3.10: PyFrameObject,
 * 3.12: owner bytes and C entry frames, 3.13: current_frame). 3.8 is left
 * out: its sleeper takes the GIL back through a clone of take_gil that the
 * always-on probes do not cover (README, limitations).
 */
static void test_top_function_versions(void)
{
	static const char *const vers[] = { "3.9.18", "3.10.13", "3.12.1", "3.13.0" };
	char py[256], got[512];
	int found = 0;

	for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		struct stat st;
		pid_t pid;
		bool ok;

		snprintf(py, sizeof(py), "/root/.pyenv/versions/%s/bin/python%.4s", vers[i], vers[i]);
		if (vers[i][3] == '.')	/* 3.9.18: python3.9 */
			py[strlen(py) - 1] = '\0';
		if (stat(py, &st))
			continue;
		found++;
		pid = start_py(py, 120);
		if (pid <= 0)
			continue;
		ok = watch(pid, true, "crunch", "cruncher", "crunch", "sleeper", "nap_loop", 60, -1,
			   NULL, got, sizeof(got));
		CHECKF(ok, "%s: got %s", py, got);
		stop_py(pid);
	}
	if (!found)
		printf("# no pyenv CPython 3.9-3.13 here: only python3.11-dbg checked\n");
}

int main(void)
{
	struct stat st;

	if (!check_need_root("test_topfunc"))
		return 0;
	if (stat(PY, &st)) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true")) {
			printf("not ok test_topfunc: %s is not installed (make deps)\n", PY);
			return 1;
		}
		printf("skip test_topfunc: %s not installed (make deps)\n", PY);
		return 0;
	}
	RUN(test_top_function);
	RUN(test_top_function_off);
	RUN(test_top_function_hold_in_progress);
	RUN(test_top_function_io_loop);
	RUN(test_top_function_versions);
	return check_done();
}
