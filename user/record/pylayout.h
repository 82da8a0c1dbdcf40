/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pylayout.h - what gilscope knows about CPython's memory, in one place:
 * for one interpreter file (a python3.X executable or a libpython3.X.so),
 * its version and the offsets, sizes and constants needed to walk a live
 * interpreter (threads, frames, code objects, str, int and dict objects),
 * plus which argument of take_gil()/drop_gil() is the PyThreadState *.
 *
 * Every number comes from one of three sources, kept per field and printed
 * by pylayout_describe():
 *   - the interpreter's _Py_DebugOffsets (3.13+: the start of _PyRuntime,
 *     in the .PyRuntime section, written for out-of-process tools);
 *   - the interpreter's DWARF (.debug_info of the file or of its separate
 *     debug file under /usr/lib/debug/.build-id/), read with elfutils'
 *     libdw: structs and members looked up by name;
 *   - CPython's headers for that version ("cpython-X.Y"): constants that
 *     are #defines in CPython and so are in neither (type flag bits, where
 *     a managed __dict__ sits before an object), kept in pylayout.c's
 *     version table. The GIL argument positions also have such a fallback,
 *     used only without DWARF (a test checks it against DWARF).
 * No offset is ever guessed: a field no source gives stays PYL_UNKNOWN,
 * and pylayout_ready() says which capability that costs and why.
 *
 * How to walk with the numbers (which representation each version uses)
 * is told by the models below, so that pyread.c branches on models and
 * never on version numbers. Adding a CPython version means editing the
 * tables in pylayout.c, and pyread.c only if a representation is new.
 *
 * A struct pylayout is plain data (copyable, no pointers). Functions return
 * 0 or a negative errno and write a one-line reason into err.
 */
#ifndef RECORD_PYLAYOUT_H
#define RECORD_PYLAYOUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PYL_UNKNOWN INT64_MIN	/* a field no source gave */
#define PYL_MICRO_UNKNOWN 255u

