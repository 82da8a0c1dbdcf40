/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * dwarf_info.c - see dwarf_info.h. Only libdw reads the DWARF; this file
 * indexes the wanted names and follows member paths. A Dwarf_Die stays
 * valid while its Dwarf is open, so the index holds DIEs by value.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "record/dwarf_info.h"
#include "record/elf_sym.h"
#include "util/hash.h"

#define DI_MAX_NAMES 128
#define DI_MAX_DEPTH 8		/* components of a member path, anonymous members included */

enum di_kind { DI_NONE, DI_TYPE, DI_ENUMERATOR, DI_FUNC };

struct di_entry {
	const char *name;	/* the caller's string */
	enum di_kind kind;	/* DI_NONE until found */
	Dwarf_Die die;
};

struct dwarf_info {
	int fd;
	Dwarf *dw;
	char path[PATH_MAX];
	struct di_entry e[DI_MAX_NAMES];
	size_t n, found;
	struct hmap by_hash;	/* fnv(name) -> index in e */
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static struct di_entry *wanted(struct dwarf_info *d, const char *name)
{
	uint64_t i;

	if (!name || !hmap_get(&d->by_hash, hkey_u64(fnv(name)), &i) || strcmp(d->e[i].name, name))
		return NULL;
	return &d->e[i];
}

static bool is_aggregate(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
}

/* A complete type: a struct with its members, or something with a size. */
static bool complete(Dwarf_Die *die)
{
	Dwarf_Die t;

	if (dwarf_peel_type(die, &t) != 0 || dwarf_hasattr(&t, DW_AT_declaration))
		return false;
	return dwarf_hasattr(&t, DW_AT_byte_size);
}

static void note(struct dwarf_info *d, struct di_entry *w, Dwarf_Die *die, enum di_kind k)
{
	if (!w || w->kind != DI_NONE)
		return;
	w->kind = k;
	w->die = *die;
	d->found++;
}

static void index_die(struct dwarf_info *d, Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	Dwarf_Die c;

	if (tag == DW_TAG_enumeration_type) {
		if (dwarf_child(die, &c) != 0)
			return;
		do {
			if (dwarf_tag(&c) == DW_TAG_enumerator)
				note(d, wanted(d, dwarf_diename(&c)), &c, DI_ENUMERATOR);
		} while (dwarf_siblingof(&c, &c) == 0);
	} else if (is_aggregate(tag) || tag == DW_TAG_typedef || tag == DW_TAG_base_type) {
		struct di_entry *w = wanted(d, dwarf_diename(die));

		if (w && complete(die))
			note(d, w, die, DI_TYPE);
	} else if (tag == DW_TAG_subprogram) {
		note(d, wanted(d, dwarf_diename(die)), die, DI_FUNC);
	}
}

/* One pass over every unit's top-level entries (types live there). */
static void build_index(struct dwarf_info *d)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, die;
	uint8_t unit_type;

	while (d->found < d->n &&
	       dwarf_get_units(d->dw, cu, &cu, NULL, &unit_type, &cudie, NULL) == 0) {
		if (dwarf_child(&cudie, &die) != 0)
			continue;
		do
			index_die(d, &die);
		while (d->found < d->n && dwarf_siblingof(&die, &die) == 0);
	}
}

static int try_open(struct dwarf_info *d, const char *path)
{
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	d->dw = dwarf_begin(d->fd, DWARF_C_READ);
	if (!d->dw) {
		close(d->fd);
		d->fd = -1;
		return -ENOENT;
	}
	snprintf(d->path, sizeof(d->path), "%s", path);
	return 0;
}

int dwarf_info_open(struct dwarf_info **out, const char *path, const char *const *names, size_t n)
{
	struct dwarf_info *d;
	int r;

	*out = NULL;
	if (n > DI_MAX_NAMES)
		return -E2BIG;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fd = -1;
	r = try_open(d, path);
	if (r == -ENOENT) {	/* no DWARF in the file: its separate debug file? */
		struct elf_file *ef;
		char id[128], dbg[PATH_MAX];

		if (!elf_file_open(&ef, path)) {
			if (!elf_file_build_id(ef, id, sizeof(id)) && strlen(id) > 2) {
				snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%.2s/%s.debug", id,
					 id + 2);
				r = try_open(d, dbg);
			}
			elf_file_close(ef);
		}
	}
	if (r) {
		dwarf_info_close(d);
		return r == -EACCES ? r : -ENOENT;
	}
	for (size_t i = 0; i < n; i++) {
		d->e[d->n].name = names[i];
		if (hmap_put(&d->by_hash, hkey_u64(fnv(names[i])), d->n)) {
			dwarf_info_close(d);
			return -ENOMEM;
		}
		d->n++;
	}
	build_index(d);
	*out = d;
	return 0;
}

void dwarf_info_close(struct dwarf_info *d)
{
	if (!d)
		return;
	if (d->dw)
		dwarf_end(d->dw);
	if (d->fd >= 0)
		close(d->fd);
	hmap_free(&d->by_hash);
	free(d);
}

