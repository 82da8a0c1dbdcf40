/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * x86_insn.h - a small x86-64 instruction decoder: the length of an
 * instruction and the few facts about it that placing a uprobe needs
 * (probe_site.h), no disassembly. It knows the encoding of the whole
 * general-purpose and SSE/AVX/AVX-512 instruction set as compilers emit it
 * (legacy prefixes, REX, the 0F, 0F38 and 0F3A maps, VEX, EVEX); anything
 * it does not know (an undefined opcode, 3DNow!, XOP, an instruction that
 * is invalid in 64-bit mode, more than 15 bytes) is an error, never a guess:
 * a caller that cannot decode a function does not move a probe in it.
 *
 * What the kernel does with a uprobe depends on the probed instruction: on
 * x86-64 it emulates nops without a 0x66 prefix, direct jumps, calls and
 * conditional jumps and (6.10+) push of a register; every other instruction
 * is copied out of line and single-stepped, a second trap that costs about
 * ten times the first here. x86_insn_probe_class() says which.
 *
 * Pure functions over caller buffers; no allocation.
 */
#ifndef X86_INSN_H
#define X86_INSN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a uprobe on the instruction is handled (see above). */
enum x86_probe_class {
	X86_PROBE_STEP = 0,	/* single-stepped out of line: two traps */
	X86_PROBE_BRANCH,	/* nop, jmp, call, jcc: emulated */
	X86_PROBE_PUSH,		/* push reg: emulated since 6.10, stepped before */
};

struct x86_insn {
	uint8_t len;		/* bytes */
	uint8_t map;		/* 0: one-byte opcodes, 1: 0F, 2: 0F38, 3: 0F3A, 5/6: EVEX maps */
	uint8_t op;		/* the opcode byte in its map */
	uint8_t rex;		/* REX byte (0x40-0x4f) or 0 */
	bool vex;		/* VEX or EVEX encoded */
	bool opsize;		/* 0x66 prefix */
	bool rep;		/* 0xf3 prefix */
	bool repne;		/* 0xf2 prefix */
	bool has_modrm;
	uint8_t modrm;
	int64_t imm;		/* first immediate, sign-extended (rel8/rel32 too) */
	uint8_t imm_len;	/* its bytes; 0 if none */
	int32_t disp;		/* ModRM displacement */
	bool rip_rel;		/* ModRM memory operand is RIP-relative */
};

/* Decodes the instruction at code[0..len). 0 and *out, or -EINVAL if the
 * bytes are not one whole instruction this decoder knows. */
int x86_insn_decode(const uint8_t *code, size_t len, struct x86_insn *out);

/* ModRM fields with REX extensions: reg 0..15 (rax=0, rcx=1, rdx=2, rbx=3,
 * rsp=4, rbp=5, rsi=6, rdi=7, r8..r15). */
static inline int x86_insn_reg(const struct x86_insn *i)
{
	return ((i->modrm >> 3) & 7) | ((i->rex & 4) << 1);
}
static inline int x86_insn_rm(const struct x86_insn *i)
{
	return (i->modrm & 7) | ((i->rex & 1) << 3);
}
static inline bool x86_insn_rm_is_reg(const struct x86_insn *i)
{
	return i->has_modrm && (i->modrm >> 6) == 3;
}

/* A direct near jump, call or conditional jump: its target's address for
 * the instruction at address at; false otherwise. */
bool x86_insn_branch_target(const struct x86_insn *i, uint64_t at, uint64_t *target);
bool x86_insn_is_call(const struct x86_insn *i);	/* call rel32 */
bool x86_insn_is_ret(const struct x86_insn *i);		/* ret, ret imm16 */
bool x86_insn_is_endbr64(const struct x86_insn *i);
/* Ends straight-line code: any jump, call, return, trap or system call. */
bool x86_insn_is_control(const struct x86_insn *i);
enum x86_probe_class x86_insn_probe_class(const struct x86_insn *i);
/*
 * The general registers (bit n = register n as above) the instruction may
 * write, for the simple integer instructions compilers put at the top of a
 * function (mov, movzx/movsx, lea, the ALU group, test/cmp, endbr64): 0 for
 * those that write none (a store to memory, a compare). -1 for anything
 * else, which a caller must treat as "may write anything, the stack pointer
 * included".
 */
int32_t x86_insn_writes(const struct x86_insn *i);

#endif