/* X(id, what): every number of the layout, in describe() order. */
#define PYL_FIELDS(X)                                                            \
	/* where the thread states are */                                         \
	X(RT_INTERP_HEAD, "_PyRuntimeState.interpreters.head")                   \
	X(IS_NEXT, "PyInterpreterState.next")                                    \
	X(IS_THREADS_HEAD, "PyInterpreterState.threads.head / tstate_head")      \
	X(IS_MODULES, "PyInterpreterState.imports.modules / modules")            \
	X(TS_NEXT, "PyThreadState.next")                                         \
	X(TS_THREAD_ID, "PyThreadState.thread_id (pthread_t)")                   \
	X(TS_NATIVE_ID, "PyThreadState.native_thread_id (3.11+)")                 \
	X(TS_FRAME, "PyThreadState.frame (<=3.10) / current_frame (3.13+)")      \
	X(TS_CFRAME, "PyThreadState.cframe (3.11, 3.12)")                        \
	X(CFRAME_CURRENT, "_PyCFrame.current_frame (3.11, 3.12)")                \
	/* frames and code */                                                     \
	X(FRAME_CODE, "frame f_code / f_executable")                             \
	X(FRAME_BACK, "frame f_back / previous")                                 \
	X(FRAME_OWNER, "_PyInterpreterFrame.owner (3.11+, 1 byte)")              \
	X(OWNED_BY_CSTACK, "value of FRAME_OWNED_BY_CSTACK (3.12+)")             \
	X(CODE_NAME, "PyCodeObject.co_name")                                     \
	X(CODE_QUALNAME, "PyCodeObject.co_qualname (3.11+)")                     \
	X(CODE_FILENAME, "PyCodeObject.co_filename")                             \
	X(CODE_FIRSTLINENO, "PyCodeObject.co_firstlineno (int)")                 \
	/* objects and str */                                                     \
	X(OB_TYPE, "PyObject.ob_type")                                           \
	X(STR_LENGTH, "PyASCIIObject.length")                                    \
	X(STR_STATE, "PyASCIIObject.state (4 bytes of bit fields)")              \
	X(STR_KIND_BIT, "first bit of state.kind (3 bits)")                      \
	X(STR_COMPACT_BIT, "bit of state.compact")                               \
	X(STR_ASCII_BIT, "bit of state.ascii")                                   \
	X(STR_READY_BIT, "bit of state.ready (<=3.11)")                          \
	X(STR_ASCII_SIZE, "sizeof(PyASCIIObject): compact ASCII data")           \
	X(STR_COMPACT_SIZE, "sizeof(PyCompactUnicodeObject): other compact data") \
	/* thread names: sys.modules['threading']._active {ident: Thread} */      \
	X(TYPE_FLAGS, "PyTypeObject.tp_flags")                                   \
	X(TYPE_BASICSIZE, "PyTypeObject.tp_basicsize")                           \
	X(TYPE_DICTOFFSET, "PyTypeObject.tp_dictoffset")                         \
	X(HT_CACHED_KEYS, "PyHeapTypeObject.ht_cached_keys")                     \
	X(TPFLAGS_MANAGED_DICT, "Py_TPFLAGS_MANAGED_DICT (3.11+)")               \
	X(TPFLAGS_INLINE_VALUES, "Py_TPFLAGS_INLINE_VALUES (3.13+)")             \
	X(MANAGED_DICT_OFF, "managed __dict__ pointer, from the object (3.11+)") \
	X(MANAGED_VALUES_OFF, "managed values pointer, from the object (3.11)")  \
	X(MODULE_DICT, "PyModuleObject.md_dict")                                 \
	X(DICT_KEYS, "PyDictObject.ma_keys")                                     \
	X(DICT_VALUES, "PyDictObject.ma_values")                                 \
	X(DK_SIZE, "PyDictKeysObject.dk_size (<=3.10)")                          \
	X(DK_LOG2_INDEX_BYTES, "PyDictKeysObject.dk_log2_index_bytes (3.11+)")   \
	X(DK_KIND, "PyDictKeysObject.dk_kind (3.11+)")                           \
	X(DK_NENTRIES, "PyDictKeysObject.dk_nentries")                           \
	X(DK_INDICES, "PyDictKeysObject.dk_indices")                             \
	X(KEYS_GENERAL, "value of DICT_KEYS_GENERAL (3.11+)")                    \
	X(DKE_SIZE, "sizeof(PyDictKeyEntry)")                                    \
	X(DKE_KEY, "PyDictKeyEntry.me_key")                                      \
	X(DKE_VALUE, "PyDictKeyEntry.me_value")                                  \
	X(DKU_SIZE, "sizeof(PyDictUnicodeEntry) (3.11+)")                        \
	X(DKU_KEY, "PyDictUnicodeEntry.me_key")                                  \
	X(DKU_VALUE, "PyDictUnicodeEntry.me_value")                              \
	X(DV_VALUES, "PyDictValues.values (0: ma_values is the array)")          \
	X(DV_VALID, "PyDictValues.valid (3.13+)")                                \
	X(LONG_SIZE, "PyLongObject ob_size (<=3.11) / long_value.lv_tag")        \
	X(LONG_DIGITS, "PyLongObject ob_digit")                                  \
	X(DIGIT_SIZE, "sizeof(digit)")                                           \
	X(LONG_TAG_SHIFT, "digits = lv_tag >> this (3.12+)")

enum pyl_field {
#define PYL_ENUM(id, what) PYL_##id,
	PYL_FIELDS(PYL_ENUM)
#undef PYL_ENUM
	PYL_NFIELDS
};

