/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_pylayout.c - CPython layouts (record/pylayout) from the interpreters
 * on this machine: Debian's python3.11-dbg (make deps installs it; missing
 * is a failure under CI=true) and every pyenv CPython 3.6-3.13 found. For
 * each: the layout loads with every capability, the GIL's PyThreadState *
 * argument read from DWARF equals the built-in fallback, and each value of
 * the header-facts table that DWARF can also give equals DWARF's. For
 * 3.13, _Py_DebugOffsets and DWARF agree on every field both give. A file
 * that is no interpreter, and a libpython without DWARF, fail as they
 * should. The interpreters found are printed.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "record/pylayout.h"

#define MAX_FILES 16

static char files[MAX_FILES][4096];
static size_t nfiles;
static char err[1024];

static void find_interpreters(void)
{
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	char pat[4096];
	glob_t g;

	if (!access("/usr/bin/python3.11d", R_OK))
		snprintf(files[nfiles++], sizeof(files[0]), "/usr/bin/python3.11d");
	snprintf(pat, sizeof(pat), "%s/versions/3.*/lib/libpython3.*.so.1.0", root);
	if (!glob(pat, 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc && nfiles < MAX_FILES; i++)
			snprintf(files[nfiles++], sizeof(files[0]), "%s", g.gl_pathv[i]);
		globfree(&g);
	}
	printf("# interpreters found:");
	for (size_t i = 0; i < nfiles; i++)
		printf(" %s", files[i]);
	printf("%s\n", nfiles ? "" : " none");
}

/* A copy of l with every field forgotten (version and symbols kept). */
static void blank(struct pylayout *dst, const struct pylayout *l)
{
	*dst = *l;
	for (int f = 0; f < PYL_NFIELDS; f++) {
		dst->off[f] = PYL_UNKNOWN;
		dst->src[f] = PYL_SRC_NONE;
	}
	dst->have_dwarf = dst->have_debug_offsets = false;
	dst->take_gil_tstate_arg = dst->drop_gil_tstate_arg = -1;
	dst->gil_args_src = PYL_SRC_NONE;
}

static void test_dbg_interpreter_present(void)
{
	const char *ci = getenv("CI");

	if (access("/usr/bin/python3.11d", R_OK)) {
		if (ci && !strcmp(ci, "true"))
			CHECKF(0, "python3.11-dbg is not installed (make deps)");
		else
			printf("# python3.11-dbg not installed: its checks are skipped\n");
	}
}

static void test_layouts_load_ready(void)
{
	static struct pylayout l;

	for (size_t i = 0; i < nfiles; i++) {
		int r = pylayout_load(&l, files[i], err, sizeof(err));

		CHECKF(r == 0, "%s: %d %s", files[i], r, err);
		if (r)
			continue;
		for (int c = 0; c < PYL_NCAPS; c++)
			CHECKF(pylayout_ready(&l, c, err, sizeof(err)), "%s: cap %d: %s", files[i], c, err);
		CHECKF(l.have_dwarf, "%s: no DWARF read", files[i]);
		/* 3.13 takes the thread and frame fields from _Py_DebugOffsets, older from DWARF */
		enum pyl_src want = l.minor >= 13 ? PYL_SRC_DEBUG_OFFSETS : PYL_SRC_DWARF;
		CHECKF(l.src[PYL_TS_NEXT] == want && l.src[PYL_FRAME_CODE] == want &&
		       l.src[PYL_CODE_FIRSTLINENO] == want, "%s: sources %d %d %d", files[i],
		       l.src[PYL_TS_NEXT], l.src[PYL_FRAME_CODE], l.src[PYL_CODE_FIRSTLINENO]);
		CHECKF(l.major == 3 && l.minor >= 6 && l.minor <= 13, "%s: %u.%u", files[i], l.major,
		       l.minor);
	}
}

/* The built-in GIL argument table is what DWARF says, for every version here. */
static void test_gil_args_builtin_equals_dwarf(void)
{
	static struct pylayout l;

	for (size_t i = 0; i < nfiles; i++) {
		int take, drop;

		if (pylayout_load(&l, files[i], err, sizeof(err)))
			continue;
		CHECKF(l.gil_args_src == PYL_SRC_DWARF, "%s: GIL args from %d", files[i], l.gil_args_src);
		pylayout_gil_args_builtin(l.major, l.minor, &take, &drop);
		CHECKF(take == l.take_gil_tstate_arg && drop == l.drop_gil_tstate_arg,
		       "%s: built-in take %d drop %d, DWARF %d %d", files[i], take, drop,
		       l.take_gil_tstate_arg, l.drop_gil_tstate_arg);
	}
}

/* A compiler's clone of take_gil (3.8's take_gil.constprop.0: GCC dropped
 * the constant ceval argument) is found, and DWARF says its thread state is
 * the first argument: where the clone's own parameter is at its entry, not
 * take_gil's position. The others have no clone. */
static void test_take_gil_clone(void)
{
	static struct pylayout l;
	int clones = 0;

	for (size_t i = 0; i < nfiles; i++) {
		if (pylayout_load(&l, files[i], err, sizeof(err)))
			continue;
		if (l.minor == 8) {
			clones++;
			CHECKF(l.take_gil_clone != 0 && l.take_gil_clone_arg == 0 &&
			       l.take_gil_tstate_arg == 1, "%s: clone 0x%llx arg %d (take_gil: arg %d)",
			       files[i], (unsigned long long)l.take_gil_clone, l.take_gil_clone_arg,
			       l.take_gil_tstate_arg);
		} else {
			CHECKF(!l.take_gil_clone, "%s: a clone at 0x%llx", files[i],
			       (unsigned long long)l.take_gil_clone);
		}
	}
	if (!clones)
		printf("# no pyenv 3.8: its take_gil clone is not checked\n");
}

