/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_x86_insn.c - the x86-64 length decoder (user/record/x86_insn.h):
 * hand-written cases for what probe placement relies on (probe class,
 * registers written, branch targets), then whole libraries against
 * objdump: every function objdump decodes is walked instruction by
 * instruction from its start, and each length must be objdump's (an
 * instruction the decoder refuses ends that function's walk; refusals are
 * counted and must stay rare, a wrong length is a failure).
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record/x86_insn.h"
#include "check.h"

struct tcase {
	const char *hex;	/* the instruction, then maybe more bytes */
	int len;		/* expected length, -1: refused */
	int cls;		/* enum x86_probe_class */
	int32_t writes;		/* x86_insn_writes() */
};

#define R(n) (1 << (n))
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9 };

static const struct tcase cases[] = {
	{ "55", 1, X86_PROBE_PUSH, -1 },			/* push %rbp */
	{ "4157", 2, X86_PROBE_PUSH, -1 },			/* push %r15 */
	{ "f30f1efa", 4, X86_PROBE_STEP, 0 },			/* endbr64 */
	{ "90", 1, X86_PROBE_BRANCH, 0 },			/* nop */
	{ "f390", 2, X86_PROBE_STEP, -1 },			/* pause */
	{ "0f1f440000", 5, X86_PROBE_BRANCH, 0 },		/* nopl 0(%rax,%rax,1) */
	{ "660f1f440000", 6, X86_PROBE_STEP, 0 },		/* nopw: 0x66, not emulated */
	{ "e8 00000000", 5, X86_PROBE_BRANCH, -1 },		/* call */
	{ "0f85ac000000", 6, X86_PROBE_BRANCH, -1 },		/* jne rel32 */
	{ "7551", 2, X86_PROBE_BRANCH, -1 },			/* jne rel8 */
	{ "c3", 1, X86_PROBE_STEP, -1 },			/* ret */
	{ "8b4710", 3, X86_PROBE_STEP, R(RAX) },		/* mov 0x10(%rdi),%eax */
	{ "89c2", 2, X86_PROBE_STEP, R(RDX) },			/* mov %eax,%edx */
	{ "81e27f010000", 6, X86_PROBE_STEP, R(RDX) },		/* and $0x17f,%edx */
	{ "83e07c", 3, X86_PROBE_STEP, R(RAX) },		/* and $0x7c,%eax */
	{ "4889fb", 3, X86_PROBE_STEP, R(RBX) },		/* mov %rdi,%rbx */
	{ "be01000000", 5, X86_PROBE_STEP, R(RSI) },		/* mov $1,%esi */
	{ "4883ec10", 4, X86_PROBE_STEP, R(RSP) },		/* sub $0x10,%rsp */
	{ "85d2", 2, X86_PROBE_STEP, 0 },			/* test %edx,%edx */
	{ "c7470800000000", 7, X86_PROBE_STEP, 0 },		/* movl $0,0x8(%rdi): a store */
	{ "448b0d98961400", 7, X86_PROBE_STEP, R(R9) },		/* mov 0x149698(%rip),%r9d */
	{ "488d0500000000", 7, X86_PROBE_STEP, R(RAX) },	/* lea 0(%rip),%rax */
	{ "88e6", 2, X86_PROBE_STEP, -1 },			/* mov %ah,%dh: not tracked */
	{ "b6ff", 2, X86_PROBE_STEP, -1 },			/* mov $0xff,%dh */
	{ "48b80807060504030201", 10, X86_PROBE_STEP, R(RAX) },	/* movabs */
	{ "66b80100", 4, X86_PROBE_STEP, R(RAX) },		/* mov $1,%ax */
	{ "64488b042528000000", 9, X86_PROBE_STEP, R(RAX) },	/* mov %fs:0x28,%rax */
	{ "f7e1", 2, X86_PROBE_STEP, -1 },			/* mul %ecx: rdx:rax */
	{ "c5f877", 3, X86_PROBE_STEP, -1 },			/* vzeroupper */
	{ "c5fd6f0d00000000", 8, X86_PROBE_STEP, -1 },		/* vmovdqa 0(%rip),%ymm1 */
	{ "c4e37d18c101", 6, X86_PROBE_STEP, -1 },		/* vinsertf128 $1,... */
	{ "62f17c4828c1", 6, X86_PROBE_STEP, -1 },		/* vmovaps %zmm1,%zmm0 */
	{ "62f1fe486f4c2401", 8, X86_PROBE_STEP, -1 },		/* vmovdqu64 0x40(%rsp),%zmm1 */
	{ "660f3a0fc108", 6, X86_PROBE_STEP, -1 },		/* palignr $8 */
	{ "0f38f0 07", 4, X86_PROBE_STEP, -1 },			/* movbe (%rdi),%eax */
	{ "a1 0807060504030201", 9, X86_PROBE_STEP, -1 },	/* movabs 0x...,%eax */
	{ "f6c101", 3, X86_PROBE_STEP, 0 },			/* test $1,%cl */
	{ "f7c100010000", 6, X86_PROBE_STEP, 0 },		/* test $0x100,%ecx */
	{ "c8100000", 4, X86_PROBE_STEP, -1 },			/* enter */
	{ "06", -1, 0, 0 },					/* push %es: invalid */
	{ "0f0f c1 b4", -1, 0, 0 },				/* 3DNow! */
	{ "48", -1, 0, 0 },					/* a lone REX */
	{ "e8 0000", -1, 0, 0 },				/* cut short */
	{ "66666666666666666666666666666690", -1, 0, 0 },	/* over 15 bytes */
};

