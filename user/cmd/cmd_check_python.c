/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_check_python.c - `gilscope check --python PID`: can gilscope name the
 * threads and functions of this running CPython? It attaches the reader
 * that recordings use (record/pyread.h), says where the interpreter's
 * layout came from, and shows each thread with its Python name and the
 * function it is in, plus every read that failed. Reads only; the process
 * is not stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "record/pyread.h"
#include "util/json.h"

#define MAX_SHOWN 256	/* threads listed */

static const char *const cap_names[PYL_NCAPS] = { "threads", "functions", "names" };

struct shown {
	struct pyread_thread t;
	bool have_code;
	char func[PYREAD_NAME_MAX], file[PYREAD_FILE_MAX];
	int32_t line;
};

static void print_text(const struct pyread *r, pid_t pid, const struct shown *s, size_t n,
		       bool ready[PYL_NCAPS], char why[PYL_NCAPS][512], int err, bool verbose)
{
	const struct pylayout *l = pyread_layout(r);
	struct pyread_stats st;
	size_t named = 0, coded = 0;

	printf("python   CPython %u.%u", l->major, l->minor);
	if (l->micro != PYL_MICRO_UNKNOWN)
		printf(".%u", l->micro);
	printf(" in %s\n", l->path);
	printf("layout   %s (take_gil: PyThreadState * is arg%d, drop_gil: arg%d, from %s)\n",
	       l->src[PYL_TS_NEXT] ? pylayout_src_name((enum pyl_src)l->src[PYL_TS_NEXT]) : "none",
	       l->take_gil_tstate_arg,
	       l->drop_gil_tstate_arg, pylayout_src_name((enum pyl_src)l->gil_args_src));
	if (verbose)
		pylayout_describe(l, stdout);
	for (size_t i = 0; i < n; i++) {
		named += s[i].t.named;
		coded += s[i].have_code;
	}
	/* a capability needs the ones before it: say the first reason once */
	for (int c = 0; c < PYL_NCAPS; c++)
		if (!ready[c]) {
			printf("FAIL     no %s%s: %s\n", cap_names[c],
			       c + 1 < PYL_NCAPS ? " (nor what needs them)" : "", why[c]);
			break;
		}
	if (err && ready[PYL_CAP_THREADS])
		printf("FAIL     reading the threads: %s\n", strerror(-err));
	printf("threads  %zu, %zu named, %zu in Python code\n", n, named, coded);
	if (n)
		printf("  %8s  %-24s %s\n", "TID", "THREAD", "FUNCTION (FILE:LINE)");
	for (size_t i = 0; i < n; i++) {
		const char *nm = s[i].t.named ? s[i].t.name : "?";
		int chars = 0;

		for (const char *p = nm; *p; p++)	/* pad by characters, not bytes */
			chars += ((unsigned char)*p & 0xc0) != 0x80;
		printf("  %8u  %s%*s ", s[i].t.tid, nm, chars < 24 ? 24 - chars : 0, "");
		if (s[i].have_code)
			printf("%s (%s:%d)\n", s[i].func, s[i].file, s[i].line);
		else
			printf("%s\n", s[i].t.code ? "?" : "-");
	}
	pyread_stats(r, &st);
	printf("reads    %llu", (unsigned long long)st.reads);
	for (int f = 0; f < PYR_NFAIL; f++)
		if (st.fail[f])
			printf(", %llu %s failures", (unsigned long long)st.fail[f],
			       pyread_fail_name((enum pyread_fail)f));
	printf("\n");
	if (ready[PYL_CAP_NAMES] && !err)
		printf("process %d can be traced with Python thread and function names\n", (int)pid);
	else if (ready[PYL_CAP_FUNCS] && !err)
		printf("process %d can be traced with Python function names (threads keep their tids)\n",
		       (int)pid);
	else
		printf("process %d can be traced, without Python names (see FAIL above)\n", (int)pid);
}

