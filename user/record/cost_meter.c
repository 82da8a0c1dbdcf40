/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cost_meter.c - one recording's tracing cost (see cost_meter.h). */
#include <errno.h>
#include <stdlib.h>
#include "record/calibrate.h"
#include "record/cost.h"
#include "record/cost_meter.h"
#include "util/proc.h"

struct cost_meter {
	struct cost_acct acct;		/* hits per probe; priced if calibrated */
	char err[160];			/* why it is not priced */
	pid_t pid;			/* the target (0 before cost_meter_begin) */
	uint64_t cpu_base_ns;		/* its CPU time at the start */
	uint64_t cpu_ns;		/* ... and at the last sample */
};

int cost_meter_new(struct cost_meter **out, const struct lock_target *t, const char *exe,
		   const struct gs_py_cfg *py)
{
	struct cost_meter *m = calloc(1, sizeof(*m));
	struct calib_opts co = { .py = py };
	struct calib cal;

	*out = m;
	if (!m)
		return -ENOMEM;
	if (t) {
		cost_acct_lock(&m->acct, &t->sites, t->acquire_name ? t->acquire_name : "acquire",
			       t->release_name ? t->release_name : "release");
		co.acq_entry = !t->sites.nwait;
	} else {
		cost_acct_gilrt(&m->acct, loader_gilrt_nop5(exe) > 0);
	}
	co.kinds = cost_acct_kinds(&m->acct);
	if (!calibrate(&co, &cal, m->err, sizeof(m->err)))
		cost_acct_price(&m->acct, cal.ns);
	return 0;
}

void cost_meter_free(struct cost_meter *m)
{
	free(m);
}

void cost_meter_begin(struct cost_meter *m, pid_t pid)
{
	m->pid = pid;
	if (!proc_cpu_ns(pid, &m->cpu_base_ns))
		m->cpu_ns = m->cpu_base_ns;
}

void cost_meter_event(struct cost_meter *m, const struct gs_event *e)
{
	cost_acct_event(&m->acct, e);
}

void cost_meter_quiet(struct cost_meter *m, const struct loader *ld)
{
	uint64_t qa, qr;

	loader_quiet_hits(ld, &qa, &qr);
	cost_acct_quiet(&m->acct, qa, qr);
}

void cost_meter_sample(struct cost_meter *m)
{
	uint64_t ns;

	if (m->pid && !proc_cpu_ns(m->pid, &ns))
		m->cpu_ns = ns;
}

int cost_meter_get(const struct cost_meter *m, uint64_t now_ns, uint64_t span_ns,
		   uint64_t exit_cpu_ns, struct trace_cost *out)
{
	uint64_t cpu = exit_cpu_ns ? exit_cpu_ns
		     : m->cpu_ns > m->cpu_base_ns ? m->cpu_ns - m->cpu_base_ns : 0;

	if (!m->acct.priced)
		return -ENODATA;
	cost_acct_snapshot(&m->acct, now_ns, span_ns, cpu, out);
	return 0;
}

const char *cost_meter_error(const struct cost_meter *m)
{
	if (m->acct.priced)
		return "";
	return m->err[0] ? m->err : "some probe kinds could not be measured";
}
