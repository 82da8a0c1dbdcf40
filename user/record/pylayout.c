/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pylayout.c - CPython's layouts, per version (see pylayout.h). The tables
 * below are the part a Python maintainer updates for a new version:
 *
 *   versions[]     per minor version: which representation each piece uses
 *                  and the GIL argument positions of its sources;
 *   dbg_offsets[]  where each field is inside _Py_DebugOffsets (3.13);
 *   dwarf_fields[] which struct member (by name) gives each field;
 *   header_facts[] #defines of CPython that are in neither, and for 3.13 the
 *                  values a build without DWARF needs for thread names
 *                  (tests/unit/test_pylayout.c checks each against DWARF).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record/dwarf_info.h"
#include "record/elf_sym.h"
#include "record/pylayout.h"
#include "util/err.h"

#define ALL 99	/* "and every later version" in the tables */

/* ---- per minor version ----------------------------------------------------- */

struct pyversion {
	unsigned minor;
	enum pyl_frame_model frames;
	enum pyl_dict_model dicts;
	enum pyl_attr_model attrs;
	enum pyl_long_model longs;
	enum pyl_tid_model tids;
	int take_arg, drop_arg;	/* PyThreadState * in take_gil(), drop_gil() */
};

static const struct pyversion versions[] = {
	/* tstate->native_thread_id is 3.11+; before, the tid is read from glibc's
	 * struct pthread (pthread_t is its address).
	 * 3.6, 3.7: take_gil(tstate), drop_gil(tstate) */
	{ 6, PYL_FRAMES_OBJECT, PYL_DICT_SIZE, PYL_ATTRS_DICTOFFSET, PYL_LONG_OBSIZE, PYL_TID_PTHREAD, 0, 0 },
	{ 7, PYL_FRAMES_OBJECT, PYL_DICT_SIZE, PYL_ATTRS_DICTOFFSET, PYL_LONG_OBSIZE, PYL_TID_PTHREAD, 0, 0 },
	/* 3.8: take_gil(ceval, tstate), drop_gil(ceval, tstate) */
	{ 8, PYL_FRAMES_OBJECT, PYL_DICT_SIZE, PYL_ATTRS_DICTOFFSET, PYL_LONG_OBSIZE, PYL_TID_PTHREAD, 1, 1 },
	/* 3.9-3.11: take_gil(tstate), drop_gil(ceval, ceval2, tstate) */
	{ 9, PYL_FRAMES_OBJECT, PYL_DICT_SIZE, PYL_ATTRS_DICTOFFSET, PYL_LONG_OBSIZE, PYL_TID_PTHREAD, 0, 2 },
	{ 10, PYL_FRAMES_OBJECT, PYL_DICT_SIZE, PYL_ATTRS_DICTOFFSET, PYL_LONG_OBSIZE, PYL_TID_PTHREAD, 0, 2 },
	{ 11, PYL_FRAMES_CFRAME, PYL_DICT_LOG2, PYL_ATTRS_MANAGED, PYL_LONG_OBSIZE, PYL_TID_NATIVE, 0, 2 },
	/* 3.12: drop_gil(ceval, tstate); 3.13: drop_gil(interp, tstate, final_release) */
	{ 12, PYL_FRAMES_CFRAME, PYL_DICT_LOG2, PYL_ATTRS_TAGGED, PYL_LONG_TAG, PYL_TID_NATIVE, 0, 1 },
	{ 13, PYL_FRAMES_DIRECT, PYL_DICT_LOG2, PYL_ATTRS_INLINE, PYL_LONG_TAG, PYL_TID_NATIVE, 0, 1 },
};

static const struct pyversion *version_of(unsigned major, unsigned minor)
{
	for (size_t i = 0; major == 3 && i < sizeof(versions) / sizeof(versions[0]); i++)
		if (versions[i].minor == minor)
			return &versions[i];
	return NULL;
}

void pylayout_gil_args_builtin(unsigned major, unsigned minor, int *take_arg, int *drop_arg)
{
	const struct pyversion *v = version_of(major, minor);

	*take_arg = v ? v->take_arg : -1;
	*drop_arg = v ? v->drop_arg : -1;
}

/* ---- _Py_DebugOffsets (3.13: Include/internal/pycore_runtime.h) ------------------ */

