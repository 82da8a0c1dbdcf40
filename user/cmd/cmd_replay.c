/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_replay.c - `gilscope replay FILE [--at T] [--speed X] [--ascii]`:
 * the recorded trace in the full-screen view. The file is read through the
 * timeline, which seeks by the block index: only the blocks a window needs
 * are ever decoded.
 *
 * Hidden: `gilscope replay --bench-render [FILE]` times frame rendering at
 * 200x60 and 80x24 (on FILE, or on synthetic events) for `make bench`.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tui/app.h"
#include "cmd/cmd.h"
#include "tui/crt.h"
#include "tui/timeline.h"
#include "trace/trace_reader.h"
#include "trace/trace_names.h"
#include "trace/trace_synth.h"

static const char usage[] =
"usage: gilscope replay FILE [--at T] [--speed X] [--ascii]\n"
"\n"
"Replay a recorded trace in the terminal: one strip per CPU, the lock holder,\n"
"the threads and the events in plain words. Press ? in the view for the keys.\n"
"  --at T       start T seconds into the trace\n"
"  --speed X    playback speed, 0.01 to 100 (default 1)\n"
"  --ascii      plain ASCII, no colours (NO_COLOR=1 turns off colours only)\n";

static int open_trace(const char *path, struct timeline **tl, struct trace_reader **rp)
{
	struct trace_reader *r;
	int err = trace_reader_open(&r, path);

	if (err) {
		const char *why = trace_reader_error(NULL);

		if (err == -EBADMSG)
			fprintf(stderr, "gilscope replay: %s: not a readable gilscope trace%s%s\n",
				path, why[0] ? ": " : "", why);
		else
			fprintf(stderr, "gilscope replay: %s: %s\n", path, strerror(-err));
		return 1;
	}
	/* a damaged block in the middle: the view goes on past it (its time
	 * shows empty) and the command says what it skipped at the end */
	trace_reader_skip_bad(r, true);
	err = timeline_open_reader(tl, r, NULL);
	if (err) {
		trace_reader_close(r);
		fprintf(stderr, "gilscope replay: %s: %s\n", path, strerror(-err));
		return 1;
	}
	if (rp)
		*rp = r;	/* the timeline's now */
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A whole frame, however many calls reading its window takes. */
static int render(struct app *a, struct grid *g)
{
	int err;

	while ((err = app_render(a, g)) == -EAGAIN)
		;
	return err;
}

/* Mean time of one frame at w x h: still (cached window) and playing (the
 * window moves by one 40 ms frame of time at x1 each frame). */
static int bench_size(struct timeline *tl, int w, int h, uint64_t ns_per_col,
		      double *still_ms, double *play_ms)
{
	struct app_opts o = { .tl = tl, .mode = TUI_REPLAY, .color = true, .poll_fd = -1,
			      .ns_per_col = ns_per_col };
	struct grid *g = grid_new(w, h);
	struct app *a = NULL;
	int err = -ENOMEM, n = 300;
	double t;

	if (!g || (err = app_new(&a, &o)))
		goto out;
	/* start a second in, with threads and lock events in view */
	app_state(a)->now_ns = app_state(a)->origin_ns + (uint64_t)w * ns_per_col;
	if ((err = render(a, g)))
		goto out;
	t = now_s();
	for (int i = 0; i < n; i++)
		if ((err = render(a, g)))
			goto out;
	*still_ms = (now_s() - t) * 1e3 / n;
	t = now_s();
	for (int i = 0; i < n; i++) {
		app_tick(a, 40000000ull);
		if ((err = render(a, g)))
			goto out;
	}
	*play_ms = (now_s() - t) * 1e3 / n;
out:
	app_free(a);
	grid_free(g);
	return err;
}

static int bench_render(const char *path)
{
	static const struct {
		int w, h;
		uint64_t ns_per_col;
		const char *name;
	} sizes[] = {
		{ 200, 60, 1000000, "200x60" },
		{ 80, 24, 1000000, "80x24" },
		{ 200, 60, 50000000, "200x60_zoomed_out" },	/* 10 s in view */
	};
	struct timeline *tl = NULL;
	int err;

	if (path) {
		if (open_trace(path, &tl, NULL))
			return 1;
	} else {
		/* 4 threads on 2 CPUs, 40 s of synthetic GIL traffic */
		struct trace_synth_opts so = { .threads = 4, .cpus = 2 };
		struct trace_meta meta = { .ncpus = 2, .root_pid = 4242 };
		struct trace_synth *s = NULL;
		struct gs_event ev[4096];
		struct timeline_opts to = { .live_cap = 1u << 21 };

		if ((err = trace_synth_new(&s, &so)) ||
		    (err = timeline_new_live(&tl, &meta, &to))) {
			trace_synth_free(s);
			fprintf(stderr, "gilscope replay: bench: %s\n", strerror(-err));
			return 1;
		}
		for (int i = 0; i < 256; i++) {
			trace_synth_next(s, ev, 4096);
			timeline_append(tl, ev, 4096);
		}
		timeline_end(tl);
		trace_synth_free(s);
	}
	printf("{");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double still = NAN, play = NAN;

		err = bench_size(tl, sizes[i].w, sizes[i].h, sizes[i].ns_per_col, &still, &play);
		if (err) {
			fprintf(stderr, "gilscope replay: bench: %s\n", strerror(-err));
			timeline_free(tl);
			return 1;
		}
		printf("%s\"render_%s_ms\": %.4f, \"render_%s_playing_ms\": %.4f",
		       i ? ", " : "", sizes[i].name, still, sizes[i].name, play);
	}
	printf("}\n");
	timeline_free(tl);
	return 0;
}

