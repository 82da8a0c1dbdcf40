/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * report.c - the human summary and the --stats-json document of a run
 * (scenario.h). Formatting only; the numbers come from the run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "scenario.h"

/* "1.23 ms"-style duration into buf. */
static const char *fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3f s", (double)ns / 1e9);
	return buf;
}

/* Bucket bounds like "[4 ms, 8 ms)" with power-of-two ns rounded for reading. */
static const char *fmt_bound(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1024)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1048576)
		snprintf(buf, len, "%" PRIu64 "us", (ns + 512) / 1000);
	else if (ns < 1073741824ull)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	return buf;
}

static void print_hist(FILE *f, const char *title, const uint32_t *hist)
{
	unsigned lo = RT_HIST_BUCKETS, hi = 0;
	uint32_t max = 0;

	for (unsigned b = 0; b < RT_HIST_BUCKETS; b++) {
		if (!hist[b])
			continue;
		if (b < lo)
			lo = b;
		hi = b;
		if (hist[b] > max)
			max = hist[b];
	}
	if (!max)
		return;
	fprintf(f, "%s (log2 buckets):\n", title);
	for (unsigned b = lo; b <= hi; b++) {
		char l[16], h[16], bar[41];
		unsigned w = (unsigned)((uint64_t)hist[b] * 40 / max);

		memset(bar, '#', w);
		bar[w] = 0;
		fprintf(f, "  %8s .. %-8s %8u %s\n", fmt_bound(l, sizeof(l), rt_hist_lo(b)),
			fmt_bound(h, sizeof(h), rt_hist_lo(b + 1)), hist[b], bar);
	}
}

