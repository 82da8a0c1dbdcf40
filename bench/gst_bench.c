/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gst_bench - the trace-file numbers of `make bench`, measured in process:
 *
 *   gst_bench synth -o FILE -n EVENTS      write a synthetic trace (trace_synth)
 *   gst_bench seek FILE [-n SEEKS]         seek to random times: reader seek +
 *                                          first batch, and a TUI-sized
 *                                          window (timeline_window, 200 cols
 *                                          of 1 ms) from a cold timeline
 *
 * Prints one JSON object on stdout. Times are CLOCK_MONOTONIC wall times;
 * the caller compares them with targets (bench/run.sh). Decode rate is
 * measured from outside, on `gilscope report`, by bench/run.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "tui/timeline.h"
#include "trace/trace_reader.h"
#include "trace/trace_synth.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int bench_synth(const char *path, uint64_t n)
{
	struct trace_synth_opts o = { .threads = 4, .cpus = 2 };
	double t = now_ms();
	int err = trace_synth_write(path, n, &o, NULL);

	if (err) {
		fprintf(stderr, "gst_bench: cannot write %s: %s\n", path, strerror(-err));
		return 1;
	}
	printf("{\"events\": %llu, \"write_ms\": %.1f}\n", (unsigned long long)n, now_ms() - t);
	return 0;
}

/* xorshift64*: reproducible random seek targets */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static int bench_seek(const char *path, int nseeks)
{
	struct trace_reader *r = NULL;
	struct trace_info info;
	double *raw = calloc(nseeks, sizeof(*raw));
	double *win = calloc(nseeks, sizeof(*win));
	uint64_t seed = 42;
	int err;

	if (!raw || !win)
		return 1;
	err = trace_reader_open(&r, path);
	if (err) {
		fprintf(stderr, "gst_bench: %s: %s\n", path, r ? trace_reader_error(r) : strerror(-err));
		return 1;
	}
	trace_reader_info(r, &info);
	uint64_t span = info.last_ns - info.first_ns;

	for (int i = 0; i < nseeks; i++) {
		uint64_t ts = info.first_ns + rnd(&seed) % (span ? span : 1);
		const struct gs_event *evs;
		size_t n;
		double t = now_ms();

		if (trace_reader_seek(r, ts) || trace_reader_next_batch(r, &evs, &n) < 0) {
			fprintf(stderr, "gst_bench: seek failed: %s\n", trace_reader_error(r));
			return 1;
		}
		raw[i] = now_ms() - t;
	}
	trace_reader_close(r);

	/* A cold timeline per seek: what `replay --at T` or `g` pays. */
	for (int i = 0; i < nseeks; i++) {
		uint64_t ts = info.first_ns + rnd(&seed) % (span ? span : 1);
		struct timeline *tl = NULL;
		const struct tl_window *w;
		double t = now_ms();

		if (trace_reader_open(&r, path) || timeline_open_reader(&tl, r, NULL)) {
			fprintf(stderr, "gst_bench: cannot open a timeline on %s\n", path);
			return 1;
		}
		while ((err = timeline_window(tl, ts, ts + 200 * 1000000ULL, &w)) == -EAGAIN)
			;	/* bounded slices: the whole window is what counts */
		win[i] = now_ms() - t;
		timeline_free(tl);
		if (err) {
			fprintf(stderr, "gst_bench: window failed: %s\n", strerror(-err));
			return 1;
		}
	}
	qsort(raw, nseeks, sizeof(*raw), cmp_double);
	qsort(win, nseeks, sizeof(*win), cmp_double);
	printf("{\"events\": %llu, \"seeks\": %d, \"seek_p50_ms\": %.3f, \"seek_max_ms\": %.3f, "
	       "\"window_p50_ms\": %.3f, \"window_max_ms\": %.3f, \"peak_rss_kib\": %ld}\n",
	       (unsigned long long)info.events, nseeks, raw[nseeks / 2], raw[nseeks - 1],
	       win[nseeks / 2], win[nseeks - 1], peak_rss_kib());
	free(raw);
	free(win);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "synth") && !strcmp(argv[2], "-o") &&
	    !strcmp(argv[4], "-n") && argc == 6)
		return bench_synth(argv[3], strtoull(argv[5], NULL, 10));
	if (argc >= 3 && !strcmp(argv[1], "seek")) {
		int n = 100;

		if (argc == 5 && !strcmp(argv[3], "-n"))
			n = atoi(argv[4]);
		if (n < 1 || n > 100000) {
			fprintf(stderr, "gst_bench: -n takes 1..100000\n");
			return 2;
		}
		return bench_seek(argv[2], n);
	}
	fprintf(stderr, "usage: gst_bench synth -o FILE -n EVENTS | seek FILE [-n SEEKS]\n");
	return 2;
}
