/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* probe_site.c - uprobe placement from machine code (see probe_site.h). */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "record/probe_site.h"
#include "record/x86_insn.h"

#define FN_MAX (256u << 10)	/* bytes of a function we decode at most */
#define ENTRY_SPAN 32		/* how far past the entry a probe may move */
#define RSP_BIT (1u << 4)

const uint8_t probe_site_arg_reg[6] = { 7, 6, 2, 1, 8, 9 };

/* fn's bytes (malloc'd) or NULL: no size, too large, or not in the file. */
static uint8_t *fn_bytes(const struct elf_file *ef, const struct elf_sym *fn)
{
	uint8_t *b;

	if (!fn->size || fn->size > FN_MAX || !(b = malloc(fn->size)))
		return NULL;
	if (elf_file_read(ef, fn->vaddr, b, fn->size)) {
		free(b);
		return NULL;
	}
	return b;
}

/* Whether any direct branch in fn lands in (lo, hi]; true also when fn
 * cannot be decoded through (we cannot tell). */
static bool lands_in(const struct elf_file *ef, const struct elf_sym *fn, uint64_t lo, uint64_t hi)
{
	uint8_t *b = fn_bytes(ef, fn);
	bool hit = !b;

	for (size_t at = 0; b && !hit && at < fn->size;) {
		struct x86_insn i;
		uint64_t t;

		if (x86_insn_decode(b + at, fn->size - at, &i)) {
			hit = true;
			break;
		}
		if (x86_insn_branch_target(&i, fn->vaddr + at, &t) && t > lo && t <= hi)
			hit = true;
		at += i.len;
	}
	free(b);
	return hit;
}

static int site_at(const struct elf_file *ef, uint64_t vaddr, uint8_t cls, struct probe_site *out)
{
	out->vaddr = vaddr;
	out->cls = cls;
	return elf_file_vaddr_to_off(ef, vaddr, &out->off);
}

int probe_site_entry(const struct elf_file *ef, const struct elf_sym *fn,
		     const struct elf_sym *frags, size_t nfrags, uint32_t keep,
		     struct probe_site *out)
{
	uint8_t code[ENTRY_SPAN + 16];
	size_t have = fn->size && fn->size < sizeof(code) ? fn->size : sizeof(code);
	struct x86_insn i;
	uint8_t first = X86_PROBE_STEP;

	if (elf_file_machine(ef) != EM_X86_64 || elf_file_read(ef, fn->vaddr, code, have))
		return site_at(ef, fn->vaddr, X86_PROBE_STEP, out);
	for (size_t at = 0; at <= ENTRY_SPAN && !x86_insn_decode(code + at, have - at, &i);
	     at += i.len) {
		uint8_t cls = x86_insn_probe_class(&i);
		int32_t w = x86_insn_writes(&i);
		bool moved_ok = true;

		if (!at)
			first = cls;
		if (cls != X86_PROBE_STEP) {
			if (!at)
				break;
			/* nothing may jump in between: it would run the probe twice */
			moved_ok = !lands_in(ef, fn, fn->vaddr, fn->vaddr + at);
			for (size_t k = 0; moved_ok && k < nfrags; k++)
				moved_ok = !lands_in(ef, &frags[k], fn->vaddr, fn->vaddr + at);
			if (moved_ok)
				return site_at(ef, fn->vaddr + at, cls, out);
			break;
		}
		if (w < 0 || (w & (int32_t)(keep | RSP_BIT)) || x86_insn_is_control(&i))
			break;
	}
	return site_at(ef, fn->vaddr, first, out);
}

size_t probe_site_calls(const struct elf_file *ef, const struct elf_sym *fn,
			const char *const *names, size_t nnames, struct probe_site *out,
			size_t max)
{
	uint8_t *b;
	size_t n = 0;

	if (elf_file_machine(ef) != EM_X86_64 || !(b = fn_bytes(ef, fn)))
		return 0;
	for (size_t at = 0; at < fn->size && n < max;) {
		struct x86_insn i;
		uint64_t t;
		char name[128];

		if (x86_insn_decode(b + at, fn->size - at, &i)) {
			n = 0;	/* lost the instruction boundaries: trust nothing found */
			break;
		}
		if (x86_insn_is_call(&i) && x86_insn_branch_target(&i, fn->vaddr + at, &t) &&
		    !elf_file_call_name(ef, t, name, sizeof(name))) {
			for (size_t k = 0; k < nnames; k++)
				if (!strcmp(name, names[k]) &&
				    !site_at(ef, fn->vaddr + at, X86_PROBE_BRANCH, &out[n])) {
					n++;
					break;
				}
		}
		at += i.len;
	}
	free(b);
	return n;
}