const char *dwarf_info_path(const struct dwarf_info *d)
{
	return d->path;
}

static int type_die(struct dwarf_info *d, const char *type, Dwarf_Die *out)
{
	struct di_entry *w = wanted(d, type);

	if (!w || w->kind != DI_TYPE)
		return -ENOENT;
	return dwarf_peel_type(&w->die, out) == 0 ? 0 : -ENOENT;
}

/* The type a member or parameter has, typedefs and qualifiers peeled. */
static int member_type(Dwarf_Die *m, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	Dwarf_Die t;

	if (!dwarf_attr_integrate(m, DW_AT_type, &a) || !dwarf_formref_die(&a, &t))
		return -ENOENT;
	return dwarf_peel_type(&t, out) == 0 ? 0 : -ENOENT;
}

static int member_loc(Dwarf_Die *m, int64_t *off)
{
	Dwarf_Attribute a;
	Dwarf_Word v;

	if (!dwarf_attr(m, DW_AT_data_member_location, &a)) {
		*off = 0;	/* members of a union, or bit fields placed by bit offset */
		return 0;
	}
	if (dwarf_formudata(&a, &v) != 0)	/* an expression: not produced by GCC or clang */
		return -ENOTSUP;
	*off = (int64_t)v;
	return 0;
}

/* Bit position of member m from the start of its struct. */
static int member_bit(Dwarf_Die *m, int64_t *bit)
{
	Dwarf_Attribute a;
	Dwarf_Word v, size;
	int64_t loc;
	int r;

	if (dwarf_attr(m, DW_AT_data_bit_offset, &a))
		return dwarf_formudata(&a, &v) == 0 ? (*bit = (int64_t)v, 0) : -ENOTSUP;
	r = member_loc(m, &loc);
	if (r)
		return r;
	if (!dwarf_attr(m, DW_AT_bit_offset, &a)) {
		*bit = loc * 8;
		return 0;
	}
	/* DWARF 2/3: bits from the most significant end of the storage unit */
	int bsize = dwarf_bitsize(m), bytes = dwarf_bytesize(m);

	if (dwarf_formudata(&a, &v) != 0 || bsize < 0 || bytes <= 0)
		return -ENOTSUP;
	size = (Dwarf_Word)bytes * 8;
	if (v + (Dwarf_Word)bsize > size)
		return -ENOTSUP;
	*bit = loc * 8 + (int64_t)(size - v - (Dwarf_Word)bsize);
	return 0;
}

/*
 * Find member name in aggregate t (looking into anonymous struct/union
 * members too): *m is the member, *off its byte offset in t. depth bounds
 * the recursion a hostile file could make endless.
 */
static int find_member(Dwarf_Die *t, const char *name, size_t len, Dwarf_Die *m, int64_t *off,
		       int depth)
{
	Dwarf_Die c, sub;

	if (depth > DI_MAX_DEPTH || !is_aggregate(dwarf_tag(t)) || dwarf_child(t, &c) != 0)
		return -ENOENT;
	do {
		const char *cn;
		int64_t loc;

		if (dwarf_tag(&c) != DW_TAG_member)
			continue;
		cn = dwarf_diename(&c);
		if (cn && strlen(cn) == len && !strncmp(cn, name, len)) {
			*m = c;
			return member_loc(&c, off);
		}
		if (!cn && !member_type(&c, &sub) && !member_loc(&c, &loc) &&
		    !find_member(&sub, name, len, m, off, depth + 1)) {
			*off += loc;
			return 0;
		}
	} while (dwarf_siblingof(&c, &c) == 0);
	return -ENOENT;
}

/* Follow path through type: the last member in *m, the byte offset of it. */
static int follow(struct dwarf_info *d, const char *type, const char *path, Dwarf_Die *m,
		  int64_t *off)
{
	Dwarf_Die t;
	int depth = 0, r;

	r = type_die(d, type, &t);
	*off = 0;
	while (!r) {
		size_t len = strcspn(path, ".");
		int64_t o;

		r = find_member(&t, path, len, m, &o, 0);
		if (r)
			return r;
		*off += o;
		if (!path[len])
			return 0;
		if (++depth > DI_MAX_DEPTH)
			return -ENOENT;
		path += len + 1;
		r = member_type(m, &t);
	}
	return r;
}

int dwarf_info_member(struct dwarf_info *d, const char *type, const char *path, int64_t *off)
{
	Dwarf_Die m;

	return follow(d, type, path, &m, off);
}

int dwarf_info_bit(struct dwarf_info *d, const char *type, const char *path, int64_t *bit)
{
	Dwarf_Die m;
	int64_t off, b, own;
	int r = follow(d, type, path, &m, &off);

	if (r)
		return r;
	r = member_bit(&m, &b);
	if (r)
		return r;
	/* follow() added the field's own location; its bit offset counts from
	 * the struct that holds it, which starts at off minus that location */
	if (member_loc(&m, &own))
		return -ENOTSUP;
	*bit = (off - own) * 8 + b;
	return 0;
}

