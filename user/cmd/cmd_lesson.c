/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_lesson.c - `gilscope lesson`: list the classroom lessons, or run one,
 * live (root: gilrt under the recorder) or from its shipped trace (--replay,
 * no privileges). The lesson files and traces live in a data directory:
 * $GILSCOPE_DATA, else next to the binary (build/gilscope -> ./lessons), else
 * PREFIX/share/gilscope for an installed copy.
 *
 * Where the narration goes: the TUI's narration panel on a terminal, or
 * plain text (--plain, or when stdout is not a terminal), which prints each
 * step as it comes and the closing table at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cmd/cmd.h"
#include "lesson/lesson.h"
#include "lesson/lesson_play.h"
#include "util/path.h"
#include "util/num.h"

#define MAX_LESSONS 64

static const char usage[] =
"usage: gilscope lesson --list\n"
"       gilscope lesson NAME [--replay] [--trace FILE] [--speed X] [--plain | --ascii]\n"
"       gilscope lesson NAME --python [--interpreter PATH | --replay] ...\n"
"\n"
"Guided classroom lessons about the interpreter lock; the teaching notes\n"
"(a class plan around them) are named at the end.\n"
"  --list        the lessons, in teaching order, with one line each; py3 (py2):\n"
"                the lesson has a CPython form\n"
"  NAME          a lesson's name or number; live (needs root) unless --replay\n"
"  --python      the CPython form: the lesson's Python script (lessons/py/) run by\n"
"                a real CPython, its GIL traced (--replay: its shipped trace)\n"
"  --interpreter PATH  the CPython that runs it (implies --python; default:\n"
"                python3.11-dbg, else the first with symbols: pyenv builds, python3;\n"
"                python2.7-dbg or a pyenv 2.7 build for a py2 lesson)\n"
"  --replay      replay the lesson's shipped trace (no privileges needed)\n"
"  --trace FILE  replay FILE instead of the shipped trace (implies --replay)\n"
"  --plain       narrate as plain text instead of the full-screen view\n"
"  --ascii       full-screen view in plain ASCII, no colours\n"
"  --speed X     replay speed, 0.01 to 100 (default 0.2: time to look); live:\n"
"                how fast the view catches up after a pause (default 2)\n"
"  --data DIR    where lessons/ and traces/ are (default: next to gilscope)\n"
"In the view: space goes on, s saves a live run to gilscope-DATE.gst, q quits\n"
"and prints the closing table; ? shows every key.\n";

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Find the directory holding lessons/ (and traces/). */
static int find_data(char *out, size_t len, const char *given)
{
	char path[PATH_MAX + 32];
	if (!given)
		given = getenv("GILSCOPE_DATA");
	if (given) {
		snprintf(path, sizeof(path), "%s/lessons", given);
		if (!is_dir(path))
			return -ENOENT;
		int w = snprintf(out, len, "%s", given);
		return w > 0 && (size_t)w < len ? 0 : -ENAMETOOLONG;
	}
	char exe[PATH_MAX];
	if (path_self_dir(exe, sizeof(exe)))
		return -ENOENT;
	/* build/gilscope, build/san/gilscope, PREFIX/bin/gilscope */
	static const char *const rel[] = { "..", "../..", "../share/gilscope" };
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/lessons", exe, rel[i]);
		if (is_dir(path)) {
			int w = snprintf(out, len, "%s/%s", exe, rel[i]);
			return w > 0 && (size_t)w < len ? 0 : -ENAMETOOLONG;
		}
	}
	return -ENOENT;
}

/* --help: the usage, then where the teaching notes are: docs/ next to
 * lessons/ in a source tree, PREFIX/share/doc/gilscope once installed. */
