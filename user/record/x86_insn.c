/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * x86_insn.c - x86-64 instruction lengths (see x86_insn.h). The tables
 * follow the Intel SDM opcode maps (volume 2, appendix A) for 64-bit mode;
 * tests/unit/test_x86_insn.c checks them against objdump on whole
 * libraries.
 */
#include <errno.h>
#include <string.h>
#include "record/x86_insn.h"

/* Bit sets over 256 opcodes, written as 16 rows of 16 bits (bit n of row r
 * is opcode r*16+n). */
#define ROW(b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, ba, bb, bc, bd, be, bf)		\
	((b0) | (b1) << 1 | (b2) << 2 | (b3) << 3 | (b4) << 4 | (b5) << 5 | (b6) << 6 |	\
	 (b7) << 7 | (b8) << 8 | (b9) << 9 | (ba) << 10 | (bb) << 11 | (bc) << 12 |	\
	 (bd) << 13 | (be) << 14 | (bf) << 15)

static bool in_set(const uint16_t set[16], uint8_t op)
{
	return set[op >> 4] >> (op & 15) & 1;
}

/* One-byte map: has a ModRM byte. */
static const uint16_t modrm1[16] = {
	ROW(1,1,1,1,0,0,0,0, 1,1,1,1,0,0,0,0),	/* 00 */
	ROW(1,1,1,1,0,0,0,0, 1,1,1,1,0,0,0,0),	/* 10 */
	ROW(1,1,1,1,0,0,0,0, 1,1,1,1,0,0,0,0),	/* 20 */
	ROW(1,1,1,1,0,0,0,0, 1,1,1,1,0,0,0,0),	/* 30 */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),	/* 40 REX */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),	/* 50 */
	ROW(0,0,0,1,0,0,0,0, 0,1,0,1,0,0,0,0),	/* 60: movsxd, imul */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),	/* 70 */
	ROW(1,1,0,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 80 */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),	/* 90 */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),	/* a0 */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),	/* b0 */
	ROW(1,1,0,0,0,0,1,1, 0,0,0,0,0,0,0,0),	/* c0 */
	ROW(1,1,1,1,0,0,0,0, 1,1,1,1,1,1,1,1),	/* d0: shifts, x87 */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),	/* e0 */
	ROW(0,0,0,0,0,0,1,1, 0,0,0,0,0,0,1,1),	/* f0 */
};

/* One-byte map: not valid in 64-bit mode, or a prefix after a REX byte
 * (prefixes are taken before it; 0f, 62, c4, c5 are handled apart). */
static const uint16_t bad1[16] = {
	ROW(0,0,0,0,0,0,1,1, 0,0,0,0,0,0,1,0),	/* 00: push/pop es, push cs */
	ROW(0,0,0,0,0,0,1,1, 0,0,0,0,0,0,1,1),	/* 10: push/pop ss, ds */
	ROW(0,0,0,0,0,0,1,1, 0,0,0,0,0,0,1,1),	/* 20: es:, daa, cs:, das */
	ROW(0,0,0,0,0,0,1,1, 0,0,0,0,0,0,1,1),	/* 30: ss:, aaa, ds:, aas */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 40: a second REX */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),
	ROW(1,1,0,0,1,1,1,1, 0,0,0,0,0,0,0,0),	/* 60: pusha, popa, fs:, gs:, 66, 67 */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),
	ROW(0,0,1,0,0,0,0,0, 0,0,0,0,0,0,0,0),	/* 82 */
	ROW(0,0,0,0,0,0,0,0, 0,0,1,0,0,0,0,0),	/* 9a: far call */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,1,0),	/* ce: into */
	ROW(0,0,0,0,1,1,1,0, 0,0,0,0,0,0,0,0),	/* d4, d5, d6 */
	ROW(0,0,0,0,0,0,0,0, 0,0,1,0,0,0,0,0),	/* ea: far jmp */
	ROW(1,0,1,1,0,0,0,0, 0,0,0,0,0,0,0,0),	/* f0 lock, f2, f3 */
};

