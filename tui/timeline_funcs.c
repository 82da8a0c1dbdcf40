/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * timeline_funcs.c - the Python functions of a window (tl_window.funcs,
 * timeline.h): the window's HOLD and WAIT spans, already clipped to it,
 * counted by thread and function (model/funcstat.h) and named from the
 * model's names, the top TL_FUNCS_TOP of each kind for each thread of the
 * window. Only a trace with Python functions has spans to count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/describe.h"
#include "model/funcstat.h"
#include "tui/timeline_impl.h"
#include "util/fmt.h"

void timeline_set_names(struct timeline *tl, const struct trace_names *names)
{
	struct funcstat *fs;

	model_set_names(tl->m, names);
	if (!funcstat_new(&fs, names, 0)) {
		funcstat_free(tl->fs);
		tl->fs = fs;
	}
	tl->win_valid = false;
}

void tl_funcs_free(struct timeline *tl)
{
	funcstat_free(tl->fs);
	free(tl->out_funcs);
}

/* Row r of thread t as the view shows it. */
static void name_row(struct timeline *tl, const struct funcstat_row *r, bool wait,
		     struct tl_func *o)
{
	const char *file, *slash, *fn;
	int32_t line;
	char base[32];

	memset(o, 0, sizeof(*o));
	o->tid = r->tid;
	o->wait = wait;
	o->count = (uint32_t)(wait ? r->waits : r->holds);
	o->ns = wait ? r->wait_ns : r->hold_ns;
	fn = r->func == FUNCSTAT_OTHER ? "(other)" :
	     describe_func_name(model_names(tl->m), r->pid, r->func, &file, &line);
	if (r->func == FUNCSTAT_OTHER)
		file = NULL;
	fmt_printable(o->name, sizeof(o->name), fn ? fn : "?", sizeof(o->name));
	if (file) {
		slash = strrchr(file, '/');
		fmt_printable(base, sizeof(base), slash ? slash + 1 : file, sizeof(base));
		if (line > 0)
			snprintf(o->where, sizeof(o->where), "%s:%d", base, (int)line);
		else
			snprintf(o->where, sizeof(o->where), "%s", base);
	}
}

int tl_funcs(struct timeline *tl)
{
	struct tl_window *w = &tl->win;
	struct funcstat_row rows[TL_FUNCS_TOP];
	size_t n = 0, k;
	bool any = false;
	int err;

	w->funcs = tl->out_funcs;
	w->nfuncs = 0;
	if (!tl->fs && (err = funcstat_new(&tl->fs, model_names(tl->m), 0)))
		return err;
	funcstat_clear(tl->fs);
	for (size_t i = 0; i < tl->nout; i++) {
		if (tl->out_spans[i].func == MODEL_NO_FUNC)
			continue;
		any = true;
		if ((err = funcstat_span(tl->fs, &tl->out_spans[i])))
			return err;
	}
	if (!any)
		return 0;
	if (grow_array(&tl->out_funcs, &tl->capfuncs, w->nthreads * 2 * TL_FUNCS_TOP + 1,
		       sizeof(*tl->out_funcs)))
		return -ENOMEM;
	for (size_t t = 0; t < w->nthreads; t++) {
		const struct tl_thread *th = &w->threads[t];

		for (int wait = 0; wait < 2; wait++) {
			k = funcstat_thread(tl->fs, th->pid, th->tid,
					    wait ? FUNCSTAT_BY_WAIT : FUNCSTAT_BY_HOLD, rows,
					    TL_FUNCS_TOP);
			for (size_t i = 0; i < k; i++)
				name_row(tl, &rows[i], wait, &tl->out_funcs[n++]);
		}
	}
	w->funcs = tl->out_funcs;
	w->nfuncs = n;
	return 0;
}
