/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilrt - a small bytecode interpreter with a CPython-faithful GIL, USDT
 * probes and scenarios that show what the lock does. main() only parses
 * the command line and turns errors into one message and an exit code:
 * 2 for usage errors, 1 for failures.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "version.h"	/* GS_VERSION, made by the Makefile */
#include "compare.h"
#include "scenario.h"

static const char usage[] =
	"usage: gilrt run SCENARIO [--threads N] [--seconds S | --work N] [--policy P]\n"
	"                          [--switch-interval-us U] [--stats-json FILE]\n"
	"       gilrt list\n"
	"       gilrt compare [--json] [--work N] [--workers N] [--repeat N]\n"
	"       gilrt --help | --version\n"
	"\n"
	"A small bytecode interpreter whose lock behaves like CPython's GIL, with\n"
	"scenarios that show what the lock does. `gilrt COMMAND --help` gives a\n"
	"command's options; `gilrt list` the scenarios.\n"
	"\n"
	"USDT probes (provider gilrt): gil_request gil_acquired gil_released\n"
	"gil_drop_request thread_start thread_exit io_begin io_end native_begin native_end\n";

static const char run_usage[] =
	"usage: gilrt run SCENARIO [--threads N] [--seconds S | --work N] [--policy P]\n"
	"                          [--switch-interval-us U] [--stats-json FILE]\n"
	"\n"
	"Run a scenario (gilrt list shows them) and print what the runtime counted.\n"
	"  --threads N             worker threads (coroutines for async); default 2\n"
	"                          (1 for churn, 100 coroutines for async)\n"
	"  --seconds S             run for S seconds (default 2)\n"
	"  --work N                do N work units (events for io/async) instead\n"
	"  --policy P              new (CPython 3.2+, default), legacy (Python 2),\n"
	"                          fifo (fair hand-off), none (no lock; unsafe's default)\n"
	"  --switch-interval-us U  how long a waiter waits before asking (default 5000)\n"
	"  --stats-json FILE       write the runtime's own numbers as JSON ('-' = stdout)\n";

static const char list_usage[] =
	"usage: gilrt list\n"
	"\n"
	"The scenarios, one line each: name and what it shows.\n";

static const char compare_usage[] =
	"usage: gilrt compare [--json] [--work N] [--workers N] [--repeat N]\n"
	"\n"
	"The same work done sequentially, by threads, by processes, by native code\n"
	"that releases the lock and by coroutines, with each one's speedup.\n"
	"  --json                  one JSON object instead of the table\n"
	"  --work N                work units per row (default 20000000)\n"
	"  --workers N             threads / processes (default: the cores, >= 2)\n"
	"  --repeat N              run the table N times and give each row its median\n"
	"                          over the rounds (a shared machine drifts; default 1)\n";

/* One usage error, one line: "gilrt CMD: what (see gilrt CMD --help)". */
static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "gilrt%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see gilrt%s%s --help)\n", cmd ? " " : "", cmd ? cmd : "");
	return 2;
}

/* Plain decimal digits, nothing else: strtoull alone takes " 5" and "0x5". */
static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* A plain decimal number ("2", "0.5", "1e-3"): strtod alone also takes
 * " 1", "0x1p3", "inf" and "nan". */
static int plain_decimal(const char *s)
{
	if (!((*s >= '0' && *s <= '9') || *s == '.'))
		return 0;
	return strspn(s, "0123456789.eE+-") == strlen(s);
}

/* Strict unsigned integer in [lo, hi]. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !all_digits(s))
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

	if (!s || !plain_decimal(s))
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

/* An option's value that is missing or wrong: one usage line. */
static int bad_value(const char *cmd, const char *opt, const char *v, const char *want)
{
	if (!v)
		return usage_error(cmd, "option %s needs a value (%s)", opt, want);
	return usage_error(cmd, "%s wants %s, not '%s'", opt, want, v);
}

/*
 * The number the option name at argv[*i] gives (its value there or in the
 * next argument, *i moved past it), from lo to hi, into *out: 0, or the
 * exit status of the usage error said (want: what the option takes).
 */