#define DBG_COOKIE "xdebugpy"
#define DBG_SIZE_3_13 584	/* sizeof(_Py_DebugOffsets) in 3.13.x */

static const struct {
	enum pyl_field f;
	uint16_t at;		/* offset of the uint64_t holding it */
} dbg_offsets[] = {
	{ PYL_RT_INTERP_HEAD, 40 },	/* runtime_state.interpreters_head */
	{ PYL_IS_NEXT, 64 },		/* interpreter_state.next */
	{ PYL_IS_THREADS_HEAD, 72 },
	{ PYL_IS_MODULES, 88 },		/* interpreter_state.imports_modules */
	{ PYL_TS_NEXT, 168 },		/* thread_state.next */
	{ PYL_TS_FRAME, 184 },		/* thread_state.current_frame */
	{ PYL_TS_THREAD_ID, 192 },
	{ PYL_TS_NATIVE_ID, 200 },
	{ PYL_FRAME_BACK, 232 },	/* interpreter_frame.previous */
	{ PYL_FRAME_CODE, 240 },	/* interpreter_frame.executable */
	{ PYL_FRAME_OWNER, 264 },
	{ PYL_CODE_FILENAME, 280 },	/* code_object.filename */
	{ PYL_CODE_NAME, 288 },
	{ PYL_CODE_QUALNAME, 296 },
	{ PYL_CODE_FIRSTLINENO, 312 },
	{ PYL_OB_TYPE, 360 },		/* pyobject.ob_type */
	{ PYL_TYPE_FLAGS, 392 },	/* type_object.tp_flags */
	{ PYL_DICT_KEYS, 456 },		/* dict_object.ma_keys */
	{ PYL_DICT_VALUES, 464 },
	{ PYL_LONG_SIZE, 496 },		/* long_object.lv_tag */
	{ PYL_LONG_DIGITS, 504 },
	{ PYL_STR_STATE, 544 },		/* unicode_object.state */
	{ PYL_STR_LENGTH, 552 },
	{ PYL_STR_ASCII_SIZE, 560 },	/* unicode_object.asciiobject_size */
};

/* ---- DWARF: which member of which struct ------------------------------------------ */

enum dw_how { DW_MEMBER, DW_BIT, DW_SIZE, DW_ENUM };

