/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_probe_site.c - record/probe_site.h on functions written here in
 * assembly (so their code is known), then on what the adapters meet:
 * glibc's pthread_mutex_lock, CPython 3.8's take_gil copies and wait call,
 * and the got sites the python adapter finds in every CPython 3 here.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>
#include "check.h"
#include "record/adapter.h"
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

/*
 * --python's got sites (loader.h lock_sites.got): on every CPython 3 here,
 * one per copy of take_gil, each a call to pthread_cond_signal (read back
 * from the file's bytes, not from the decoder that found it), and only
 * beside wait sites.
 */
static char err[512];

static void check_got_sites(const char *python)
{
	static struct adapter_target a;
	const struct lock_sites *sites = &a.lock.sites;
	struct elf_file *ef, *dbg = NULL, *sym;
	struct elf_sym c[8];
	const char *names[8];
	size_t nc, copies = 0;
	int r = adapter_python_resolve(0, python, &a, err, sizeof(err));

	CHECKF(r == 0, "%s: %d %s", python, r, err);
	if (r || elf_file_open(&ef, a.binary))
		return;
	CHECKF(sites->nwait > 0 && sites->ngot > 0, "%s: %u wait, %u got sites", python,
	       sites->nwait, sites->ngot);
	if (!elf_file_has_symtab(ef))
		adapter_open_debug(ef, &dbg);
	sym = dbg ? dbg : ef;
	nc = elf_file_find_copies(sym, "take_gil", c, names, 8);
	for (size_t i = 0; i < nc; i++) {
		uint64_t off;
		size_t in = 0;

		if (strstr(names[i], ".cold") || elf_file_vaddr_to_off(ef, c[i].vaddr, &off))
			continue;
		copies++;
		for (uint32_t k = 0; k < sites->ngot; k++) {
			uint64_t at = c[i].vaddr + (sites->got[k].off - off);
			uint8_t b[5];
			int32_t rel;
			char callee[64] = "";

			if (sites->got[k].off < off || sites->got[k].off >= off + c[i].size)
				continue;
			in++;
			CHECK(elf_file_read(ef, at, b, sizeof(b)) == 0 && b[0] == 0xe8);
			memcpy(&rel, b + 1, 4);
			elf_file_call_name(ef, at + 5 + rel, callee, sizeof(callee));
			CHECKF(!strcmp(callee, "pthread_cond_signal"), "%s: got site calls '%s'",
			       python, callee);
		}
		CHECKF(in == 1, "%s: %s has %zu got sites", python, names[i], in);
	}
	CHECKF(copies == sites->ngot && copies > 0, "%s: %zu copies of take_gil, %u got sites",
	       python, copies, sites->ngot);
	elf_file_close(dbg);
	elf_file_close(ef);
}

static void test_python_got_sites(void)
{
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	char dir[PATH_MAX], py[PATH_MAX + 64];
	struct dirent *d;
	struct stat st;
	DIR *v;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/versions", root);
	if ((v = opendir(dir))) {
		while ((d = readdir(v))) {
			char ver[16];

			if (strncmp(d->d_name, "3.", 2) || strlen(d->d_name) >= sizeof(ver))
				continue;
			snprintf(ver, sizeof(ver), "%s", d->d_name);
			*strrchr(ver, '.') = '\0';	/* 3.11.7 -> python3.11 */
			snprintf(py, sizeof(py), "%s/%s/bin/python%s", dir, d->d_name, ver);
			if (!stat(py, &st)) {
				check_got_sites(py);
				n++;
			}
		}
		closedir(v);
	}
	if (!stat("/usr/bin/python3.11-dbg", &st)) {
		check_got_sites("/usr/bin/python3.11-dbg");
		n++;
	}
	printf("# got sites checked on %d CPython 3 interpreters\n", n);
}

int main(void)
{
	RUN(test_site_entry);
	RUN(test_site_calls);
	RUN(test_site_glibc);
	RUN(test_site_cpython38);
	RUN(test_python_got_sites);
	elf_file_close(self);
	return check_done();
}