static int num_opt(const char *cmd, int argc, char **argv, int *i, const char *name, uint64_t lo,
		   uint64_t hi, const char *want, uint64_t *out)
{
	const char *v = opt_value(argc, argv, i, name);

	return parse_u64(v, lo, hi, out) ? bad_value(cmd, name, v, want) : 0;
}

/* "--help" or "-h" among a command's arguments. */
static int wants_help(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
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
	uint64_t x = 0;
	int rc, have_seconds = 0;

	if (wants_help(argc, argv)) {
		fputs(run_usage, stdout);
		return 0;
	}
	if (argc < 3 || argv[2][0] == '-')
		return usage_error("run", "which scenario? gilrt list shows them");
	o.scenario = argv[2];
	if (!scenario_known(o.scenario))
		return usage_error("run", "unknown scenario '%s' (gilrt list shows them)", o.scenario);
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];

		rc = 0;
		if (is_opt(a, "--threads")) {
			rc = num_opt("run", argc, argv, &i, "--threads", 1, 1024,
				     "a number from 1 to 1024", &x);
			o.threads = (int)x;
		} else if (is_opt(a, "--seconds")) {
			v = opt_value(argc, argv, &i, "--seconds");
			if (parse_seconds(v, &o.seconds_ns))
				return bad_value("run", "--seconds", v, "seconds, more than 0 and at most 86400");
			have_seconds = 1;
		} else if (is_opt(a, "--work")) {
			rc = num_opt("run", argc, argv, &i, "--work", 1, 1000000000000000ull,
				     "a number from 1 to 10^15", &o.work);
		} else if (is_opt(a, "--policy")) {
			v = opt_value(argc, argv, &i, "--policy");
			if (gil_policy_parse(v, &o.policy))
				return bad_value("run", "--policy", v, "new, legacy, fifo or none");
			o.policy_set = 1;
		} else if (is_opt(a, "--switch-interval-us")) {
			rc = num_opt("run", argc, argv, &i, "--switch-interval-us", 1, 10000000,
				     "microseconds, 1 to 10000000", &x);
			o.interval_us = (unsigned)x;
		} else if (is_opt(a, "--stats-json")) {
			json = opt_value(argc, argv, &i, "--stats-json");
			if (!json || !*json)
				return bad_value("run", "--stats-json", json, "a file name");
		} else {
			return usage_error("run", "unknown argument '%s'", a);
		}
		if (rc)
			return rc;
	}
	if (have_seconds && o.work)
		return usage_error("run", "--seconds and --work exclude each other");
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

	if (wants_help(argc, argv)) {
		fputs(compare_usage, stdout);
		return 0;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		rc = 0;
		if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (is_opt(a, "--work")) {
			rc = num_opt("compare", argc, argv, &i, "--work", 1000, 1000000000000ull,
				     "a number from 1000 to 10^12", &work);
		} else if (is_opt(a, "--workers")) {
			rc = num_opt("compare", argc, argv, &i, "--workers", 1, 256,
				     "a number from 1 to 256", &workers);
		} else if (is_opt(a, "--repeat")) {
			rc = num_opt("compare", argc, argv, &i, "--repeat", 1, 20,
				     "a number from 1 to 20", &repeat);
		} else {
			return usage_error("compare", "unknown argument '%s'", a);
		}
		if (rc)
			return rc;
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
		return usage_error(NULL, "which command? run, list or compare");
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("gilrt %s\n", GS_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "list")) {
		if (wants_help(argc, argv)) {
			fputs(list_usage, stdout);
			return 0;
		}
		if (argc > 2)
			return usage_error("list", "unexpected argument '%s'", argv[2]);
		return cmd_list();
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc, argv);
	if (!strcmp(cmd, "compare"))
		return cmd_compare(argc, argv);
	if (cmd[0] == '-')
		return usage_error(NULL, "unknown option '%s'", cmd);
	return usage_error(NULL, "unknown command '%s'", cmd);
}