int dwarf_info_sizeof(struct dwarf_info *d, const char *type, int64_t *size)
{
	Dwarf_Die t;
	Dwarf_Word s;
	int r = type_die(d, type, &t);

	if (r)
		return r;
	if (dwarf_aggregate_size(&t, &s) != 0)
		return -ENOTSUP;
	*size = (int64_t)s;
	return 0;
}

int dwarf_info_enumerator(struct dwarf_info *d, const char *name, int64_t *val)
{
	struct di_entry *w = wanted(d, name);
	Dwarf_Attribute a;
	Dwarf_Sword v;

	if (!w || w->kind != DI_ENUMERATOR)
		return -ENOENT;
	if (!dwarf_attr(&w->die, DW_AT_const_value, &a) || dwarf_formsdata(&a, &v) != 0)
		return -ENOTSUP;
	*val = (int64_t)v;
	return 0;
}

int dwarf_info_param(struct dwarf_info *d, const char *func, const char *param, int *index,
		     const char **type_name)
{
	struct di_entry *w = wanted(d, func);
	Dwarf_Die c, t, p;
	int i = 0;

	if (!w || w->kind != DI_FUNC || dwarf_child(&w->die, &c) != 0)
		return -ENOENT;
	do {
		Dwarf_Attribute a;
		const char *n;

		if (dwarf_tag(&c) != DW_TAG_formal_parameter)
			continue;
		n = dwarf_attr_integrate(&c, DW_AT_name, &a) ? dwarf_formstring(&a) : NULL;
		if (n && !strcmp(n, param)) {
			*index = i;
			*type_name = "";
			if (!member_type(&c, &t) && dwarf_tag(&t) == DW_TAG_pointer_type &&
			    !member_type(&t, &p) && dwarf_diename(&p))
				*type_name = dwarf_diename(&p);
			return 0;
		}
		i++;
	} while (dwarf_siblingof(&c, &c) == 0);
	return -ENOENT;
}

/* The DWARF register number of argument i (0..5) of the C calling convention. */
static int arg_of_reg(unsigned reg)
{
#if defined(__x86_64__)
	static const unsigned regs[6] = { 5, 4, 1, 2, 8, 9 };	/* rdi rsi rdx rcx r8 r9 */
#elif defined(__aarch64__)
	static const unsigned regs[6] = { 0, 1, 2, 3, 4, 5 };	/* x0..x5 */
#else
	static const unsigned regs[1] = { ~0u };
	(void)reg;
	return -1;
#endif
	for (int i = 0; i < (int)(sizeof(regs) / sizeof(regs[0])); i++)
		if (regs[i] == reg)
			return i;
	return -1;
}

/* The subprogram of unit cu that starts at pc (a clone has no name of its
 * own: it is found by its address). */
static int func_at(Dwarf_Die *cu, uint64_t pc, Dwarf_Die *out)
{
	Dwarf_Addr lo;

	if (dwarf_child(cu, out) != 0)
		return -ENOENT;
	do
		if (dwarf_tag(out) == DW_TAG_subprogram && dwarf_lowpc(out, &lo) == 0 && lo == pc)
			return 0;
	while (dwarf_siblingof(out, out) == 0);
	return -ENOENT;
}

int dwarf_info_param_at(struct dwarf_info *d, uint64_t pc, const char *param, int *index)
{
	Dwarf_Die cu, fn, c;
	Dwarf_CU *u = NULL;
	uint8_t unit_type;
	bool found = dwarf_addrdie(d->dw, pc, &cu) && !func_at(&cu, pc, &fn);

	/* without .debug_aranges: every unit that holds pc */
	while (!found && dwarf_get_units(d->dw, u, &u, NULL, &unit_type, &cu, NULL) == 0)
		found = dwarf_haspc(&cu, pc) == 1 && !func_at(&cu, pc, &fn);
	if (!found || dwarf_child(&fn, &c) != 0)
		return -ENOENT;
	do {
		Dwarf_Attribute a, loc;
		Dwarf_Op *expr;
		size_t len;
		const char *n;

		if (dwarf_tag(&c) != DW_TAG_formal_parameter)
			continue;
		n = dwarf_attr_integrate(&c, DW_AT_name, &a) ? dwarf_formstring(&a) : NULL;
		if (!n || strcmp(n, param))
			continue;
		if (!dwarf_attr(&c, DW_AT_location, &loc) ||
		    dwarf_getlocation_addr(&loc, pc, &expr, &len, 1) != 1 || len != 1)
			return -ENOTSUP;
		if (expr[0].atom >= DW_OP_reg0 && expr[0].atom <= DW_OP_reg31)
			*index = arg_of_reg(expr[0].atom - DW_OP_reg0);
		else if (expr[0].atom == DW_OP_regx)
			*index = arg_of_reg((unsigned)expr[0].number);
		else
			return -ENOTSUP;
		return *index < 0 ? -ENOTSUP : 0;
	} while (dwarf_siblingof(&c, &c) == 0);
	return -ENOENT;
}