static const struct dwarf_field {
	enum pyl_field f;
	uint8_t from, to;	/* 3.from .. 3.to */
	uint8_t how;		/* enum dw_how */
	const char *type;	/* struct tag or typedef (DW_ENUM: unused) */
	const char *paths;	/* member path, alternatives split by '|'; DW_ENUM: the enumerator */
} dwarf_fields[] = {
	{ PYL_RT_INTERP_HEAD, 7, ALL, DW_MEMBER, "pyruntimestate", "interpreters.head" },
	{ PYL_IS_NEXT, 6, ALL, DW_MEMBER, "_is", "next" },
	{ PYL_IS_THREADS_HEAD, 6, ALL, DW_MEMBER, "_is", "threads.head|tstate_head" },
	{ PYL_IS_MODULES, 6, ALL, DW_MEMBER, "_is", "imports.modules|modules" },
	{ PYL_TS_NEXT, 6, ALL, DW_MEMBER, "_ts", "next" },
	{ PYL_TS_THREAD_ID, 6, ALL, DW_MEMBER, "_ts", "thread_id" },
	{ PYL_TS_NATIVE_ID, 11, ALL, DW_MEMBER, "_ts", "native_thread_id" },
	{ PYL_TS_FRAME, 6, 10, DW_MEMBER, "_ts", "frame" },
	{ PYL_TS_FRAME, 13, ALL, DW_MEMBER, "_ts", "current_frame" },
	{ PYL_TS_CFRAME, 11, 12, DW_MEMBER, "_ts", "cframe" },
	{ PYL_CFRAME_CURRENT, 11, 12, DW_MEMBER, "_PyCFrame", "current_frame" },
	{ PYL_FRAME_CODE, 6, 10, DW_MEMBER, "_frame", "f_code" },
	{ PYL_FRAME_CODE, 11, 12, DW_MEMBER, "_PyInterpreterFrame", "f_code" },
	{ PYL_FRAME_CODE, 13, ALL, DW_MEMBER, "_PyInterpreterFrame", "f_executable" },
	{ PYL_FRAME_BACK, 6, 10, DW_MEMBER, "_frame", "f_back" },
	{ PYL_FRAME_BACK, 11, ALL, DW_MEMBER, "_PyInterpreterFrame", "previous" },
	{ PYL_FRAME_OWNER, 11, ALL, DW_MEMBER, "_PyInterpreterFrame", "owner" },
	{ PYL_OWNED_BY_CSTACK, 12, ALL, DW_ENUM, NULL, "FRAME_OWNED_BY_CSTACK" },
	{ PYL_CODE_NAME, 6, ALL, DW_MEMBER, "PyCodeObject", "co_name" },
	{ PYL_CODE_QUALNAME, 11, ALL, DW_MEMBER, "PyCodeObject", "co_qualname" },
	{ PYL_CODE_FILENAME, 6, ALL, DW_MEMBER, "PyCodeObject", "co_filename" },
	{ PYL_CODE_FIRSTLINENO, 6, ALL, DW_MEMBER, "PyCodeObject", "co_firstlineno" },
	{ PYL_OB_TYPE, 6, ALL, DW_MEMBER, "_object", "ob_type" },
	{ PYL_STR_LENGTH, 6, ALL, DW_MEMBER, "PyASCIIObject", "length" },
	{ PYL_STR_STATE, 6, ALL, DW_MEMBER, "PyASCIIObject", "state" },
	{ PYL_STR_KIND_BIT, 6, ALL, DW_BIT, "PyASCIIObject", "state.kind" },
	{ PYL_STR_COMPACT_BIT, 6, ALL, DW_BIT, "PyASCIIObject", "state.compact" },
	{ PYL_STR_ASCII_BIT, 6, ALL, DW_BIT, "PyASCIIObject", "state.ascii" },
	{ PYL_STR_READY_BIT, 6, 11, DW_BIT, "PyASCIIObject", "state.ready" },
	{ PYL_STR_ASCII_SIZE, 6, ALL, DW_SIZE, "PyASCIIObject", NULL },
	{ PYL_STR_COMPACT_SIZE, 6, ALL, DW_SIZE, "PyCompactUnicodeObject", NULL },
	{ PYL_TYPE_FLAGS, 6, ALL, DW_MEMBER, "_typeobject", "tp_flags" },
	{ PYL_TYPE_BASICSIZE, 6, ALL, DW_MEMBER, "_typeobject", "tp_basicsize" },
	{ PYL_TYPE_DICTOFFSET, 6, ALL, DW_MEMBER, "_typeobject", "tp_dictoffset" },
	{ PYL_HT_CACHED_KEYS, 6, ALL, DW_MEMBER, "_heaptypeobject", "ht_cached_keys" },
	{ PYL_MODULE_DICT, 6, ALL, DW_MEMBER, "PyModuleObject", "md_dict" },
	{ PYL_DICT_KEYS, 6, ALL, DW_MEMBER, "PyDictObject", "ma_keys" },
	{ PYL_DICT_VALUES, 6, ALL, DW_MEMBER, "PyDictObject", "ma_values" },
	{ PYL_DK_SIZE, 6, 10, DW_MEMBER, "_dictkeysobject", "dk_size" },
	{ PYL_DK_LOG2_INDEX_BYTES, 11, ALL, DW_MEMBER, "_dictkeysobject", "dk_log2_index_bytes" },
	{ PYL_DK_KIND, 11, ALL, DW_MEMBER, "_dictkeysobject", "dk_kind" },
	{ PYL_DK_NENTRIES, 6, ALL, DW_MEMBER, "_dictkeysobject", "dk_nentries" },
	{ PYL_DK_INDICES, 6, ALL, DW_MEMBER, "_dictkeysobject", "dk_indices" },
	{ PYL_KEYS_GENERAL, 11, ALL, DW_ENUM, NULL, "DICT_KEYS_GENERAL" },
	{ PYL_DKE_SIZE, 6, ALL, DW_SIZE, "PyDictKeyEntry", NULL },
	{ PYL_DKE_KEY, 6, ALL, DW_MEMBER, "PyDictKeyEntry", "me_key" },
	{ PYL_DKE_VALUE, 6, ALL, DW_MEMBER, "PyDictKeyEntry", "me_value" },
	{ PYL_DKU_SIZE, 11, ALL, DW_SIZE, "PyDictUnicodeEntry", NULL },
	{ PYL_DKU_KEY, 11, ALL, DW_MEMBER, "PyDictUnicodeEntry", "me_key" },
	{ PYL_DKU_VALUE, 11, ALL, DW_MEMBER, "PyDictUnicodeEntry", "me_value" },
	{ PYL_DV_VALUES, 11, ALL, DW_MEMBER, "_dictvalues", "values" },
	{ PYL_DV_VALID, 13, ALL, DW_MEMBER, "_dictvalues", "valid" },
	{ PYL_LONG_SIZE, 6, 11, DW_MEMBER, "_longobject", "ob_base.ob_size" },
	{ PYL_LONG_SIZE, 12, ALL, DW_MEMBER, "_longobject", "long_value.lv_tag" },
	{ PYL_LONG_DIGITS, 6, 11, DW_MEMBER, "_longobject", "ob_digit" },
	{ PYL_LONG_DIGITS, 12, ALL, DW_MEMBER, "_longobject", "long_value.ob_digit" },
	{ PYL_DIGIT_SIZE, 6, ALL, DW_SIZE, "digit", NULL },
};

