/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * report_py.c - the Python part of a report (contract in report.h): which
 * interpreter, and per thread the functions that held the GIL and those
 * that waited for it (model/funcstat.h), from the report's public parts.
 * Bounded output: the busiest PY_THREADS_SHOWN threads, PY_TOP functions
 * of each kind each in the text; every row funcstat keeps in the JSON
 * (funcstat caps a thread's rows and sums the rest as "(other)").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/describe.h"
#include "model/funcstat.h"
#include "model/model.h"
#include "model/report.h"
#include "trace/trace_names.h"
#include "util/json.h"

#define PY_TOP 5		/* functions shown per thread and kind (text) */
#define PY_THREADS_SHOWN 32	/* threads shown (text), the busiest first */

static bool is_python(const struct report *rp)
{
	const struct trace_meta *meta = report_meta(rp);

	return meta && !strcmp(meta->adapter, "python");
}

/* A property of the traced process (or, in a trace without its pid, of
 * the trace). */
static const char *prop(const struct report *rp, const char *key)
{
	const struct trace_meta *meta = report_meta(rp);
	const struct trace_names *n = model_names(report_model(rp));
	const char *v = meta ? trace_names_prop(n, meta->root_pid, key) : NULL;

	return v ? v : trace_names_prop(n, 0, key);
}

/* A row's function: name, file (NULL: none) and first line (0: none). */
static const char *func_of(const struct report *rp, const struct funcstat_row *r,
			   const char **file, int32_t *line)
{
	*file = NULL;
	*line = 0;
	if (r->func == FUNCSTAT_OTHER)
		return "(other)";
	return describe_func_name(model_names(report_model(rp)), r->pid, r->func, file, line);
}

void report_python_json(const struct report *rp, struct json *j)
{
	const char *v;
	size_t n;
	const struct funcstat_row *r;
	char name[DESCRIBE_THREAD_MAX + 16];

	if (!is_python(rp))
		return;
	json_obj_begin(j, "python");
	if ((v = prop(rp, TRACE_PROP_PY_VERSION)))
		json_str(j, "version", v);
	else
		json_null(j, "version");
	if ((v = prop(rp, TRACE_PROP_PY_EXE)))
		json_str(j, "executable", v);
	else
		json_null(j, "executable");
	if ((v = prop(rp, TRACE_PROP_PY_MISSING)))
		json_str(j, "missing", v);
	else
		json_null(j, "missing");
	json_obj_end(j);
	r = funcstat_rows(report_funcstat(rp), FUNCSTAT_BY_HOLD, &n);
	json_arr_begin(j, "functions");
	for (size_t i = 0; i < n; i++) {
		const struct model *m = report_model(rp);
		const char *file;
		int32_t line;
		const char *fn = func_of(rp, &r[i], &file, &line);

		json_obj_begin(j, NULL);
		json_u64(j, "pid", r[i].pid);
		json_u64(j, "tid", r[i].tid);
		json_str(j, "thread", describe_thread(name, sizeof(name), m,
						      model_thread(m, r[i].tid), r[i].tid));
		json_str(j, "function", fn);
		if (file)
			json_str(j, "file", file);
		else
			json_null(j, "file");
		if (line > 0)
			json_i64(j, "first_line", line);
		else
			json_null(j, "first_line");
		json_u64(j, "holds", r[i].holds);
		json_u64(j, "hold_ns", r[i].hold_ns);
		json_u64(j, "waits", r[i].waits);
		json_u64(j, "wait_ns", r[i].wait_ns);
		json_obj_end(j);
	}
	json_arr_end(j);
}

struct pthr {
	const struct model_thread *t;
	uint64_t key;		/* hold + wait time: the busiest first */
};

static int by_key(const void *a, const void *b)
{
	const struct pthr *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->t < y->t ? -1 : x->t > y->t;
}

/* One kind's lines of a thread: "    hold  spin_cpu   390  1.95 s  99.8 %  app.py:21". */
static void kind_lines(const struct report *rp, FILE *f, const struct model_thread *t,
		       enum funcstat_order order, uint64_t whole)
{
	struct funcstat_row rows[PY_TOP + 1];
	size_t n = funcstat_thread(report_funcstat(rp), t->pid, t->tid, order, rows, PY_TOP + 1);
	bool hold = order == FUNCSTAT_BY_HOLD;

	for (size_t i = 0; i < n && i < PY_TOP; i++) {
		char fn[DESCRIBE_FUNC_MAX + 8], where[96], d[24], pc[24], base[64];
		const char *file, *slash;
		int32_t line;
		const char *name = func_of(rp, &rows[i], &file, &line);

		fmt_printable(fn, sizeof(fn), name, DESCRIBE_FUNC_MAX);
		where[0] = '\0';
		if (file) {
			slash = strrchr(file, '/');
			fmt_printable(base, sizeof(base), slash ? slash + 1 : file, sizeof(base));
			if (line > 0)
				snprintf(where, sizeof(where), "%s:%d", base, (int)line);
			else
				snprintf(where, sizeof(where), "%s", base);
		}
		fprintf(f, "    %-4s  %-28s %7llu %9s %7s  %s\n", hold ? "hold" : "wait", fn,
			(unsigned long long)(hold ? rows[i].holds : rows[i].waits),
			fmt_duration(d, sizeof(d), hold ? rows[i].hold_ns : rows[i].wait_ns),
			fmt_percent(pc, sizeof(pc), hold ? rows[i].hold_ns : rows[i].wait_ns, whole),
			where);
	}
	if (n > PY_TOP)
		fprintf(f, "    %-4s  ... more functions\n", hold ? "hold" : "wait");
}

int report_python_text(const struct report *rp, FILE *f)
{
	const struct model *m = report_model(rp);
	size_t nt, np = 0, nrows;
	const struct model_thread *t = model_threads(m, &nt);
	const char *v = prop(rp, TRACE_PROP_PY_VERSION), *exe = prop(rp, TRACE_PROP_PY_EXE);
	const char *missing = prop(rp, TRACE_PROP_PY_MISSING);
	struct pthr *pick;
	char buf[1100];

	if (!is_python(rp))
		return 0;
	if (v || exe)
		fprintf(f, "\npython      CPython %s%s%s%s\n", v ? v : "?", exe ? " (" : "",
			exe ? fmt_printable(buf, sizeof(buf), exe, sizeof(buf)) : "", exe ? ")" : "");
	funcstat_rows(report_funcstat(rp), FUNCSTAT_BY_HOLD, &nrows);
	if (!nrows) {
		fprintf(f, "\nPython code none recorded: %s\n",
			missing ? fmt_printable(buf, sizeof(buf), missing, sizeof(buf))
				: "the trace carries no Python functions (recorded without them, "
				  "or by an older gilscope)");
		return 0;
	}
	fputs("\nPython code (a hold is the function running when the thread let go of the GIL, "
	      "a wait the function that asked)\n", f);
	fprintf(f, "            %-28s %7s %9s %7s  %s\n", "function", "count", "total", "share",
		"file:line");
	if (missing)
		fprintf(f, "  note: %s\n", fmt_printable(buf, sizeof(buf), missing, sizeof(buf)));
	pick = calloc(nt ? nt : 1, sizeof(*pick));
	if (!pick)
		return -ENOMEM;
	for (size_t i = 0; i < nt; i++)
		if (t[i].traced && t[i].hold_ns + t[i].wait_ns)
			pick[np++] = (struct pthr){ &t[i], t[i].hold_ns + t[i].wait_ns };
	qsort(pick, np, sizeof(*pick), by_key);
	for (size_t i = 0; i < np && i < PY_THREADS_SHOWN; i++) {
		char name[DESCRIBE_THREAD_MAX + 16];

		fprintf(f, "  %s (tid %u)\n", describe_thread(name, sizeof(name), m, pick[i].t,
							     pick[i].t->tid), pick[i].t->tid);
		kind_lines(rp, f, pick[i].t, FUNCSTAT_BY_HOLD, pick[i].t->hold_ns);
		kind_lines(rp, f, pick[i].t, FUNCSTAT_BY_WAIT, pick[i].t->wait_ns);
	}
	if (np > PY_THREADS_SHOWN)
		fprintf(f, "  ... %zu more threads (report --json lists them all)\n",
			np - PY_THREADS_SHOWN);
	free(pick);
	return 0;
}