/* What recording the trace cost, on the status line (from its cost
 * record; nothing for a trace without one). */
static void show_cost(struct app *a, const struct trace_names *names, char *buf, size_t len)
{
	const struct trace_cost *c = trace_names_cost(names);

	if (c) {
		trace_cost_short(c, buf, len);
		app_state(a)->cost = buf;
		app_state(a)->cost_warn = trace_cost_pct(c) > TRACE_COST_WARN_PCT;
	}
}

int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "at", required_argument, NULL, 'A' },
		{ "speed", required_argument, NULL, 'S' },
		{ "ascii", no_argument, NULL, 'a' },
		{ "bench-render", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct app_opts o = { .mode = TUI_REPLAY, .speed = 1, .poll_fd = -1 };
	const struct trace_meta *meta;
	char cost[40];
	struct timeline *tl = NULL;
	struct app *a = NULL;
	bool unicode, color, bench = false;
	double at = 0;
	int c, err;

	optind = 1;
	while ((c = cmd_getopt("replay", argc, argv, ":h", longopts)) != -1) {
		switch (c) {
		case 'A':
			if (cmd_parse_double("replay", "--at", optarg, 0, 1e9,
					     "seconds from the start, 0 or more", &at))
				return 2;
			break;
		case 'S':
			if (cmd_parse_double("replay", "--speed", optarg, 0.01, 100,
					     "a factor from 0.01 to 100", &o.speed))
				return 2;
			break;
		case 'a':
			o.ascii = true;
			break;
		case 'B':
			bench = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (bench)
		return bench_render(optind < argc ? argv[optind] : NULL);
	if (optind == argc)
		return cmd_usage("replay", "which trace? give a FILE");
	if (optind != argc - 1)
		return cmd_usage("replay", "one trace FILE at a time, not %d", argc - optind);
	struct trace_reader *rd = NULL;
	char note[256];

	if (open_trace(argv[optind], &tl, &rd))
		return 1;

	crt_probe(&unicode, &color);
	meta = timeline_meta(tl);
	o.tl = tl;
	/* --ascii: plain ASCII and monochrome; a non-UTF-8 terminal: ASCII only */
	o.color = color && !o.ascii;
	o.ascii = o.ascii || !unicode;
	o.at_ns = (uint64_t)(at * 1e9);
	o.title = meta->command[0] ? meta->command : argv[optind];
	o.pid = meta->root_pid;
	if ((err = app_new(&a, &o))) {
		fprintf(stderr, "gilscope replay: %s\n", strerror(-err));
		timeline_free(tl);
		return 1;
	}
	/* said once: why a CPython recording has no Python names or functions */
	const char *missing = trace_names_prop(trace_reader_names(rd), meta->root_pid,
					       TRACE_PROP_PY_MISSING);
	if (missing) {
		char line[600];

		snprintf(line, sizeof(line), "no Python names/functions: %s", missing);
		app_message(a, line);
	}
	show_cost(a, trace_reader_names(rd), cost, sizeof(cost));
	err = app_run(a);
	app_free(a);
	bool skipped = trace_reader_skip_note(rd, note, sizeof(note)) != 0;

	timeline_free(tl);	/* closes rd */
	if (skipped)
		fprintf(stderr, "gilscope replay: warning: %s: %s; the view showed that time "
			"empty\n", argv[optind], note);
	if (err == -ENOTTY) {
		fprintf(stderr, "gilscope replay: needs a terminal (for text, try: gilscope report %s)\n",
			argv[optind]);
		return 1;
	}
	if (err) {
		fprintf(stderr, "gilscope replay: %s: %s\n", argv[optind], strerror(-err));
		return 1;
	}
	return 0;
}