void rt_result_print(const struct rt_result *r, FILE *f)
{
	struct gil_stats tot;
	char a[32], b[32], c[32];

	rt_result_totals(r, &tot);
	fprintf(f, "gilrt %s: %d %s%s, policy %s, switch interval %u us, wall %s\n", r->scenario,
		r->threads, strcmp(r->scenario, "async") == 0 ? "coroutine" : "worker",
		r->threads == 1 ? "" : "s",
		gil_policy_name(r->policy), r->interval_us, fmt_ns(a, sizeof(a), r->wall_ns));
	fprintf(f, "  %-15s %8s %8s %10s %10s %6s %10s %7s %7s\n", "thread", "tid", "acq", "hold",
		"wait", "drops", "cpu", "vcsw", "ivcsw");
	for (size_t i = 0; i < r->nreports; i++) {
		const struct rt_report *t = &r->reports[i];

		fprintf(f, "  %-15s %8d %8" PRIu64 " %10s %10s %6" PRIu64 " %10s %7" PRIu64 " %7" PRIu64 "\n",
			t->name, t->tid, t->gil.acquisitions, fmt_ns(a, sizeof(a), t->gil.hold_ns),
			fmt_ns(b, sizeof(b), t->gil.wait_ns), t->gil.drop_requests,
			fmt_ns(c, sizeof(c), t->cpu_ns), t->voluntary_ctxsw, t->involuntary_ctxsw);
	}
	fprintf(f, "lock: %" PRIu64 " acquisitions, %" PRIu64 " hand-overs, %" PRIu64
		" drop requests; process: %" PRIu64 " voluntary, %" PRIu64 " involuntary switches\n",
		tot.acquisitions, r->switches, tot.drop_requests, r->voluntary_ctxsw,
		r->involuntary_ctxsw);
	if (r->work_done)
		fprintf(f, "work: %" PRIu64 " %s (%.2f M/s)\n", r->work_done,
			strcmp(r->scenario, "churn") == 0 ? "lock releases" :
			r->has_latency && strcmp(r->scenario, "convoy") ? "events" : "units",
			(double)r->work_done * 1e3 / (double)(r->wall_ns ? r->wall_ns : 1));
	if (strcmp(r->scenario, "churn") == 0 && tot.acquisitions)
		fprintf(f, "cost: %s per release+retake\n",
			fmt_ns(a, sizeof(a), r->wall_ns * r->threads / tot.acquisitions));
	if (r->has_latency)
		fprintf(f, "response latency (event written -> handler holds the lock): "
			"p50 %s, p99 %s, max %s over %" PRIu64 " events\n",
			fmt_ns(a, sizeof(a), r->latency_p50_ns), fmt_ns(b, sizeof(b), r->latency_p99_ns),
			fmt_ns(c, sizeof(c), r->latency_max_ns), r->latency_count);
	if (r->has_unsafe) {
		fprintf(f, "shared object refcount: expected %ld, got %ld; fell to zero %ld times while in use\n",
			r->refcnt_expected, r->refcnt_actual, r->refcnt_underflows);
		fprintf(f, "shared counter: expected %" PRId64 ", got %" PRId64 " (%" PRId64 " updates lost)\n",
			r->counter_expected, r->counter_actual, r->counter_expected - r->counter_actual);
		fprintf(f, "%s\n", r->corrupted ?
			"CORRUPTION DETECTED: without the lock, threads overwrote each other's updates" :
			"no corruption: the lock made every update atomic");
	}
	print_hist(f, "hold times", tot.hold_hist);
	print_hist(f, "wait times", tot.wait_hist);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_hist(FILE *f, const char *key, const uint32_t *hist)
{
	fprintf(f, "\"%s\":[", key);
	for (unsigned b = 0; b < RT_HIST_BUCKETS; b++)
		fprintf(f, "%s%u", b ? "," : "", hist[b]);
	fputc(']', f);
}

int rt_result_write_json(const struct rt_result *r, FILE *f)
{
	struct gil_stats tot;

	rt_result_totals(r, &tot);
	fprintf(f, "{\"scenario\":");
	json_str(f, r->scenario);
	fprintf(f, ",\"policy\":\"%s\",\"switch_interval_us\":%u,\"wall_ns\":%" PRIu64
		",\"workers\":%d,\"work_done\":%" PRIu64 ",\"switches\":%" PRIu64,
		gil_policy_name(r->policy), r->interval_us, r->wall_ns, r->threads, r->work_done,
		r->switches);
	fprintf(f, ",\"process\":{\"voluntary_ctxsw\":%" PRIu64 ",\"involuntary_ctxsw\":%" PRIu64 "}",
		r->voluntary_ctxsw, r->involuntary_ctxsw);
	fprintf(f, ",\"threads\":[");
	for (size_t i = 0; i < r->nreports; i++) {
		const struct rt_report *t = &r->reports[i];

		fprintf(f, "%s\n {\"pid\":%d,\"tid\":%d,\"name\":", i ? "," : "", t->pid, t->tid);
		json_str(f, t->name);
		fprintf(f, ",\"acquisitions\":%" PRIu64 ",\"hold_ns\":%" PRIu64 ",\"wait_ns\":%" PRIu64
			",\"drop_requests\":%" PRIu64 ",\"cpu_ns\":%" PRIu64 ",\"voluntary_ctxsw\":%" PRIu64
			",\"involuntary_ctxsw\":%" PRIu64 "}",
			t->gil.acquisitions, t->gil.hold_ns, t->gil.wait_ns, t->gil.drop_requests,
			t->cpu_ns, t->voluntary_ctxsw, t->involuntary_ctxsw);
	}
	fprintf(f, "]");
	/* log2 ns buckets: bucket b counts [2^(b-1), 2^b) ns, bucket 0 counts 0 */
	fprintf(f, ",\"histograms\":{");
	json_hist(f, "hold_ns_log2", tot.hold_hist);
	fputc(',', f);
	json_hist(f, "wait_ns_log2", tot.wait_hist);
	fputc('}', f);
	if (r->has_latency)
		fprintf(f, ",\"io_latency_ns\":{\"p50\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"max\":%" PRIu64
			",\"count\":%" PRIu64 "}",
			r->latency_p50_ns, r->latency_p99_ns, r->latency_max_ns, r->latency_count);
	if (r->has_unsafe)
		fprintf(f, ",\"unsafe\":{\"corrupted\":%s,\"refcnt_expected\":%ld,\"refcnt_actual\":%ld"
			",\"refcnt_underflows\":%ld,\"counter_expected\":%" PRId64
			",\"counter_actual\":%" PRId64 "}",
			r->corrupted ? "true" : "false", r->refcnt_expected, r->refcnt_actual,
			r->refcnt_underflows, r->counter_expected, r->counter_actual);
	fprintf(f, "}\n");
	return ferror(f) ? -EIO : 0;
}
