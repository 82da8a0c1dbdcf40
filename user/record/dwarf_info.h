/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * dwarf_info.h - the few questions gilscope asks of a file's DWARF, through
 * elfutils' libdw: the offset of a member of a named struct (a path through
 * nested members, "interpreters.head"), the bit position of a bit field,
 * the size of a type, the value of an enumerator, and the position of a
 * named parameter of a function. Types are named by struct tag or typedef.
 *
 * open() takes the names it will be asked about and indexes them in one
 * pass over the top-level entries of every compile unit (a libpython has
 * hundreds), keeping the first complete definition of each. The DWARF is
 * the file's own or, when the file has none, that of its separate debug
 * file (/usr/lib/debug/.build-id/xx/yyyy.debug).
 *
 * Files are untrusted: libdw bounds every read; a malformed entry is a
 * failed lookup, not a crash. Functions return 0 or a negative errno
 * (-ENOENT: no such name or member).
 */
#ifndef RECORD_DWARF_INFO_H
#define RECORD_DWARF_INFO_H
#include <stddef.h>
#include <stdint.h>

struct dwarf_info;

/* -ENOENT if neither path nor its debug file has .debug_info; names (n of
 * them) are every type, enumerator and function name later asked about. */
int dwarf_info_open(struct dwarf_info **out, const char *path,
		    const char *const *names, size_t n);
void dwarf_info_close(struct dwarf_info *d);
/* The file the DWARF was read from (path or its debug file). */
const char *dwarf_info_path(const struct dwarf_info *d);

/* Byte offset of member path ("a.b": member b of member a) in type. */
int dwarf_info_member(struct dwarf_info *d, const char *type, const char *path, int64_t *off);
/* Bit offset of bit-field member path from the start of type. */
int dwarf_info_bit(struct dwarf_info *d, const char *type, const char *path, int64_t *bit);
/* sizeof(type). */
int dwarf_info_sizeof(struct dwarf_info *d, const char *type, int64_t *size);
/* Value of an enumerator (named in open()'s list). */
int dwarf_info_enumerator(struct dwarf_info *d, const char *name, int64_t *val);
/* 0-based position of parameter param of function func; *type_name is the
 * name of the struct it points to (or "" when it is not a pointer to a named
 * struct), owned by d. */
int dwarf_info_param(struct dwarf_info *d, const char *func, const char *param, int *index,
		     const char **type_name);
/* Which argument register (0..5, the calling convention's order) holds
 * parameter param when the function at link-time address pc is entered:
 * for a compiler's clone of a function ("take_gil.constprop.0": GCC drops a
 * parameter that is constant at every call, so the others move), read from
 * the location of the clone's parameter at its entry. -ENOENT (no such
 * function or parameter), -ENOTSUP (not in a register there, or not an
 * architecture this knows). */
int dwarf_info_param_at(struct dwarf_info *d, uint64_t pc, const char *param, int *index);

#endif