/* ---- what CPython's headers say ------------------------------------------------------ */

static const struct header_fact {
	enum pyl_field f;
	uint8_t from, to;
	bool fallback;		/* a struct fact, only for builds without DWARF */
	int64_t val;
} header_facts[] = {
	{ PYL_DV_VALUES, 6, 10, false, 0 },		/* ma_values is PyObject ** */
	{ PYL_MANAGED_DICT_OFF, 11, ALL, false, -24 },	/* MANAGED_DICT_OFFSET: -3 words */
	{ PYL_MANAGED_VALUES_OFF, 11, 11, false, -32 },	/* _PyObject_ValuesPointer: -4 words */
	{ PYL_TPFLAGS_MANAGED_DICT, 11, ALL, false, 1 << 4 },
	{ PYL_TPFLAGS_INLINE_VALUES, 13, ALL, false, 1 << 2 },
	{ PYL_LONG_TAG_SHIFT, 12, ALL, false, 3 },	/* _PyLong_NON_SIZE_BITS */
	/* 3.13 without DWARF: what _Py_DebugOffsets lacks (x86-64 / aarch64, GIL build) */
	{ PYL_OWNED_BY_CSTACK, 13, 13, true, 3 },
	{ PYL_STR_KIND_BIT, 13, 13, true, 2 },
	{ PYL_STR_COMPACT_BIT, 13, 13, true, 5 },
	{ PYL_STR_ASCII_BIT, 13, 13, true, 6 },
	{ PYL_STR_COMPACT_SIZE, 13, 13, true, 56 },
	{ PYL_TYPE_BASICSIZE, 13, 13, true, 32 },
	{ PYL_TYPE_DICTOFFSET, 13, 13, true, 288 },
	{ PYL_HT_CACHED_KEYS, 13, 13, true, 880 },
	{ PYL_MODULE_DICT, 13, 13, true, 16 },
	{ PYL_DK_LOG2_INDEX_BYTES, 13, 13, true, 9 },
	{ PYL_DK_KIND, 13, 13, true, 10 },
	{ PYL_DK_NENTRIES, 13, 13, true, 24 },
	{ PYL_DK_INDICES, 13, 13, true, 32 },
	{ PYL_KEYS_GENERAL, 13, 13, true, 0 },
	{ PYL_DKE_SIZE, 13, 13, true, 24 },
	{ PYL_DKE_KEY, 13, 13, true, 8 },
	{ PYL_DKE_VALUE, 13, 13, true, 16 },
	{ PYL_DKU_SIZE, 13, 13, true, 16 },
	{ PYL_DKU_KEY, 13, 13, true, 0 },
	{ PYL_DKU_VALUE, 13, 13, true, 8 },
	{ PYL_DV_VALUES, 13, 13, true, 8 },
	{ PYL_DV_VALID, 13, 13, true, 3 },
	{ PYL_DIGIT_SIZE, 13, 13, true, 4 },
};

/* ---- names ------------------------------------------------------------------------------ */

static const char *const field_names[] = {
#define PYL_NAME(id, what) [PYL_##id] = what,
	PYL_FIELDS(PYL_NAME)
#undef PYL_NAME
};

