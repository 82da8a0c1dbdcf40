/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson_prog.c - what a lesson may run and what it keeps of the program's
 * output (lesson.h). Lessons are data, not code: a `run` line reaches only
 * `gilrt run` with whitelisted options, a `python` line names only a script
 * in lessons/py/ (never a path); the programs' output is shown to a class
 * as summary lines or, when the program failed, as its last lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lesson/lesson.h"

#define RUN_MAX 160		/* a `run` line: fits a projector row */
#define SCRIPT_MAX 64		/* a script's file name */

/* `run` is data, not a command line: a gilrt scenario name and numbers for
 * the options a lesson may set. Nothing that names a file (gilrt's
 * --stats-json) or reaches anything but gilrt run. */
static const struct run_option {
	const char *name;
	double min, max;	/* numeric value range; max 0 = a word from words */
	const char *words;	/* allowed words, space separated */
} run_options[] = {
	{ "--threads", 1, 64, NULL },
	{ "--seconds", 0.01, 60, NULL },
	{ "--work", 1, 1e12, NULL },
	{ "--switch-interval-us", 1, 1e6, NULL },
	{ "--policy", 0, 0, "new legacy fifo none" },
};

static bool is_word_in(const char *w, const char *list)
{
	size_t n = strlen(w);

	for (const char *p = list; *p; p += strcspn(p, " "), p += *p == ' ')
		if (strcspn(p, " ") == n && !strncmp(p, w, n))
			return true;
	return false;
}

static int why(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (len)
		vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* One option and its value against the whitelist. */
static int check_option(const char *w, const char *v, char *err, size_t len)
{
	const struct run_option *o = NULL;
	char *end;

	for (size_t i = 0; i < sizeof(run_options) / sizeof(run_options[0]); i++)
		if (!strcmp(w, run_options[i].name))
			o = &run_options[i];
	if (!o)
		return why(err, len, "run: '%.32s' is not an option a lesson may set (--threads, "
			   "--seconds, --work, --switch-interval-us, --policy)", w);
	if (!v)
		return why(err, len, "run: %s needs a value", o->name);
	if (o->words)
		return is_word_in(v, o->words) ? 0 :
		       why(err, len, "run: %s is one of: %s", o->name, o->words);
	double d = strtod(v, &end);
	if (end == v || *end || !(d >= o->min && d <= o->max))
		return why(err, len, "run: %s takes a number from %g to %g", o->name, o->min, o->max);
	return 0;
}

int lesson_check_run(const char *args, char *err, size_t len)
{
	char **argv;
	int n, rc = 0;

	if (strlen(args) > RUN_MAX)
		return why(err, len, "run: longer than %d characters", RUN_MAX);
	if ((n = lesson_split_args(args, 0, &argv)) < 0)
		return n;
	size_t k = n ? strspn(argv[0], "abcdefghijklmnopqrstuvwxyz") : 0;
	if (!k || argv[0][k] || k > 16)
		rc = why(err, len, "run: starts with a gilrt scenario name (gilrt list)");
	for (int i = 1; !rc && i < n; i += 2)
		rc = check_option(argv[i], argv[i + 1], err, len);
	free(argv);
	return rc;
}

int lesson_check_script(const char *name, char *err, size_t len)
{
	size_t n = strlen(name);
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

	/* a name only: no '/', no leading dot or dash (not an option to python) */
	if (n < 4 || n > SCRIPT_MAX || strcmp(name + n - 3, ".py") ||
	    strspn(name, ok) != n - 3 || name[0] == '-')
		return why(err, len, "python: a script's file name in lessons/py/ (letters, digits, "
			   "_ and -, ending in .py), not a path");
	return 0;
}

/* The summary lines are the ones that neither are indented (tables,
 * histograms) nor end in ':' (their headings) nor are a header line. */
void lesson_output_summary(char *dst, size_t len, const char *src)
{
	const char *keep[LESSON_OUTPUT_LINES] = { 0 };
	int keep_len[LESSON_OUTPUT_LINES] = { 0 }, n = 0;
	for (const char *p = src; *p;) {
		const char *nl = strchr(p, '\n');
		int l = nl ? (int)(nl - p) : (int)strlen(p);
		if (l > 0 && p[0] != ' ' && p[0] != '\t' && p[l - 1] != ':' &&
		    strncmp(p, "gilrt ", 6) && strncmp(p, "gilscope ", 9)) {
			if (n == LESSON_OUTPUT_LINES) {
				memmove(keep, keep + 1, sizeof(keep[0]) * (LESSON_OUTPUT_LINES - 1));
				memmove(keep_len, keep_len + 1, sizeof(keep_len[0]) * (LESSON_OUTPUT_LINES - 1));
				n--;
			}
			keep[n] = p;
			keep_len[n++] = l;
		}
		p = nl ? nl + 1 : p + l;
	}
	size_t used = 0;
	dst[0] = '\0';
	for (int i = 0; i < n && used + 1 < len; i++) {
		int w = snprintf(dst + used, len - used, "%s%.*s", i ? "\n" : "", keep_len[i],
				 keep[i]);
		if (w < 0)
			break;
		used += (size_t)w < len - used ? (size_t)w : len - used - 1;
	}
}

void lesson_output_tail(char *dst, size_t len, const char *src, size_t lines)
{
	const char *from = src + strlen(src);

	if (!len)
		return;
	/* back over trailing newlines, then over `lines` lines */
	while (from > src && from[-1] == '\n')
		from--;
	const char *end = from;
	for (size_t n = 0; from > src && n < lines; n++) {
		from--;
		while (from > src && from[-1] != '\n')
			from--;
	}
	snprintf(dst, len, "%.*s", (int)(end - from), from);
}
