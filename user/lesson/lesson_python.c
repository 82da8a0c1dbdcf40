/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson_python.c - which CPython runs a lesson's script (lesson_play.h):
 * one whose lock gilscope can trace, i.e. whose interpreter or libpython
 * keeps the symbols of the lock functions (record/adapter.h decides), of
 * the Python the script is written for. Looked for in this order: Debian's
 * debug build (python3.11-dbg: `make deps` installs it), then pyenv builds,
 * newest first (pyenv keeps symbols), then the plain interpreter of that
 * version in $PATH (a distribution's is usually stripped and refused).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lesson/lesson_play.h"
#include "record/adapter.h"
#include "util/err.h"

#define MAX_PYENV 64	/* pyenv versions looked at */

/* The major version of the CPython in `file` (python3.11, libpython2.7.so,
 * python3.11d...): the digit after "python", or 0. */
static int major_of(const char *file)
{
	const char *b = strrchr(file, '/'), *p;

	p = strstr(b ? b + 1 : file, "python");
	return p && p[6] >= '2' && p[6] <= '9' ? p[6] - '0' : 0;
}

/* 0 if path runs a CPython of that major version with the lock's symbols;
 * else why not into err. */
static int usable(const char *path, int major, char *err, size_t len)
{
	struct adapter_target *a = calloc(1, sizeof(*a));	/* PATH_MAX strings */
	int rc, found;

	if (!a)
		return -ENOMEM;
	rc = adapter_python_resolve(0, path, a, err, len);
	found = rc ? 0 : major_of(a->binary);
	if (!rc && found != major)
		rc = errf(err, len, -ENOEXEC, "%s is Python %d: this lesson's script is written "
			  "for Python %d", path, found ? found : 3, major);
	free(a);
	return rc;
}

static int by_version_desc(const void *a, const void *b)
{
	return strverscmp(*(char *const *)b, *(char *const *)a);
}

/* pyenv builds of that major version under root/versions, newest first:
 * root/versions/3.11.7/bin/python3.11. The first usable one into out. */
static int from_pyenv(const char *root, int major, char *out, size_t len)
{
	char dir[PATH_MAX], *names[MAX_PYENV], err[PATH_MAX + 256];
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int rc = -ENOENT;

	if (snprintf(dir, sizeof(dir), "%s/versions", root) >= (int)sizeof(dir) ||
	    !(d = opendir(dir)))
		return -ENOENT;
	while ((de = readdir(d)) && n < MAX_PYENV)
		/* "3.11.7": major, '.', minor; not "pypy3.10-7.3", "miniconda3" */
		if (de->d_name[0] == '0' + major && de->d_name[1] == '.' &&
		    (names[n] = strdup(de->d_name)))
			n++;
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_version_desc);
	for (size_t i = 0; i < n; i++) {
		int minor = atoi(names[i] + 2);

		if (rc && snprintf(out, len, "%s/%s/bin/python%d.%d", dir, names[i], major, minor) <
		    (int)len && !usable(out, major, err, sizeof(err)))
			rc = 0;
		free(names[i]);
	}
	return rc;
}

int lesson_find_python(int major, const char *given, char *out, size_t len, char *err,
		       size_t errlen)
{
	char name[32], home[PATH_MAX], why[PATH_MAX + 256];
	const char *roots[2] = { getenv("PYENV_ROOT"), NULL };

	if (given) {
		int rc = usable(given, major, err, errlen);

		if (!rc && snprintf(out, len, "%s", given) >= (int)len)
			rc = errf(err, errlen, -ENAMETOOLONG, "--interpreter: path too long");
		return rc;
	}
	/* Debian's debug builds keep every symbol */
	snprintf(name, sizeof(name), major == 3 ? "python3.11-dbg" : "python2.7-dbg");
	if (!usable(name, major, why, sizeof(why)))
		return snprintf(out, len, "%s", name) < (int)len ? 0 : -ENAMETOOLONG;
	if (getenv("HOME") && snprintf(home, sizeof(home), "%s/.pyenv", getenv("HOME")) <
	    (int)sizeof(home))
		roots[1] = home;
	for (size_t i = 0; i < 2; i++)
		if (roots[i] && !from_pyenv(roots[i], major, out, len))
			return 0;
	snprintf(name, sizeof(name), major == 3 ? "python3" : "python2.7");
	if (!usable(name, major, why, sizeof(why)))
		return snprintf(out, len, "%s", name) < (int)len ? 0 : -ENAMETOOLONG;
	if (major == 3)
		return errf(err, errlen, -ENOENT, "no Python 3 whose lock can be traced (its "
			    "symbols kept): looked for python3.11-dbg, pyenv builds (~/.pyenv, "
			    "$PYENV_ROOT) and python3; install python3.11-dbg (sudo make deps) or "
			    "build one with pyenv, or give --interpreter PATH");
	return errf(err, errlen, -ENOENT, "no Python 2.7 whose lock can be traced (its symbols "
		    "kept): looked for python2.7-dbg, pyenv builds (~/.pyenv, $PYENV_ROOT) and "
		    "python2.7; build one with pyenv (pyenv install 2.7.18), or give "
		    "--interpreter PATH");
}