static const char *const sym_names[] = {
#define PYL_SNAME(id, name, what) [PYL_SYM_##id] = name,
	PYL_SYMS(PYL_SNAME)
#undef PYL_SNAME
};

const char *pylayout_field_name(enum pyl_field f)
{
	return f < PYL_NFIELDS ? field_names[f] : "?";
}

const char *pylayout_sym_name(enum pyl_sym s)
{
	return s < PYL_NSYMS ? sym_names[s] : "?";
}

const char *pylayout_src_name(enum pyl_src s)
{
	switch (s) {
	case PYL_SRC_DEBUG_OFFSETS: return "_Py_DebugOffsets";
	case PYL_SRC_DWARF: return "DWARF";
	case PYL_SRC_HEADERS: return "CPython headers";
	case PYL_SRC_SYMTAB: return "symbol table";
	default: return "unknown";
	}
}

static void set(struct pylayout *l, enum pyl_field f, int64_t v, enum pyl_src s)
{
	l->off[f] = v;
	l->src[f] = (uint8_t)s;
}

/* ---- loading ---------------------------------------------------------------------------- */

static void reset(struct pylayout *l, const char *path)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%s", path);
	for (int f = 0; f < PYL_NFIELDS; f++)
		l->off[f] = PYL_UNKNOWN;
	l->take_gil_tstate_arg = l->drop_gil_tstate_arg = l->take_gil_clone_arg = -1;
}

static void set_version(struct pylayout *l, uint64_t hex, const char *src)
{
	l->major = (unsigned)(hex >> 24) & 0xff;
	l->minor = (unsigned)(hex >> 16) & 0xff;
	l->micro = (unsigned)(hex >> 8) & 0xff;
	snprintf(l->version_src, sizeof(l->version_src), "%s", src);
}

/* "3.11" out of .../libpython3.11.so.1.0, python3.11d, python3.11 */
static bool version_from_name(struct pylayout *l)
{
	const char *b = strrchr(l->path, '/'), *p;
	unsigned maj, min;

	b = b ? b + 1 : l->path;
	p = strstr(b, "python");
	if (!p || sscanf(p + 6, "%u.%u", &maj, &min) != 2)
		return false;
	l->major = maj;
	l->minor = min;
	l->micro = PYL_MICRO_UNKNOWN;
	snprintf(l->version_src, sizeof(l->version_src), "file name");
	return true;
}

const char *pylayout_take_gil_clone(size_t i)
{
	static const char *const names[] = {
		"take_gil.constprop.0", "take_gil.constprop.1", "take_gil.isra.0",
		"take_gil.constprop.0.isra.0",
	};

	return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}

/* Symbols and the version: what any interpreter file gives without DWARF. */
static int load_elf(struct pylayout *l, char *err, size_t errlen)
{
	struct elf_file *ef;
	struct elf_sym s;
	uint8_t buf[24];
	const char *clone;
	int r = elf_file_open(&ef, l->path);

	if (r)
		return errf(err, errlen, r, "%s: %s", l->path,
			    r == -ENOEXEC ? "not an ELF file" : strerror(-r));
	for (int i = 0; i < PYL_NSYMS; i++)
		if (!elf_file_find(ef, sym_names[i], &s))
			l->sym[i] = s.vaddr;
	for (size_t i = 0; !l->take_gil_clone && (clone = pylayout_take_gil_clone(i)); i++)
		if (!elf_file_find(ef, clone, &s))
			l->take_gil_clone = s.vaddr;
	elf_file_first_load(ef, &l->load_vaddr, &l->load_off);
	if (l->sym[PYL_SYM_RUNTIME] && !elf_file_read(ef, l->sym[PYL_SYM_RUNTIME], buf, sizeof(buf)) &&
	    !memcmp(buf, DBG_COOKIE, 8)) {
		uint64_t v;

		memcpy(&v, buf + 8, 8);
		set_version(l, v, "_Py_DebugOffsets");
	} else if (!elf_file_find(ef, "Py_Version", &s) && !elf_file_read(ef, s.vaddr, buf, 8)) {
		uint64_t v;

		memcpy(&v, buf, 8);
		set_version(l, v, "Py_Version");
	} else {
		version_from_name(l);
	}
	elf_file_close(ef);
	if (!l->major)
		return errf(err, errlen, -ENOEXEC, "%s: cannot tell its CPython version (not an "
			    "interpreter, or renamed: name it pythonX.Y)", l->path);
	if (!version_of(l->major, l->minor))
		return errf(err, errlen, -ENOTSUP, "%s: CPython %u.%u, gilscope knows the layouts of "
			    "3.6 to 3.13", l->path, l->major, l->minor);
	if (!l->sym[PYL_SYM_CODE_TYPE] || !l->sym[PYL_SYM_UNICODE_TYPE])
		return errf(err, errlen, -ENOEXEC, "%s: no PyCode_Type/PyUnicode_Type symbols: not "
			    "a CPython interpreter", l->path);
	return 0;
}