static size_t unhex(const char *s, uint8_t *out, size_t room)
{
	size_t n = 0;

	while (*s && n < room) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		unsigned v;

		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void test_x86_cases(void)
{
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct tcase *c = &cases[k];
		uint8_t b[32];
		size_t n = unhex(c->hex, b, sizeof(b));
		struct x86_insn i;
		int rc = x86_insn_decode(b, n, &i);

		if (c->len < 0) {
			CHECKF(rc == -EINVAL, "%s: decoded, len %d", c->hex, rc ? 0 : i.len);
			continue;
		}
		CHECKF(rc == 0 && i.len == c->len, "%s: rc %d len %d, want %d", c->hex, rc, i.len,
		       c->len);
		if (rc)
			continue;
		CHECKF((int)x86_insn_probe_class(&i) == c->cls, "%s: class %d, want %d", c->hex,
		       x86_insn_probe_class(&i), c->cls);
		CHECKF(x86_insn_writes(&i) == c->writes, "%s: writes %#x, want %#x", c->hex,
		       (unsigned)x86_insn_writes(&i), (unsigned)c->writes);
	}
}

static void test_x86_branches(void)
{
	/* at 0x1000: call +0x10; jne -0x10 (rel8); je rel32 */
	uint8_t call[] = { 0xe8, 0x10, 0, 0, 0 }, jne[] = { 0x75, 0xf0 },
		je[] = { 0x0f, 0x84, 0x00, 0x01, 0, 0 }, ret[] = { 0xc3 }, mov[] = { 0x89, 0xc2 };
	struct x86_insn i;
	uint64_t t = 0;

	CHECK(x86_insn_decode(call, sizeof(call), &i) == 0 && x86_insn_is_call(&i));
	CHECK(x86_insn_branch_target(&i, 0x1000, &t) && t == 0x1015);
	CHECK(x86_insn_decode(jne, sizeof(jne), &i) == 0 && !x86_insn_is_call(&i));
	CHECK(x86_insn_branch_target(&i, 0x1000, &t) && t == 0x1002 - 0x10);
	CHECK(x86_insn_decode(je, sizeof(je), &i) == 0 && x86_insn_is_control(&i));
	CHECK(x86_insn_branch_target(&i, 0x1000, &t) && t == 0x1106);
	CHECK(x86_insn_decode(ret, sizeof(ret), &i) == 0 && x86_insn_is_ret(&i) &&
	      x86_insn_is_control(&i) && !x86_insn_branch_target(&i, 0, &t));
	CHECK(x86_insn_decode(mov, sizeof(mov), &i) == 0 && !x86_insn_is_control(&i));
}

/* ---- against objdump ---------------------------------------------------------- */

#define FN_MAX 65536

