/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * timeline_sink.h - the live view's timeline as a sink of a recording
 * (record/pipeline.h): made from the trace's metadata at begin, every event
 * appended. `live` and the live lessons add it next to their own sinks.
 *
 * ctx is a struct timeline ** that is NULL until begin; the timeline is the
 * caller's (timeline_free) and outlives the pipeline if the view needs it.
 */
#ifndef TUI_TIMELINE_SINK_H
#define TUI_TIMELINE_SINK_H
#include "record/pipeline.h"

extern const struct pipeline_sink timeline_sink;

#endif
