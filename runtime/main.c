/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilrt - a small bytecode interpreter with a CPython-faithful GIL, USDT
 * probes and scenarios that show what the lock does. main() only parses
 * the command line and turns errors into one message and an exit code:
 * 2 for usage errors, 1 for failures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"
#include "scenario.h"

static const char usage[] =
	"usage: gilrt run SCENARIO [--threads N] [--seconds S | --work N] [--policy P]\n"
	"                          [--switch-interval-us U] [--stats-json FILE]\n"
	"       gilrt list\n"
	"       gilrt compare [--json] [--work N] [--workers N] [--repeat N]\n"
	"       gilrt --help\n"
	"\n"
	"  --threads N             worker threads (coroutines for async); default 2\n"
	"                          (1 for churn, 100 coroutines for async)\n"
	"  --seconds S             run for S seconds (default 2)\n"
	"  --work N                do N work units (events for io/async) instead\n"
	"  --policy P              new (CPython 3.2+, default), legacy (Python 2),\n"
	"                          fifo (fair hand-off), none (no lock; unsafe's default)\n"
	"  --switch-interval-us U  how long a waiter waits before asking (default 5000)\n"
	"  --stats-json FILE       write the runtime's own numbers as JSON ('-' = stdout)\n"
	"  --workers N             compare: threads / processes (default: the cores, >= 2)\n"
	"  --repeat N              compare: run the table N times, keep each row's best\n"
	"                          (other load only slows a run; default 1)\n"
	"\n"
	"USDT probes (provider gilrt): gil_request gil_acquired gil_released\n"
	"gil_drop_request thread_start thread_exit io_begin io_end native_begin native_end\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "gilrt: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see gilrt --help)\n");
	return 2;
}

/* Strict unsigned integer in [lo, hi]. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Seconds as a positive decimal up to a day. */
static int parse_seconds(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 86400)
		return -EINVAL;
	*ns = (uint64_t)(v * 1e9);
	return *ns ? 0 : -EINVAL;
}

/* "--opt VALUE" or "--opt=VALUE": the value, advancing *i; NULL if missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);

	return strncmp(a, name, n) == 0 && (a[n] == 0 || a[n] == '=');
}

static int scenario_known(const char *name)
{
	size_t n;
	const struct rt_scenario_info *s = rt_scenario_list(&n);

	for (size_t i = 0; i < n; i++)
		if (!s[i].hidden && strcmp(s[i].name, name) == 0)
			return 1;
	return 0;
}

static int cmd_list(void)
{
	size_t n;
	const struct rt_scenario_info *s = rt_scenario_list(&n);

	for (size_t i = 0; i < n; i++)
		if (!s[i].hidden)
			printf("%-8s %s\n", s[i].name, s[i].summary);
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct rt_options o = { 0 };
	const char *json = NULL, *v;
	struct rt_result *r = NULL;
	FILE *jf = NULL;
	char err[256];
	uint64_t x;
	int rc, have_seconds = 0;

	if (argc < 3 || argv[2][0] == '-')
		return usage_error("run: which scenario?%s", "");
	o.scenario = argv[2];
	if (!scenario_known(o.scenario))
		return usage_error("unknown scenario '%s' (gilrt list shows them)", o.scenario);
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];

		if (is_opt(a, "--threads")) {
			v = opt_value(argc, argv, &i, "--threads");
			if (parse_u64(v, 1, 1024, &x))
				return usage_error("--threads wants a number from 1 to 1024, not '%s'", v ? v : "");
			o.threads = (int)x;
		} else if (is_opt(a, "--seconds")) {
			v = opt_value(argc, argv, &i, "--seconds");
			if (parse_seconds(v, &o.seconds_ns))
				return usage_error("--seconds wants a number of seconds > 0, not '%s'", v ? v : "");
			have_seconds = 1;
		} else if (is_opt(a, "--work")) {
			v = opt_value(argc, argv, &i, "--work");
			if (parse_u64(v, 1, 1000000000000000ull, &o.work))
				return usage_error("--work wants a number from 1 to 10^15, not '%s'", v ? v : "");
		} else if (is_opt(a, "--policy")) {
			v = opt_value(argc, argv, &i, "--policy");
			if (gil_policy_parse(v, &o.policy))
				return usage_error("--policy wants new, legacy, fifo or none, not '%s'", v ? v : "");
			o.policy_set = 1;
		} else if (is_opt(a, "--switch-interval-us")) {
			v = opt_value(argc, argv, &i, "--switch-interval-us");
			if (parse_u64(v, 1, 10000000, &x))
				return usage_error("--switch-interval-us wants 1 to 10000000, not '%s'", v ? v : "");
			o.interval_us = (unsigned)x;
		} else if (is_opt(a, "--stats-json")) {
			json = opt_value(argc, argv, &i, "--stats-json");
			if (!json || !*json)
				return usage_error("--stats-json wants a file name%s", "");
		} else {
			return usage_error("run: unknown argument '%s'", a);
		}
	}
	if (have_seconds && o.work)
		return usage_error("--seconds and --work exclude each other%s", "");
	/* fail on an unwritable file before running for seconds */
	if (json) {
		jf = strcmp(json, "-") == 0 ? stdout : fopen(json, "w");
		if (!jf) {
			fprintf(stderr, "gilrt: %s: %s\n", json, strerror(errno));
			return 1;
		}
	}
	rc = rt_scenario_run(&o, &r, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "gilrt: %s\n", err);
		if (jf && jf != stdout)
			fclose(jf);
		return rc == -EINVAL ? 2 : 1;
	}
	rt_result_print(r, jf == stdout ? stderr : stdout);
	if (jf) {
		rc = rt_result_write_json(r, jf);
		if ((jf != stdout && fclose(jf)) || rc) {
			fprintf(stderr, "gilrt: %s: write failed\n", json);
			rt_result_destroy(r);
			return 1;
		}
	}
	rt_result_destroy(r);
	return 0;
}

static int cmd_compare(int argc, char **argv)
{
	struct rt_compare c;
	uint64_t work = 0, workers = 0, repeat = 1;
	int json = 0, rc;
	char err[256];
	const char *v;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (is_opt(a, "--work")) {
			v = opt_value(argc, argv, &i, "--work");
			if (parse_u64(v, 1000, 1000000000000ull, &work))
				return usage_error("--work wants a number from 1000 to 10^12, not '%s'", v ? v : "");
		} else if (is_opt(a, "--workers")) {
			v = opt_value(argc, argv, &i, "--workers");
			if (parse_u64(v, 1, 256, &workers))
				return usage_error("--workers wants a number from 1 to 256, not '%s'", v ? v : "");
		} else if (is_opt(a, "--repeat")) {
			v = opt_value(argc, argv, &i, "--repeat");
			if (parse_u64(v, 1, 20, &repeat))
				return usage_error("--repeat wants a number from 1 to 20, not '%s'", v ? v : "");
		} else {
			return usage_error("compare: unknown argument '%s'", a);
		}
	}
	rc = rt_compare_run((int)workers, work, (int)repeat, &c, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "gilrt: compare: %s\n", err);
		return 1;
	}
	if (json)
		rc = rt_compare_write_json(&c, stdout);
	else
		rt_compare_print(&c, stdout);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return usage_error("which command? run, list or compare%s", "");
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "list")) {
		if (argc > 2)
			return usage_error("list: unexpected argument '%s'", argv[2]);
		return cmd_list();
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc, argv);
	if (!strcmp(cmd, "compare"))
		return cmd_compare(argc, argv);
	return usage_error("unknown command '%s'", cmd);
}