static int help(const char *data_arg)
{
	static const char *const rel[] = { "docs/teaching.md", "../doc/gilscope/teaching.md" };
	char data[PATH_MAX], path[PATH_MAX + 64], real[PATH_MAX];

	fputs(usage, stdout);
	for (size_t i = 0; !find_data(data, sizeof(data), data_arg) && i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", data, rel[i]);
		if (!access(path, R_OK) && realpath(path, real)) {
			printf("Teaching notes: %s\n", real);
			return 0;
		}
	}
	fputs("Teaching notes: docs/teaching.md in gilscope's source\n", stdout);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lesson file names in teaching order; *files is freed with free_list. */
static int list_files(const char *data, char ***files)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/lessons", data);
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	char **v = calloc(MAX_LESSONS, sizeof(char *));
	int n = 0;
	struct dirent *de;
	while (v && (de = readdir(d)) && n < MAX_LESSONS) {
		size_t l = strlen(de->d_name);
		if (l > 7 && !strcmp(de->d_name + l - 7, ".lesson") && de->d_name[0] != '.')
			v[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (!v[i]) {
			for (int j = 0; j < n; j++)
				free(v[j]);
			free(v);
			return -ENOMEM;
		}
	qsort(v, (size_t)n, sizeof(char *), by_name);
	*files = v;
	return n;
}

static void free_list(char **v, int n)
{
	for (int i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static int load_file(struct lesson **l, const char *data, const char *file)
{
	char path[PATH_MAX], err[256];
	snprintf(path, sizeof(path), "%s/lessons/%s", data, file);
	int rc = lesson_load(l, path, err, sizeof(err));
	if (rc)
		fprintf(stderr, "gilscope lesson: %s: %s\n", path, err);
	return rc;
}

static int do_list(const char *data)
{
	char **files;
	int n = list_files(data, &files);
	if (n < 0) {
		fprintf(stderr, "gilscope lesson: %s/lessons: %s\n", data, strerror(-n));
		return 1;
	}
	int bad = 0, py = 0;
	for (int i = 0; i < n; i++) {
		struct lesson *l;
		if (load_file(&l, data, files[i])) {
			bad = 1;
			continue;
		}
		const char *form = !lesson_python(l) ? "" : lesson_python_major(l) == 2 ? "py2" : "py3";

		printf("%2d  %-10s %-3s  %s\n", i + 1, lesson_name(l), form, lesson_about(l));
		py += form[0] != '\0';
		lesson_free(l);
	}
	free_list(files, n);
	if (py)
		printf("py3, py2: the lesson has a CPython form (gilscope lesson NAME --python), a "
		       "script for Python 3 or 2.7\n");
	return bad;
}

/* NAME or its number in --list order. 0, or 2 (usage: unknown) / 1. */
static int find_lesson(struct lesson **out, const char *data, const char *name)
{
	char **files;
	int n = list_files(data, &files);
	if (n < 0) {
		fprintf(stderr, "gilscope lesson: %s/lessons: %s\n", data, strerror(-n));
		return 1;
	}
	int64_t num = 0;
	bool by_number = !num_parse_i64(name, 1, MAX_LESSONS, &num);
	int rc = 2;
	for (int i = 0; i < n && rc == 2; i++) {
		struct lesson *l;
		if (load_file(&l, data, files[i]))
			continue;
		if ((by_number && num == i + 1) || !strcmp(lesson_name(l), name)) {
			*out = l;
			rc = 0;
		} else {
			lesson_free(l);
		}
	}
	free_list(files, n);
	if (rc == 2) {
		char q[256];

		return cmd_usage("lesson", "no lesson '%s': gilscope lesson --list shows them",
				 cmd_quote(q, sizeof(q), name));
	}
	return rc;
}

int cmd_lesson(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "replay", no_argument, NULL, 'r' },
		{ "python", no_argument, NULL, 'P' },
		{ "interpreter", required_argument, NULL, 'i' },
		{ "trace", required_argument, NULL, 't' },
		{ "plain", no_argument, NULL, 'p' },
		{ "ascii", no_argument, NULL, 'a' },
		{ "speed", required_argument, NULL, 's' },
		{ "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool list = false, python = false;
	struct lesson_play_opts po = { 0 };
	const char *data_arg = NULL;
	int c;
	optind = 1;
	while ((c = cmd_getopt("lesson", argc, argv, ":h", opts)) != -1) {
		switch (c) {
		case 'l': list = true; break;
		case 'r': po.replay = true; break;
		case 'P': python = true; break;
		case 'i': po.interpreter = optarg; python = true; break;
		case 't': po.trace = optarg; po.replay = true; break;
		case 'p': po.plain = true; break;
		case 'a': po.ascii = true; break;
		case 's':
			if (cmd_parse_double("lesson", "--speed", optarg, 0.01, 100,
					     "a factor from 0.01 to 100", &po.speed))
				return 2;
			break;
		case 'd': data_arg = optarg; break;
		case 'h': return help(data_arg);
		default: return 2;
		}
	}
	int rest = argc - optind;
	if ((list && rest) || (!list && rest != 1))
		return cmd_usage("lesson", "give --list or one lesson NAME");
	if (po.interpreter && po.replay)
		return cmd_usage("lesson", "--interpreter runs the script live: not with --replay "
				 "or --trace");
	char data[PATH_MAX];
	if (find_data(data, sizeof(data), data_arg)) {
		fprintf(stderr, "gilscope lesson: no lessons/ directory found%s%s "
			"(set GILSCOPE_DATA or --data)\n", data_arg ? " in " : "",
			data_arg ? data_arg : "");
		return 1;
	}
	char real[PATH_MAX];
	if (realpath(data, real))
		snprintf(data, sizeof(data), "%s", real);
	if (list)
		return do_list(data);

	struct lesson *l = NULL;
	int rc = find_lesson(&l, data, argv[optind]);
	if (rc)
		return rc;
	if (python && lesson_select_form(l, LESSON_PYTHON)) {
		fprintf(stderr, "gilscope lesson: lesson %s has no CPython form (gilscope lesson "
			"--list marks those that have one: py3, py2)\n", lesson_name(l));
		lesson_free(l);
		return 1;
	}
	po.data = data;
	rc = lesson_play(l, &po);
	lesson_free(l);
	return rc;
}
