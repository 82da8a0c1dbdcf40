/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pylayout_ready.c - the part of pylayout (see pylayout.h) that judges a
 * loaded layout: which fields each capability needs under the layout's
 * models, the one-line reason when one is missing, what the kernel side
 * is told of it (pylayout_bpf_cfg), and describe().
 */
#include <stdio.h>
#include <string.h>
#include "util/gs_types.h"
#include "bpf/gilscope.h"
#include "record/pylayout.h"
#include "util/err.h"

/* ---- what a layout can do ------------------------------------------------------------ */

static const enum pyl_field need_threads[] = {
	PYL_IS_NEXT, PYL_IS_THREADS_HEAD, PYL_TS_NEXT, PYL_TS_THREAD_ID,
};
static const enum pyl_field need_funcs[] = {
	PYL_FRAME_CODE, PYL_FRAME_BACK, PYL_CODE_NAME, PYL_CODE_FILENAME, PYL_CODE_FIRSTLINENO,
	PYL_OB_TYPE, PYL_STR_LENGTH, PYL_STR_STATE, PYL_STR_KIND_BIT, PYL_STR_COMPACT_BIT,
	PYL_STR_ASCII_BIT, PYL_STR_ASCII_SIZE, PYL_STR_COMPACT_SIZE,
};
static const enum pyl_field need_names[] = {
	PYL_IS_MODULES, PYL_MODULE_DICT, PYL_DICT_KEYS, PYL_DICT_VALUES, PYL_DK_NENTRIES,
	PYL_DK_INDICES, PYL_DKE_SIZE, PYL_DKE_KEY, PYL_DKE_VALUE, PYL_DV_VALUES, PYL_TYPE_FLAGS,
	PYL_LONG_SIZE, PYL_LONG_DIGITS, PYL_DIGIT_SIZE,
};

/* The first of fields[] that l lacks, or -1. */
static int lacks(const struct pylayout *l, const enum pyl_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l->off[fields[i]] == PYL_UNKNOWN)
			return (int)fields[i];
	return -1;
}

/* The fields a model needs besides the common ones; the first missing. */
static int lacks_model(const struct pylayout *l, enum pyl_cap cap)
{
	enum pyl_field f[16];	/* the most any model adds is 11 */
	size_t n = 0;

	if (cap == PYL_CAP_THREADS) {
		if (!l->sym[PYL_SYM_INTERP_HEAD])
			f[n++] = PYL_RT_INTERP_HEAD;
		if (l->tids == PYL_TID_NATIVE)
			f[n++] = PYL_TS_NATIVE_ID;
	} else if (cap == PYL_CAP_FUNCS) {
		if (l->frames == PYL_FRAMES_CFRAME) {
			f[n++] = PYL_TS_CFRAME;
			f[n++] = PYL_CFRAME_CURRENT;
		} else {
			f[n++] = PYL_TS_FRAME;
		}
		if (l->frames != PYL_FRAMES_OBJECT)
			f[n++] = PYL_FRAME_OWNER;
		if (l->minor >= 12)
			f[n++] = PYL_OWNED_BY_CSTACK;
		if (l->minor <= 11)
			f[n++] = PYL_STR_READY_BIT;
	} else {
		if (l->dicts == PYL_DICT_SIZE) {
			f[n++] = PYL_DK_SIZE;
		} else {
			f[n++] = PYL_DK_LOG2_INDEX_BYTES;
			f[n++] = PYL_DK_KIND;
			f[n++] = PYL_KEYS_GENERAL;
			f[n++] = PYL_DKU_SIZE;
		}
		if (l->attrs == PYL_ATTRS_DICTOFFSET) {
			f[n++] = PYL_TYPE_DICTOFFSET;
		} else {
			f[n++] = PYL_MANAGED_DICT_OFF;
			f[n++] = PYL_TPFLAGS_MANAGED_DICT;
			f[n++] = PYL_HT_CACHED_KEYS;
		}
		if (l->attrs == PYL_ATTRS_MANAGED)
			f[n++] = PYL_MANAGED_VALUES_OFF;
		if (l->attrs == PYL_ATTRS_INLINE) {
			f[n++] = PYL_TPFLAGS_INLINE_VALUES;
			f[n++] = PYL_TYPE_BASICSIZE;
			f[n++] = PYL_DV_VALID;
		}
		if (l->longs == PYL_LONG_TAG)
			f[n++] = PYL_LONG_TAG_SHIFT;
	}
	return lacks(l, f, n);
}

