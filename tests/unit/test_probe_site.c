/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_probe_site.c - record/probe_site.h on functions written here in
 * assembly (so their code is known), then on what the adapters meet:
 * glibc's pthread_mutex_lock, CPython 3.8's take_gil copies and wait call.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "record/elf_sym.h"
#include "record/probe_site.h"
#include "record/x86_insn.h"

#define FN(name, body)								\
	".globl " #name "\n.type " #name ",@function\n.p2align 4\n" #name ":\n"	\
	body "\n.size " #name ", .-" #name "\n"

__asm__(".text\n"
	/* endbr64; push: past the endbr64 */
	FN(ps_endbr, "endbr64\npush %rbx\npop %rbx\nret")
	/* like pthread_mutex_lock: movs into scratch registers, then a jcc */
	FN(ps_movs, "mov 0x10(%rdi),%eax\nmov %eax,%edx\nand $0x17f,%edx\ntest %eax,%eax\n"
		    "jne 1f\nxor %eax,%eax\n1: ret")
	/* the lock argument (rdi) is overwritten first: stays at the entry */
	FN(ps_clobber, "mov 8(%rdi),%rdi\ntest %edi,%edi\njne 1f\n1: ret")
	/* the stack moves first: a uretprobe needs the return address on top */
	FN(ps_stack, "sub $8,%rsp\ntest %edi,%edi\njne 1f\n1: add $8,%rsp\nret")
	/* a loop jumps back between the entry and the jcc: stays at the entry */
	FN(ps_loop, "mov (%rdi),%eax\n2: test %eax,%eax\njne 1f\nmov 4(%rdi),%eax\njmp 2b\n1: ret")
	/* push first: the entry is cheap already */
	FN(ps_push, "push %rbp\npop %rbp\nret")
	/* calls ps_push twice and ps_endbr once */
	FN(ps_caller, "call ps_push\ncall ps_endbr\ncall ps_push\nret"));

static struct elf_file *self;

static bool site(const char *fn, uint32_t keep, long want_delta, int want_cls)
{
	struct elf_sym s;
	struct probe_site p;

	if (elf_file_find(self, fn, &s) || probe_site_entry(self, &s, NULL, 0, keep, &p)) {
		printf("#   %s: not found\n", fn);
		return false;
	}
	if ((long)(p.vaddr - s.vaddr) == want_delta && p.cls == want_cls)
		return true;
	printf("#   %s: site +%ld class %d, want +%ld class %d\n", fn, (long)(p.vaddr - s.vaddr),
	       p.cls, want_delta, want_cls);
	return false;
}

static void test_site_entry(void)
{
	uint32_t rdi = 1u << probe_site_arg_reg[0];

	CHECK(elf_file_open(&self, "/proc/self/exe") == 0);
	if (!self)
		return;
	CHECK(site("ps_endbr", rdi, 4, X86_PROBE_PUSH));
	/* mov 0x10(%rdi),%eax (3) mov (2) and (6) test (2): jne at +13 */
	CHECK(site("ps_movs", rdi, 13, X86_PROBE_BRANCH));
	/* the same function when edx must keep its value: the and writes it */
	CHECK(site("ps_movs", rdi | 1u << 2, 0, X86_PROBE_STEP));
	CHECK(site("ps_clobber", rdi, 0, X86_PROBE_STEP));
	CHECK(site("ps_clobber", 0, 6, X86_PROBE_BRANCH));	/* nobody reads rdi */
	CHECK(site("ps_stack", 0, 0, X86_PROBE_STEP));
	CHECK(site("ps_loop", rdi, 0, X86_PROBE_STEP));
	CHECK(site("ps_push", PROBE_SITE_ALL_ARGS, 0, X86_PROBE_PUSH));
}

static void test_site_calls(void)
{
	static const char *const names[] = { "ps_push" };
	struct probe_site out[4];
	struct elf_sym s;

	if (!self)
		return;
	CHECK(elf_file_find(self, "ps_caller", &s) == 0);
	CHECK(probe_site_calls(self, &s, names, 1, out, 4) == 2);
	CHECK(out[0].vaddr == s.vaddr && out[1].vaddr == s.vaddr + 10 &&
	      out[0].cls == X86_PROBE_BRANCH);
	CHECK(probe_site_calls(self, &s, names, 1, out, 1) == 1);
}

/* glibc's pthread_mutex_lock starts with movs (single-stepped); its first
 * emulated instruction keeps rdi and the stack. Checked on this libc only. */
static void test_site_glibc(void)
{
	const char *libc = "/lib/x86_64-linux-gnu/libc.so.6";
	struct elf_file *ef;
	struct elf_sym s;
	struct probe_site p;
	uint8_t first;

	if (elf_file_open(&ef, libc)) {
		printf("skip test_site_glibc: no %s\n", libc);
		return;
	}
	CHECK(elf_file_find(ef, "pthread_mutex_lock", &s) == 0);
	CHECK(elf_file_read(ef, s.vaddr, &first, 1) == 0);
	CHECK(probe_site_entry(ef, &s, NULL, 0, 1u << probe_site_arg_reg[0], &p) == 0);
	if (first == 0x8b)	/* mov: the build this was written against */
		CHECKF(p.vaddr > s.vaddr && p.cls == X86_PROBE_BRANCH, "site +%llu class %d",
		       (unsigned long long)(p.vaddr - s.vaddr), p.cls);
	else
		CHECK(p.vaddr >= s.vaddr && p.vaddr <= s.vaddr + 32);
	elf_file_close(ef);
}

/* CPython 3.8 (pyenv): take_gil and take_gil.constprop.0, each with one
 * call to pthread_cond_timedwait through the PLT. */
static void test_site_cpython38(void)
{
	char lib[PATH_MAX];
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	static const char *const wait[] = { "pthread_cond_timedwait" };
	struct elf_sym c[8];
	const char *names[8];
	struct elf_file *ef;
	size_t n, calls = 0;

	snprintf(lib, sizeof(lib), "%s/versions/3.8.18/lib/libpython3.8.so.1.0", root);
	if (elf_file_open(&ef, lib)) {
		printf("skip test_site_cpython38: no %s\n", lib);
		return;
	}
	n = elf_file_find_copies(ef, "take_gil", c, names, 8);
	CHECKF(n == 2, "%zu copies", n);
	for (size_t i = 0; i < n; i++) {
		struct probe_site w[4];
		size_t k = probe_site_calls(ef, &c[i], wait, 1, w, 4);

		CHECKF(k == 1, "%s: %zu wait calls", names[i], k);
		calls += k;
	}
	CHECK(calls == 2);
	elf_file_close(ef);
}

int main(void)
{
	RUN(test_site_entry);
	RUN(test_site_calls);
	RUN(test_site_glibc);
	RUN(test_site_cpython38);
	elf_file_close(self);
	return check_done();
}