static void print_json(const struct pyread *r, pid_t pid, const struct shown *s, size_t n,
		       bool ready[PYL_NCAPS], char why[PYL_NCAPS][512], int err)
{
	const struct pylayout *l = pyread_layout(r);
	struct pyread_stats st;
	struct json j;
	char ver[32];

	if (l->micro != PYL_MICRO_UNKNOWN)
		snprintf(ver, sizeof(ver), "%u.%u.%u", l->major, l->minor, l->micro);
	else
		snprintf(ver, sizeof(ver), "%u.%u", l->major, l->minor);
	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_u64(&j, "pid", (uint64_t)pid);
	json_str(&j, "interpreter", l->path);
	json_str(&j, "version", ver);
	json_str(&j, "layout", pylayout_src_name((enum pyl_src)l->src[PYL_TS_NEXT]));
	json_bool(&j, "dwarf", l->have_dwarf);
	json_bool(&j, "debug_offsets", l->have_debug_offsets);
	json_obj_begin(&j, "gil_args");
	json_i64(&j, "take_gil", l->take_gil_tstate_arg);
	json_i64(&j, "drop_gil", l->drop_gil_tstate_arg);
	json_str(&j, "source", pylayout_src_name((enum pyl_src)l->gil_args_src));
	json_obj_end(&j);
	json_obj_begin(&j, "ready");
	for (int c = 0; c < PYL_NCAPS; c++)
		json_bool(&j, cap_names[c], ready[c]);
	json_obj_end(&j);
	json_obj_begin(&j, "why");
	for (int c = 0; c < PYL_NCAPS; c++)
		if (!ready[c])
			json_str(&j, cap_names[c], why[c]);
	json_obj_end(&j);
	json_i64(&j, "error", err);
	json_arr_begin(&j, "threads");
	for (size_t i = 0; i < n; i++) {
		json_obj_begin(&j, NULL);
		json_u64(&j, "tid", s[i].t.tid);
		json_u64(&j, "ident", s[i].t.ident);
		if (s[i].t.named)
			json_str(&j, "name", s[i].t.name);
		else
			json_null(&j, "name");
		if (s[i].have_code) {
			json_str(&j, "function", s[i].func);
			json_str(&j, "file", s[i].file);
			json_i64(&j, "line", s[i].line);
		} else {
			json_null(&j, "function");
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	pyread_stats(r, &st);
	json_obj_begin(&j, "reads");
	json_u64(&j, "total", st.reads);
	for (int f = 0; f < PYR_NFAIL; f++)
		json_u64(&j, pyread_fail_name((enum pyread_fail)f), st.fail[f]);
	json_obj_end(&j);
	json_obj_end(&j);
	putchar('\n');
}

int cmd_check_python(pid_t pid, bool json, bool verbose)
{
	static struct pyread_thread t[MAX_SHOWN];
	static struct shown s[MAX_SHOWN];
	static char why[PYL_NCAPS][512];
	bool ready[PYL_NCAPS];
	struct pyread *r;
	char err[1024];
	size_t n = 0;
	int e;

	e = pyread_attach(&r, pid, err, sizeof(err));
	if (e) {
		fprintf(stderr, "gilscope check: %s\n", err);
		return 1;
	}
	for (int c = 0; c < PYL_NCAPS; c++)
		ready[c] = pyread_ready(r, c, why[c], sizeof(why[c]));
	e = ready[PYL_CAP_THREADS] ? 0 : -ENOTSUP;
	if (!e)
		e = pyread_threads(r, t, MAX_SHOWN, &n, (ready[PYL_CAP_FUNCS] ? PYREAD_CODE : 0) |
				   (ready[PYL_CAP_NAMES] ? PYREAD_NAMES : 0));
	if (e == -E2BIG)
		e = 0;	/* more than we list: the first MAX_SHOWN are shown */
	for (size_t i = 0; i < n; i++) {
		const struct pyread_code *c;

		s[i] = (struct shown){ .t = t[i] };
		if (t[i].code && !pyread_code(r, t[i].code, &c)) {
			s[i].have_code = true;
			snprintf(s[i].func, sizeof(s[i].func), "%s", c->qualname);
			snprintf(s[i].file, sizeof(s[i].file), "%s", c->filename);
			s[i].line = c->firstlineno;
		}
	}
	if (json)
		print_json(r, pid, s, n, ready, why, e);
	else
		print_text(r, pid, s, n, ready, why, e, verbose);
	pyread_close(r);
	return e == -ESRCH ? 1 : 0;
}
