/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * live_file.h - the .gst file a recording writes (the pipeline's file
 * sink, record/pipeline.h): `record -o FILE`, `live -o FILE`, or for a live
 * view without -o a temp file that `s` copies to gilscope-DATE.gst in the
 * current directory. live_file_create() makes the file before the recorder
 * starts (util/outfile.h: O_EXCL|O_NOFOLLOW; under sudo it belongs to
 * SUDO_UID, as `s` copies do); live_file_begin() starts the .gst once the
 * trace's metadata is known; the recorder's events are appended and
 * flushed; live_file_finish() writes the footer, completes the saved copy
 * and removes a temp file.
 */
#ifndef LIVE_FILE_H
#define LIVE_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/gs_types.h"
#include "trace/trace_cost.h"
#include "trace/trace_meta.h"

struct live_file;

/* path: -o FILE (must not exist unless force: see OUTFILE_FORCE), or NULL
 * for a temp file in $TMPDIR or /tmp. 0, or a negative errno with a
 * one-line reason in err. */
int live_file_create(struct live_file **out, const char *path, bool force, char *err,
		     size_t errlen);
/* Start writing the .gst with meta. 0 or a negative errno. */
int live_file_begin(struct live_file *f, const struct trace_meta *meta);
int live_file_append(struct live_file *f, const struct gs_event *ev, size_t n);
/* The tracing cost so far, kept with the next names chunk (the last one
 * written wins in a reader). */
int live_file_cost(struct live_file *f, const struct trace_cost *c);
/* Seal what was appended into blocks a reader can see. */
int live_file_flush(struct live_file *f);
/* The trace writer between begin and finish (for names records, which
 * must go in before the events that need them are appended), else NULL. */
struct trace_writer *live_file_writer(struct live_file *f);
/* `s`: copy the recording so far (a -o FILE is there already). Writes a
 * one-line result into msg; returns 0 or a negative errno. */
int live_file_save(struct live_file *f, char *msg, size_t len);
/* Footer, the saved copy made complete, a temp file removed. Then where the
 * recording is ("" for an unsaved temp) is live_file_where(). 0 or the
 * first error (said in err). */
int live_file_finish(struct live_file *f, char *err, size_t errlen);
const char *live_file_where(const struct live_file *f);
/* A -o FILE is there from the start; a temp file only once saved. */
bool live_file_is_temp(const struct live_file *f);
/* Bytes of events and blocks written so far (the footer not counted). */
uint64_t live_file_bytes(const struct live_file *f);
/* Removes a temp file or an unfinished -o FILE (an error before the view). */
void live_file_abandon(struct live_file *f);
void live_file_free(struct live_file *f);

#endif
