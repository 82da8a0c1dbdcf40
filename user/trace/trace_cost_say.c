/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* trace_cost_say.c - the tracing cost in words, for every command (see
 * trace_cost.h); apart from the codec so that readers need no formatting. */
#include <stdio.h>
#include "trace/trace_cost.h"
#include "util/fmt.h"

void trace_cost_line(const struct trace_cost *c, char *buf, size_t len)
{
	char o[24], p[24];
	double pct = trace_cost_pct(c);

	if (!c) {
		snprintf(buf, len, "tracing cost unknown (a trace recorded before gilscope measured "
			 "it, or whose recording was killed)");
		return;
	}
	fmt_duration(o, sizeof(o), c->overhead_ns);
	if (pct < 0) {
		snprintf(buf, len, "tracing cost ~%s of CPU (the program's own CPU time unknown)", o);
		return;
	}
	if (pct >= 1000) {
		snprintf(buf, len, "tracing cost ~%s of CPU, over 90 %% of the program's", o);
		return;
	}
	fmt_duration(p, sizeof(p), c->program_cpu_ns - c->overhead_ns);
	snprintf(buf, len, "tracing cost ~%s of CPU, +%.1f %% on the program's %s", o, pct, p);
}

void trace_cost_short(const struct trace_cost *c, char *buf, size_t len)
{
	double pct = trace_cost_pct(c);
	char o[24];

	if (pct >= 1000)
		snprintf(buf, len, "cost >900 %%");
	else if (pct >= 0)
		snprintf(buf, len, "cost +%.*f %%", pct < 10 ? 1 : 0, pct);
	else
		snprintf(buf, len, "cost ~%s", fmt_duration(o, sizeof(o), c ? c->overhead_ns : 0));
}

bool trace_cost_warning(const struct trace_cost *c, char *buf, size_t len)
{
	const struct trace_cost_row *top = NULL;
	char d[24];
	double pct = trace_cost_pct(c), share, rate;

	if (pct <= TRACE_COST_WARN_PCT)
		return false;
	for (uint32_t i = 0; i < c->nrows && i < TRACE_COST_ROWS; i++)
		if (!top || c->row[i].hits * c->row[i].ns_per_hit > top->hits * top->ns_per_hit)
			top = &c->row[i];
	if (!top || !c->overhead_ns)
		return false;
	share = 100.0 * top->hits * top->ns_per_hit / (double)c->overhead_ns;
	rate = c->span_ns ? top->hits * 1e9 / (double)c->span_ns : 0;
	fmt_duration(d, sizeof(d), top->ns_per_hit);
	snprintf(buf, len, "warning: tracing slowed the program by %s%.0f %%: probe %s fired %.0f "
		 "times a second at ~%s each (%.0f %% of the cost)", pct >= 1000 ? "over " : "",
		 pct >= 1000 ? 900.0 : pct, top->probe, rate, d, share);
	return true;
}
