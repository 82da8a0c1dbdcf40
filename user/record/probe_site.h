/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * probe_site.h - where the lock adapters (adapter.h) put their uprobes,
 * read from the functions' machine code (x86_insn.h).
 *
 * A uprobe costs what the kernel does with the probed instruction: a trap
 * and an emulation for a push, nop or branch, a trap and a second trap to
 * single-step anything else (ten times the cost here). A function's first
 * instruction is not always cheap: glibc's pthread_mutex_lock starts with
 * a mov, a -fcf-protection build with endbr64. probe_site_entry() finds the
 * first cheap instruction that every call runs with the same registers
 * and stack as at the entry, and probes that instead:
 *   - every instruction before it is straight-line code that writes no
 *     register the caller keeps (the arguments the BPF programs read) and
 *     not the stack pointer, so a uretprobe placed there still finds the
 *     return address at the top of the stack;
 *   - no branch of the function (or of its .cold part) lands between the
 *     entry and it, so it runs exactly once per call;
 * else it is the entry itself. probe_site_calls() finds where a function
 * calls others by name (through its PLT or directly), e.g. the condition
 * wait in CPython's take_gil, which only a take that has to wait reaches.
 *
 * x86-64 only: on another machine both give the entry / nothing.
 * Functions return 0 or a negative errno.
 */
#ifndef PROBE_SITE_H
#define PROBE_SITE_H
#include <stddef.h>
#include <stdint.h>
#include "record/elf_sym.h"

struct probe_site {
	uint64_t vaddr;		/* link-time address of the probed instruction */
	uint64_t off;		/* its file offset: what a uprobe attaches to */
	uint8_t cls;		/* enum x86_probe_class (X86_PROBE_STEP if unknown) */
};

/* Registers as in x86_insn.h (bit n: rax=0 ... rdi=7, r8..r15); the
 * argument registers of the SysV ABI, in argument order. */
extern const uint8_t probe_site_arg_reg[6];
#define PROBE_SITE_ALL_ARGS 0x3c6	/* rdi rsi rdx rcx r8 r9 */

/* The cheapest site equivalent to the entry of fn (see above). keep: the
 * registers whose entry values must still be there. frags: other parts of
 * the same function (its .cold part) whose branches may land in fn. */
int probe_site_entry(const struct elf_file *ef, const struct elf_sym *fn,
		     const struct elf_sym *frags, size_t nfrags, uint32_t keep,
		     struct probe_site *out);

/* The calls in fn to a function named one of names[0..nnames) into
 * out[0..max): how many (0: none, or fn cannot be decoded). */
size_t probe_site_calls(const struct elf_file *ef, const struct elf_sym *fn,
			const char *const *names, size_t nnames, struct probe_site *out,
			size_t max);

#endif