struct walk {
	uint8_t code[FN_MAX];	/* the function's bytes as objdump listed them */
	uint8_t lens[FN_MAX];	/* objdump's length of the instruction at each start */
	size_t n;
	bool bad;		/* objdump gave up somewhere: skip it */
	unsigned long insns, refused, wrong, funcs;
	char first_wrong[160];
};

static void walk_fn(struct walk *w, const char *name)
{
	size_t at = 0;

	if (!w->n || w->bad)
		goto out;
	w->funcs++;
	while (at < w->n) {
		struct x86_insn i;
		size_t left = w->n - at;

		if (x86_insn_decode(w->code + at, left, &i)) {
			w->refused++;
			break;
		}
		w->insns++;
		/* objdump shows fwait + fnstcw as one "fstcw": two instructions */
		if (i.len == 1 && w->code[at] == 0x9b && w->lens[at] > 1) {
			w->lens[at + 1] = w->lens[at] - 1;
			at++;
			continue;
		}
		if (i.len != w->lens[at]) {
			if (!w->wrong++)
				snprintf(w->first_wrong, sizeof(w->first_wrong),
					 "%s+%#zx: %u bytes, objdump %u", name, at, i.len, w->lens[at]);
			break;
		}
		at += i.len;
	}
out:
	w->n = 0;
	w->bad = false;
}

static void compare_file(struct walk *w, const char *path)
{
	char cmd[512], line[4096], fn[128] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "objdump -d -w '%s' 2>/dev/null", path);
	if (!(p = popen(cmd, "r")))
		return;
	while (fgets(line, sizeof(line), p)) {
		char *tab1, *tab2;

		if (strchr(line, '<') && strstr(line, ">:")) {	/* "0000... <name>:" */
			walk_fn(w, fn);
			snprintf(fn, sizeof(fn), "%s", strchr(line, '<') + 1);
			fn[strcspn(fn, ">")] = '\0';
			continue;
		}
		if (!(tab1 = strchr(line, '\t')) || !(tab2 = strchr(tab1 + 1, '\t'))) {
			if (tab1)	/* bytes without a mnemonic: data or a bad decode */
				w->bad = true;
			continue;
		}
		*tab2 = '\0';
		if (strstr(tab2 + 1, "(bad)") || !strncmp(tab2 + 1, ".byte", 5) ||
		    strstr(tab2 + 1, "data16") || strstr(tab2 + 1, "rex"))
			w->bad = true;
		uint8_t b[32];
		size_t n = unhex(tab1 + 1, b, sizeof(b));

		if (!n || w->n + n > FN_MAX) {
			w->bad = true;
			continue;
		}
		w->lens[w->n] = (uint8_t)n;
		memcpy(w->code + w->n, b, n);
		w->n += n;
	}
	walk_fn(w, fn);
	pclose(p);
}

static void test_x86_against_objdump(void)
{
	static const char *const files[] = {
		"/lib/x86_64-linux-gnu/libc.so.6",
		"/usr/lib/x86_64-linux-gnu/libcrypto.so.3",	/* hand-written AVX-512 */
		"/usr/lib/x86_64-linux-gnu/libzstd.so.1",
		"/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0",
		"/proc/self/exe",
	};
	static struct walk w;	/* 128 KiB: not on the stack */
	int nfiles = 0;

	if (system("objdump --version >/dev/null 2>&1")) {
		printf("skip test_x86_against_objdump: no objdump\n");
		return;
	}
	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
		if (access(files[k], R_OK))
			continue;
		nfiles++;
		compare_file(&w, files[k]);
	}
	printf("# %d files, %lu functions, %lu instructions, %lu refused\n", nfiles, w.funcs,
	       w.insns, w.refused);
	CHECK(nfiles >= 2);
	CHECKF(w.wrong == 0, "%lu wrong lengths, the first %s", w.wrong, w.first_wrong);
	CHECKF(w.insns > 100000, "only %lu instructions compared", w.insns);
	/* refusals end a function's walk: rare, or the decoder misses common code */
	CHECKF(w.refused * 200 < w.funcs, "%lu of %lu functions hit a refused instruction",
	       w.refused, w.funcs);
}

int main(void)
{
	RUN(test_x86_cases);
	RUN(test_x86_branches);
	RUN(test_x86_against_objdump);
	return check_done();
}