/* Every header fact DWARF can check is DWARF's value. */
static void test_header_facts_equal_dwarf(void)
{
	static struct pylayout l, d;
	size_t checked = 0;

	for (size_t i = 0; i < nfiles; i++) {
		if (pylayout_load(&l, files[i], err, sizeof(err)))
			continue;
		blank(&d, &l);
		CHECKF(pylayout_from_dwarf(&d, files[i], err, sizeof(err)) == 0, "%s: %s", files[i], err);
		for (int f = 0; f < PYL_NFIELDS; f++) {
			int64_t v;

			if (!pylayout_header_fact(l.minor, f, &v) || d.off[f] == PYL_UNKNOWN)
				continue;
			checked++;
			CHECKF(v == d.off[f], "%s: %s: headers %lld, DWARF %lld", files[i],
			       pylayout_field_name(f), (long long)v, (long long)d.off[f]);
		}
	}
	if (nfiles)
		CHECKF(checked > 0, "no header fact could be checked");
}

/* 3.13: both sources give the same numbers. */
static void test_debug_offsets_equal_dwarf(void)
{
	static struct pylayout l, a, b;
	size_t both = 0;

	for (size_t i = 0; i < nfiles; i++) {
		if (pylayout_load(&l, files[i], err, sizeof(err)) || l.minor < 13)
			continue;
		blank(&a, &l);
		blank(&b, &l);
		CHECKF(pylayout_from_debug_offsets(&a, files[i], err, sizeof(err)) == 0, "%s", err);
		CHECKF(pylayout_from_dwarf(&b, files[i], err, sizeof(err)) == 0, "%s", err);
		for (int f = 0; f < PYL_NFIELDS; f++) {
			if (a.off[f] == PYL_UNKNOWN || b.off[f] == PYL_UNKNOWN)
				continue;
			both++;
			CHECKF(a.off[f] == b.off[f], "%s: %s: _Py_DebugOffsets %lld, DWARF %lld",
			       files[i], pylayout_field_name(f), (long long)a.off[f], (long long)b.off[f]);
		}
	}
	for (size_t i = 0; i < nfiles; i++)
		if (strstr(files[i], "3.13"))
			CHECKF(both >= 20, "only %zu fields compared", both);
}

static void test_not_an_interpreter(void)
{
	static struct pylayout l;
	int r = pylayout_load(&l, "/proc/self/exe", err, sizeof(err));

	CHECKF(r == -ENOEXEC && strstr(err, "CPython version"), "%d %s", r, err);
	r = pylayout_load(&l, "/nonexistent/python3.11", err, sizeof(err));
	CHECKF(r == -ENOENT, "%d %s", r, err);
}

/* A libpython without DWARF: it loads (version, symbols) but cannot do anything,
 * and says why in one line naming the way out. */
static void test_no_dwarf_says_why(void)
{
	static struct pylayout l;
	char tmp[] = "/tmp/gilscope-pyl.XXXXXX", cmd[8192], so[4096];
	const char *src = NULL;

	for (size_t i = 0; i < nfiles; i++)
		if (strstr(files[i], "libpython3.12"))
			src = files[i];
	if (!src) {
		printf("# no pyenv 3.12: test_no_dwarf_says_why has nothing to strip\n");
		return;
	}
	CHECK(mkdtemp(tmp) != NULL);
	snprintf(so, sizeof(so), "%s/libpython3.12.so.1.0", tmp);
	snprintf(cmd, sizeof(cmd), "objcopy --strip-debug '%.4000s' '%.4000s'", src, so);
	CHECKF(system(cmd) == 0, "%s", cmd);
	CHECKF(pylayout_load(&l, so, err, sizeof(err)) == 0, "%s", err);
	CHECK(!l.have_dwarf && !l.have_debug_offsets);
	CHECK(l.minor == 12 && l.gil_args_src == PYL_SRC_HEADERS);
	CHECK(!pylayout_ready(&l, PYL_CAP_THREADS, err, sizeof(err)));
	CHECKF(strstr(err, "no DWARF") && strstr(err, "debug info") && !strchr(err, '\n'), "%s", err);
	unlink(so);
	rmdir(tmp);
}

static void test_describe_names_sources(void)
{
	static struct pylayout l;
	char *buf = NULL;
	size_t len = 0;

	if (!nfiles || pylayout_load(&l, files[nfiles - 1], err, sizeof(err)))
		return;
	FILE *f = open_memstream(&buf, &len);

	pylayout_describe(&l, f);
	fclose(f);
	CHECK(strstr(buf, "PyThreadState.next") != NULL);
	CHECK(strstr(buf, l.minor >= 13 ? "_Py_DebugOffsets" : "DWARF") != NULL);
	CHECK(strstr(buf, "gil args") != NULL);
	free(buf);
}

int main(void)
{
	find_interpreters();
	RUN(test_dbg_interpreter_present);
	RUN(test_layouts_load_ready);
	RUN(test_gil_args_builtin_equals_dwarf);
	RUN(test_take_gil_clone);
	RUN(test_header_facts_equal_dwarf);
	RUN(test_debug_offsets_equal_dwarf);
	RUN(test_not_an_interpreter);
	RUN(test_no_dwarf_says_why);
	RUN(test_describe_names_sources);
	return check_done();
}