/* Link-time addresses (add the load bias for a running process). */
#define PYL_SYMS(X)                                                         \
	X(RUNTIME, "_PyRuntime", "the runtime state (3.7+)")                \
	X(INTERP_HEAD, "interp_head", "the interpreter list (3.6)")         \
	X(CODE_TYPE, "PyCode_Type", "type of code objects")                 \
	X(UNICODE_TYPE, "PyUnicode_Type", "type of str")                    \
	X(DICT_TYPE, "PyDict_Type", "type of dict")                         \
	X(LONG_TYPE, "PyLong_Type", "type of int")                          \
	X(MODULE_TYPE, "PyModule_Type", "type of modules")

enum pyl_sym {
#define PYL_SENUM(id, name, what) PYL_SYM_##id,
	PYL_SYMS(PYL_SENUM)
#undef PYL_SENUM
	PYL_NSYMS
};

enum pyl_src {
	PYL_SRC_NONE,		/* not known */
	PYL_SRC_DEBUG_OFFSETS,	/* _Py_DebugOffsets in the file */
	PYL_SRC_DWARF,		/* the file's DWARF */
	PYL_SRC_HEADERS,	/* CPython's headers for this version (pylayout.c) */
	PYL_SRC_SYMTAB,		/* the ELF symbol table */
};

/* How each piece is represented (chosen by version in pylayout.c). */
enum pyl_frame_model {
	PYL_FRAMES_NONE,
	PYL_FRAMES_OBJECT,	/* <=3.10: tstate->frame, a PyFrameObject */
	PYL_FRAMES_CFRAME,	/* 3.11, 3.12: tstate->cframe->current_frame */
	PYL_FRAMES_DIRECT,	/* 3.13+: tstate->current_frame */
};

enum pyl_dict_model {
	PYL_DICT_NONE,
	PYL_DICT_SIZE,		/* <=3.10: dk_size, index width from the size, 24-byte entries */
	PYL_DICT_LOG2,		/* 3.11+: dk_log2_index_bytes, dk_kind picks the entry form */
};

enum pyl_attr_model {		/* where an instance's attributes are */
	PYL_ATTRS_NONE,
	PYL_ATTRS_DICTOFFSET,	/* <=3.10: a dict at tp_dictoffset */
	PYL_ATTRS_MANAGED,	/* 3.11: values at -4 words, or a dict at -3 */
	PYL_ATTRS_TAGGED,	/* 3.12: -3 words: a dict, or values - 1 (odd) */
	PYL_ATTRS_INLINE,	/* 3.13+: values after tp_basicsize if valid, else the dict at -3 */
};

enum pyl_long_model {
	PYL_LONG_NONE,
	PYL_LONG_OBSIZE,	/* <=3.11: signed ob_size digits */
	PYL_LONG_TAG,		/* 3.12+: lv_tag = ndigits << shift | sign */
};

enum pyl_tid_model {
	PYL_TID_NONE,
	PYL_TID_NATIVE,		/* 3.11+: tstate->native_thread_id */
	PYL_TID_PTHREAD,	/* <=3.10: pthread_t is glibc's struct pthread, tid inside */
};

/* What a layout can do; pylayout_ready() fills the reasons. */
enum pyl_cap {
	PYL_CAP_THREADS,	/* list thread states and their tids */
	PYL_CAP_FUNCS,		/* current frame -> code object -> names */
	PYL_CAP_NAMES,		/* threading._active -> Thread._name */
	PYL_NCAPS
};

