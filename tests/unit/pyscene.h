/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyscene.h - a CPython recording built by hand, as the recorder's Python
 * stage (record/pyrec.h) leaves it: events whose lock requests and releases
 * carry functions (GS_F_FUNC), and the names a trace keeps for them.
 * Include after events.h (PID) and check.h.
 *
 *   producer (PY_A)                 waits in fetch, holds in Worker.run
 *   ThreadPoolExecutor-0_1 (PY_B)   waits and holds in crunch, except one
 *                                   release that could not be read ("?")
 * They pass the GIL every 10 ms from T0 on, on CPU0 (A) and CPU1 (B).
 */
#ifndef TEST_PYSCENE_H
#define TEST_PYSCENE_H
#include "trace/trace_names.h"
#include "trace/trace_writer.h"

#define PY_A (PID + 1)
#define PY_B (PID + 2)
#define PY_GIL 1			/* ADAPTER_PYTHON_LOCK_ID */
#define PY_FETCH (GS_FUNC_FIRST + 0)
#define PY_RUN (GS_FUNC_FIRST + 1)
#define PY_CRUNCH (GS_FUNC_FIRST + 2)
#define PY_MS 1000000ull

static inline struct gs_event py_ev(uint64_t ts, uint8_t type, uint32_t tid, uint16_t cpu,
				    uint64_t func)
{
	struct gs_event e = ev(ts, type, tid, cpu, PY_GIL, func);

	if (type == GS_EV_LOCK_REQUEST || type == GS_EV_LOCK_RELEASED)
		e.flags |= GS_F_FUNC;
	return e;
}

/* rounds hand-offs from t0 into e (room for 8 * rounds + 4); returns how many. */
static inline size_t py_scene(struct gs_event *e, uint64_t t0, int rounds)
{
	size_t n = 0;

	e[n++] = sw(t0, 0, 0, PY_A, 0);
	e[n++] = py_ev(t0, GS_EV_LOCK_ACQUIRED, PY_A, 0, 0);
	e[n++] = sw(t0 + PY_MS, 1, 0, PY_B, 0);
	e[n++] = py_ev(t0 + PY_MS, GS_EV_LOCK_REQUEST, PY_B, 1, PY_CRUNCH);
	for (int r = 0; r < rounds; r++) {
		uint64_t t = t0 + (uint64_t)r * 10 * PY_MS;
		bool a_holds = r % 2 == 0;
		uint32_t h = a_holds ? PY_A : PY_B, w = a_holds ? PY_B : PY_A;
		uint16_t hc = a_holds ? 0 : 1, wc = !hc;
		uint64_t hold_fn = a_holds ? PY_RUN : r == 3 ? GS_FUNC_UNKNOWN : PY_CRUNCH;
		uint64_t ask_fn = a_holds ? PY_FETCH : PY_CRUNCH;

		e[n++] = py_ev(t + 10 * PY_MS, GS_EV_LOCK_RELEASED, h, hc, hold_fn);
		e[n++] = py_ev(t + 10 * PY_MS + 1000, GS_EV_LOCK_ACQUIRED, w, wc, 0);
		e[n++] = py_ev(t + 10 * PY_MS + 2000, GS_EV_LOCK_REQUEST, h, hc, ask_fn);
		e[n++] = sw(t + 10 * PY_MS + 3000, hc, h, 0, 1);
		e[n++] = sw(t + 10 * PY_MS + 4000, hc, 0, h, 0);
	}
	return n;
}

/* The scene's names into a trace writer (w) and/or a store (s). */
static inline void py_scene_names(struct trace_writer *w, struct trace_names *s)
{
	static const struct {
		uint32_t tid;
		const char *name;
	} th[] = { { PID, "MainThread" }, { PY_A, "producer" }, { PY_B, "ThreadPoolExecutor-0_1" } };
	static const struct {
		uint64_t id;
		int32_t line;
		const char *name, *file;
	} fn[] = {
		{ PY_FETCH, 40, "fetch", "/srv/app/app.py" },
		{ PY_RUN, 12, "Worker.run", "/srv/app/app.py" },
		{ PY_CRUNCH, 7, "crunch", "/srv/app/work.py" },
	};

	for (size_t i = 0; i < sizeof(th) / sizeof(th[0]); i++) {
		if (w)
			CHECK(trace_writer_thread_name(w, PID, th[i].tid, 1, th[i].name) == 0);
		if (s)
			CHECK(trace_names_put_thread(s, PID, th[i].tid, 1, th[i].name) == 0);
	}
	for (size_t i = 0; i < sizeof(fn) / sizeof(fn[0]); i++) {
		if (w)
			CHECK(trace_writer_func_name(w, PID, fn[i].id, fn[i].line, fn[i].name,
						     fn[i].file) == 0);
		if (s)
			CHECK(trace_names_put_func(s, PID, fn[i].id, fn[i].line, fn[i].name,
						   fn[i].file) == 0);
	}
	if (w) {
		CHECK(trace_writer_prop(w, 0, TRACE_PROP_LOCK_NOUN, "GIL") == 0);
		CHECK(trace_writer_prop(w, PID, TRACE_PROP_PY_VERSION, "3.11.7") == 0);
		CHECK(trace_writer_prop(w, PID, TRACE_PROP_PY_EXE, "/usr/bin/python3.11") == 0);
	}
	if (s) {
		CHECK(trace_names_put_prop(s, 0, TRACE_PROP_LOCK_NOUN, "GIL") == 0);
		CHECK(trace_names_put_prop(s, PID, TRACE_PROP_PY_VERSION, "3.11.7") == 0);
	}
}

/* dir/name: the scene's events (rounds of them from t0) and names, as
 * `record --python` writes them. 0 or a failed CHECK. */
static inline int py_scene_file(const char *path, uint64_t t0, int rounds)
{
	struct trace_meta meta = { .ncpus = 2, .root_pid = PID, .start_ns = t0 };
	struct gs_event e[8 * 64 + 4];
	struct trace_writer *w = NULL;
	size_t n;

	if (rounds > 64)
		rounds = 64;
	n = py_scene(e, t0, rounds);
	snprintf(meta.adapter, sizeof(meta.adapter), "python");
	snprintf(meta.command, sizeof(meta.command), "python3.11 app.py");
	unlink(path);
	CHECK(trace_writer_open(&w, path, &meta, NULL) == 0);
	if (!w)
		return -1;
	py_scene_names(w, NULL);
	CHECK(trace_writer_append(w, e, n) == 0);
	CHECK(trace_writer_close(w) == 0);
	return 0;
}

#endif
