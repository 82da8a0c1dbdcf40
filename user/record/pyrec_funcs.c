/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pyrec_funcs.c - the function behind each GIL event (pyrec_events, see
 * pyrec.h): a release's from the code object the kernel side read, a
 * request's from its thread's release before it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "record/pyrec_priv.h"
#include "record/pyread.h"
#include "trace/trace_names.h"
#include "trace/trace_writer.h"

/* The fingerprint a packed address carries (gs_pyaddr_pack) of one made now. */
static uint16_t fp16(uint32_t fp)
{
	return (uint16_t)(fp ^ fp >> 16);
}

/* The id of the function whose code object was at addr with fingerprint fp
 * (16 bits) when the event happened, or GS_FUNC_UNKNOWN. */
static int resolve(struct pyrec *py, uint64_t addr, uint16_t fp, uint64_t *id)
{
	const struct pyread_code *c;
	uint64_t v, fid;
	uint16_t now_fp;
	int err;

	*id = GS_FUNC_UNKNOWN;
	if (hmap_get(&py->code, hkey_u64(addr), &v) && (uint16_t)(v >> 32) == fp) {
		*id = (uint32_t)v;
		return 0;
	}
	if (!py->r) {
		/* before the first poll found it mapped (a libpython) */
		if ((err = pyrec_attach(py, pyrec_now_ns())))
			return err;
		if (!py->r) {
			py->st.unread++;
			return 0;
		}
	}
	if (pyread_code(py->r, addr, &c)) {
		py->st.unread++;	/* gone already (exec'd code), or unreadable */
		return 0;
	}
	fid = c->id + GS_FUNC_FIRST - 1;
	now_fp = fp16(gs_py_fingerprint(c->firstlineno, c->name_ptr, c->file_ptr));
	if (fid <= UINT32_MAX) {
		if (py->code.n >= MAX_CODES)
			hmap_clear(&py->code);
		if (hmap_put(&py->code, hkey_u64(addr), (uint64_t)now_fp << 32 | fid))
			return -ENOMEM;
	}
	if (!hmap_get(&py->written, hkey_u64(fid), &v)) {
		if (py->written.n >= MAX_WRITTEN)
			hmap_clear(&py->written);
		if (hmap_put(&py->written, hkey_u64(fid), 1))
			return -ENOMEM;
		py->st.funcs++;
		trace_names_put_func(py->store, (uint32_t)py->pid, fid, c->firstlineno, c->qualname,
				     c->filename);
		if (py->w && (err = trace_writer_func_name(py->w, (uint32_t)py->pid, fid,
							    c->firstlineno, c->qualname,
							    c->filename)))
			return err;
	}
	if (now_fp != fp) {	/* freed and reused between the event and now */
		py->st.mismatch++;
		return 0;
	}
	*id = fid;
	return 0;
}

/*
 * The function a REQUEST without one carries: its thread's last release's.
 * Between a drop_gil and the next take_gil a thread runs no Python code
 * (it has not the GIL), so it asks where it let go; the kernel side reads
 * nothing at a take. No release seen since its last request (lost, or the
 * thread ran before the recording): "?", as after a release that was "?".
 * Never asked before and not there when the recording began: a new thread,
 * whose first take precedes its first Python code.
 */
static uint64_t asker(struct pyrec *py, const struct gs_event *e)
{
	uint64_t v;
	bool known = hmap_get(&py->asked, hkey_u64(e->tid), &v);

	if (e->pid != (uint32_t)py->pid) {
		py->st.other_pid++;
		return GS_FUNC_UNKNOWN;
	}
	if (!known)
		v = py->asked_lost ? GS_FUNC_UNKNOWN : GS_FUNC_NONE;
	if (v == ASKED || v == GS_FUNC_UNKNOWN) {
		py->st.take_unknown++;
		return GS_FUNC_UNKNOWN;
	}
	py->st.no_code += v == GS_FUNC_NONE;
	return v;
}

/* A GIL event's id from the kernel side's arg1 (a packed code object). */
static int from_kernel(struct pyrec *py, const struct gs_event *e, uint64_t *id)
{
	uint64_t addr = e->arg1;

	if (e->pid != (uint32_t)py->pid) {
		py->st.other_pid++;
		*id = GS_FUNC_UNKNOWN;
	} else if (addr == GS_PYADDR_NONE) {
		py->st.no_code++;
		*id = GS_FUNC_NONE;
	} else if (addr == GS_PYADDR_FAULT) {
		py->st.fault++;
		*id = GS_FUNC_UNKNOWN;
	} else {
		return resolve(py, gs_pyaddr_addr(addr), gs_pyaddr_fp(addr), id);
	}
	return 0;
}

int pyrec_events(struct pyrec *py, const struct gs_event *ev, size_t n,
		 const struct gs_event **out)
{
	int err;

	if (n > py->out_cap) {
		struct gs_event *o = realloc(py->out, n * sizeof(*o));

		if (!o)
			return -ENOMEM;
		py->out = o;
		py->out_cap = n;
	}
	memcpy(py->out, ev, n * sizeof(*ev));
	*out = py->out;
	if (py->asked.n > MAX_KNOWN) {
		hmap_clear(&py->asked);
		py->asked_lost = true;
	}
	for (size_t i = 0; i < n; i++) {
		struct gs_event *e = &py->out[i];
		bool req = e->type == GS_EV_LOCK_REQUEST;
		uint64_t id;

		if (e->type == GS_EV_PROC_EXIT)
			hmap_del(&py->asked, hkey_u64(e->tid));
		if (req && py->funcs && !(e->flags & GS_F_FUNC)) {
			id = asker(py, e);
			e->flags |= GS_F_FUNC;
		} else if ((e->flags & GS_F_FUNC) && (req || e->type == GS_EV_LOCK_RELEASED)) {
			if ((err = from_kernel(py, e, &id)))
				return err;
		} else {
			continue;
		}
		py->st.events++;
		if (id == GS_FUNC_UNKNOWN)
			py->st.unknown++;
		e->arg1 = id;
		if (e->pid == (uint32_t)py->pid &&
		    hmap_put(&py->asked, hkey_u64(e->tid), req ? ASKED : id))
			return -ENOMEM;
	}
	return 0;
}