int pylayout_from_debug_offsets(struct pylayout *l, const char *path, char *err, size_t errlen)
{
	uint8_t buf[DBG_SIZE_3_13];
	struct elf_file *ef;
	struct elf_sym s;
	uint64_t v, hex;
	int r;

	if ((r = elf_file_open(&ef, path)))
		return errf(err, errlen, r, "%s: %s", path, strerror(-r));
	r = elf_file_find(ef, "_PyRuntime", &s);
	if (!r)
		r = elf_file_read(ef, s.vaddr, buf, sizeof(buf));
	elf_file_close(ef);
	if (r || memcmp(buf, DBG_COOKIE, 8))
		return errf(err, errlen, -ENOENT, "%s: no _Py_DebugOffsets", path);
	memcpy(&hex, buf + 8, 8);
	if (((hex >> 24) & 0xff) != 3 || ((hex >> 16) & 0xff) != 13)
		return errf(err, errlen, -ENOTSUP, "%s: _Py_DebugOffsets of CPython %u.%u: gilscope "
			    "reads those of 3.13", path, (unsigned)(hex >> 24) & 0xff,
			    (unsigned)(hex >> 16) & 0xff);
	memcpy(&v, buf + 16, 8);
	l->free_threaded = v != 0;
	for (size_t i = 0; i < sizeof(dbg_offsets) / sizeof(dbg_offsets[0]); i++) {
		memcpy(&v, buf + dbg_offsets[i].at, 8);
		if (v > 1u << 20)	/* no CPython struct is a MiB: a damaged file */
			return errf(err, errlen, -EBADMSG, "%s: _Py_DebugOffsets: %s = %llu",
				    path, field_names[dbg_offsets[i].f], (unsigned long long)v);
		set(l, dbg_offsets[i].f, (int64_t)v, PYL_SRC_DEBUG_OFFSETS);
	}
	memcpy(&v, buf + 352, 8);	/* pyobject.size: 16 unless Py_TRACE_REFS or free-threaded */
	l->debug_build = v != 16;
	l->have_debug_offsets = true;
	return 0;
}

/* Every name dwarf_fields[] and the GIL lookups ask about. */
static size_t dwarf_names(const char **names, size_t max)
{
	size_t n = 0;

	names[n++] = "take_gil";
	names[n++] = "drop_gil";
	for (size_t i = 0; i < sizeof(dwarf_fields) / sizeof(dwarf_fields[0]) && n < max; i++) {
		const char *nm = dwarf_fields[i].how == DW_ENUM ? dwarf_fields[i].paths
							       : dwarf_fields[i].type;
		bool dup = false;

		for (size_t k = 0; k < n && !dup; k++)
			dup = !strcmp(names[k], nm);
		if (!dup)
			names[n++] = nm;
	}
	return n;
}

static int dwarf_one(struct dwarf_info *d, const struct dwarf_field *df, int64_t *v)
{
	char path[128];
	const char *p = df->paths;

	if (df->how == DW_SIZE)
		return dwarf_info_sizeof(d, df->type, v);
	if (df->how == DW_ENUM)
		return dwarf_info_enumerator(d, df->paths, v);
	for (;;) {	/* the first alternative that exists */
		size_t len = strcspn(p, "|");
		int r;

		snprintf(path, sizeof(path), "%.*s", (int)len, p);
		r = df->how == DW_BIT ? dwarf_info_bit(d, df->type, path, v)
				      : dwarf_info_member(d, df->type, path, v);
		if (r != -ENOENT || !p[len])
			return r;
		p += len + 1;
	}
}

