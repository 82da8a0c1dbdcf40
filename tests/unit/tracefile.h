/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tracefile.h - the unit tests' way to put hand-built events into a real
 * .gst file (blocks of block_events, so seeks and keyframes happen) and
 * open a timeline on it, as `replay` does; or the same for trace_synth's
 * trace of four threads on two CPUs. Include after check.h.
 */
#ifndef TEST_TRACEFILE_H
#define TEST_TRACEFILE_H
#include <stdio.h>
#include <unistd.h>
#include "trace/trace_reader.h"
#include "trace/trace_synth.h"
#include "trace/trace_writer.h"
#include "tui/timeline.h"

/* dir/name written afresh from e[0..n); NULL (and a failed CHECK) on error */
static inline struct timeline *timeline_of_file(const char *dir, const char *name,
						const struct trace_meta *meta,
						const struct gs_event *e, size_t n,
						uint32_t block_events)
{
	struct trace_writer_opts wo = { .block_events = block_events };
	struct trace_writer *w = NULL;
	struct trace_reader *r = NULL;
	struct timeline *tl = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	CHECK(trace_writer_open(&w, path, meta, &wo) == 0);
	if (!w)
		return NULL;
	CHECK(trace_writer_append(w, e, n) == 0);
	CHECK(trace_writer_close(w) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	if (r)
		CHECK(timeline_open_reader(&tl, r, NULL) == 0);
	return tl;
}

/* dir/synth.gst written afresh: 20000 events of trace_synth's four threads
 * on two CPUs (the golden screens' trace); NULL (and a failed CHECK) on error */
static inline struct timeline *timeline_of_synth(const char *dir)
{
	struct trace_synth_opts so = { .threads = 4, .cpus = 2 };
	struct trace_reader *r = NULL;
	struct timeline *tl = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/synth.gst", dir);
	unlink(path);
	CHECK(trace_synth_write(path, 20000, &so, NULL) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	if (r)
		CHECK(timeline_open_reader(&tl, r, NULL) == 0);
	return tl;
}

#endif