struct pylayout {
	char path[4096];		/* the file the layout is of */
	unsigned major, minor, micro;	/* micro PYL_MICRO_UNKNOWN if the file does not say */
	char version_src[64];		/* where the version came from */
	bool debug_build;		/* Py_DEBUG (DWARF shows ob_refcnt elsewhere) */
	bool free_threaded;		/* free-threaded build (not supported) */
	int64_t off[PYL_NFIELDS];	/* PYL_UNKNOWN or the value */
	uint8_t src[PYL_NFIELDS];	/* enum pyl_src of each */
	uint64_t sym[PYL_NSYMS];	/* link-time address, 0 = not found */
	uint64_t load_vaddr, load_off;	/* first PT_LOAD p_vaddr, p_offset (for the bias) */
	enum pyl_frame_model frames;
	enum pyl_dict_model dicts;
	enum pyl_attr_model attrs;
	enum pyl_long_model longs;
	enum pyl_tid_model tids;
	int take_gil_tstate_arg;	/* argument index of PyThreadState *, -1 unknown */
	int drop_gil_tstate_arg;
	uint64_t take_gil_clone;	/* link-time address of a compiler's clone of
					 * take_gil (pylayout_take_gil_clone), 0: none */
	int take_gil_clone_arg;		/* its PyThreadState * argument (DWARF), -1 unknown */
	uint8_t gil_args_src;		/* enum pyl_src */
	bool have_dwarf;		/* DWARF was found and read */
	bool have_debug_offsets;	/* _Py_DebugOffsets was found and read */
};

/*
 * Load the layout of the interpreter in path: version, then
 * _Py_DebugOffsets (if the version has it), then DWARF for what is still
 * missing, then the version's header constants. -ENOENT/-EACCES if path
 * cannot be opened, -ENOEXEC if it is not an ELF file or not a CPython
 * 3.6+ interpreter (err names the way out), 0 otherwise, even when some
 * capabilities are missing: ask pylayout_ready().
 */
int pylayout_load(struct pylayout *l, const char *path, char *err, size_t errlen);

/* Fill l from the file's _Py_DebugOffsets only (fields it has; 3.13+).
 * -ENOENT if the file has none, -ENOTSUP for a layout of them this
 * gilscope does not know. Exposed for tests (cross-check with DWARF). */
int pylayout_from_debug_offsets(struct pylayout *l, const char *path, char *err, size_t errlen);
/* Fill the fields still unknown in l from the file's DWARF (and the GIL
 * argument positions). -ENOENT if the file and its debug file have none. */
int pylayout_from_dwarf(struct pylayout *l, const char *path, char *err, size_t errlen);

/* true if l can do cap; otherwise false and why (one line) in err. */
bool pylayout_ready(const struct pylayout *l, enum pyl_cap cap, char *err, size_t errlen);

struct gs_py_cfg;

/* What the kernel side needs to find the code object a thread runs from
 * its PyThreadState at drop_gil (bpf/gilscope.h's struct gs_py_cfg, walked
 * by bpf/gs_pycode.h): true and *c, or false and why (one line) when the
 * layout lacks a field or lays them out in a way that walk cannot read. */
bool pylayout_bpf_cfg(const struct pylayout *l, struct gs_py_cfg *c, char *why, size_t len);

/* The i-th name a compiler's clone of take_gil() may have in a symbol
 * table ("take_gil.constprop.0": GCC made one for CPython 3.8, called where
 * the GIL is taken back after blocking), NULL past the last. Such a clone is
 * a second entry point that the GIL's probes must cover too. */
const char *pylayout_take_gil_clone(size_t i);

/* The GIL argument positions CPython's sources give for major.minor
 * (-1 for a version gilscope does not know): the fallback without DWARF. */
void pylayout_gil_args_builtin(unsigned major, unsigned minor, int *take_arg, int *drop_arg);

/* The value CPython's headers give field f in 3.minor (the table behind
 * PYL_SRC_HEADERS, fallbacks for builds without DWARF included): true and
 * *val, or false. For tests that check the table against DWARF. */
bool pylayout_header_fact(unsigned minor, enum pyl_field f, int64_t *val);

/* Name of a field, a symbol, a source ("DWARF", ...). */
const char *pylayout_field_name(enum pyl_field f);
const char *pylayout_sym_name(enum pyl_sym s);
const char *pylayout_src_name(enum pyl_src s);

/* Every number of l and where it came from, one per line, to f. */
void pylayout_describe(const struct pylayout *l, FILE *f);

#endif
