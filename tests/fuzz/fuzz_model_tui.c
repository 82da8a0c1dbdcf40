/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fuzz_model_tui.c - libFuzzer target for what reads a trace after the
 * reader: the model and the viewer. Built and run by `make fuzz-model-tui`
 * (build/fuzz/fuzz_model_tui, seeds: the trace corpus and tests/hostile/).
 *
 * Each input is a .gst file (opened through a memfd, as a user opens one).
 * Every event it decodes goes to model_feed(), with the model's promises
 * checked (totals within the time fed, counts saturating, bounded tables);
 * then a timeline over the file renders windows at three sizes and four
 * zooms (start, middle, end) with tui_render(), the way replay draws them,
 * slice by slice. Volume is not the point here (report_hostile.sh and
 * tui_hostile.sh have the million-lock files): the model takes the first
 * FEED_MAX events, the timeline at most WINDOW_CALLS calls of
 * timeline_window() per input (a window left unread is given up for the
 * next one, as when replay moves while reading). Inputs whose CRCs are wrong stop at the reader: the seeds
 * are valid files, and mutations of them are kept by recomputing the CRCs
 * as the trace reader's own target does (fix_crcs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "util/crc32c.h"
#include "model/model.h"
#include "trace/trace_format.h"
#include "trace/trace_reader.h"
#include "tui/timeline.h"
#include "tui/tui.h"
#include "fix_crcs.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define FEED_MAX (1u << 17)
#define WINDOW_CALLS 8

static void feed_model(const char *path)
{
	struct trace_reader *r;
	const struct gs_event *ev;
	struct model *m;
	size_t n, nt, nl, fed = 0;
	int ret;

	if (trace_reader_open(&r, path))
		return;
	m = model_new(&(struct model_opts){ .ncpus = trace_reader_meta(r)->ncpus });
	if (!m)
		abort();
	while (fed < FEED_MAX && (ret = trace_reader_next_batch(r, &ev, &n)) != 0) {
		if (ret < 0)
			continue;	/* a bad block is skipped */
		for (size_t i = 0; i < n && fed < FEED_MAX; i++, fed++)
			model_feed(m, &ev[i]);	/* -ENOMEM at worst: goes on */
	}
	uint64_t origin = model_origin(m), now = model_now(m);

	model_finish(m, now);
	const struct model_thread *t = model_threads(m, &nt);

	model_locks(m, &nl);
	if (now < origin || nl > MODEL_LOCKS_MAX)
		abort();
	for (size_t i = 0; i < nt; i++)	/* nothing counts more time than was fed */
		if (t[i].cpu_ns > now - origin || t[i].hold_ns > now - origin ||
		    t[i].wait_ns > now - origin)
			abort();
	model_free(m);
	trace_reader_close(r);
}

static void render(const char *path)
{
	static const int size[][2] = { { 50, 10 }, { 80, 24 }, { 200, 60 } };
	static const uint64_t zoom[] = { 10000, 1000000, 50000000, 1000000000 };
	struct trace_reader *r;
	struct timeline *tl;
	uint64_t first, last;
	int calls = WINDOW_CALLS;

	if (trace_reader_open(&r, path))
		return;
	if (timeline_open_reader(&tl, r, NULL)) {
		trace_reader_close(r);
		return;
	}
	timeline_extent(tl, &first, &last);
	for (size_t s = 0; s < 3; s++) {
		struct grid *g = grid_new(size[s][0], size[s][1]);
		int cols = tui_lane_cols(size[s][0]);

		if (!g)
			abort();
		for (size_t z = 0; z < 4; z++) {
			const uint64_t at[] = { first + 1, first / 2 + last / 2, last + 1 };

			for (size_t k = 0; k < 3; k++) {
				struct tui_state st = { .ascii = k & 1, .color = true,
							.ns_per_col = zoom[z], .origin_ns = first,
							.now_ns = at[k] ? at[k] : 1, .speed = 1 };
				uint64_t w = (uint64_t)cols * zoom[z];
				uint64_t t0 = st.now_ns > w ? st.now_ns - w : 0;
				const struct tl_window *win;
				int err = -EAGAIN;

				if (t0 >= st.now_ns)
					continue;
				while (calls > 0 && err == -EAGAIN) {
					calls--;
					err = timeline_window(tl, t0, st.now_ns, &win);
				}
				if (err)
					continue;	/* a damaged block: replay says so */
				if (tui_render(win, &st, g))
					abort();
			}
		}
		grid_free(g);
	}
	timeline_free(tl);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);
	char path[64];
	int fd = memfd_create("gst", MFD_CLOEXEC);

	if (!b || fd < 0)
		abort();
	memcpy(b, data, size);
	fix_crcs(b, size);
	if (write(fd, b, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	feed_model(path);
	render(path);
	close(fd);
	free(b);
	return 0;
}
