/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* compare.c - see compare.h. Each row is an ordinary scenario run. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include "compare.h"
#include "scenario.h"

static const struct {
	const char *mode;
	const char *scenario;
	int coroutines;		/* async: coroutines per worker */
} modes[RT_COMPARE_MODES] = {
	{ "sequential", "seq", 0 },
	{ "threads", "cpu", 0 },
	{ "processes", "procs", 0 },
	{ "native", "native", 0 },
	{ "async", "async-cpu", 4 },
};

static int run_once(const char *scenario, int threads, uint64_t work, uint64_t *wall,
		    char *err, size_t errlen)
{
	struct rt_options o = { .scenario = scenario, .threads = threads, .work = work };
	struct rt_result *r;
	int rc = rt_scenario_run(&o, &r, err, errlen);

	if (rc)
		return rc;
	*wall = r->wall_ns;
	rt_result_destroy(r);
	return 0;
}

/* The median of v[0..n), n >= 1 (v is sorted in place). */
static double median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int rt_compare_run(int workers, uint64_t work, int repeat, struct rt_compare *out, char *err,
		   size_t errlen)
{
	/* wall[r][i]: round r, mode i; wall[repeat][0]: the closing sequential run */
	uint64_t wall[RT_COMPARE_REPEAT_MAX + 1][RT_COMPARE_MODES] = { { 0 } };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	memset(out, 0, sizeof(*out));
	out->cores = cores > 0 ? (int)cores : 1;
	out->workers = workers > 0 ? workers : (out->cores < 2 ? 2 : out->cores);
	out->work = work ? work : RT_COMPARE_DEFAULT_WORK;
	out->repeat = repeat < 1 ? 1 : repeat > RT_COMPARE_REPEAT_MAX ? RT_COMPARE_REPEAT_MAX : repeat;
	/* a CPU coming out of idle runs slow for a while: warm it before measuring */
	rc = run_once("seq", 1, out->work / 8 + 1, &wall[0][0], err, errlen);
	if (rc)
		return rc;
	out->native_k = rt_native_steps_per_unit();
	for (int r = 0; r < out->repeat; r++) {
		for (int i = 0; i < RT_COMPARE_MODES; i++) {
			rc = run_once(modes[i].scenario,
				      modes[i].coroutines ? out->workers * modes[i].coroutines :
							    out->workers,
				      out->work, &wall[r][i], err, errlen);
			if (rc)
				return rc;
			/* native units must cost what the first sequential run's cost */
			if (r == 0 && i == 0)
				out->native_k = rt_native_match(wall[0][0] * 1000 / out->work);
		}
	}
	rc = run_once("seq", 1, out->work, &wall[out->repeat][0], err, errlen);
	if (rc)
		return rc;
	for (int i = 0; i < RT_COMPARE_MODES; i++) {
		double sp[RT_COMPARE_REPEAT_MAX], ns[RT_COMPARE_REPEAT_MAX];

		for (int r = 0; r < out->repeat; r++) {
			uint64_t base = wall[r][0] < wall[r + 1][0] ? wall[r][0] : wall[r + 1][0];

			/* the sequential row is its own baseline: 1.0 by definition */
			ns[r] = (double)(i ? wall[r][i] : base);
			sp[r] = ns[r] ? (double)base / ns[r] : 0;
		}
		out->rows[i].mode = modes[i].mode;
		out->rows[i].wall_ns = (uint64_t)median(ns, out->repeat);
		out->rows[i].speedup = median(sp, out->repeat);
	}
	return 0;
}

static const char *explain(const char *mode)
{
	if (!strcmp(mode, "sequential"))
		return "one thread: the baseline";
	if (!strcmp(mode, "threads"))
		return "one lock: one thread runs bytecode at a time";
	if (!strcmp(mode, "processes"))
		return "a lock per process: real parallelism";
	if (!strcmp(mode, "native"))
		return "C work with the lock released runs in parallel";
	return "one thread interleaving coroutines: no help for CPU work";
}

void rt_compare_print(const struct rt_compare *c, FILE *f)
{
	fprintf(f, "gilrt compare: %" PRIu64 " work units, %d workers, %d cores\n", c->work,
		c->workers, c->cores);
	fprintf(f, "  %-11s %9s %8s\n", "mode", "wall", "speedup");
	for (int i = 0; i < RT_COMPARE_MODES; i++)
		fprintf(f, "  %-11s %7.3f s %7.2fx  %s\n", c->rows[i].mode,
			(double)c->rows[i].wall_ns / 1e9, c->rows[i].speedup, explain(c->rows[i].mode));
}

int rt_compare_write_json(const struct rt_compare *c, FILE *f)
{
	fprintf(f, "{\"cores\":%d,\"workers\":%d,\"repeat\":%d,\"work\":%" PRIu64
		",\"native_steps_per_unit\":%" PRIu64 ",\"rows\":[", c->cores, c->workers, c->repeat,
		c->work, c->native_k);
	for (int i = 0; i < RT_COMPARE_MODES; i++)
		fprintf(f, "%s{\"mode\":\"%s\",\"wall_ns\":%" PRIu64 ",\"speedup\":%.3f}", i ? "," : "",
			c->rows[i].mode, c->rows[i].wall_ns, c->rows[i].speedup);
	fprintf(f, "]}\n");
	return ferror(f) ? -EIO : 0;
}