int pylayout_from_dwarf(struct pylayout *l, const char *path, char *err, size_t errlen)
{
	const char *names[96];
	struct dwarf_info *d;
	int64_t v, state_bit = -1;
	const char *tn;
	int r = dwarf_info_open(&d, path, names, dwarf_names(names, 96));

	if (r)
		return errf(err, errlen, r, "%s: no DWARF (.debug_info), nor a debug file for "
			    "its build-id", path);
	for (size_t i = 0; i < sizeof(dwarf_fields) / sizeof(dwarf_fields[0]); i++) {
		const struct dwarf_field *df = &dwarf_fields[i];

		if (l->minor < df->from || l->minor > df->to || l->off[df->f] != PYL_UNKNOWN)
			continue;
		if (!dwarf_one(d, df, &v))
			set(l, df->f, v, PYL_SRC_DWARF);
	}
	/* bit positions count from the start of the state word */
	if (!dwarf_info_member(d, "PyASCIIObject", "state", &v))
		state_bit = v * 8;
	for (int f = PYL_STR_KIND_BIT; f <= PYL_STR_READY_BIT; f++)
		if (l->src[f] == PYL_SRC_DWARF)
			l->off[f] = state_bit < 0 ? PYL_UNKNOWN : l->off[f] - state_bit;
	if (!dwarf_info_member(d, "_object", "_ob_next", &v))
		l->debug_build = true;	/* Py_TRACE_REFS: objects carry two more pointers */
	if (!dwarf_info_param(d, "take_gil", "tstate", &l->take_gil_tstate_arg, &tn) &&
	    !strcmp(tn, "_ts") &&
	    !dwarf_info_param(d, "drop_gil", "tstate", &l->drop_gil_tstate_arg, &tn) &&
	    !strcmp(tn, "_ts"))
		l->gil_args_src = PYL_SRC_DWARF;
	else
		l->take_gil_tstate_arg = l->drop_gil_tstate_arg = -1;
	/* a clone takes fewer arguments: where tstate is, its DWARF says */
	if (l->take_gil_clone &&
	    dwarf_info_param_at(d, l->take_gil_clone, "tstate", &l->take_gil_clone_arg))
		l->take_gil_clone_arg = -1;
	l->have_dwarf = true;
	dwarf_info_close(d);
	return 0;
}

/* Header facts for fields still unknown; struct facts only where no DWARF
 * was read and the debug offsets say objects have the standard header. */
static void from_headers(struct pylayout *l)
{
	bool std = !l->have_dwarf && l->have_debug_offsets && !l->debug_build && !l->free_threaded;

	for (size_t i = 0; i < sizeof(header_facts) / sizeof(header_facts[0]); i++) {
		const struct header_fact *h = &header_facts[i];

		if (l->minor >= h->from && l->minor <= h->to && l->off[h->f] == PYL_UNKNOWN &&
		    (!h->fallback || std))
			set(l, h->f, h->val, PYL_SRC_HEADERS);
	}
}

bool pylayout_header_fact(unsigned minor, enum pyl_field f, int64_t *val)
{
	for (size_t i = 0; i < sizeof(header_facts) / sizeof(header_facts[0]); i++)
		if (header_facts[i].f == f && minor >= header_facts[i].from &&
		    minor <= header_facts[i].to) {
			*val = header_facts[i].val;
			return true;
		}
	return false;
}

int pylayout_load(struct pylayout *l, const char *path, char *err, size_t errlen)
{
	const struct pyversion *v;
	char why[512];
	int r;

	reset(l, path);
	r = load_elf(l, err, errlen);
	if (r)
		return r;
	v = version_of(l->major, l->minor);
	if (l->minor >= 13 && (r = pylayout_from_debug_offsets(l, path, why, sizeof(why))) &&
	    r != -ENOENT)
		return errf(err, errlen, r, "%s", why);
	pylayout_from_dwarf(l, path, why, sizeof(why));
	from_headers(l);
	if (l->gil_args_src != PYL_SRC_DWARF) {
		l->take_gil_tstate_arg = v->take_arg;
		l->drop_gil_tstate_arg = v->drop_arg;
		l->gil_args_src = PYL_SRC_HEADERS;
	}
	l->frames = v->frames;
	l->dicts = v->dicts;
	l->attrs = v->attrs;
	l->longs = v->longs;
	l->tids = v->tids;
	return 0;
}