/* Two-byte map (0F xx): has a ModRM byte. */
static const uint16_t modrm2[16] = {
	ROW(1,1,1,1,0,0,0,0, 0,0,0,0,0,1,0,1),	/* 00: grp6/7, lar, lsl, prefetch (0d), 3DNow! (0f) */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 10 */
	ROW(1,1,1,1,0,0,0,0, 1,1,1,1,1,1,1,1),	/* 20 */
	ROW(0,0,0,0,0,0,0,0, 1,0,1,0,0,0,0,0),	/* 30: 38, 3a are maps */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 40 cmov */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 50 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 60 */
	ROW(1,1,1,1,1,1,1,0, 1,1,0,0,1,1,1,1),	/* 70: 77 emms */
	ROW(0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0),	/* 80 jcc */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 90 setcc */
	ROW(0,0,0,1,1,1,0,0, 0,0,0,1,1,1,1,1),	/* a0 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* b0 */
	ROW(1,1,1,1,1,1,1,1, 0,0,0,0,0,0,0,0),	/* c0: c8-cf bswap */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* d0 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* e0 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* f0 */
};

/* Two-byte map: defined at all (the rest is refused). */
static const uint16_t ok2[16] = {
	ROW(1,1,1,1,0,1,1,1, 1,1,0,1,0,1,0,0),	/* 00: 0f (3DNow!) refused */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 10 */
	ROW(1,1,1,1,0,0,0,0, 1,1,1,1,1,1,1,1),	/* 20 */
	ROW(1,1,1,1,1,1,0,1, 0,0,0,0,0,0,0,0),	/* 30: 38/3a handled apart */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 40 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 50 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 60 */
	ROW(1,1,1,1,1,1,1,1, 0,0,0,0,1,1,1,1),	/* 70: 78/79 vmread/vmwrite, extrq */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 80 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* 90 */
	ROW(1,1,1,1,1,1,0,0, 1,1,1,1,1,1,1,1),	/* a0 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* b0 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* c0 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* d0 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* e0 */
	ROW(1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1),	/* f0 */
};