bool pylayout_ready(const struct pylayout *l, enum pyl_cap cap, char *err, size_t errlen)
{
	static const struct {
		const enum pyl_field *f;
		size_t n;
		enum pyl_sym syms[3];
	} caps[PYL_NCAPS] = {
		[PYL_CAP_THREADS] = { need_threads, sizeof(need_threads) / sizeof(need_threads[0]),
				      { PYL_NSYMS, PYL_NSYMS, PYL_NSYMS } },
		[PYL_CAP_FUNCS] = { need_funcs, sizeof(need_funcs) / sizeof(need_funcs[0]),
				    { PYL_SYM_CODE_TYPE, PYL_SYM_UNICODE_TYPE, PYL_NSYMS } },
		[PYL_CAP_NAMES] = { need_names, sizeof(need_names) / sizeof(need_names[0]),
				    { PYL_SYM_DICT_TYPE, PYL_SYM_LONG_TYPE, PYL_SYM_MODULE_TYPE } },
	};
	int miss;

	if (cap >= PYL_NCAPS)
		return false;
	if (l->free_threaded) {
		errf(err, errlen, 0, "%s is a free-threaded build (no GIL to attribute)", l->path);
		return false;
	}
	if (cap > PYL_CAP_THREADS && !pylayout_ready(l, cap - 1, err, errlen))
		return false;
	if (cap == PYL_CAP_THREADS && !l->sym[PYL_SYM_RUNTIME] && !l->sym[PYL_SYM_INTERP_HEAD]) {
		errf(err, errlen, 0, "%s: no _PyRuntime or interp_head symbol (stripped?)", l->path);
		return false;
	}
	for (int i = 0; i < 3; i++)
		if (caps[cap].syms[i] != PYL_NSYMS && !l->sym[caps[cap].syms[i]]) {
			errf(err, errlen, 0, "%s: no symbol %s", l->path, pylayout_sym_name(caps[cap].syms[i]));
			return false;
		}
	miss = lacks(l, caps[cap].f, caps[cap].n);
	if (miss < 0)
		miss = lacks_model(l, cap);
	if (miss < 0)
		return true;
	if (!l->have_dwarf && !l->have_debug_offsets)
		errf(err, errlen, 0, "%s has no DWARF (.debug_info) to read CPython %u.%u's layout "
		     "from: use a build with debug info (a pyenv build, python%u.%u-dbg)",
		     l->path, l->major, l->minor, l->major, l->minor);
	else
		errf(err, errlen, 0, "%s: %s not found in its %s", l->path, pylayout_field_name(miss),
		     l->have_dwarf ? "DWARF" : "_Py_DebugOffsets (and it has no DWARF)");
	return false;
}

/* ---- the kernel side's walk ------------------------------------------------------------ */

bool pylayout_bpf_cfg(const struct pylayout *l, struct gs_py_cfg *c, char *why, size_t len)
{
	const int64_t *o = l->off;
	int64_t name = o[PYL_CODE_QUALNAME] != PYL_UNKNOWN ? o[PYL_CODE_QUALNAME] : o[PYL_CODE_NAME];
	int64_t lo, hi, fhi;

	memset(c, 0, sizeof(*c));
	if (!pylayout_ready(l, PYL_CAP_FUNCS, why, len))
		return false;
	/* drop_gil's is the one the kernel side reads: a hold belongs to the
	 * function that lets go, and a recording's take carries the function
	 * of the release before it (record/pyrec.h) */
	if (l->drop_gil_tstate_arg < 0 || l->drop_gil_tstate_arg > 5)
		return errf(why, len, 0, "%s: which argument of drop_gil() is the thread state is "
			    "not known: no functions", l->path), false;
	c->frames = l->frames == PYL_FRAMES_OBJECT ? GS_PYF_OBJECT :
		    l->frames == PYL_FRAMES_CFRAME ? GS_PYF_CFRAME : GS_PYF_DIRECT;
	c->drop_arg = l->drop_gil_tstate_arg;
#define OFF(f) (o[f] == PYL_UNKNOWN ? -1 : (int32_t)o[f])
	c->ts_frame = OFF(PYL_TS_FRAME);
	c->ts_cframe = OFF(PYL_TS_CFRAME);
	c->cframe_current = OFF(PYL_CFRAME_CURRENT);
	c->frame_code = OFF(PYL_FRAME_CODE);
	c->frame_back = OFF(PYL_FRAME_BACK);
	c->frame_owner = OFF(PYL_FRAME_OWNER);
	c->owned_by_cstack = OFF(PYL_OWNED_BY_CSTACK);
#undef OFF
	/* one read of the code object covers the fingerprint's three fields,
	 * from an 8-byte boundary (the kernel side reads words, not bytes) */
	lo = o[PYL_CODE_FIRSTLINENO];
	lo = name < lo ? name : lo;
	lo = o[PYL_CODE_FILENAME] < lo ? o[PYL_CODE_FILENAME] : lo;
	lo &= ~(int64_t)7;
	hi = o[PYL_CODE_FIRSTLINENO] + 4;
	hi = name + 8 > hi ? name + 8 : hi;
	hi = o[PYL_CODE_FILENAME] + 8 > hi ? o[PYL_CODE_FILENAME] + 8 : hi;
	hi = (hi + 7) & ~(int64_t)7;
	fhi = c->frame_code > c->frame_back ? c->frame_code + 8 : c->frame_back + 8;
	if (c->owned_by_cstack >= 0 && c->frame_owner + 1 > fhi)
		fhi = c->frame_owner + 1;
	fhi = (fhi + 7) & ~(int64_t)7;
	if (lo < 0 || hi - lo > GS_PY_CODE_SPAN || c->frame_code < 0 || c->frame_back < 0 ||
	    c->frame_code % 8 || c->frame_back % 8 || (name - lo) % 8 ||
	    (o[PYL_CODE_FILENAME] - lo) % 8 || (o[PYL_CODE_FIRSTLINENO] - lo) % 4 ||
	    (c->owned_by_cstack >= 0 && c->frame_owner < 0) ||
	    fhi > GS_PY_FRAME_SPAN || (c->frames == GS_PYF_CFRAME &&
				       (c->ts_cframe < 0 || c->cframe_current < 0)) ||
	    (c->frames != GS_PYF_CFRAME && c->ts_frame < 0))
		return errf(why, len, 0, "%s: its code objects or frames are laid out in a way "
			    "gilscope does not read in the kernel: no functions", l->path), false;
	c->code_lo = (int32_t)lo;
	c->code_len = (int32_t)(hi - lo);
	c->code_line = (int32_t)(o[PYL_CODE_FIRSTLINENO] - lo);
	c->code_name = (int32_t)(name - lo);
	c->code_file = (int32_t)(o[PYL_CODE_FILENAME] - lo);
	c->frame_len = (int32_t)fhi;
	return true;
}

