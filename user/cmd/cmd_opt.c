/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_opt.c - what every command does with its command line (cmd.h): one
 * usage-error line, getopt's errors turned into that line, strict numbers.
 * getopt's own messages ("record: unrecognized option '--frob'") name
 * neither gilscope nor the way out, so no command lets getopt print.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "util/fmt.h"
#include "util/num.h"

#define QUOTE_MAX 64	/* bytes of a user's argument quoted back */

int cmd_usage(const char *name, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (name)
		fprintf(stderr, "gilscope %s: %s (see gilscope %s --help)\n", name, what, name);
	else
		fprintf(stderr, "gilscope: %s (see gilscope --help)\n", what);
	return 2;
}

const char *cmd_quote(char *buf, size_t len, const char *arg)
{
	return fmt_printable(buf, len, arg, QUOTE_MAX);
}

/* The word getopt failed on, if it was a long option ("--name" or
 * "--name=value"), else NULL: a short option. getopt has moved past the
 * word it failed on, except in the middle of a cluster of short options
 * ("-za" failing on z): then optind still points at it. */
static const char *failed_long(int argc, char **argv)
{
	const char *cur = optind < argc ? argv[optind] : NULL;
	const char *a = argv[optind - 1];

	if (optopt > ' ' && optopt < 0x7f && cur && cur[0] == '-' && cur[1] != '-' &&
	    strchr(cur + 1, optopt))
		return NULL;	/* mid-cluster */
	return a && !strncmp(a, "--", 2) ? a : NULL;
}

/* How many long options start with the n bytes of s (getopt takes any
 * unambiguous prefix: "--dur" is --duration). */
static int prefix_matches(const struct option *longopts, const char *s, size_t n)
{
	int k = 0;

	for (const struct option *o = longopts; o && o->name; o++)
		k += !strncmp(o->name, s, n);
	return k;
}

int cmd_getopt(const char *name, int argc, char **argv, const char *optstring,
	       const struct option *longopts)
{
	char opt[QUOTE_MAX * 3 + 1];
	const char *l;
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, optstring, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	l = failed_long(argc, argv);
	if (l) {	/* as written, without its "=value" */
		cmd_quote(opt, sizeof(opt), l);
		opt[strcspn(opt, "=")] = '\0';
	} else {
		snprintf(opt, sizeof(opt), "-%c", optopt > ' ' && optopt < 0x7f ? optopt : '?');
	}
	if (c == ':')
		cmd_usage(name, "option %s needs a value", opt);
	else if (l && optopt)	/* a known long option given "=value" */
		cmd_usage(name, "option %s takes no value", opt);
	else if (l && prefix_matches(longopts, l + 2, strcspn(l + 2, "=")) > 1)
		cmd_usage(name, "option %s is ambiguous: write it out", opt);
	else
		cmd_usage(name, "unknown option %s", opt);
	return '?';
}

int cmd_parse_pid(const char *name, const char *arg, pid_t *pid)
{
	char q[QUOTE_MAX * 3 + 1];
	int64_t v;

	if (num_parse_i64(arg, 1, CMD_PID_MAX, &v))
		return cmd_usage(name, "bad pid '%s': a process id is a number from 1 to %d",
				 cmd_quote(q, sizeof(q), arg), CMD_PID_MAX);
	*pid = (pid_t)v;
	return 0;
}

int cmd_parse_double(const char *name, const char *opt, const char *arg, double lo, double hi,
		     const char *want, double *out)
{
	char q[QUOTE_MAX * 3 + 1];

	if (num_parse_double(arg, lo, hi, out))
		return cmd_usage(name, "bad %s '%s': %s", opt, cmd_quote(q, sizeof(q), arg), want);
	return 0;
}