/* Two-byte map: ModRM followed by an 8-bit immediate. */
static bool imm8_2(uint8_t op)
{
	return (op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac || op == 0xba ||
	       op == 0xc2 || (op >= 0xc4 && op <= 0xc6);
}

/* Immediate bytes of a one-byte-map opcode (after ModRM, if any). opsize:
 * 0x66 without REX.W (16-bit operands); w: REX.W. */
static int imm_len1(uint8_t op, const uint8_t *modrm, bool opsize, bool w, bool addr32)
{
	int z = opsize ? 2 : 4;	/* "Iz": 16 or 32 bits */

	switch (op) {
	case 0x04: case 0x0c: case 0x14: case 0x1c: case 0x24: case 0x2c: case 0x34: case 0x3c:
	case 0x6a: case 0x6b: case 0x80: case 0x83: case 0xa8: case 0xc0: case 0xc1: case 0xc6:
	case 0xcd: case 0xe4: case 0xe5: case 0xe6: case 0xe7:
	case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
	case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
	case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xeb:
		return 1;
	case 0x05: case 0x0d: case 0x15: case 0x1d: case 0x25: case 0x2d: case 0x35: case 0x3d:
	case 0x68: case 0x69: case 0x81: case 0xa9: case 0xc7:
		return z;
	case 0xe8: case 0xe9:	/* rel32 (0x66 is ignored in 64-bit mode by Intel CPUs) */
		return 4;
	case 0xc2: case 0xca:
		return 2;
	case 0xc8:
		return 3;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:	/* moffs */
		return addr32 ? 4 : 8;
	case 0xf6:
		return ((*modrm >> 3) & 7) < 2 ? 1 : 0;	/* test r/m8, imm8 */
	case 0xf7:
		return ((*modrm >> 3) & 7) < 2 ? z : 0;
	default:
		if (op >= 0xb0 && op <= 0xb7)
			return 1;
		if (op >= 0xb8 && op <= 0xbf)
			return w ? 8 : z;
		return 0;
	}
}

/* ModRM, SIB and displacement starting at p[0]; their length, or -1. */
static int modrm_len(const uint8_t *p, size_t left, struct x86_insn *out)
{
	uint8_t m, mod, rm;
	int n = 1;

	if (left < 1)
		return -1;
	m = p[0];
	mod = m >> 6;
	rm = m & 7;
	out->has_modrm = true;
	out->modrm = m;
	if (mod == 3)
		return 1;
	if (rm == 4) {	/* SIB */
		if (left < 2)
			return -1;
		n = 2;
		if (mod == 0 && (p[1] & 7) == 5)
			mod = 2;	/* disp32, no base */
	} else if (mod == 0 && rm == 5) {
		out->rip_rel = true;
		mod = 2;
	}
	if (mod == 1) {
		if (left < (size_t)n + 1)
			return -1;
		out->disp = (int8_t)p[n];
		return n + 1;
	}
	if (mod == 2) {
		if (left < (size_t)n + 4)
			return -1;
		out->disp = (int32_t)(p[n] | p[n + 1] << 8 | p[n + 2] << 16 | (uint32_t)p[n + 3] << 24);
		return n + 4;
	}
	return n;
}

static int64_t read_imm(const uint8_t *p, int len)
{
	uint64_t v = 0;

	for (int i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	if (len < 8 && len > 0 && (v >> (8 * len - 1)) & 1)
		v |= ~0ull << (8 * len);	/* sign-extend */
	return (int64_t)v;
}

/* VEX (c4/c5) or EVEX (62): map and opcode, then ModRM (and imm8 for the
 * 0F3A map and the few 0F opcodes that take one). */
static int decode_vex(const uint8_t *code, size_t len, size_t pos, struct x86_insn *out)
{
	uint8_t lead = code[pos];
	size_t n;
	int m;

	out->vex = true;
	if (lead == 0xc5) {
		n = 2;
		out->map = 1;
	} else if (lead == 0xc4) {
		n = 3;
		if (len < pos + 2)
			return -EINVAL;
		out->map = code[pos + 1] & 0x1f;
		if (out->map < 1 || out->map > 3)
			return -EINVAL;	/* XOP-like maps */
	} else {	/* 62: EVEX */
		n = 4;
		if (len < pos + 2)
			return -EINVAL;
		out->map = code[pos + 1] & 7;
		if (out->map != 1 && out->map != 2 && out->map != 3 && out->map != 5 &&
		    out->map != 6)
			return -EINVAL;
	}
	pos += n;
	if (len < pos + 1)
		return -EINVAL;
	out->op = code[pos++];
	if (out->map == 1 && out->op == 0x77 && lead != 0x62) {	/* vzeroupper/all */
		out->len = pos;
		return 0;
	}
	if ((m = modrm_len(code + pos, len - pos, out)) < 0)
		return -EINVAL;
	pos += m;
	if (out->map == 3 || (out->map == 1 && imm8_2(out->op))) {
		if (len < pos + 1)
			return -EINVAL;
		out->imm = (int8_t)code[pos];
		out->imm_len = 1;
		pos++;
	}
	if (pos > 15)
		return -EINVAL;
	out->len = pos;
	return 0;
}

int x86_insn_decode(const uint8_t *code, size_t len, struct x86_insn *out)
{
	bool addr32 = false, w;
	size_t pos = 0;
	int m, il;

	memset(out, 0, sizeof(*out));
	if (len > 15)
		len = 15;
	/* legacy prefixes, any order */
	for (;; pos++) {
		if (pos >= len)
			return -EINVAL;
		switch (code[pos]) {
		case 0x66: out->opsize = true; continue;
		case 0x67: addr32 = true; continue;
		case 0xf2: out->repne = true; continue;
		case 0xf3: out->rep = true; continue;
		case 0xf0: case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65:
			continue;
		}
		break;
	}
	if ((code[pos] & 0xf0) == 0x40) {	/* REX: must come right before the opcode */
		out->rex = code[pos++];
		if (pos >= len)
			return -EINVAL;
	}
	w = out->rex & 8;
	if (code[pos] == 0xc4 || code[pos] == 0xc5 || code[pos] == 0x62) {
		if (out->rex)
			return -EINVAL;
		return decode_vex(code, len, pos, out);
	}
	if (code[pos] != 0x0f) {	/* one-byte map */
		out->op = code[pos++];
		if (in_set(bad1, out->op))
			return -EINVAL;
		if (out->op == 0x8f && pos < len && ((code[pos] >> 3) & 7))
			return -EINVAL;	/* XOP */
		if (in_set(modrm1, out->op)) {
			if ((m = modrm_len(code + pos, len - pos, out)) < 0)
				return -EINVAL;
			pos += m;
		}
		il = imm_len1(out->op, out->has_modrm ? &out->modrm : NULL, out->opsize && !w, w,
			      addr32);
	} else {
		if (++pos >= len)
			return -EINVAL;
		if (code[pos] == 0x38 || code[pos] == 0x3a) {
			out->map = code[pos] == 0x38 ? 2 : 3;
			if (++pos >= len)
				return -EINVAL;
			out->op = code[pos++];
			if ((m = modrm_len(code + pos, len - pos, out)) < 0)
				return -EINVAL;
			pos += m;
			il = out->map == 3 ? 1 : 0;
		} else {
			out->map = 1;
			out->op = code[pos++];
			if (!in_set(ok2, out->op))
				return -EINVAL;
			if (in_set(modrm2, out->op)) {
				if ((m = modrm_len(code + pos, len - pos, out)) < 0)
					return -EINVAL;
				pos += m;
			}
			il = (out->op & 0xf0) == 0x80 ? 4 : imm8_2(out->op) ? 1 : 0;
		}
	}
	if (len < pos + il)
		return -EINVAL;
	if (il) {
		out->imm = read_imm(code + pos, il);
		out->imm_len = il;
		pos += il;
	}
	out->len = pos;
	return 0;
}

bool x86_insn_branch_target(const struct x86_insn *i, uint64_t at, uint64_t *target)
{
	bool rel = false;

	if (i->vex)
		return false;
	if (i->map == 0)
		rel = i->op == 0xe8 || i->op == 0xe9 || i->op == 0xeb || (i->op & 0xf0) == 0x70 ||
		      (i->op >= 0xe0 && i->op <= 0xe3);
	else if (i->map == 1)
		rel = (i->op & 0xf0) == 0x80;
	if (!rel)
		return false;
	*target = at + i->len + (uint64_t)i->imm;
	return true;
}

bool x86_insn_is_call(const struct x86_insn *i)
{
	return !i->vex && i->map == 0 && i->op == 0xe8;
}

bool x86_insn_is_ret(const struct x86_insn *i)
{
	return !i->vex && i->map == 0 && (i->op == 0xc3 || i->op == 0xc2);
}

bool x86_insn_is_endbr64(const struct x86_insn *i)
{
	return i->rep && !i->vex && i->map == 1 && i->op == 0x1e && i->modrm == 0xfa;
}

bool x86_insn_is_control(const struct x86_insn *i)
{
	uint64_t t;

	if (i->vex)
		return false;
	if (x86_insn_branch_target(i, 0, &t))
		return true;
	if (i->map == 0) {
		switch (i->op) {
		case 0xc2: case 0xc3: case 0xca: case 0xcb: case 0xcc: case 0xcd: case 0xcf:
		case 0xf4:	/* hlt */
			return true;
		case 0xff:	/* call/jmp indirect */
			return ((i->modrm >> 3) & 7) >= 2 && ((i->modrm >> 3) & 7) <= 5;
		}
		return false;
	}
	/* syscall, sysenter/exit, sysret, ud2, ud1, ud0 */
	return i->map == 1 && (i->op == 0x05 || i->op == 0x07 || i->op == 0x0b || i->op == 0x34 ||
			       i->op == 0x35 || i->op == 0xb9 || i->op == 0xff);
}

enum x86_probe_class x86_insn_probe_class(const struct x86_insn *i)
{
	uint64_t t;

	/* the kernel refuses to emulate anything with a 0x66 prefix */
	if (i->vex || i->opsize)
		return X86_PROBE_STEP;
	if (i->map == 0 && i->op == 0x90 && !i->rep)
		return X86_PROBE_BRANCH;	/* nop (not pause) */
	if (i->map == 1 && i->op == 0x1f && !i->rep && !i->repne && ((i->modrm >> 3) & 7) == 0)
		return X86_PROBE_BRANCH;	/* nopl */
	if (x86_insn_branch_target(i, 0, &t) && !(i->map == 0 && i->op >= 0xe0 && i->op <= 0xe3))
		return X86_PROBE_BRANCH;	/* jmp, call, jcc (not loop/jrcxz) */
	if (i->map == 0 && i->op >= 0x50 && i->op <= 0x57 && (!i->rex || i->rex == 0x41))
		return X86_PROBE_PUSH;
	return X86_PROBE_STEP;
}

/* Operates on bytes: without REX, register codes 4-7 are then ah, ch, dh,
 * bh (parts of rax..rbx), not spl..dil. */
static bool byte_op(const struct x86_insn *i)
{
	if (i->map == 1)
		return i->op >= 0x90 && i->op <= 0x9f;
	if (i->map != 0)
		return false;
	if (i->op < 0x40)
		return (i->op & 7) == 0 || (i->op & 7) == 2;
	return i->op == 0x80 || i->op == 0x88 || i->op == 0x8a || i->op == 0xc0 || i->op == 0xc6 ||
	       i->op == 0xd0 || i->op == 0xd2 || i->op == 0xf6 || (i->op >= 0xb0 && i->op <= 0xb7);
}

int32_t x86_insn_writes(const struct x86_insn *i)
{
	int reg = i->has_modrm ? x86_insn_reg(i) : 0, rm = i->has_modrm ? x86_insn_rm(i) : 0;
	int32_t to_rm = x86_insn_rm_is_reg(i) ? 1 << rm : 0;	/* a store writes no register */

	if (x86_insn_is_endbr64(i))
		return 0;
	if (i->vex || i->rep || i->repne)
		return -1;
	/* ah..bh: say "anything" rather than track them */
	if (byte_op(i) && !i->rex && ((i->has_modrm && ((reg & 4) || (x86_insn_rm_is_reg(i) && (rm & 4)))) ||
				      (i->map == 0 && i->op >= 0xb4 && i->op <= 0xb7)))
		return -1;
	if (i->map == 1) {
		switch (i->op) {
		case 0xb6: case 0xb7: case 0xbe: case 0xbf:	/* movzx, movsx */
		case 0xaf:					/* imul r, r/m */
			return 1 << reg;
		case 0x1f:					/* nopl */
			return 0;
		}
		if (i->op >= 0x40 && i->op <= 0x4f)		/* cmovcc */
			return 1 << reg;
		if (i->op >= 0x90 && i->op <= 0x9f)		/* setcc r/m8 */
			return to_rm;
		return -1;
	}
	if (i->map != 0)
		return -1;
	switch (i->op) {
	/* op r/m, r: add or adc sbb and sub xor; mov */
	case 0x00: case 0x01: case 0x08: case 0x09: case 0x10: case 0x11: case 0x18: case 0x19:
	case 0x20: case 0x21: case 0x28: case 0x29: case 0x30: case 0x31: case 0x88: case 0x89:
		return to_rm;
	/* op r, r/m; mov r, r/m; lea; movsxd; imul r, r/m, imm */
	case 0x02: case 0x03: case 0x0a: case 0x0b: case 0x12: case 0x13: case 0x1a: case 0x1b:
	case 0x22: case 0x23: case 0x2a: case 0x2b: case 0x32: case 0x33: case 0x8a: case 0x8b:
	case 0x8d: case 0x63: case 0x69: case 0x6b:
		return 1 << reg;
	/* op al/eax, imm */
	case 0x04: case 0x05: case 0x0c: case 0x0d: case 0x14: case 0x15: case 0x1c: case 0x1d:
	case 0x24: case 0x25: case 0x2c: case 0x2d: case 0x34: case 0x35:
		return 1;
	/* cmp and test: flags only */
	case 0x38: case 0x39: case 0x3a: case 0x3b: case 0x3c: case 0x3d:
	case 0x84: case 0x85: case 0xa8: case 0xa9:
		return 0;
	case 0x80: case 0x81: case 0x83:	/* group 1: /7 is cmp */
		return ((i->modrm >> 3) & 7) == 7 ? 0 : to_rm;
	case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3:	/* shifts */
		return to_rm;
	case 0xc6: case 0xc7:	/* mov r/m, imm */
		return ((i->modrm >> 3) & 7) == 0 ? to_rm : -1;
	case 0xf6: case 0xf7: {	/* test, not, neg; mul/div write rax:rdx */
		int r = (i->modrm >> 3) & 7;

		return r < 2 ? 0 : r < 4 ? to_rm : -1;
	}
	case 0x90:
		return i->rex & 1 ? -1 : 0;	/* nop; REX.B 90 is xchg r8, rax */
	}
	if (i->op >= 0xb0 && i->op <= 0xbf)	/* mov reg, imm */
		return 1 << ((i->op & 7) | ((i->rex & 1) << 3));
	return -1;
}