void pylayout_describe(const struct pylayout *l, FILE *f)
{
	static const char *const frames[] = { "none", "PyFrameObject chain (<=3.10)",
		"cframe->current_frame (3.11, 3.12)", "current_frame (3.13+)" };
	static const char *const dicts[] = { "none", "dk_size (<=3.10)", "dk_log2_index_bytes (3.11+)" };
	static const char *const attrs[] = { "none", "tp_dictoffset", "managed values/dict (3.11)",
		"tagged dict-or-values (3.12)", "inline values (3.13+)" };
	static const char *const longs[] = { "none", "ob_size", "lv_tag" };
	static const char *const tids[] = { "none", "native_thread_id", "glibc struct pthread tid" };

	fprintf(f, "file      %s\n", l->path);
	fprintf(f, "version   CPython %u.%u", l->major, l->minor);
	if (l->micro != PYL_MICRO_UNKNOWN)
		fprintf(f, ".%u", l->micro);
	fprintf(f, " (from %s)%s%s\n", l->version_src, l->debug_build ? ", debug build" : "",
		l->free_threaded ? ", free-threaded" : "");
	fprintf(f, "sources   _Py_DebugOffsets: %s, DWARF: %s\n",
		l->have_debug_offsets ? "yes" : "no", l->have_dwarf ? "yes" : "no");
	fprintf(f, "models    frames: %s; dicts: %s; attributes: %s; int: %s; tid: %s\n",
		frames[l->frames], dicts[l->dicts], attrs[l->attrs], longs[l->longs], tids[l->tids]);
	fprintf(f, "gil args  take_gil tstate = arg%d, drop_gil tstate = arg%d (%s)\n",
		l->take_gil_tstate_arg, l->drop_gil_tstate_arg,
		pylayout_src_name((enum pyl_src)l->gil_args_src));
	if (l->take_gil_clone)
		fprintf(f, "gil args  take_gil's clone at 0x%llx: tstate = arg%d (DWARF, -1: unknown)\n",
			(unsigned long long)l->take_gil_clone, l->take_gil_clone_arg);
	for (int i = 0; i < PYL_NSYMS; i++)
		if (l->sym[i])
			fprintf(f, "symbol    %-52s 0x%llx\n", pylayout_sym_name(i),
				(unsigned long long)l->sym[i]);
	for (int i = 0; i < PYL_NFIELDS; i++) {
		if (l->off[i] == PYL_UNKNOWN)
			continue;
		fprintf(f, "field     %-52s %6lld  %s\n", pylayout_field_name(i), (long long)l->off[i],
			pylayout_src_name((enum pyl_src)l->src[i]));
	}
}
